import ArgumentParser
import Dispatch
import Foundation
import GlossaLM

struct BenchTokenizer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Byte-level BPE encoding speed on one core, in MB of UTF-8 text per second.",
        discussion: """
        Each run loads the tokenizer afresh, so its word cache starts cold, then encodes the whole \
        file on the calling thread. Target: ≥ 1 MB/s.

        Example:
          glossa bench tokenizer --tokenizer models/whisper-base/tokenizer.json \\
            --text Tests/GlossaLMTests/Fixtures/tokenizer_multilingual.jsonl
        """)

    @Option(help: ArgumentHelp("A tokenizer.json.", valueName: "file"))
    var tokenizer: String

    @Option(help: ArgumentHelp("UTF-8 text to encode.", valueName: "file"))
    var text: String

    @Option(help: "Timed runs (the best is reported).")
    var runs = 3

    func run() throws {
        guard let body = try? String(contentsOfFile: text, encoding: .utf8) else {
            throw CLIError("cannot read \(text) as UTF-8 text")
        }
        let bytes = body.utf8.count
        var best = Double.infinity
        var tokens = 0
        for _ in 0..<max(1, runs) {
            let bpe = try ByteLevelBPETokenizer(path: tokenizer)
            let start = DispatchTime.now().uptimeNanoseconds
            tokens = bpe.encode(body).count
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(String(format: "encoded %.2f MB (%d tokens) in %.3f s: %.2f MB/s, %.0fk tokens/s on one core (target ≥ 1 MB/s)",
                     Double(bytes) / 1e6, tokens, best, Double(bytes) / best / 1e6, Double(tokens) / best / 1e3))
    }
}
