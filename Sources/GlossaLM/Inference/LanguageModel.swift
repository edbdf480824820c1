import Foundation
import GlossaTensor

/// A model folder loaded for use: the transformer and, when present, its tokenizer.
public final class LanguageModel {
    public let folder: String
    public let model: TransformerLM
    public let tokenizer: ByteLevelBPETokenizer?
    /// End-of-text id: config.json `eos_token_id`, else the tokenizer's `<|endoftext|>`.
    public let endOfText: Int32?

    public init(folder: String) throws {
        self.folder = folder
        model = try ModelLoader.load(folder: folder)
        let tokenizerPath = folder + "/tokenizer.json"
        tokenizer = FileManager.default.fileExists(atPath: tokenizerPath) ? try ByteLevelBPETokenizer(path: tokenizerPath) : nil
        let config = try ConfigReader(path: folder + "/config.json")
        if let eos = try? config.int("eos_token_id"), eos < model.vocabularySize {
            endOfText = Int32(eos)
        } else {
            endOfText = tokenizer?.id(of: "<|endoftext|>")
        }
        // The tokenizer may list more special tokens than the model has rows (Glossa's LM keeps
        // Whisper's tokenizer.json, whose <|startoftranscript|>… follow the 50,258 text ids), but
        // its end-of-text must be a row; special ids beyond the model are refused by validate().
        if let tokenizer, let eot = tokenizer.id(of: "<|endoftext|>"), Int(eot) >= model.vocabularySize {
            throw ModelError.invalidConfig(path: folder + "/config.json", detail:
                "the tokenizer's <|endoftext|> (\(eot)) is outside the model's vocabulary of \(model.vocabularySize)")
        }
    }

    public func requireTokenizer() throws -> ByteLevelBPETokenizer {
        guard let tokenizer else {
            throw ModelError.cannotRead(path: folder + "/tokenizer.json", reason: "this model folder has no tokenizer.json")
        }
        return tokenizer
    }

    /// Checks ids against the vocabulary.
    public func validate(_ ids: [Int32]) throws {
        guard !ids.isEmpty else { throw ModelError.invalidInput("no token ids given") }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= model.vocabularySize }) {
            throw ModelError.invalidInput("token id \(bad) is outside the vocabulary of \(model.vocabularySize)")
        }
        if let limit = model.maxPositions, ids.count > limit {
            throw ModelError.invalidInput("\(ids.count) tokens exceed the model's \(limit) positions")
        }
    }
}
