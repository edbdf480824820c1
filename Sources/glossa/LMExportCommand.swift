import ArgumentParser
import Foundation
import GlossaLM
import GlossaNN

struct LMExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a training checkpoint as a Hugging Face model folder (fp16), without training.",
        discussion: """
        Useful to try a run's current state while it trains (checkpoints are written atomically, \
        so reading one mid-run is safe).

        Example:
          glossa lm export --checkpoint runs/glossa-lm-v1/checkpoint.safetensors --out /tmp/lm-now
        """)

    @Option(help: ArgumentHelp("checkpoint.safetensors from glossa lm train.", valueName: "file")) var checkpoint: String
    @Option(help: ArgumentHelp("Output model folder.", valueName: "dir")) var out: String
    @Option(help: ArgumentHelp("tokenizer.json copied into the folder.", valueName: "file"))
    var tokenizer = "models/whisper-base/tokenizer.json"

    func run() throws {
        let options = try TrainingCheckpoint.options(at: checkpoint)
        let model = RandomInitialization.deepseekStyle(options.modelConfig, seed: options.seed)
        let optimizer = AdamW(model.parameters)
        let step = try TrainingCheckpoint.restore(from: checkpoint, model: model, optimizer: optimizer)
        let eot = try ByteLevelBPETokenizer(path: tokenizer).id(of: "<|endoftext|>") ?? Int32(options.vocabulary - 1)
        try HuggingFaceExport.write(model, to: out, tokenizer: tokenizer, endOfText: eot, metadata: ["glossa.steps": String(step)])
        print("exported step \(step) to \(out)")
    }
}
