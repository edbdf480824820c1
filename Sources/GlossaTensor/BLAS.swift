import CBLAS

/// Thin, checked wrappers over OpenBLAS. All matrices are row-major, as Hugging Face stores
/// weights (`[out, in]`), so `y = x·Wᵀ` is `gemm(transB: true)` with no copies.
public enum BLAS {
    /// Sets OpenBLAS's own thread count.
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS set to `n` threads, then restores the count. Between two
    /// threaded calls OpenBLAS's idle workers spin (sched_yield) for about 0.1 s before they
    /// sleep; where Glossa's own kernels carry the work (Whisper's beam steps) such a spinner
    /// takes a core from them. At one thread OpenBLAS runs each call on the caller, and its
    /// workers sleep once that spin runs out. The count is process-wide (openblas_set_num_threads).
    public static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        let previous = threads
        if previous == n { return try body() }  // nested regions (attention inside beam steps)
        setThreads(n)
        defer { setThreads(previous) }
        return try body()
    }

    /// The kernel set OpenBLAS chose for this CPU ("Haswell", "SkylakeX", …). A CPU model its
    /// build does not know gets the generic "Prescott" kernels, several times slower; the
    /// OPENBLAS_CORETYPE environment variable overrides the choice.
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingCharacters(in: .whitespaces)
    }

    /// The kernels `gemm` dispatches to.
    public enum Kernel: String { case sgemv, skinny, sgemm }

    /// sgemv when m == 1, where a matrix-vector product is the right kernel; `SkinnyGemm` for
    /// 2–10 rows of A against a transposed B; sgemm otherwise.
    public static func kernel(transA: Bool = false, transB: Bool, m: Int) -> Kernel {
        if m == 1 && !transA { return .sgemv }
        return m <= SkinnyGemm.maxRows && !transA && transB ? .skinny : .sgemm
    }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n, through the
    /// kernel `kernel(transA:transB:m:)` picks.
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(Parallel.mayCallBLAS, "BLAS called inside a parallelFor body: the thread pools would nest")
        guard m > 0, n > 0 else { return }
        if k == 0 {
            scaleRows(c, m: m, n: n, ldc: ldc, beta: beta)
            return
        }
        switch kernel(transA: transA, transB: transB, m: m) {
        case .sgemv:
            // Row vector a (stride 1 when !transA) times op(B).
            // c = op(B)ᵀ·a: when B is [n, k] (transB) that is B·a, else Bᵀ·a with B [k, n].
            cblas_sgemv(CblasRowMajor, transB ? CblasNoTrans : CblasTrans,
                        Int32(transB ? n : k), Int32(transB ? k : n),
                        alpha, b, Int32(ldb), a, 1, beta, c, 1)
        case .skinny:
            // A few rows through a weight matrix (beam or draft steps): sgemm would repack all of B.
            SkinnyGemm.multiplyTransposed(m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        case .sgemm:
            cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// The raw sgemm with no sgemv shortcut, used by the benchmark as the machine's peak.
    public static func sgemmReference(m: Int, n: Int, k: Int,
                                      a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                                      c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(n), 0, c, Int32(n))
    }

    private static func scaleRows(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, beta: Float) {
        for i in 0..<m {
            let row = c + i * ldc
            for j in 0..<n { row[j] = beta == 0 ? 0 : beta * row[j] }
        }
    }
}

/// Matrix products on tensors seen as matrices [rows, lastDim].
extension Tensor {
    /// Shape of op(self): (rows, cols) after an optional transpose.
    fileprivate func matrixShape(transposed: Bool) -> (Int, Int) {
        transposed ? (lastDim, rowCount) : (rowCount, lastDim)
    }
}

/// C = alpha · op(A)·op(B) + beta · C into an existing tensor.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                   into c: Tensor, alpha: Float = 1, beta: Float = 0) {
    let (m, k) = a.matrixShape(transposed: transposeA)
    let (kb, n) = b.matrixShape(transposed: transposeB)
    precondition(k == kb, "matmul: inner dimensions differ, \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    precondition(c.rowCount == m && c.lastDim == n, "matmul: output \(c.shape) is not [\(m), \(n)]")
    BLAS.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: alpha,
              a: a.data, lda: a.lastDim, b: b.data, ldb: b.lastDim, beta: beta, c: c.data, ldc: n)
}

/// op(A)·op(B) as a new [m, n] tensor; the leading axes of A are kept when not transposed.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    let (m, _) = a.matrixShape(transposed: transposeA)
    let (_, n) = b.matrixShape(transposed: transposeB)
    let outShape = (!transposeA && a.rank > 2) ? Array(a.shape.dropLast()) + [n] : [m, n]
    let c = Tensor(uninitialized: outShape)
    matmul(a, b, transposeA: transposeA, transposeB: transposeB, into: c)
    return c
}
