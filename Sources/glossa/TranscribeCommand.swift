import ArgumentParser
import Foundation
import GlossaLM
import GlossaSpeech
import GlossaSupport
import GlossaTensor

struct Transcribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transcribe audio files with a Whisper model.",
        discussion: """
        Reads WAV, FLAC, Ogg and AIFF at any rate and channel count (mixed to mono, resampled to \
        16 kHz). Long audio is decoded in 30 s windows as openai/whisper does: beam search \
        (--beam, default 5), temperature fallback on repetition or low confidence (keeping the \
        surest decoding when every temperature fails, as faster-whisper does), the previous \
        text as context, segment timestamps. --model is a folder with a CTranslate2 model.bin and \
        tokenizer.json; `make models` provides models/whisper-base (multilingual, the default) and \
        models/whisper-tiny.en. Beam search is shallow-fused with the shipped LM by default \
        (score = log p_whisper + λ·log p_LM − μ·log p_internal on text tokens, λ = \(FusionOptions.defaultWeight), \
        μ = \(FusionOptions.defaultInternalWeight)), where p_internal is Whisper's decoder without the audio (its internal \
        LM); --lm none turns fusion off, --ilm-weight 0 keeps plain shallow fusion.

        Examples:
          glossa transcribe assets/samples/librivox-0880.wav
          glossa transcribe talk.flac --model models/whisper-tiny.en --format srt --output-dir subs/
          glossa transcribe interview.wav --language de --format json
          glossa transcribe interview.wav --language de --translate
          glossa transcribe notes.wav --lm none                       # no shallow fusion
          glossa transcribe notes.wav --ilm-weight 0                  # plain shallow fusion: no internal LM
          glossa transcribe notes.wav --lm runs/my-domain-lm/model --lm-weight 0.1
        """)

    @Argument(help: ArgumentHelp("Audio files.", valueName: "audio")) var audio: [String]
    @Option(help: ArgumentHelp("Whisper model folder.", valueName: "dir")) var model = "models/whisper-base"
    @Option(help: "Language code (en, de, es, …) or auto.") var language = "auto"
    @Option(help: "Beam size; 1 is greedy.") var beam = 5
    @Option(help: "Output format: txt, json, srt or vtt.") var format = "txt"
    @Option(name: .customLong("output-dir"), help: ArgumentHelp("Write <name>.<format> files here instead of printing.", valueName: "dir"))
    var outputDirectory: String?
    @Flag(help: "Translate to English instead of transcribing (multilingual models).") var translate = false
    @OptionGroup var fusion: FusionOptions
    @Flag(name: .customLong("no-fallback"), help: "Decode at temperature 0 only: no resampling at higher temperatures when a window looks repetitive or unsure (the faster-whisper comparison in docs/asr.md runs so).")
    var noFallback = false
    @Flag(name: .customLong("no-timestamps"), help: "Decode without timestamp tokens (one segment per window).") var noTimestamps = false

    func validate() throws {
        guard beam >= 1 else { throw ValidationError("--beam must be at least 1") }
        guard TranscriptFormat(rawValue: format) != nil else { throw ValidationError("--format must be txt, json, srt or vtt") }
    }

    func run() throws {
        let transcriber = try WhisperTranscriber(folder: model)
        var options = WhisperTranscriber.Options(language: language == "auto" ? nil : language)
        options.translate = translate
        options.beamSize = beam
        if noFallback { options.temperatures = [0] }
        options.timestamps = !noTimestamps
        if let code = options.language, transcriber.vocabulary.isMultilingual, transcriber.vocabulary.languageToken(code) == nil {
            throw CLIError("unknown language '\(code)'; the model knows \(transcriber.vocabulary.languages.map(\.code).joined(separator: ", "))")
        }
        options.fusion = try fusion.fusion(for: transcriber.vocabulary)
        if let dir = outputDirectory {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                throw CLIError("--output-dir \(dir) is not a folder")
            }
        }
        let writer = TranscriptFormat(rawValue: format)!
        for file in audio {
            let samples = try AudioFile.read(file)
            let duration = Double(samples.count) / 16_000
            // Progress for long files only: a short clip is done before a line would help.
            let progress = duration > 30
                ? ProgressReporter(URL(fileURLWithPath: file).lastPathComponent, total: Int(duration.rounded(.up)), unit: "s of audio") : nil
            var reported = 0
            let transcript = try transcriber.transcribe(samples, options: options) { segment in
                let now = min(Int(segment.end.rounded()), Int(duration.rounded(.up)))
                if now > reported { progress?.advance(by: now - reported); reported = now }
            }
            progress?.finish()
            let rendered = try writer.render(transcript)
            if let dir = outputDirectory {
                let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent + "." + format
                try AtomicFile.write(Data(rendered.utf8), to: URL(fileURLWithPath: dir).appendingPathComponent(name).path)
            } else {
                if audio.count > 1 && writer == .txt { print("\(file):") }
                print(rendered, terminator: "")
            }
        }
    }
}
