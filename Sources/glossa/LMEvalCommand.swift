import ArgumentParser
import Foundation
import GlossaLM
import GlossaSupport

struct LMEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Perplexity per language on a corpus split.",
        discussion: """
        Scores each language's <data>/<lang>/<split>.tokens (up to --max-tokens of it) in windows \
        that overlap by half, and prints the perplexity per language. For a mixture-of-experts \
        model it also prints each MoE layer's max/mean expert load over every token scored \
        (1.00 is perfect balance; top-k of E experts collapses at E/k).

        Example:
          glossa lm eval --model runs/moe/model --data data/corpus --split test
        """)

    @OptionGroup var options: ModelOption
    @Option(help: ArgumentHelp("Corpus folder from `make data`.", valueName: "dir")) var data = "data/corpus"
    @Option(help: "train, valid or test.") var split = "test"
    @Option(help: "Comma-separated languages.") var languages = CorpusBuilder.languages.joined(separator: ",")
    @Option(name: .customLong("max-tokens"), help: "Tokens scored per language.") var maxTokens = 20_000
    @Option(help: "Tokens per scoring window.") var window = 256
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard ["train", "valid", "test"].contains(split) else { throw CLIError("--split must be train, valid or test") }
        let lm = try LanguageModel(folder: options.model)
        let langs = languages.split(separator: ",").map(String.init)
        let corpus = try TokenCorpus(root: data, split: split, languages: langs)
        let progress = ProgressReporter("eval", total: langs.count, unit: "languages")
        let moeLayers = lm.model.layers.compactMap { $0.feedForward as? MixtureOfExpertsLayer }
        moeLayers.forEach { $0.resetLoadCount() }
        var results: [String: ScoreResult] = [:]
        for lang in langs {
            let ids = corpus.windows(of: lang, length: maxTokens, limit: 1).first
                ?? corpus.windows(of: lang, length: corpus.count(of: lang) - 1, limit: 1)[0]
            results[lang] = lm.model.score(ids, window: window)
            progress.advance(status: lang)
        }
        progress.finish()
        let loadRatios = moeLayers.map(\.cumulativeMaxLoadRatio)
        if json {
            let report = EvalReport(perplexity: results.mapValues { ["perplexity": $0.perplexity, "tokens": Double($0.tokenCount)] },
                                    maxLoadRatio: loadRatios)
            try printJSON(report)
            return
        }
        print("lang  tokens   perplexity  (\(split), window \(window))")
        for lang in langs {
            let r = results[lang]!
            print(lang.padding(toLength: 6, withPad: " ", startingAt: 0) + String(format: "%6d  %11.2f", r.tokenCount, r.perplexity))
        }
        if !loadRatios.isEmpty {
            print("max/mean expert load per MoE layer: " + loadRatios.map { String(format: "%.2f", $0) }.joined(separator: " "))
        }
    }
}

private struct EvalReport: Encodable {
    let perplexity: [String: [String: Double]]
    let maxLoadRatio: [Float]
}
