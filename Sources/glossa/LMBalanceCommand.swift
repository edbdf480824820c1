import ArgumentParser
import Foundation
import GlossaLM
import GlossaSupport

struct LMBalance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balance",
        abstract: "Re-calibrate a MoE's routing bias for an equal mix of languages (forward passes only).",
        discussion: """
        Runs DeepSeek-V3's bias rule (b −= γ·sign(load − mean)) on training windows with equal \
        shares of every language, γ decaying from --rate-start to --rate-end, and writes the \
        model to --out with the new e_score_correction_bias. No weight changes: the embeddings \
        and experts stay as trained. Check the result with `glossa lm eval --split valid`, \
        which prints the max/mean load per MoE layer.

        Example:
          glossa lm balance --model runs/glossa-lm-v1/model --out runs/glossa-lm-v1-balanced
        """)

    @OptionGroup var options: ModelOption
    @Option(help: ArgumentHelp("Output model folder.", valueName: "dir")) var out: String
    @Option(help: ArgumentHelp("Corpus folder from `make data`.", valueName: "dir")) var data = "data/corpus"
    @Option(help: "Bias-rule passes.") var steps = 300
    @Option(name: .customLong("windows-per-language"), help: "Training windows of each language per pass.") var windowsPerLanguage = 4
    @Option(help: "Tokens per window.") var length = 256
    @Option(name: .customLong("rate-start"), help: "γ at the first pass.") var rateStart: Float = 0.01
    @Option(name: .customLong("rate-end"), help: "γ at the last pass.") var rateEnd: Float = 2e-4
    @Option(help: "Comma-separated languages.") var languages = CorpusBuilder.languages.joined(separator: ",")

    func run() throws {
        guard steps >= 1, windowsPerLanguage >= 1, length >= 2, rateStart > 0, rateEnd > 0 else {
            throw CLIError("--steps, --windows-per-language, --length and the rates must be positive")
        }
        guard options.model != out else { throw CLIError("--out must differ from --model (the model folder is not modified in place)") }
        let lm = try LanguageModel(folder: options.model)
        guard lm.model.layers.contains(where: { ($0.feedForward as? MixtureOfExpertsLayer)?.selectionBias != nil }) else {
            throw CLIError("\(options.model) has no MoE layer with a routing bias (e_score_correction_bias)")
        }
        guard let eot = lm.endOfText else { throw CLIError("\(options.model) has no end-of-text token") }
        let corpus = try TokenCorpus(root: data, split: "train", languages: languages.split(separator: ",").map(String.init))
        let progress = ProgressReporter("balance", total: steps, unit: "passes")
        BiasCalibration.run(model: lm.model, corpus: corpus, steps: steps, windowsPerLanguage: windowsPerLanguage, length: length,
                            startRate: rateStart, endRate: rateEnd, seed: 1) { record in
            progress.advance(status: String(format: "γ %.5f · batch max/mean ", record.rate)
                + record.maxLoadRatio.map { String(format: "%.2f", $0) }.joined(separator: " "))
        }
        progress.finish()
        try HuggingFaceExport.write(lm.model, to: out, tokenizer: options.model + "/tokenizer.json", endOfText: eot,
                                    metadata: ["glossa.bias_calibration": "\(steps) passes, γ \(rateStart) → \(rateEnd), \(windowsPerLanguage) windows per language"])
        print("wrote \(out)")
    }
}
