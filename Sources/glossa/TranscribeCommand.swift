import ArgumentParser
import Foundation
import GlossaSpeech

struct Transcribe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Transcribe audio files with a Whisper model (greedy decoding, 30 s windows).",
        discussion: """
        Reads WAV, FLAC, Ogg and AIFF at any rate and channel count (mixed to mono, resampled to \
        16 kHz). --model is a folder with a CTranslate2 model.bin and tokenizer.json; `make models` \
        provides models/whisper-base (multilingual, the default) and models/whisper-tiny.en.

        Examples:
          glossa transcribe assets/samples/librivox-0880.wav
          glossa transcribe talk.flac --model models/whisper-tiny.en
          glossa transcribe interview.wav --language de
        """)

    @Argument(help: ArgumentHelp("Audio files.", valueName: "audio")) var audio: [String]
    @Option(help: ArgumentHelp("Whisper model folder.", valueName: "dir")) var model = "models/whisper-base"
    @Option(help: "Language code (en, de, es, …) or auto.") var language = "auto"
    @Flag(help: "Translate to English instead of transcribing (multilingual models).") var translate = false

    func run() throws {
        let transcriber = try WhisperTranscriber(folder: model)
        var options = WhisperTranscriber.Options(language: language == "auto" ? nil : language)
        options.translate = translate
        if let code = options.language, transcriber.vocabulary.isMultilingual, transcriber.vocabulary.languageToken(code) == nil {
            throw CLIError("unknown language '\(code)'; the model knows \(transcriber.vocabulary.languages.map(\.code).joined(separator: ", "))")
        }
        for file in audio {
            let samples = try AudioFile.read(file)
            let windows = try transcriber.transcribe(samples, options: options)
            if audio.count > 1 { print("\(file):") }
            print(windows.map(\.text).joined(separator: " "))
        }
    }
}
