/// Tensor-level wrappers over `Vec` and `RowMath`. Binary operations need equal shapes;
/// row operations work along the last axis.
extension Tensor {
    private func checkSameShape(_ other: Tensor, _ op: String) {
        precondition(shape == other.shape, "\(op): shapes \(shape) and \(other.shape) differ")
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        a.checkSameShape(b, "add")
        let out = Tensor(uninitialized: a.shape)
        Vec.add(a.data, b.data, out.data, a.count)
        return out
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        a.checkSameShape(b, "sub")
        let out = Tensor(uninitialized: a.shape)
        Vec.sub(a.data, b.data, out.data, a.count)
        return out
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        a.checkSameShape(b, "mul")
        let out = Tensor(uninitialized: a.shape)
        Vec.mul(a.data, b.data, out.data, a.count)
        return out
    }

    public static func * (a: Tensor, s: Float) -> Tensor {
        let out = Tensor(uninitialized: a.shape)
        Vec.scale(a.data, s, out.data, a.count)
        return out
    }

    /// self += alpha · other, in place.
    public func add(_ other: Tensor, scaledBy alpha: Float = 1) {
        checkSameShape(other, "add")
        Vec.axpy(alpha, other.data, data, count)
    }

    /// self *= s, in place.
    public func scale(by s: Float) {
        Vec.scale(data, s, data, count)
    }

    public func exp() -> Tensor {
        let out = Tensor(uninitialized: shape)
        Vec.exp(data, out.data, count)
        return out
    }

    public func sum() -> Float { Vec.sum(data, count) }

    public func max() -> Float { Vec.max(data, count) }

    /// Softmax along the last axis.
    public func softmax() -> Tensor {
        let out = Tensor(uninitialized: shape)
        RowMath.softmax(data, out.data, rows: rowCount, cols: lastDim)
        return out
    }

    /// Log-softmax along the last axis.
    public func logSoftmax() -> Tensor {
        let out = Tensor(uninitialized: shape)
        RowMath.logSoftmax(data, out.data, rows: rowCount, cols: lastDim)
        return out
    }

    /// logsumexp along the last axis; the result drops that axis.
    public func logsumexp() -> Tensor {
        let out = Tensor(uninitialized: Array(shape.dropLast()))
        RowMath.logsumexp(data, out.data, rows: rowCount, cols: lastDim)
        return out
    }

    /// Largest absolute elementwise difference, for tests and conformance checks.
    public func maxAbsDifference(_ other: Tensor) -> Float {
        checkSameShape(other, "maxAbsDifference")
        var m: Float = 0
        for i in 0..<count { m = Swift.max(m, abs(data[i] - other.data[i])) }
        return m
    }
}
