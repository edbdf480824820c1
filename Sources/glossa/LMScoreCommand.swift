import ArgumentParser
import Foundation
import GlossaLM

struct LMScore: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Total log-probability, token count and perplexity of a text file.",
        discussion: """
        The text is tokenized and preceded by the end-of-text token, so every text token is \
        scored. Long texts are scored in windows that overlap by half (--window).

        Example:
          glossa lm score --model DIR --text-file data/corpus/en/test.txt --json
        """)

    @OptionGroup var options: ModelOption

    @Option(name: .customLong("text-file"), help: ArgumentHelp("UTF-8 text to score.", valueName: "file"))
    var textFile: String

    @Option(help: "Tokens per scoring window.")
    var window = 1024

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard window >= 2 else { throw ValidationError("--window must be at least 2") }
    }

    struct Output: Codable {
        let totalLogProb: Double
        let tokenCount: Int
        let perplexity: Double
    }

    func run() throws {
        let text: String
        do {
            text = try String(contentsOfFile: textFile, encoding: .utf8)
        } catch {
            throw CLIError("cannot read \(textFile) as UTF-8 text")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw CLIError("\(textFile) is empty: nothing to score")
        }
        let lm = try LanguageModel(folder: options.model)
        let tokenizer = try lm.requireTokenizer()
        var ids = tokenizer.encode(text)
        if let eos = lm.endOfText { ids.insert(eos, at: 0) }
        if let bad = ids.first(where: { Int($0) >= lm.model.vocabularySize }) {
            throw CLIError("token \(bad) from the tokenizer is outside the model's vocabulary")
        }
        let result = lm.model.score(ids, window: window)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(data: try encoder.encode(Output(totalLogProb: result.totalLogProb, tokenCount: result.tokenCount,
                                                         perplexity: result.perplexity)), encoding: .utf8)!)
        } else {
            print(String(format: "total log-prob %.4f over %d tokens, perplexity %.3f", result.totalLogProb, result.tokenCount, result.perplexity))
        }
    }
}
