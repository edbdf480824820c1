import CHalfGemm

/// An fp16 copy of a weight matrix [rows, columns] whose every value is an fp16 number, made
/// only then (`init?(exactly:)`), for the 1–10 row products of decoding. Whisper's CTranslate2
/// weights are stored as fp16 and widened to fp32 on load, so the copy loses nothing and is
/// read at half the bytes.
///
/// The copy is laid out in panels of 32 rows of the matrix (32 outputs), each stored
/// column by column, so the product needs no horizontal sums and reads the weights once for
/// all rows of x (CHalfGemm's HalfGemm.c explains the kernel). Each output is the fp32 chain of
/// fused multiply-adds over the columns in order: the same bits on every machine and kernel,
/// within rounding of, but not bit-equal to, the fp32 products of `matmul` (which sum in
/// another order).
public final class ExactHalfMatrix {
    public let rows: Int, columns: Int
    /// ⌈rows / 32⌉ panels of [columns, 32] fp16 values, zero past the last row.
    private let panels: UnsafeMutablePointer<Float16>
    private var panelCount: Int { (rows + Self.panelWidth - 1) / Self.panelWidth }
    static let panelWidth = Int(GLOSSA_PANEL)
    /// The most rows of x one product takes.
    public static let maxRows = Int(GLOSSA_HALF_GEMM_MAX_ROWS)
    /// Multiply-adds below which a product is not split over threads (see `multiplyTransposed`).
    static let minimumWork = 2_000_000
    /// The kernel this CPU runs: 2 AVX-512, 1 AVX2, 0 the portable loop.
    public static let kernelLevel = Int(glossa_half_gemm_level())

    /// nil unless `matrix` is rank 2 and each value survives fp32 → fp16 → fp32 unchanged.
    public init?(exactly matrix: Tensor) {
        guard matrix.rank == 2 else { return nil }
        let (rows, columns, values) = (matrix.shape[0], matrix.shape[1], matrix.data)
        let width = Self.panelWidth
        let count = (rows + width - 1) / width * columns * width
        let panels = UnsafeMutablePointer<Float16>.allocate(capacity: count)
        panels.initialize(repeating: 0, count: count)
        for j in 0..<rows {
            let panel = panels + (j / width) * columns * width + j % width
            for i in 0..<columns {
                let value = values[j * columns + i], half = Float16(value)
                guard Float(half).bitPattern == value.bitPattern else {
                    panels.deallocate()
                    return nil
                }
                panel[i * width] = half
            }
        }
        (self.rows, self.columns, self.panels) = (rows, columns, panels)
    }

    deinit { panels.deallocate() }

    /// y = x·Mᵀ + beta·y for 1…`maxRows` rows of x [m, columns] into y [m, rows], panels split
    /// over Parallel's threads. `level` picks a kernel below `kernelLevel` (tests compare them).
    public func multiplyTransposed(_ x: Tensor, into y: Tensor, beta: Float, level: Int = ExactHalfMatrix.kernelLevel) {
        precondition(x.lastDim == columns && y.lastDim == rows && y.rowCount == x.rowCount,
                     "fp16 product: x \(x.shape), y \(y.shape) do not fit [\(rows), \(columns)]")
        precondition((1...Self.maxRows).contains(x.rowCount), "fp16 product takes 1 to \(Self.maxRows) rows, got \(x.rowCount)")
        precondition((0...Self.kernelLevel).contains(level), "kernel level \(level) is not supported on this CPU")
        let (m, k, n, a, c, w) = (Int32(x.rowCount), columns, rows, x.data, UncheckedBox(y.data), UnsafeRawPointer(panels))
        // A thread takes at least `minimumWork` multiply-adds: a hand-off to another thread
        // costs more than the small products of a beam step (Whisper base's 512 × 512
        // projections, 1.3M at 5 rows), which then run on the calling thread.
        let minChunk = max(1, Self.minimumWork / (k * Self.panelWidth * x.rowCount))
        Parallel.forEachChunk(panelCount, minChunk: minChunk) { range in
            glossa_half_gemm_at(Int32(level), m, a, k, w, k, range.lowerBound, range.count, n, c.value, n, beta)
        }
    }
}
