import Foundation
import GlossaTensor

/// Log-probabilities of text under the model.
public struct ScoreResult: Codable {
    /// Σ log p(token | preceding tokens), natural log.
    public let totalLogProb: Double
    public let tokenCount: Int
    public var perplexity: Double { tokenCount == 0 ? .nan : Foundation.exp(-totalLogProb / Double(tokenCount)) }
}

extension TransformerLM {
    /// log p(ids[i] | ids[..<i]) for every i ≥ 1, one full-sequence pass.
    public func tokenLogProbs(_ ids: [Int32]) -> [Float] {
        guard ids.count > 1 else { return [] }
        let logits = forward(batch: ids, batch: 1)
        let v = logits.lastDim
        return (1..<ids.count).map { i in
            let row = logits.data + (i - 1) * v
            return row[Int(ids[i])] - RowMath.logsumexpRow(row, v)
        }
    }

    /// Scores `ids` (the first token is context only) in windows of `window` tokens that
    /// overlap by half, so every scored token sees at least window/2 tokens of context
    /// (the strided evaluation of transformers' perplexity guide).
    public func score(_ ids: [Int32], window requested: Int = 1024) -> ScoreResult {
        let window = max(2, min(requested, maxPositions ?? requested))
        var total = 0.0
        var count = 0
        var scoredUpTo = 1  // ids[0] is never predicted
        var start = 0
        while scoredUpTo < ids.count {
            let end = min(ids.count, start + window)
            let logProbs = tokenLogProbs(Array(ids[start..<end]))  // predicts ids[start+1 ..< end]
            for (offset, lp) in logProbs.enumerated() where start + 1 + offset >= scoredUpTo {
                total += Double(lp)
                count += 1
            }
            scoredUpTo = end
            start = max(start + 1, end - window / 2)
        }
        return ScoreResult(totalLogProb: total, tokenCount: count)
    }

    /// Batched scoring of several continuations of one context: the context is prefilled once
    /// and each continuation runs on its own fork of the decoding state.
    public func scoreContinuations(context: [Int32], continuations: [[Int32]]) -> [Double] {
        precondition(!context.isEmpty, "scoring needs at least one context token")
        var base = makeState()
        let contextLogits = forward(context, state: &base, allLogits: false)
        let lastContextLogProbs = contextLogits.logSoftmax()
        return continuations.map { continuation in
            guard let first = continuation.first else { return 0 }
            var total = Double(lastContextLogProbs.data[Int(first)])
            guard continuation.count > 1 else { return total }
            var fork = base
            let logits = forward(Array(continuation.dropLast()), state: &fork, allLogits: true)
            let v = logits.lastDim
            for i in 1..<continuation.count {
                let row = logits.data + (i - 1) * v
                total += Double(row[Int(continuation[i])] - RowMath.logsumexpRow(row, v))
            }
            return total
        }
    }
}
