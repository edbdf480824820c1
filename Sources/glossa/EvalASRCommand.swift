import ArgumentParser
import Dispatch
import Foundation
import GlossaLM
import GlossaSpeech
import GlossaSupport

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Evaluate models on test sets.", subcommands: [EvalASR.self, EvalFewShot.self])
}

struct EvalASR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "asr",
        abstract: "Word and character error rates and real-time factor on a manifest.",
        discussion: """
        The manifest has one `path<TAB>reference` per line (paths relative to the manifest's \
        folder). Both sides are normalised before scoring: NFKC, lowercase, punctuation and \
        symbols to spaces, whitespace folded. RTF is processing time (audio decoding, front end, \
        encoder and decoding, excluding model loading) divided by audio duration.

        Example:
          glossa eval asr --manifest data/speech/librivox/manifest.tsv --model models/whisper-base --language en
          glossa eval asr --manifest data/speech/espeak-de/valid.tsv --language de --lm-weight 0.3
          glossa eval asr --manifest data/speech/espeak-de/valid.tsv --language de --ilm-weight 0
          glossa eval asr --manifest data/speech/librivox/manifest.tsv --language en --lm none
        """)

    @Option(help: ArgumentHelp("path<TAB>reference lines.", valueName: "file")) var manifest: String
    @Option(help: ArgumentHelp("Whisper model folder.", valueName: "dir")) var model = "models/whisper-base"
    @Option(help: "Language code or auto.") var language = "auto"
    @Option(help: "Beam size; 1 is greedy.") var beam = 5
    @OptionGroup var fusion: FusionOptions
    @Flag(name: .customLong("no-fallback"), help: "Decode at temperature 0 only: no resampling at higher temperatures when a window looks repetitive or unsure (the faster-whisper comparison in docs/asr.md runs so).")
    var noFallback = false
    @Option(help: "Score only the first N utterances of the manifest.") var limit: Int?
    @Flag(help: "Print JSON, with every utterance's hypothesis and segments (each with the temperature its window was decoded at, avg_logprob and compression_ratio).")
    var json = false

    struct Utterance: Codable {
        let path: String, reference: String, hypothesis: String, wordErrors: Int, words: Int
        /// Which decoding each window kept (temperature, confidence), to see where fallbacks happened.
        let segments: [WhisperTranscriber.Segment]
    }
    struct Report: Codable {
        let utterances: Int, wer: Double, cer: Double, rtf: Double, audioSeconds: Double
        let results: [Utterance]
    }

    func run() throws {
        guard let text = try? String(contentsOfFile: manifest, encoding: .utf8) else { throw CLIError("cannot read manifest \(manifest)") }
        let base = URL(fileURLWithPath: manifest).deletingLastPathComponent()
        var items: [(String, String)] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw CLIError("\(manifest):\(n + 1): expected path<TAB>reference") }
            items.append((parts[0].hasPrefix("/") ? parts[0] : base.appendingPathComponent(parts[0]).path, parts[1]))
        }
        guard !items.isEmpty else { throw CLIError("\(manifest) lists no utterances") }
        if let limit {
            guard limit > 0 else { throw CLIError("--limit must be positive") }
            items = Array(items.prefix(limit))
        }
        let transcriber = try WhisperTranscriber(folder: model)
        var options = WhisperTranscriber.Options(language: language == "auto" ? nil : language)
        options.beamSize = max(1, beam)
        if noFallback { options.temperatures = [0] }
        options.fusion = try fusion.fusion(for: transcriber.vocabulary)
        let progress = ProgressReporter("eval asr", total: items.count, unit: "utterances")
        var results: [Utterance] = []
        var (wordErrors, words, charErrors, chars) = (0, 0, 0, 0)
        var seconds = 0.0, audioSeconds = 0.0
        for (path, reference) in items {
            let start = DispatchTime.now().uptimeNanoseconds
            let samples = try AudioFile.read(path)
            let transcript = try transcriber.transcribe(samples, options: options)
            let hypothesis = transcript.text
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            audioSeconds += Double(samples.count) / 16_000
            let c = ErrorRate.counts(reference: reference, hypothesis: hypothesis)
            (wordErrors, words, charErrors, chars) = (wordErrors + c.wordErrors, words + c.words, charErrors + c.charErrors, chars + c.chars)
            results.append(Utterance(path: path, reference: reference, hypothesis: hypothesis, wordErrors: c.wordErrors, words: c.words,
                                     segments: transcript.segments))
            progress.advance(status: String(format: "WER %.1f%%", 100 * Double(wordErrors) / Double(max(1, words))))
        }
        progress.finish()
        let report = Report(utterances: items.count, wer: Double(wordErrors) / Double(max(1, words)), cer: Double(charErrors) / Double(max(1, chars)),
                            rtf: seconds / max(audioSeconds, 1e-9), audioSeconds: audioSeconds, results: results)
        if json {
            try printJSON(report)
        } else {
            print(String(format: "%d utterances, %.1f s of audio: WER %.2f%%, CER %.2f%%, RTF %.3f (%@, %@)",
                         report.utterances, audioSeconds, 100 * report.wer, 100 * report.cer, report.rtf, model, fusion.summary))
        }
    }
}
