import GlossaNN
import GlossaTensor

/// The attention interface of a decoder layer. Without a cache it attends within the batch
/// (training, full-sequence scoring); with one it appends the new keys/values and attends over
/// the whole cached prefix (batch 1).
public protocol SelfAttentionLayer: Module {
    func forward(_ x: Tensor, batch: Int, positions: [Int], cache: inout LayerKVCache?) -> Tensor
    /// dL/dx from dL/dy for the last uncached forward; accumulates parameter gradients.
    func backward(_ dy: Tensor) -> Tensor
    func makeCache() -> LayerKVCache
}

/// Multi-head attention with optional biases, RoPE and grouped-query heads: GPT-2, Llama,
/// Mixtral (`self_attn.{q,k,v,o}_proj`).
public final class StandardAttention: SelfAttentionLayer {
    public let qProj: Linear, kProj: Linear, vProj: Linear, oProj: Linear
    public let rope: RotaryEmbedding?
    public let core: ScaledDotProductAttention

    public init(q: Linear, k: Linear, v: Linear, o: Linear, heads: Int, kvHeads: Int, headDim: Int, rope: RotaryEmbedding?) {
        (qProj, kProj, vProj, oProj) = (q, k, v, o)
        self.rope = rope
        core = ScaledDotProductAttention(queryHeads: heads, keyValueHeads: kvHeads, headDim: headDim, causal: true)
    }

    public var parameters: [Parameter] { [qProj, kProj, vProj, oProj].flatMap(\.parameters) }

    public func makeCache() -> LayerKVCache {
        LayerKVCache(keyWidth: kProj.outFeatures, valueWidth: vProj.outFeatures)
    }

    public func forward(_ x: Tensor, batch: Int, positions: [Int], cache: inout LayerKVCache?) -> Tensor {
        var q = qProj(x), k = kProj(x)
        let v = vProj(x)
        if let rope {
            q = rope.forward(q, positions: positions)
            k = rope.forward(k, positions: positions)
        }
        let (keys, values) = LayerKVCache.attendable(keys: k, values: v, cache: &cache, batch: batch)
        return oProj(core.forward(q: q, k: keys, v: values, batch: batch))
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (dq, dk, dv) = core.backward(oProj.backward(dy))
        let dx = qProj.backward(rope?.backward(dq) ?? dq)
        dx.add(kProj.backward(rope?.backward(dk) ?? dk))
        dx.add(vProj.backward(dv))
        return dx
    }
}
