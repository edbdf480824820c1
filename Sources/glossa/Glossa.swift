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

        Examples (assets/samples ships the files, `make models` the Whisper weights, `make \
        speech-testsets` the manifests):
          glossa transcribe assets/samples/librivox-0880.wav
          glossa transcribe talk.flac --language de --format srt --output-dir subs/
          glossa tokenize assets/samples/fashion-sneaker-1.png --layers 3
          glossa prompt --template induction \\
              --support assets/samples/fashion-trouser-1.png=trouser \\
              --support assets/samples/fashion-sandal-1.png=sandal \\
              --query assets/samples/fashion-trouser-2.png
          glossa eval asr --manifest data/speech/librivox/manifest.tsv --language en
          glossa bench blas --quick
        """,
        version: GlossaVersion.string,
        subcommands: [Transcribe.self, TokenizeImage.self, Render.self, Prompt.self, Eval.self, LM.self, SPAE.self, Corpus.self, Bench.self])
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Performance benchmarks, reported as ratios against this machine's measured peak.",
        subcommands: [BenchBLAS.self, BenchLM.self, BenchTokenizer.self, BenchWhisper.self])
}
