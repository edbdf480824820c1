import GlossaNN
import GlossaTensor

/// DeepSeek's multi-head latent attention (MLA), following transformers'
/// `modeling_deepseek_v3.py` `DeepseekV3Attention.forward`:
///
///     q        = q_b(RMSNorm(q_a(x)))                  (or q_proj(x) without a q LoRA rank)
///     [c, kʳ]  = kv_a_proj_with_mqa(x)                 c: the latent, kʳ: one shared RoPE key
///     [kⁿ, v]  = kv_b(RMSNorm(c))                      per head
///     k_h      = [kⁿ_h, RoPE(kʳ)],  q_h = [qⁿ_h, RoPE(qʳ_h)],  scale = (nope + rope)^-½
///
/// The cache stores the expanded per-head keys and values, as transformers' DynamicCache does.
/// With `rope_interleave`, transformers rotates (even, odd) pairs and writes them de-interleaved;
/// rotating the pairs in place gives the same q·k, which is all attention reads.
public final class LatentAttention: SelfAttentionLayer {
    let config: TransformerConfig.LatentAttention
    let heads: Int
    let qProj: Linear?
    let qA: Linear?, qNorm: RMSNorm?, qB: Linear?
    let kvA: Linear, kvNorm: RMSNorm, kvB: Linear
    let oProj: Linear
    let rope: RotaryEmbedding
    let core: ScaledDotProductAttention

    init(config: TransformerConfig.LatentAttention, heads: Int, qProj: Linear?, qA: Linear?, qNorm: RMSNorm?, qB: Linear?,
         kvA: Linear, kvNorm: RMSNorm, kvB: Linear, oProj: Linear, ropeTheta: Float, interleaved: Bool) {
        self.config = config
        self.heads = heads
        (self.qProj, self.qA, self.qNorm, self.qB) = (qProj, qA, qNorm, qB)
        (self.kvA, self.kvNorm, self.kvB, self.oProj) = (kvA, kvNorm, kvB, oProj)
        rope = RotaryEmbedding(headDim: config.ropeHeadDim, base: ropeTheta, interleaved: interleaved)
        core = ScaledDotProductAttention(queryHeads: heads, keyValueHeads: heads, headDim: config.queryKeyHeadDim,
                                         valueHeadDim: config.valueHeadDim, causal: true)
    }

    private var savedRows = 0

    public var parameters: [Parameter] {
        ([qProj, qA, qB].compactMap { $0 } + [kvA, kvB, oProj]).flatMap(\.parameters)
            + (qNorm?.parameters ?? []) + kvNorm.parameters
    }

    public func makeCache() -> LayerKVCache {
        LayerKVCache(keyWidth: heads * config.queryKeyHeadDim, valueWidth: heads * config.valueHeadDim)
    }

    public func forward(_ x: Tensor, batch: Int, positions: [Int], cache: inout LayerKVCache?) -> Tensor {
        let (nope, ropeDim, vDim, qk) = (config.nopeHeadDim, config.ropeHeadDim, config.valueHeadDim, config.queryKeyHeadDim)
        let rows = x.rowCount
        let q: Tensor
        if let qProj { q = qProj(x) } else { q = qB!(qNorm!(qA!(x))) }
        let compressed = kvA(x)                                   // [rows, kvRank + rope]
        let rank = config.keyValueRank
        let latent = Tensor(uninitialized: [rows, rank]), sharedRopeKey = Tensor(uninitialized: [rows, ropeDim])
        let qRot = Tensor(uninitialized: [rows, heads * ropeDim])
        for r in 0..<rows {
            (latent.data + r * rank).update(from: compressed.data + r * (rank + ropeDim), count: rank)
            (sharedRopeKey.data + r * ropeDim).update(from: compressed.data + r * (rank + ropeDim) + rank, count: ropeDim)
            for h in 0..<heads {
                (qRot.data + (r * heads + h) * ropeDim).update(from: q.data + r * heads * qk + h * qk + nope, count: ropeDim)
            }
        }
        let qRotated = rope.forward(qRot, positions: positions)
        let kRotated = rope.forward(sharedRopeKey, positions: positions)
        let kv = kvB(kvNorm(latent))                               // [rows, heads·(nope + v)]

        let queries = q.copy()
        let keys = Tensor(uninitialized: [rows, heads * qk]), values = Tensor(uninitialized: [rows, heads * vDim])
        for r in 0..<rows {
            for h in 0..<heads {
                let kvRow = kv.data + r * heads * (nope + vDim) + h * (nope + vDim)
                (queries.data + r * heads * qk + h * qk + nope).update(from: qRotated.data + (r * heads + h) * ropeDim, count: ropeDim)
                (keys.data + r * heads * qk + h * qk).update(from: kvRow, count: nope)
                (keys.data + r * heads * qk + h * qk + nope).update(from: kRotated.data + r * ropeDim, count: ropeDim)
                (values.data + r * heads * vDim + h * vDim).update(from: kvRow + nope, count: vDim)
            }
        }
        savedRows = rows
        let (allKeys, allValues) = LayerKVCache.attendable(keys: keys, values: values, cache: &cache, batch: batch)
        return oProj(core.forward(q: queries, k: allKeys, v: allValues, batch: batch))
    }

    /// Undoes forward's slicing: the query's RoPE part and the shared RoPE key go back through
    /// the rotation (the shared key sums its heads' gradients), the no-RoPE key parts and the
    /// values go back through kv_b and the latent's RMSNorm into kv_a.
    public func backward(_ dy: Tensor) -> Tensor {
        let (nope, ropeDim, vDim, qk) = (config.nopeHeadDim, config.ropeHeadDim, config.valueHeadDim, config.queryKeyHeadDim)
        let rows = savedRows, rank = config.keyValueRank
        let (dQueries, dKeys, dValues) = core.backward(oProj.backward(dy))
        let dq = dQueries.copy()
        let dqRotated = Tensor(uninitialized: [rows, heads * ropeDim])
        let dkRotated = Tensor(zeros: [rows, ropeDim])
        let dkv = Tensor(uninitialized: [rows, heads * (nope + vDim)])
        for r in 0..<rows {
            for h in 0..<heads {
                let kvRow = dkv.data + r * heads * (nope + vDim) + h * (nope + vDim)
                (dqRotated.data + (r * heads + h) * ropeDim).update(from: dQueries.data + r * heads * qk + h * qk + nope, count: ropeDim)
                kvRow.update(from: dKeys.data + r * heads * qk + h * qk, count: nope)
                Vec.add(dkRotated.data + r * ropeDim, dKeys.data + r * heads * qk + h * qk + nope, dkRotated.data + r * ropeDim, ropeDim)
                (kvRow + nope).update(from: dValues.data + r * heads * vDim + h * vDim, count: vDim)
            }
        }
        let dqRot = rope.backward(dqRotated)
        let dkRope = rope.backward(dkRotated)
        for r in 0..<rows {
            for h in 0..<heads {
                (dq.data + r * heads * qk + h * qk + nope).update(from: dqRot.data + (r * heads + h) * ropeDim, count: ropeDim)
            }
        }
        let dLatent = kvNorm.backward(kvB.backward(dkv))
        let dCompressed = Tensor(uninitialized: [rows, rank + ropeDim])
        for r in 0..<rows {
            (dCompressed.data + r * (rank + ropeDim)).update(from: dLatent.data + r * rank, count: rank)
            (dCompressed.data + r * (rank + ropeDim) + rank).update(from: dkRope.data + r * ropeDim, count: ropeDim)
        }
        let dx = kvA.backward(dCompressed)
        if let qProj {
            dx.add(qProj.backward(dq))
        } else {
            dx.add(qA!.backward(qNorm!.backward(qB!.backward(dq))))
        }
        return dx
    }
}
