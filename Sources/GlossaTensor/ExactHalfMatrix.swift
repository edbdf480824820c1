/// An fp16 copy of a weight matrix [rows, columns] whose every value is an fp16 number, made
/// only then (`init?(exactly:)`), for the few-row products of decoding. Whisper's CTranslate2
/// weights are stored as fp16 and widened to fp32 on load, so for them the copy loses nothing:
/// `SkinnyGemm` reads it at half the bytes and returns the fp32 product bit for bit.
public final class ExactHalfMatrix {
    public let rows: Int, columns: Int
    private let storage: UnsafeMutablePointer<Float16>

    /// nil unless `matrix` is rank 2 and each value survives fp32 → fp16 → fp32 unchanged.
    public init?(exactly matrix: Tensor) {
        guard matrix.rank == 2 else { return nil }
        let (values, count) = (matrix.data, matrix.count)
        let storage = UnsafeMutablePointer<Float16>.allocate(capacity: count)
        for i in 0..<count {
            let half = Float16(values[i])
            guard Float(half).bitPattern == values[i].bitPattern else {
                storage.deallocate()
                return nil
            }
            storage[i] = half
        }
        (rows, columns, self.storage) = (matrix.shape[0], matrix.shape[1], storage)
    }

    deinit { storage.deallocate() }

    /// y = x·Mᵀ + beta·y for 1…`SkinnyGemm.maxRows` rows of x [m, columns] into y [m, rows].
    public func multiplyTransposed(_ x: Tensor, into y: Tensor, beta: Float) {
        precondition(x.lastDim == columns && y.lastDim == rows && y.rowCount == x.rowCount,
                     "fp16 product: x \(x.shape), y \(y.shape) do not fit [\(rows), \(columns)]")
        SkinnyGemm.multiplyTransposed(m: x.rowCount, n: rows, k: columns, alpha: 1, a: x.data, lda: columns,
                                      b: storage, ldb: columns, beta: beta, c: y.data, ldc: rows)
    }
}
