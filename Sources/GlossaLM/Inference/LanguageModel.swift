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
        if let tokenizer, tokenizer.vocabularySize > model.vocabularySize {
            throw ModelError.invalidConfig(path: folder + "/config.json", detail:
                "tokenizer.json has \(tokenizer.vocabularySize) tokens but the model's vocabulary is \(model.vocabularySize)")
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
