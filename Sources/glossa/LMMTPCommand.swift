import ArgumentParser
import Foundation
import GlossaLM
import GlossaSupport

struct LMMTP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtp",
        abstract: "Train a multi-token-prediction module on a frozen LM (for self-speculative decoding).",
        discussion: """
        The trunk of --model stays frozen; a DeepSeek-V3 MTP module (depth 1, its block \
        initialised from the last layer) learns to predict token t+2 from the trunk's state at t \
        and the embedding of token t+1. Writes into --out: checkpoint.safetensors (atomically, \
        every --checkpoint-every steps), log.jsonl, and at the end model/: the same model with \
        the module stored as layer num_hidden_layers (transformers ignores it and loads the \
        trunk unchanged). --resume continues from the checkpoint.

        Example:
          glossa lm mtp --model assets/lm/glossa-lm-v2 --out runs/glossa-lm-v2-mtp --steps 300
          glossa lm speculate --model runs/glossa-lm-v2-mtp/model
        """)

    @OptionGroup var options: ModelOption
    @Option(help: ArgumentHelp("Run folder.", valueName: "dir")) var out: String
    @Option(help: ArgumentHelp("Corpus folder from `make data`.", valueName: "dir")) var data = "data/corpus"
    @Option(help: "Optimisation steps.") var steps = 300
    @Option(help: "Sequences per step.") var batch = 16
    @Option(help: "Peak learning rate.") var lr: Float = 1e-3
    @Option(name: .customLong("checkpoint-every"), help: "Steps between checkpoints.") var checkpointEvery = 50
    @Flag(help: "Continue from <out>/checkpoint.safetensors.") var resume = false

    func run() throws {
        guard steps >= 1, batch >= 1, checkpointEvery >= 1 else { throw CLIError("--steps, --batch and --checkpoint-every must be positive") }
        let lm = try LanguageModel(folder: options.model)
        let tokenizer = options.model + "/tokenizer.json"
        guard let eot = lm.endOfText else { throw CLIError("\(options.model) has no end-of-text token") }
        var settings = MultiTokenPredictionTrainer.Options()
        (settings.steps, settings.batch, settings.peakLearningRate) = (steps, batch, lr)
        settings.warmupSteps = min(settings.warmupSteps, steps / 10)
        let train = try TokenCorpus(root: data, split: "train", languages: settings.languages)
        let valid = try TokenCorpus(root: data, split: "valid", languages: settings.languages)
        let trainer = try MultiTokenPredictionTrainer(model: lm.model, options: settings, corpus: train)
        let checkpoint = out + "/checkpoint.safetensors"
        if resume {
            guard FileManager.default.fileExists(atPath: checkpoint) else { throw CLIError("--resume: no \(checkpoint)") }
            try trainer.resume(from: checkpoint)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let log = try JSONLinesLog(path: out + "/log.jsonl")
        FileHandle.standardError.write(Data("mtp: \(trainer.module.parameters.reduce(0) { $0 + $1.value.count } / 1000)k trainable parameters, step \(trainer.step) → \(steps)\n".utf8))
        let progress = ProgressReporter("mtp", total: steps - trainer.step, unit: "steps")
        while trainer.step < steps {
            var record = trainer.trainStep()
            if trainer.step % checkpointEvery == 0 || trainer.step == steps {
                record.validationLoss = trainer.evaluate(valid, windows: 4)
                try trainer.saveCheckpoint(to: checkpoint)
            }
            try log.append(record)
            var status = String(format: "loss %.3f · %.0f tok/s", record.loss, record.tokensPerSecond)
            if let v = record.validationLoss { status += String(format: " · valid %.3f", v) }
            progress.advance(status: status)
        }
        progress.finish()
        try HuggingFaceExport.write(lm.model, to: out + "/model", tokenizer: tokenizer, endOfText: eot,
                                    metadata: ["glossa.mtp_steps": String(trainer.step)])
        print("trained the MTP module to step \(trainer.step); model written to \(out)/model")
    }
}
