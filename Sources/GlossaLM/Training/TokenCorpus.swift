import Foundation
import GlossaTensor

/// The token files of a corpus (`<root>/<lang>/<split>.tokens`, UInt16 ids) and reproducible
/// sampling of training windows from them.
public final class TokenCorpus {
    public let languages: [String]
    public let split: String
    private let tokens: [[UInt16]]

    public init(root: String, split: String, languages: [String]) throws {
        self.languages = languages
        self.split = split
        tokens = try languages.map { lang in
            let path = "\(root)/\(lang)/\(split).tokens"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ModelError.cannotRead(path: path, reason: "missing token file (run make data)")
            }
            guard data.count % 2 == 0, data.count >= 4096 else {
                throw ModelError.cannotRead(path: path, reason: "\(data.count) bytes is not a token file of at least 2,048 ids")
            }
            return data.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        }
    }

    public func count(of lang: String) -> Int { tokens[languages.firstIndex(of: lang)!].count }

    /// `batch` windows of `length` + 1 tokens, languages drawn in proportion to their size,
    /// fully determined by (seed, step): resuming at a step replays the same batches.
    public func batch(seed: UInt64, step: Int, batch: Int, length: Int) -> [Int32] {
        var rng = RandomGenerator(seed: seed &+ UInt64(step) &* 0x9E37_79B9_7F4A_7C15)
        let sizes = tokens.map(\.count)
        let total = sizes.reduce(0, +)
        var out: [Int32] = []
        out.reserveCapacity(batch * (length + 1))
        for _ in 0..<batch {
            var pick = rng.int(below: total), lang = 0
            while pick >= sizes[lang] { pick -= sizes[lang]; lang += 1 }
            let start = rng.int(below: sizes[lang] - length - 1)
            out.append(contentsOf: tokens[lang][start..<(start + length + 1)].map { Int32($0) })
        }
        return out
    }

    /// Consecutive, non-overlapping windows of `length` + 1 tokens of one language (evaluation).
    public func windows(of lang: String, length: Int, limit: Int) -> [[Int32]] {
        let t = tokens[languages.firstIndex(of: lang)!]
        var out: [[Int32]] = []
        var start = 0
        while start + length + 1 <= t.count && out.count < limit {
            out.append(t[start..<(start + length + 1)].map { Int32($0) })
            start += length
        }
        return out
    }
}
