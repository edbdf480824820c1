import GlossaTensor

/// softmax(scale · Q·Kᵀ + mask)·V for every (batch, head), with grouped-query heads:
/// query head h reads key/value head h / (qHeads / kvHeads).
///
/// Layout: rows are (batch, time), columns (head, dim), as a Linear projection emits them,
/// so heads are strided views and no transposes are needed. With `causal`, query i (of Tq)
/// sees keys j ≤ i + (Tk − Tq), which covers training (Tq = Tk) and cached decoding.
public final class ScaledDotProductAttention {
    public let queryHeads: Int
    public let keyValueHeads: Int
    public let headDim: Int
    public let valueHeadDim: Int
    public let causal: Bool
    public let scale: Float

    private var saved: (q: Tensor, k: Tensor, v: Tensor, probs: Tensor, batch: Int)?
    /// False for inference-only use (the Whisper encoder): each head then uses a scratch block
    /// instead of keeping every head's [Tq, Tk] probabilities (72 MB per layer at 1500 frames).
    public var keepsProbabilitiesForBackward = true

    public init(queryHeads: Int, keyValueHeads: Int, headDim: Int, valueHeadDim: Int? = nil,
                causal: Bool, scale: Float? = nil) {
        precondition(queryHeads % keyValueHeads == 0, "query heads \(queryHeads) must be a multiple of kv heads \(keyValueHeads)")
        self.queryHeads = queryHeads
        self.keyValueHeads = keyValueHeads
        self.headDim = headDim
        self.valueHeadDim = valueHeadDim ?? headDim
        self.causal = causal
        self.scale = scale ?? 1 / Float(headDim).squareRoot()
    }

    private var group: Int { queryHeads / keyValueHeads }

    /// q [B·Tq, Hq·D], k [B·Tk, Hkv·D], v [B·Tk, Hkv·Dv] → [B·Tq, Hq·Dv].
    public func forward(q: Tensor, k: Tensor, v: Tensor, batch: Int) -> Tensor {
        let (tq, tk) = (q.rowCount / batch, k.rowCount / batch)
        precondition(q.lastDim == queryHeads * headDim && k.lastDim == keyValueHeads * headDim
                     && v.lastDim == keyValueHeads * valueHeadDim && v.rowCount == k.rowCount
                     && q.rowCount == batch * tq && k.rowCount == batch * tk,
                     "attention: shapes q \(q.shape), k \(k.shape), v \(v.shape) do not fit the heads")
        let keep = keepsProbabilitiesForBackward
        let probs = Tensor(uninitialized: keep ? [batch, queryHeads, tq, tk] : [min(batch * queryHeads, Parallel.threadCount), min(tq, 128), tk])
        let out = Tensor(uninitialized: [batch * tq, queryHeads * valueHeadDim])
        let (qc, kc, vc, oc) = (q.lastDim, k.lastDim, v.lastDim, out.lastDim)
        let heads = queryHeads, group = self.group, causal = self.causal
        let (headDim, valueHeadDim, scale) = (self.headDim, self.valueHeadDim, self.scale)
        // Each (batch, head) pair writes its own probability block and output columns.
        // Without backward, queries go in blocks of `rowsPerBlock` so a block's scores stay in
        // cache between the two products (the scratch holds one block per thread).
        let rowsPerBlock = keep ? tq : min(tq, 128)
        let oneHead = { (index: Int, scratch: Int) in
            let (b, h) = (index / heads, index % heads)
            let g = h / group
            for r0 in stride(from: 0, to: tq, by: rowsPerBlock) {
                let rows = min(rowsPerBlock, tq - r0)
                let p = keep ? probs.data + index * tq * tk + r0 * tk : probs.data + scratch * rowsPerBlock * tk
                BLAS.gemm(transB: true, m: rows, n: tk, k: headDim, alpha: scale,
                          a: q.data + (b * tq + r0) * qc + h * headDim, lda: qc,
                          b: k.data + b * tk * kc + g * headDim, ldb: kc, c: p, ldc: tk)
                if causal { Self.maskFuture(p, tq: rows, tk: tk, shift: tk - tq + r0) }
                RowMath.softmax(p, p, rows: rows, cols: tk)
                BLAS.gemm(m: rows, n: valueHeadDim, k: tk, a: p, lda: tk,
                          b: v.data + b * tk * vc + g * valueHeadDim, ldb: vc,
                          c: out.data + (b * tq + r0) * oc + h * valueHeadDim, ldc: oc)
            }
        }
        // Long sequences (the Whisper encoder's 1500 frames): one head per core, measured
        // ~2× faster than threading each head's skinny (k = 64) products. A few queries over
        // many keys (a beam step's cross-attention: 5 × 1,500 per head) too: threading each
        // head's small products cost more in hand-offs than the products themselves.
        let threads = min(batch * heads, Parallel.threadCount)
        if threads > 1 && (tq * tk >= 262_144 || batch * heads * tq * tk >= 32_768) && !Parallel.isInsideRegion {
            // Thread t takes heads t, t + threads, …, reusing scratch block t.
            Parallel.forEachWithSerialBLAS(threads) { t in
                for index in stride(from: t, to: batch * heads, by: threads) { oneHead(index, t) }
            }
        } else {
            for index in 0..<(batch * heads) { oneHead(index, 0) }
        }
        saved = keep ? (q, k, v, probs, batch) : nil
        return out
    }

    /// Sets scores of keys after each query's position to −inf: query row i (of a block whose
    /// first row sees keys up to `shift`) sees keys j ≤ i + shift.
    private static func maskFuture(_ p: UnsafeMutablePointer<Float>, tq: Int, tk: Int, shift: Int) {
        for i in 0..<tq where i + shift + 1 < tk {
            (p + i * tk + i + shift + 1).update(repeating: -.infinity, count: tk - (i + shift + 1))
        }
    }

    /// With P the probabilities: dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
    /// dQ = scale·dS·K, dK += scale·dSᵀ·Q.
    public func backward(_ dOut: Tensor) -> (q: Tensor, k: Tensor, v: Tensor) {
        guard let (q, k, v, probs, batch) = saved else { preconditionFailure("attention backward before forward") }
        let (tq, tk) = (q.rowCount / batch, k.rowCount / batch)
        let dq = Tensor(zeros: q.shape), dk = Tensor(zeros: k.shape), dv = Tensor(zeros: v.shape)
        let (qc, kc, vc, oc) = (q.lastDim, k.lastDim, v.lastDim, dOut.lastDim)
        let dS = Tensor(uninitialized: [tq, tk])
        for b in 0..<batch {
            for h in 0..<queryHeads {
                let g = h / group
                let p = probs.data + (b * queryHeads + h) * tq * tk
                let dO = dOut.data + b * tq * oc + h * valueHeadDim
                BLAS.gemm(transA: true, m: tk, n: valueHeadDim, k: tq, a: p, lda: tk, b: dO, ldb: oc, beta: 1,
                          c: dv.data + b * tk * vc + g * valueHeadDim, ldc: vc)
                BLAS.gemm(transB: true, m: tq, n: tk, k: valueHeadDim, a: dO, lda: oc,
                          b: v.data + b * tk * vc + g * valueHeadDim, ldb: vc, c: dS.data, ldc: tk)
                for i in 0..<tq {
                    let pi = p + i * tk, di = dS.data + i * tk
                    let dot = Vec.dot(pi, di, tk)
                    for j in 0..<tk { di[j] = pi[j] * (di[j] - dot) }
                }
                BLAS.gemm(m: tq, n: headDim, k: tk, alpha: scale, a: dS.data, lda: tk,
                          b: k.data + b * tk * kc + g * headDim, ldb: kc, beta: 1,
                          c: dq.data + b * tq * qc + h * headDim, ldc: qc)
                BLAS.gemm(transA: true, m: tk, n: headDim, k: tq, alpha: scale, a: dS.data, lda: tk,
                          b: q.data + b * tq * qc + h * headDim, ldb: qc, beta: 1,
                          c: dk.data + b * tk * kc + g * headDim, ldc: kc)
            }
        }
        return (dq, dk, dv)
    }
}
