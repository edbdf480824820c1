import Foundation
import GlossaTensor

/// The token files of a corpus (`<root>/<lang>/<split>.tokens`, UInt16 ids) and reproducible
/// sampling of training windows from them.
///
/// A language may also have `<split>.mask`, one byte per token, for data where only some
/// tokens are worth predicting (instruction episodes: the answer, not the prompt, as in Flan):
/// bit 0 (`targetBit`) marks a token the loss predicts, bit 1 (`startBit`) a token where an
/// episode begins. Windows of such a language start at an episode start, and a target counts
/// only when its episode's start lies inside the window, so every answer is seen with its
/// whole prompt. Languages without a mask train on every token.
public final class TokenCorpus {
    public static let targetBit: UInt8 = 1
    public static let startBit: UInt8 = 2

    public let languages: [String]
    public let split: String
    private let tokens: [[UInt16]]
    private let masks: [[UInt8]?]
    /// Positions carrying `startBit`, ascending (empty for a language without a mask).
    private let episodeStarts: [[Int]]

    /// Where one training or evaluation window lies: `length` + 1 tokens from `start`.
    public struct Window: Equatable, Sendable {
        public let language: Int
        public let start: Int
    }

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
        masks = try zip(languages, tokens).map { lang, ids in
            let path = "\(root)/\(lang)/\(split).mask"
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            guard data.count == ids.count else {
                throw ModelError.cannotRead(path: path, reason: "\(data.count) mask bytes for \(ids.count) tokens")
            }
            return [UInt8](data)
        }
        episodeStarts = try zip(languages, masks).map { lang, mask in
            guard let mask else { return [] }
            let starts = mask.indices.filter { mask[$0] & Self.startBit != 0 }
            guard !starts.isEmpty else {
                throw ModelError.cannotRead(path: "\(root)/\(lang)/\(split).mask", reason: "no episode start (bit 1) is set")
            }
            return starts
        }
    }

    public func count(of lang: String) -> Int { tokens[languages.firstIndex(of: lang)!].count }

    /// Whether any language restricts its targets with a mask file.
    public var hasTargetMasks: Bool { masks.contains { $0 != nil } }

    /// `batch` windows of `length` + 1 tokens, languages drawn in proportion to their size,
    /// fully determined by (seed, step): resuming at a step replays the same batches.
    public func sampleWindows(seed: UInt64, step: Int, batch: Int, length: Int) -> [Window] {
        var rng = RandomGenerator(seed: seed &+ UInt64(step) &* 0x9E37_79B9_7F4A_7C15)
        let sizes = tokens.map(\.count)
        let total = sizes.reduce(0, +)
        return (0..<batch).map { _ in
            var pick = rng.int(below: total), lang = 0
            while pick >= sizes[lang] { pick -= sizes[lang]; lang += 1 }
            guard masks[lang] != nil else {
                return Window(language: lang, start: rng.int(below: sizes[lang] - length - 1))
            }
            let starts = episodeStarts[lang]
            let usable = starts.partitioningIndex { $0 > sizes[lang] - length - 1 }
            precondition(usable > 0, "\(languages[lang]): no episode start leaves room for a window of \(length + 1) tokens")
            return Window(language: lang, start: starts[rng.int(below: usable)])
        }
    }

    /// The ids of `windows`, [windows.count · (length + 1)].
    public func tokens(of windows: [Window], length: Int) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(windows.count * (length + 1))
        for w in windows { out.append(contentsOf: tokens[w.language][w.start..<(w.start + length + 1)].map { Int32($0) }) }
        return out
    }

    /// Which of the [windows.count · length] next-token targets of `windows` the loss counts
    /// (target j of a window is token start + j + 1); nil when every target counts.
    public func targetMask(of windows: [Window], length: Int) -> [Bool]? {
        guard hasTargetMasks else { return nil }
        var out: [Bool] = []
        out.reserveCapacity(windows.count * length)
        for w in windows {
            guard let mask = masks[w.language] else {
                out.append(contentsOf: repeatElement(true, count: length))
                continue
            }
            var episodeInside = false
            for j in 0..<length {
                episodeInside = episodeInside || mask[w.start + j] & Self.startBit != 0
                out.append(episodeInside && mask[w.start + j + 1] & Self.targetBit != 0)
            }
        }
        return out
    }

    /// `sampleWindows`' ids: what a step trains on.
    public func batch(seed: UInt64, step: Int, batch: Int, length: Int) -> [Int32] {
        tokens(of: sampleWindows(seed: seed, step: step, batch: batch, length: length), length: length)
    }

    /// Consecutive, non-overlapping windows of `length` + 1 tokens of one language (evaluation).
    public func evaluationWindows(of lang: String, length: Int, limit: Int) -> [Window] {
        let index = languages.firstIndex(of: lang)!
        let count = tokens[index].count
        var out: [Window] = []
        var start = 0
        while start + length + 1 <= count && out.count < limit {
            out.append(Window(language: index, start: start))
            start += length
        }
        return out
    }

    /// The ids of `evaluationWindows`, one array per window.
    public func windows(of lang: String, length: Int, limit: Int) -> [[Int32]] {
        evaluationWindows(of: lang, length: length, limit: limit).map { tokens(of: [$0], length: length) }
    }
}
