import Foundation
import GlossaTensor

/// How the next token is picked from logits.
public struct SamplingOptions: Sendable {
    /// 0 means greedy (argmax); otherwise logits are divided by it before sampling.
    public var temperature: Float
    /// Keep only the k most likely tokens (0: no limit).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches p (1: no limit).
    public var topP: Float
    public var seed: UInt64

    public init(temperature: Float = 0, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.seed = seed
    }

    public static let greedy = SamplingOptions()
}

/// Draws tokens with a seeded generator, so a seed reproduces a generation exactly.
public struct Sampler {
    public let options: SamplingOptions
    private var rng: RandomGenerator

    public init(_ options: SamplingOptions) {
        self.options = options
        rng = RandomGenerator(seed: options.seed)
    }

    public static func argmax(_ logits: UnsafePointer<Float>, _ n: Int) -> Int32 {
        var best = 0
        for i in 1..<n where logits[i] > logits[best] { best = i }
        return Int32(best)
    }

    /// Picks a token from one row of logits (n values).
    public mutating func next(_ logits: UnsafePointer<Float>, _ n: Int) -> Int32 {
        if options.temperature <= 0 { return Self.argmax(logits, n) }
        // Candidates sorted by logit, cut by top-k, then softmax at temperature, cut by top-p.
        var order = Array(0..<n)
        let keep = options.topK > 0 ? min(options.topK, n) : n
        if keep < n {
            order.sort { logits[$0] > logits[$1] }
            order.removeLast(n - keep)
        } else {
            order.sort { logits[$0] > logits[$1] }
        }
        let m = logits[order[0]]
        var probs = order.map { Foundation.exp(Double((logits[$0] - m) / options.temperature)) }
        let total = probs.reduce(0, +)
        probs = probs.map { $0 / total }
        var cut = probs.count
        if options.topP < 1 {
            var acc = 0.0
            for (i, p) in probs.enumerated() {
                acc += p
                if acc >= Double(options.topP) { cut = i + 1; break }
            }
        }
        let mass = probs[0..<cut].reduce(0, +)
        var u = Double(rng.uniform()) * mass
        for i in 0..<cut {
            u -= probs[i]
            if u <= 0 { return Int32(order[i]) }
        }
        return Int32(order[cut - 1])
    }
}
