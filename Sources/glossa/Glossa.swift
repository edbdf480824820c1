import ArgumentParser
import GlossaSupport

@main
struct Glossa: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glossa",
        abstract: "Images and speech as the words of one frozen language model.",
        discussion: """
        Glossa is a pure-Swift toolkit: a Whisper-architecture recognizer fused with a frozen \
        mixture-of-experts LM, and a semantic pyramid image tokenizer whose tokens are that \
        LM's own words. Everything runs on the CPU through OpenBLAS.

        Examples:
          glossa bench blas                  matrix-multiply speed vs this machine's peak
          glossa bench blas --quick --json   a fast run, machine-readable
        """,
        version: GlossaVersion.string,
        subcommands: [Transcribe.self, TokenizeImage.self, Render.self, Prompt.self, Eval.self, LM.self, SPAE.self, Corpus.self, Bench.self])
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Performance benchmarks, reported as ratios against this machine's measured peak.",
        subcommands: [BenchBLAS.self, BenchLM.self, BenchTokenizer.self, BenchWhisper.self])
}
