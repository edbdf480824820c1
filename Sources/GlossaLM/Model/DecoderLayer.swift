import GlossaNN
import GlossaTensor

/// A pre-norm decoder block: h = x + attn(norm₁(x)); y = h + ffn(norm₂(h)).
public final class DecoderLayer: Module {
    public let attentionNorm: NormalizationLayer
    public let attention: SelfAttentionLayer
    public let feedForwardNorm: NormalizationLayer
    public let feedForward: FeedForwardLayer

    public init(attentionNorm: NormalizationLayer, attention: SelfAttentionLayer,
                feedForwardNorm: NormalizationLayer, feedForward: FeedForwardLayer) {
        self.attentionNorm = attentionNorm
        self.attention = attention
        self.feedForwardNorm = feedForwardNorm
        self.feedForward = feedForward
    }

    public var parameters: [Parameter] {
        attentionNorm.parameters + attention.parameters + feedForwardNorm.parameters + feedForward.parameters
    }

    public func forward(_ x: Tensor, batch: Int, positions: [Int], cache: inout LayerKVCache?) -> Tensor {
        let h = x + attention.forward(attentionNorm.forward(x), batch: batch, positions: positions, cache: &cache)
        return h + feedForward.forward(feedForwardNorm.forward(h))
    }

    /// dh = dy + norm₂ᵀ(ffnᵀ(dy)); dx = dh + norm₁ᵀ(attnᵀ(dh)).
    public func backward(_ dy: Tensor) -> Tensor {
        let dh = dy + feedForwardNorm.backward(feedForward.backward(dy))
        return dh + attentionNorm.backward(attention.backward(dh))
    }
}
