import ArgumentParser
import Dispatch
import Foundation
import GlossaLM
import GlossaSupport

struct LMSpeculate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speculate",
        abstract: "Self-speculative greedy decoding with the MTP module: acceptance rate, speed-up, identity check.",
        discussion: """
        Takes --prompts prompts of --prompt-tokens tokens from each language's test split, \
        continues each greedily by --max-tokens tokens twice, plainly and self-speculatively, \
        checks that both outputs are identical, and prints the draft acceptance rate and the \
        tokens/s of each (one process, same prompts).

        Example:
          glossa lm speculate --model runs/glossa-lm-v2-mtp/model --prompts 5
        """)

    @OptionGroup var options: ModelOption
    @Option(help: ArgumentHelp("Corpus folder from `make data`.", valueName: "dir")) var data = "data/corpus"
    @Option(help: "Prompts per language.") var prompts = 5
    @Option(name: .customLong("prompt-tokens"), help: "Tokens per prompt.") var promptTokens = 32
    @Option(name: .customLong("max-tokens"), help: "Tokens generated per prompt.") var maxTokens = 64
    @Option(help: "Comma-separated languages.") var languages = CorpusBuilder.languages.joined(separator: ",")

    func run() throws {
        guard prompts >= 1, promptTokens >= 1, maxTokens >= 1 else { throw CLIError("--prompts, --prompt-tokens and --max-tokens must be positive") }
        let lm = try LanguageModel(folder: options.model)
        guard lm.model.multiTokenPrediction != nil else {
            throw CLIError("\(options.model) has no multi-token-prediction module (train one with `glossa lm mtp`)")
        }
        let langs = languages.split(separator: ",").map(String.init)
        let corpus = try TokenCorpus(root: data, split: "test", languages: langs)
        var total = SpeculativeStatistics()
        var (plainSeconds, speculativeSeconds, tokens) = (0.0, 0.0, 0)
        let progress = ProgressReporter("speculate", total: langs.count * prompts, unit: "prompts")
        for lang in langs {
            for window in corpus.windows(of: lang, length: promptTokens + maxTokens, limit: prompts) {
                let prompt = Array(window.prefix(promptTokens))
                var t0 = DispatchTime.now().uptimeNanoseconds
                let plain = lm.model.generateGreedily(prompt: prompt, maxTokens: maxTokens, stop: lm.endOfText)
                plainSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                t0 = DispatchTime.now().uptimeNanoseconds
                let (fast, stats) = lm.model.generateSpeculatively(prompt: prompt, maxTokens: maxTokens, stop: lm.endOfText)
                speculativeSeconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                guard fast == plain else {
                    throw CLIError("self-speculative output differs from greedy for a \(lang) prompt (first difference at token \(zip(fast, plain).prefix { $0 == $1 }.count))")
                }
                tokens += plain.count
                total.drafted += stats.drafted
                total.accepted += stats.accepted
                total.trunkPasses += stats.trunkPasses
                progress.advance(status: String(format: "%@ · acceptance %.0f%%", lang, 100 * total.acceptanceRate))
            }
        }
        progress.finish()
        print(String(format: "%d tokens, identical to greedy · drafts accepted %d/%d (%.1f%%) · trunk passes %d (greedy %d)",
                     tokens, total.accepted, total.drafted, 100 * total.acceptanceRate, total.trunkPasses, tokens))
        print(String(format: "greedy %.1f tok/s · self-speculative %.1f tok/s · speed-up %.2f×",
                     Double(tokens) / plainSeconds, Double(tokens) / speculativeSeconds, plainSeconds / speculativeSeconds))
    }
}
