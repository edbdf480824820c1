import Foundation
import GlossaTensor

/// One matrix product to time: op(A)[m×k] · op(B)[k×n], B transposed as Linear layers use it.
struct GemmShape: Codable {
    let name: String
    let m: Int, n: Int, k: Int
    let transposeB: Bool
    /// B held as an exact fp16 copy (`ExactHalfMatrix`), as Whisper's beam steps read it.
    var halfWeights = false
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    /// Shapes of 512 and more on every side, where the 80%-of-peak target applies.
    var isLarge: Bool { min(m, n, k) >= 512 }
    /// The kernel `matmul` picks for this shape, or the fp16 panel kernel (`ExactHalfMatrix`).
    var kernel: String { halfWeights ? "fp16" : BLAS.kernel(transB: transposeB, m: m).rawValue }
}

struct GemmResult: Codable {
    let shape: GemmShape
    let kernel: String
    let gflops: Double
    let ratioToPeak: Double
    /// Weight bytes streamed per second, meaningful for the memory-bound sgemv and skinny cases.
    let gigabytesPerSecond: Double
}

/// Times the shapes Glossa's models use, through `matmul` (sgemm, or sgemv when m = 1), and
/// compares them with the best raw `cblas_sgemm` rate measured in the same run.
enum GemmBenchmark {
    static let peakSizes = [512, 1024, 2048]

    static let modelShapes: [GemmShape] = [
        GemmShape(name: "square 512", m: 512, n: 512, k: 512, transposeB: false),
        GemmShape(name: "square 1024", m: 1024, n: 1024, k: 1024, transposeB: false),
        GemmShape(name: "square 2048", m: 2048, n: 2048, k: 2048, transposeB: false),
        GemmShape(name: "LM q,k,v projection (512 tokens, d 512)", m: 512, n: 1536, k: 512, transposeB: true),
        GemmShape(name: "LM expert up (d 512 → 2048)", m: 512, n: 2048, k: 512, transposeB: true),
        GemmShape(name: "LM expert down (2048 → d 512)", m: 512, n: 512, k: 2048, transposeB: true),
        GemmShape(name: "LM head (vocab 50258)", m: 512, n: 50258, k: 512, transposeB: true),
        GemmShape(name: "Whisper base encoder MLP (1500 frames)", m: 1500, n: 2048, k: 512, transposeB: true),
        GemmShape(name: "Whisper conv1 im2col (80·3 → 512)", m: 512, n: 3000, k: 240, transposeB: false),
        GemmShape(name: "SPAE conv 3×3 64→64 on 16×16", m: 64, n: 256, k: 576, transposeB: false),
        GemmShape(name: "LM decode head, 1 token (sgemv)", m: 1, n: 50258, k: 512, transposeB: true),
        GemmShape(name: "Whisper head, beam 5 (skinny)", m: 5, n: 51865, k: 512, transposeB: true),
        GemmShape(name: "Whisper head, 10 rows (beam 5 + internal LM)", m: 10, n: 51865, k: 512, transposeB: true),
        GemmShape(name: "Whisper head, 1 row (sampling), fp16 weights", m: 1, n: 51865, k: 512, transposeB: true, halfWeights: true),
        GemmShape(name: "Whisper head, beam 5, fp16 weights", m: 5, n: 51865, k: 512, transposeB: true, halfWeights: true),
        GemmShape(name: "Whisper head, 10 rows, fp16 weights", m: 10, n: 51865, k: 512, transposeB: true, halfWeights: true),
        GemmShape(name: "Whisper decoder fc1, beam 5 (512 → 2048)", m: 5, n: 2048, k: 512, transposeB: true),
        GemmShape(name: "Whisper decoder fc1, 10 rows", m: 10, n: 2048, k: 512, transposeB: true),
        GemmShape(name: "Whisper decoder fc2, 10 rows (2048 → 512)", m: 10, n: 512, k: 2048, transposeB: true),
        GemmShape(name: "Whisper decoder fc1, beam 5, fp16 weights", m: 5, n: 2048, k: 512, transposeB: true, halfWeights: true),
        GemmShape(name: "Whisper decoder fc1, 10 rows, fp16 weights", m: 10, n: 2048, k: 512, transposeB: true, halfWeights: true),
        GemmShape(name: "Whisper decoder fc2, 10 rows, fp16 weights", m: 10, n: 512, k: 2048, transposeB: true, halfWeights: true),
    ]

    /// Seconds per call, averaged over as many calls as fit in `minSeconds` (after one warm-up).
    static func time(minSeconds: Double, _ body: () -> Void) -> Double {
        body()
        var calls = 0
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minSeconds
        return elapsed / Double(calls)
    }

    /// Best GFLOP/s of plain row-major sgemm over the square sizes: the machine's peak.
    static func measurePeak(minSeconds: Double) -> (gflops: Double, size: Int) {
        var best = (0.0, 0)
        var rng = RandomGenerator(seed: 0)
        for s in peakSizes {
            let a = Tensor.randomNormal([s, s], rng: &rng), b = Tensor.randomNormal([s, s], rng: &rng)
            let c = Tensor(zeros: [s, s])
            let seconds = time(minSeconds: minSeconds) {
                BLAS.sgemmReference(m: s, n: s, k: s, a: a.data, b: b.data, c: c.data)
            }
            let gflops = 2 * Double(s * s * s) / seconds / 1e9
            if gflops > best.0 { best = (gflops, s) }
        }
        return best
    }

    static func measure(_ shape: GemmShape, peak: Double, minSeconds: Double) -> GemmResult {
        var rng = RandomGenerator(seed: 1)
        let a = Tensor.randomNormal([shape.m, shape.k], rng: &rng)
        let b = Tensor.randomNormal(shape.transposeB ? [shape.n, shape.k] : [shape.k, shape.n], rng: &rng)
        let c = Tensor(zeros: [shape.m, shape.n])
        let seconds: Double
        if shape.halfWeights {
            for i in 0..<b.count { b.data[i] = Float(Float16(b.data[i])) }
            guard let half = ExactHalfMatrix(exactly: b) else { preconditionFailure("fp16-rounded weights are exact") }
            seconds = time(minSeconds: minSeconds) { half.multiplyTransposed(a, into: c, beta: 0) }
        } else {
            seconds = time(minSeconds: minSeconds) { matmul(a, b, transposeB: shape.transposeB, into: c) }
        }
        let gflops = shape.flops / seconds / 1e9
        let bytes = Double(b.count) * (shape.halfWeights ? 2 : 4) + Double(a.count + c.count) * 4
        return GemmResult(shape: shape, kernel: shape.kernel, gflops: gflops,
                          ratioToPeak: gflops / peak, gigabytesPerSecond: bytes / seconds / 1e9)
    }
}
