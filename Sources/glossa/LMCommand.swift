import ArgumentParser

struct LM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Run a Hugging Face language model folder: logits, generation, scoring.",
        discussion: """
        A model folder holds config.json, model.safetensors (or shards with \
        model.safetensors.index.json) and, for text, tokenizer.json. Supported architectures: \
        GPT2LMHeadModel, LlamaForCausalLM, MixtralForCausalLM, DeepseekV3ForCausalLM.
        """,
        subcommands: [LMLogits.self, LMGenerate.self, LMScore.self, LMTrain.self, LMEval.self, LMExport.self, LMMTP.self, LMSpeculate.self])
}

/// The --model option shared by the lm subcommands.
struct ModelOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Model folder (config.json, safetensors, tokenizer.json).", valueName: "dir"))
    var model: String
}
