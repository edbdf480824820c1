import ArgumentParser
import Foundation
import GlossaLM

struct LMGenerate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt with the model, streaming the text.",
        discussion: """
        Greedy by default (--temperature 0). With a temperature, tokens are sampled with a seeded \
        generator (--seed), optionally limited by --top-k and --top-p. Generation stops at \
        end-of-text, at any --stop string (which is not printed), or after --max-tokens.

        Examples:
          glossa lm generate --model assets/lm/NAME --prompt "The help page explains"
          glossa lm generate --model DIR --prompt "Once" --temperature 0.8 --top-p 0.95 --seed 3 --stop "."
        """)

    @OptionGroup var options: ModelOption

    @Option(help: "The text to continue.")
    var prompt: String

    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.")
    var maxTokens = 64

    @Option(help: "Sampling temperature; 0 is greedy.")
    var temperature: Float = 0

    @Option(name: .customLong("top-k"), help: "Sample among the k most likely tokens (0: all).")
    var topK = 0

    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass (1: off).")
    var topP: Float = 1

    @Option(help: "Random seed for sampling.")
    var seed: UInt64 = 0

    @Option(help: "Stop before this string (repeatable).")
    var stop: [String] = []

    @Flag(help: "Print a JSON object (text, tokens, stop reason) instead of streaming.")
    var json = false

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be ≥ 0") }
        guard topK >= 0 else { throw ValidationError("--top-k must be ≥ 0") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
    }

    struct Output: Codable {
        let text: String
        let tokens: [Int32]
        let stopReason: String
    }

    func run() throws {
        let lm = try LanguageModel(folder: options.model)
        let sampling = SamplingOptions(temperature: temperature, topK: topK, topP: topP, seed: seed)
        // Streamed output would show text past a stop string before it completes; buffer then.
        let stream = !json && stop.isEmpty
        let result = try lm.generate(prompt: prompt, maxTokens: maxTokens, sampling: sampling, stopStrings: stop,
                                     onToken: stream ? { piece in
                                         FileHandle.standardOutput.write(piece.data(using: .utf8)!)
                                     } : nil)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(data: try encoder.encode(Output(text: result.text, tokens: result.tokens, stopReason: result.stopReason.rawValue)), encoding: .utf8)!)
        } else {
            print(stream ? "" : result.text)
        }
    }
}
