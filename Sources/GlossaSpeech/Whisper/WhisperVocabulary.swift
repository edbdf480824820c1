import GlossaLM

/// Whisper's special tokens, looked up in the model's tokenizer.json (multilingual and
/// English-only models number them differently). Timestamp tokens follow `<|notimestamps|>`.
public struct WhisperVocabulary {
    public let tokenizer: ByteLevelBPETokenizer
    public let endOfText: Int32
    public let startOfTranscript: Int32
    public let transcribe: Int32?
    public let translate: Int32?
    public let noTimestamps: Int32
    public let noSpeech: Int32?
    /// Language code → token id, in Whisper's order (empty for English-only models).
    public let languages: [(code: String, id: Int32)]
    public var isMultilingual: Bool { !languages.isEmpty }
    public var firstTimestamp: Int32 { noTimestamps + 1 }

    /// `multilingual` comes from the model, not the tokenizer: English-only checkpoints ship a
    /// tokenizer.json that lists the language tokens too (whisper: n_vocab ≥ 51865).
    public init(tokenizer: ByteLevelBPETokenizer, path: String, multilingual: Bool) throws {
        self.tokenizer = tokenizer
        func id(_ token: String) throws -> Int32 {
            guard let v = tokenizer.id(of: token) else { throw ModelFileError.invalid(path, "tokenizer lacks \(token)") }
            return v
        }
        endOfText = try id("<|endoftext|>")
        startOfTranscript = try id("<|startoftranscript|>")
        noTimestamps = try id("<|notimestamps|>")
        transcribe = tokenizer.id(of: "<|transcribe|>")
        translate = tokenizer.id(of: "<|translate|>")
        noSpeech = tokenizer.id(of: "<|nospeech|>") ?? tokenizer.id(of: "<|nocaptions|>")
        var langs: [(String, Int32)] = []
        var next = startOfTranscript + 1
        while let token = tokenizer.token(of: next), token.hasPrefix("<|"), token != "<|translate|>", token != "<|transcribe|>" {
            langs.append((String(token.dropFirst(2).dropLast(2)), next))
            next += 1
        }
        languages = multilingual ? langs : []
    }

    public func languageToken(_ code: String) -> Int32? { languages.first { $0.code == code }?.id }
    public func isText(_ id: Int32) -> Bool { id < endOfText }
}
