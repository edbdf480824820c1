import Foundation
import GlossaLM
import GlossaTensor

/// A Whisper model folder (CTranslate2 model.bin + tokenizer.json) ready to transcribe.
public final class WhisperTranscriber {
    public struct Options {
        /// ISO code ("en", "de", …) or nil to detect per window (multilingual models).
        public var language: String?
        public var translate = false
        /// Whisper's sample_len: at most half the text context per window.
        public var maxTokensPerWindow = 224
        public init(language: String? = nil) { self.language = language }
    }

    public struct Window {
        public let start: Double, end: Double
        public let text: String
        public let tokens: [Int32]
        public let language: String?
        public let averageLogProb: Double
    }

    public let model: WhisperModel
    public let vocabulary: WhisperVocabulary
    public let frontEnd: LogMelSpectrogram

    public init(folder: String) throws {
        let bin = folder + "/model.bin"
        guard FileManager.default.fileExists(atPath: bin) else {
            throw ModelFileError.unreadable(folder, "no model.bin (run `make models` for models/whisper-base and models/whisper-tiny.en)")
        }
        model = try WhisperModel.load(ctranslate2: bin)
        vocabulary = try WhisperVocabulary(tokenizer: try ByteLevelBPETokenizer(path: folder + "/tokenizer.json"), path: folder + "/tokenizer.json")
        frontEnd = LogMelSpectrogram(melCount: model.dimensions.melCount)
    }

    /// Whisper's detect_language: the most likely language token after <|startoftranscript|>.
    public func detectLanguage(audio: Tensor) -> (code: String, probability: Float)? {
        guard vocabulary.isMultilingual else { return nil }
        var state = model.makeDecoderState(audio: audio)
        let logits = model.decode([vocabulary.startOfTranscript], state: &state)
        let ids = vocabulary.languages.map(\.id)
        let values = ids.map { logits.data[Int($0)] }
        let m = values.max()!
        let total = values.reduce(Float(0)) { $0 + Foundation.exp($1 - m) }
        let best = values.firstIndex(of: m)!
        return (vocabulary.languages[best].code, 1 / total)
    }

    /// Transcribes 16 kHz mono samples in consecutive 30 s windows with greedy decoding.
    public func transcribe(_ samples: [Float], options: Options = Options(), onWindow: ((Window) -> Void)? = nil) throws -> [Window] {
        let frames = 2 * model.dimensions.audioContext  // 3000 mel frames = 30 s
        let mel = frontEnd(samples, padding: frames * LogMelSpectrogram.hop)
        let contentFrames = samples.count / LogMelSpectrogram.hop
        var windows: [Window] = []
        var seek = 0
        while seek < contentFrames {
            let window = Tensor(uninitialized: [mel.shape[0], frames])
            for m in 0..<mel.shape[0] { (window.data + m * frames).update(from: mel.data + m * mel.shape[1] + seek, count: frames) }
            let audio = model.encode(window)
            var language = options.language
            if language == nil, let detected = detectLanguage(audio: audio) { language = detected.code }
            let (tokens, logProb) = try greedy(audio: audio, language: language, options: options)
            let text = vocabulary.tokenizer.decode(tokens.filter(vocabulary.isText)).trimmingCharacters(in: .whitespaces)
            let result = Window(start: Double(seek) / 100, end: Double(min(seek + frames, contentFrames)) / 100, text: text,
                                tokens: tokens, language: language, averageLogProb: logProb / Double(max(1, tokens.count)))
            windows.append(result)
            onWindow?(result)
            seek += frames
        }
        return windows
    }

    /// The start-of-transcript prompt: <|startoftranscript|> <|lang|> <|task|> <|notimestamps|>.
    func prompt(language: String?, translate: Bool) throws -> [Int32] {
        var ids = [vocabulary.startOfTranscript]
        if vocabulary.isMultilingual {
            guard let code = language, let token = vocabulary.languageToken(code) else {
                throw ModelFileError.invalid("language", "unknown language '\(language ?? "")'")
            }
            ids.append(token)
            if let task = translate ? vocabulary.translate : vocabulary.transcribe { ids.append(task) }
        }
        ids.append(vocabulary.noTimestamps)
        return ids
    }

    /// Greedy decoding with Whisper's suppressions: no special token but end-of-text, and
    /// neither end-of-text nor a bare space as the first token (SuppressBlank).
    func greedy(audio: Tensor, language: String?, options: Options) throws -> ([Int32], Double) {
        var state = model.makeDecoderState(audio: audio)
        var logits = model.decode(try prompt(language: language, translate: options.translate), state: &state)
        var tokens: [Int32] = []
        var total = 0.0
        let eot = vocabulary.endOfText
        let space = vocabulary.tokenizer.encode(" ").first
        while tokens.count < options.maxTokensPerWindow {
            let v = logits.lastDim
            for i in Int(eot + 1)..<v { logits.data[i] = -.infinity }
            if tokens.isEmpty {
                logits.data[Int(eot)] = -.infinity
                if let space { logits.data[Int(space)] = -.infinity }
            }
            let next = Sampler.argmax(logits.data, v)
            total += Double(logits.data[Int(next)] - RowMath.logsumexpRow(logits.data, v))
            if next == eot { break }
            tokens.append(next)
            logits = model.decode([next], state: &state)
        }
        return (tokens, total)
    }
}
