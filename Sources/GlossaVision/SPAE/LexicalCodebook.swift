import Foundation
import GlossaLM
import GlossaTensor

/// SPAE's codebook: the frozen LM's input-embedding rows of lexical tokens, that is tokens that
/// are a whole word (a leading space, then only letters, at least `minLetters` of them), the
/// `size` most frequent in the LM corpus. The rows are never trained.
public struct LexicalCodebook {
    public let tokenIDs: [Int32]
    /// The words, without the leading space.
    public let words: [String]
    /// [K, D_lm] rows of the LM's embedding table.
    public let embeddings: Tensor

    public init(tokenIDs: [Int32], words: [String], embeddings: Tensor) {
        precondition(tokenIDs.count == words.count && words.count == embeddings.rowCount, "codebook parts disagree")
        self.tokenIDs = tokenIDs
        self.words = words
        self.embeddings = embeddings
    }

    public var count: Int { tokenIDs.count }

    /// A whole-word token: " " followed by letters only (every scalar of general category L,
    /// as the GPT-2 pre-tokenizer's \p{L}), which the tokenizer also produces when it encodes
    /// the word (some vocabulary entries are unreachable by BPE and are skipped).
    public static func word(of id: Int32, tokenizer: ByteLevelBPETokenizer, minLetters: Int) -> String? {
        let bytes = tokenizer.bytes(of: id)
        guard bytes.first == 0x20, let text = String(bytes: bytes.dropFirst(), encoding: .utf8) else { return nil }
        guard text.unicodeScalars.count >= minLetters, text.unicodeScalars.allSatisfy({ isLetter($0) }) else { return nil }
        guard tokenizer.encode(" " + text) == [id] else { return nil }
        return text
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    /// `counts[id]`: occurrences of each id in the LM's training tokens (nil: prefer lower ids,
    /// which byte-level BPE merged earlier, i.e. more frequent pairs). Lexical tokens among
    /// `including` are always kept (on top of `size`): the label words the semantic loss needs
    /// may be rare in the LM's corpus (" sneakers" occurs twice in 12M tokens of help text).
    public static func build(embedding: Tensor, tokenizer: ByteLevelBPETokenizer, counts: [Int]?, size: Int,
                             including: [String] = [], minLetters: Int = 2) -> LexicalCodebook {
        let vocabulary = embedding.rowCount
        var lexical: [(id: Int32, word: String, count: Int)] = []
        for id in 0..<Int32(min(vocabulary, tokenizer.vocabularySize)) where !tokenizer.specialTokenIDs.contains(id) {
            if let w = word(of: id, tokenizer: tokenizer, minLetters: minLetters) {
                lexical.append((id, w, counts.map { $0[Int(id)] } ?? -Int(id)))
            }
        }
        lexical.sort { $0.count != $1.count ? $0.count > $1.count : $0.id < $1.id }
        let required = Set(including)
        let kept = (Array(lexical.prefix(size)) + lexical.dropFirst(size).filter { required.contains($0.word) }).sorted { $0.id < $1.id }
        let rows = Tensor(uninitialized: [kept.count, embedding.lastDim])
        for (i, entry) in kept.enumerated() { rows.row(i).assign(embedding.row(Int(entry.id))) }
        return LexicalCodebook(tokenIDs: kept.map(\.id), words: kept.map(\.word), embeddings: rows)
    }

    /// Token counts of `<corpus>/<lang>/train.tokens` over the given languages.
    public static func corpusCounts(root: String, languages: [String], vocabulary: Int) throws -> [Int] {
        var counts = [Int](repeating: 0, count: vocabulary)
        for lang in languages {
            let path = "\(root)/\(lang)/train.tokens"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ImageError.cannotRead(file: path, reason: "missing token file (run make data)")
            }
            data.withUnsafeBytes { raw in
                for id in raw.bindMemory(to: UInt16.self) where Int(id) < vocabulary { counts[Int(id)] += 1 }
            }
        }
        return counts
    }

    /// Codebook rows whose word is one of `words` (compared case-insensitively).
    public func rows(for words: [String]) -> [Int32] {
        let wanted = Set(words.map { $0.lowercased() })
        return self.words.indices.filter { wanted.contains(self.words[$0].lowercased()) }.map(Int32.init)
    }

    /// The `limit` rows nearest to `anchors` by cosine similarity of their LM embeddings, at
    /// least `threshold` similar to some anchor (anchors included).
    public func neighbours(of anchors: [Int32], limit: Int, threshold: Float) -> [Int32] {
        let d = embeddings.lastDim
        let norms = (0..<count).map { Vec.dot(embeddings.data + $0 * d, embeddings.data + $0 * d, d).squareRoot() }
        var scored: [(Int32, Float)] = []
        for c in 0..<count {
            var best = -Float.infinity
            for a in anchors {
                let s = Vec.dot(embeddings.data + c * d, embeddings.data + Int(a) * d, d) / max(norms[c] * norms[Int(a)], 1e-12)
                best = max(best, s)
            }
            if best >= threshold || anchors.contains(Int32(c)) { scored.append((Int32(c), best)) }
        }
        scored.sort { $0.1 > $1.1 }
        return scored.prefix(max(limit, anchors.count)).map(\.0)
    }
}
