import GlossaTensor

/// Softmax cross-entropy over the last axis, averaged over the targets that are not
/// `ignoreIndex` (PyTorch's `F.cross_entropy(..., ignore_index=-100, reduction="mean")`).
public final class CrossEntropy {
    public let ignoreIndex: Int32
    private var savedLogits: Tensor?
    private var savedTargets: [Int32] = []
    private var savedLSE: Tensor?
    private var validCount = 0

    public init(ignoreIndex: Int32 = -100) { self.ignoreIndex = ignoreIndex }

    /// logits [N, V], targets N ids → mean loss (0 when every target is ignored).
    public func forward(logits: Tensor, targets: [Int32]) -> Float {
        precondition(logits.rowCount == targets.count, "CrossEntropy: \(logits.rowCount) rows, \(targets.count) targets")
        let v = logits.lastDim
        let lse = Tensor(zeros: [logits.rowCount])
        RowMath.logsumexp(logits.data, lse.data, rows: logits.rowCount, cols: v)
        var total: Double = 0
        validCount = 0
        for (r, t) in targets.enumerated() where t != ignoreIndex {
            precondition(t >= 0 && Int(t) < v, "target \(t) outside \(v) classes")
            total += Double(lse.data[r] - logits.data[r * v + Int(t)])
            validCount += 1
        }
        savedLogits = logits
        savedTargets = targets
        savedLSE = lse
        return validCount == 0 ? 0 : Float(total / Double(validCount))
    }

    /// dlogits = (softmax − onehot) · scale / N_valid; ignored rows get zero.
    public func backward(scale: Float = 1) -> Tensor {
        guard let logits = savedLogits, let lse = savedLSE else { preconditionFailure("CrossEntropy.backward before forward") }
        let v = logits.lastDim
        let d = Tensor(zeros: logits.shape)
        guard validCount > 0 else { return d }
        let k = scale / Float(validCount)
        let targets = savedTargets, ignore = ignoreIndex
        Parallel.forEachChunk(targets.count, minChunk: max(1, 32_768 / max(v, 1))) { range in
            for r in range where targets[r] != ignore {
                let li = logits.data + r * v, di = d.data + r * v
                let m = lse.data[r]
                Vec.map(li, di, v) { Vec.expLanes($0 - m) * k }
                di[Int(targets[r])] -= k
            }
        }
        return d
    }
}
