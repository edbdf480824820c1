import CPrefetch

/// C = alpha · A·Bᵀ + beta · C for a handful of rows of A (1…`maxRows`): the shape of a beam
/// or draft step through a linear layer, x [m, in] · W[out, in]ᵀ.
///
/// OpenBLAS's sgemm packs all of B (the weight matrix) into its panel layout on every call
/// whatever m is; for Whisper's tied head (51,865 × 512, 106 MB) and m = 5 beams that packing
/// read and wrote the whole matrix once more per step, and the packing routine took 20% of a
/// transcription's time. Here each row of B is read once, straight from the weights, and
/// dotted with all m rows of A while it sits in L1, so a step costs one pass over the weights,
/// the memory-bandwidth bound of decoding. Rows of B are split over Parallel's threads.
public enum SkinnyGemm {
    /// 10: a beam of 5 and its 5 internal-LM states (shallow fusion with ILME) share one step.
    public static let maxRows = 10
    /// Rows of B ahead to prefetch (into L2: see the CPrefetch shim): measured on the 106 MB
    /// head, 4–8 rows ahead beat the hardware prefetcher alone by ~25% (9.1 → 7.2 ms on two
    /// cores); fewer or more, less.
    static let prefetchRows = 6

    public static func multiplyTransposed(m: Int, n: Int, k: Int, alpha: Float,
                                          a: UnsafePointer<Float>, lda: Int,
                                          b: UnsafePointer<Float>, ldb: Int,
                                          beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition((1...maxRows).contains(m), "SkinnyGemm takes 1 to \(maxRows) rows of A, got \(m)")
        let boxed = UncheckedBox(c)
        Parallel.forEachChunk(n, minChunk: 64) { columns in
            let c = boxed.value
            for j in columns {
                let bj = b + j * ldb
                if j + prefetchRows < columns.upperBound {
                    let ahead = bj + prefetchRows * ldb
                    for offset in stride(from: 0, to: k, by: 16) { glossa_prefetch(ahead + offset) }
                }
                // Row j of B is read from memory once; every row of A then meets it in L1.
                for r in stride(from: 0, to: m, by: 5) {
                    let rows = min(5, m - r)
                    let s = dot5(bj, a + r * lda, lda: lda, rows: rows, k: k)
                    for i in 0..<rows {
                        let out = c + (r + i) * ldc + j
                        out.pointee = beta == 0 ? alpha * s[i] : alpha * s[i] + beta * out.pointee
                    }
                }
            }
        }
    }

    /// The dot products of b with 1–5 rows of A, one accumulator per row so the FMAs do not
    /// wait on each other (5 × 2 + 2 of the 16 AVX registers). Rows past `rows` alias the first:
    /// arithmetic that is thrown away, but no extra memory traffic.
    @inline(__always)
    private static func dot5(_ b: UnsafePointer<Float>, _ a: UnsafePointer<Float>, lda: Int, rows: Int, k: Int) -> SIMD8<Float> {
        typealias Lanes = Vec.Lanes
        let w = Vec.width, body = k - k % w
        let a0 = a, a1 = a + (rows > 1 ? lda : 0), a2 = a + (rows > 2 ? 2 * lda : 0)
        let a3 = a + (rows > 3 ? 3 * lda : 0), a4 = a + (rows > 4 ? 4 * lda : 0)
        var s0 = Lanes(), s1 = Lanes(), s2 = Lanes(), s3 = Lanes(), s4 = Lanes()
        var i = 0
        while i < body {
            let v = Vec.load(b + i)
            s0 = s0.addingProduct(Vec.load(a0 + i), v)
            s1 = s1.addingProduct(Vec.load(a1 + i), v)
            s2 = s2.addingProduct(Vec.load(a2 + i), v)
            s3 = s3.addingProduct(Vec.load(a3 + i), v)
            s4 = s4.addingProduct(Vec.load(a4 + i), v)
            i += w
        }
        var t = SIMD8<Float>(s0.sum(), s1.sum(), s2.sum(), s3.sum(), s4.sum(), 0, 0, 0)
        while i < k {
            t += SIMD8(a0[i], a1[i], a2[i], a3[i], a4[i], 0, 0, 0) * b[i]
            i += 1
        }
        return t
    }
}
