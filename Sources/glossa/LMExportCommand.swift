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

        With --share-embedding BASE (a model tuned with `--trainable-embeddings none` from BASE), \
        the input embedding is not written again: model.safetensors.index.json points to BASE's \
        copy by a relative path, after checking that it is the same table; so is every other \
        tensor BASE holds bit for bit (the layers `lm train --frozen-layers` kept), so a model \
        that tuned its upper layers stores only those. A model that trained \
        some rows (`--trainable-embeddings rows:FILE`, at most half of them) stores just those \
        rows, as a row patch (glossa.row_patch.* tensors) that Glossa's loader applies; \
        `--model DIR` writes the patched table out in full for transformers.

        Examples:
          glossa lm export --checkpoint runs/glossa-lm-v1/checkpoint.safetensors --out /tmp/lm-now
          glossa lm export --checkpoint runs/lm-v16/checkpoint.safetensors --out assets/lm/glossa-lm-v10 \\
              --share-embedding assets/lm/glossa-lm-v2 --tokenizer assets/lm/glossa-lm-v2/tokenizer.json
          glossa lm export --model assets/lm/glossa-lm-v10 --out /tmp/glossa-lm-v10-standalone   # for transformers
        """)

    @Option(help: ArgumentHelp("checkpoint.safetensors from glossa lm train.", valueName: "file")) var checkpoint: String?
    @Option(help: ArgumentHelp("A model folder instead of a checkpoint, e.g. to write a shared-embedding folder standalone.", valueName: "dir"))
    var model: String?
    @Option(help: ArgumentHelp("Output model folder.", valueName: "dir")) var out: String
    @Option(help: ArgumentHelp("tokenizer.json copied into the folder.", valueName: "file"))
    var tokenizer = "models/whisper-base/tokenizer.json"
    @Option(help: ArgumentHelp("Model folder whose identical input embedding (and any other identical tensor) the export refers to instead of copying.", valueName: "dir"))
    var shareEmbedding: String?

    func validate() throws {
        guard (checkpoint == nil) != (model == nil) else { throw ValidationError("give either --checkpoint or --model") }
    }

    func run() throws {
        if let model {
            let lm = try LanguageModel(folder: model)
            let source = model + "/tokenizer.json"
            try HuggingFaceExport.write(lm.model, to: out, tokenizer: FileManager.default.fileExists(atPath: source) ? source : nil,
                                        endOfText: lm.endOfText ?? Int32(lm.model.config.vocabularySize - 1),
                                        sharedEmbedding: shareEmbedding)
            print("exported \(model) to \(out)")
            return
        }
        guard let checkpoint else { return }
        let options = try TrainingCheckpoint.options(at: checkpoint)
        let model = RandomInitialization.deepseekStyle(options.modelConfig, seed: options.seed)
        let optimizer = AdamW(model.parameters)
        let step = try TrainingCheckpoint.restore(from: checkpoint, model: model, optimizer: optimizer)
        let eot = try ByteLevelBPETokenizer(path: tokenizer).id(of: "<|endoftext|>") ?? Int32(options.vocabulary - 1)
        try HuggingFaceExport.write(model, to: out, tokenizer: tokenizer, endOfText: eot, metadata: ["glossa.steps": String(step)],
                                    sharedEmbedding: shareEmbedding)
        print("exported step \(step) to \(out)")
    }
}
