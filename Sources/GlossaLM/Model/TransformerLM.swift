import GlossaNN
import GlossaTensor

/// A decoder-only language model: embeddings, decoder layers, final norm, output head.
public final class TransformerLM: Module {
    public let config: TransformerConfig
    public let embedding: Embedding
    /// Learned absolute positions (GPT-2); nil for rotary models.
    public let positionEmbedding: Embedding?
    public let layers: [DecoderLayer]
    public let finalNorm: NormalizationLayer
    /// [vocab, hidden]; the same Parameter as the embedding table when tied.
    public let head: Linear
    /// The optional multi-token-prediction module (drafts x_{t+2} for self-speculative decoding).
    public var multiTokenPrediction: MultiTokenPredictionHead?

    public init(config: TransformerConfig, embedding: Embedding, positionEmbedding: Embedding?, layers: [DecoderLayer],
                finalNorm: NormalizationLayer, head: Linear) {
        self.config = config
        self.embedding = embedding
        self.positionEmbedding = positionEmbedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.head = head
    }

    public var parameters: [Parameter] {
        var ps = embedding.parameters + (positionEmbedding?.parameters ?? []) + layers.flatMap(\.parameters) + finalNorm.parameters
        if head.weight !== embedding.weight { ps += head.parameters }
        return ps + (multiTokenPrediction?.parameters ?? [])
    }

    public var vocabularySize: Int { config.vocabularySize }

    /// An empty decoding state (no tokens yet).
    public func makeState() -> DecodingState {
        DecodingState(caches: layers.map { $0.attention.makeCache() })
    }

    public var maxPositions: Int? {
        if case let .learned(n) = config.positions { return n }
        return nil
    }

    /// Runs `ids` after the tokens already in `state`, extends the state, and returns logits:
    /// [ids.count, vocab] when `allLogits`, else [1, vocab] for the last token only.
    public func forward(_ ids: [Int32], state: inout DecodingState, allLogits: Bool = true) -> Tensor {
        let x = hiddenStates(ids, state: &state)
        return head(allLogits ? x : x.rows((x.rowCount - 1)..<x.rowCount))
    }

    /// The final-norm hidden states [ids.count, hidden] of `ids` after the tokens in `state`
    /// (extending it): what the head turns into logits, and what multi-token prediction reads.
    public func hiddenStates(_ ids: [Int32], state: inout DecodingState) -> Tensor {
        precondition(!ids.isEmpty, "forward needs at least one token")
        let start = state.length
        let positions = Array(start..<(start + ids.count))
        var x = embed(ids, positions: positions)
        for (i, layer) in layers.enumerated() {
            var cache: LayerKVCache? = state.caches[i]
            state.caches[i] = LayerKVCache(keyWidth: 0, valueWidth: 0)  // release our reference: keeps pages unique
            x = layer.forward(x, batch: 1, positions: positions, cache: &cache)
            state.caches[i] = cache!
        }
        return finalNorm.forward(x)
    }

    /// Full-sequence logits for a batch of equal-length sequences, without a cache
    /// (training and scoring path): ids is [batch · length] → [batch · length, vocab].
    public func forward(batch ids: [Int32], batch: Int) -> Tensor {
        head(hiddenStates(batch: ids, batch: batch))
    }

    /// Final-norm hidden states [batch · length, hidden] of `forward(batch:batch:)`.
    public func hiddenStates(batch ids: [Int32], batch: Int) -> Tensor {
        let length = ids.count / batch
        let positions = (0..<batch).flatMap { _ in Array(0..<length) }
        var x = embed(ids, positions: positions)
        for layer in layers {
            var none: LayerKVCache? = nil
            x = layer.forward(x, batch: batch, positions: positions, cache: &none)
        }
        return finalNorm.forward(x)
    }

    /// Backward of `forward(batch:batch:)`: accumulates every parameter's gradient from
    /// dL/dlogits. A tied head and embedding share one Parameter, so both paths add into it.
    public func backward(_ dLogits: Tensor) {
        backward(hidden: head.backward(dLogits))
    }

    /// Backward from dL/d(final-norm hidden states) [batch · length, hidden]: for a caller that
    /// ran the head itself (on some rows only, or without its weight gradient). With
    /// `lowestLayer` > 0 it stops above that layer: the layers below and the embeddings get no
    /// gradient, for a trainer that keeps them frozen (their backward would be wasted work).
    public func backward(hidden dHidden: Tensor, lowestLayer: Int = 0) {
        var dx = finalNorm.backward(dHidden)
        for layer in layers[lowestLayer...].reversed() { dx = layer.backward(dx) }
        guard lowestLayer == 0 else { return }
        embedding.backward(dx)
        positionEmbedding?.backward(dx)
    }

    private func embed(_ ids: [Int32], positions: [Int]) -> Tensor {
        let x = embedding(ids)
        if let positionEmbedding {
            x.add(positionEmbedding(positions.map(Int32.init)))
        }
        return x
    }
}
