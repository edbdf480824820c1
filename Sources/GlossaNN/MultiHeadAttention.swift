import GlossaTensor

/// Multi-head self-attention with optional RoPE and grouped-query heads, the Llama /
/// Mixtral block: q, k, v projections → RoPE on q, k → attention → output projection.
public final class MultiHeadAttention: Module {
    public let qProj: Linear, kProj: Linear, vProj: Linear, oProj: Linear
    public let rope: RotaryEmbedding?
    public let attention: ScaledDotProductAttention

    public init(dim: Int, heads: Int, kvHeads: Int, bias: Bool = false, rope: RotaryEmbedding?, causal: Bool = true,
                name: String = "attn", rng: inout RandomGenerator) {
        precondition(dim % heads == 0, "dim \(dim) not divisible by \(heads) heads")
        let hd = dim / heads
        qProj = Linear(dim, heads * hd, bias: bias, name: "\(name).q_proj", rng: &rng)
        kProj = Linear(dim, kvHeads * hd, bias: bias, name: "\(name).k_proj", rng: &rng)
        vProj = Linear(dim, kvHeads * hd, bias: bias, name: "\(name).v_proj", rng: &rng)
        oProj = Linear(heads * hd, dim, bias: bias, name: "\(name).o_proj", rng: &rng)
        self.rope = rope
        attention = ScaledDotProductAttention(queryHeads: heads, keyValueHeads: kvHeads, headDim: hd, causal: causal)
    }

    public var parameters: [Parameter] { [qProj, kProj, vProj, oProj].flatMap(\.parameters) }

    /// x [B·T, dim] → [B·T, dim]; positions has one entry per row.
    public func forward(_ x: Tensor, batch: Int, positions: [Int]) -> Tensor {
        var q = qProj(x), k = kProj(x)
        let v = vProj(x)
        if let rope {
            q = rope.forward(q, positions: positions)
            k = rope.forward(k, positions: positions)
        }
        return oProj(attention.forward(q: q, k: k, v: v, batch: batch))
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (dq, dk, dv) = attention.backward(oProj.backward(dy))
        let dqIn = rope?.backward(dq) ?? dq
        let dkIn = rope?.backward(dk) ?? dk
        let dx = qProj.backward(dqIn)
        dx.add(kProj.backward(dkIn))
        dx.add(vProj.backward(dv))
        return dx
    }
}
