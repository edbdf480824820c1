import Foundation
import XCTest
import GlossaTensor
import GlossaTestSupport

final class MatmulTests: XCTestCase {
    /// Reference op(A)·op(B) in Double.
    private func naive(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> [Float] {
        let (m, k) = ta ? (a.lastDim, a.rowCount) : (a.rowCount, a.lastDim)
        let n = tb ? b.rowCount : b.lastDim
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s: Double = 0
            for p in 0..<k {
                let av = ta ? a[p, i] : a[i, p]
                let bv = tb ? b[j, p] : b[p, j]
                s += Double(av) * Double(bv)
            }
            out[i * n + j] = Float(s)
        } }
        return out
    }

    func testAllTransposeCombinationsAndTheGemvPath() {
        var rng = RandomGenerator(seed: 1)
        for m in [1, 5] {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                let (k, n) = (7, 3)
                let a = Tensor.randomNormal(ta ? [k, m] : [m, k], rng: &rng)
                let b = Tensor.randomNormal(tb ? [n, k] : [k, n], rng: &rng)
                let c = matmul(a, b, transposeA: ta, transposeB: tb)
                XCTAssertEqual(c.shape, [m, n])
                assertClose(c.array, naive(a, b, ta, tb), tolerance: 1e-5, "m=\(m) ta=\(ta) tb=\(tb)")
            }
        }
    }

    /// The skinny path (2–10 rows of A against a transposed B) against the Double reference:
    /// every row count, k with and without a 16-lane tail, n odd and across the thread split
    /// and prefetch distance, strided operands (a head's slice of a wider matrix), alpha/beta.
    func testSkinnyPathMatchesTheReference() {
        var rng = RandomGenerator(seed: 3)
        for m in 2...SkinnyGemm.maxRows {
            for (k, n) in [(16, 9), (37, 130), (512, 301)] {
                let a = Tensor.randomNormal([m, k], rng: &rng)
                let b = Tensor.randomNormal([n, k], rng: &rng)
                assertClose(matmul(a, b, transposeB: true).array, naive(a, b, false, true), tolerance: 1e-4, "m=\(m) k=\(k) n=\(n)")
            }
        }
        // Strided: A and B are the middle 24 columns of wider rows; C is every other column block.
        let (m, k, n, wide) = (5, 24, 70, 40)
        let a = Tensor.randomNormal([m, wide], rng: &rng), b = Tensor.randomNormal([n, wide], rng: &rng)
        let c = Tensor.randomNormal([m, 2 * n], rng: &rng)
        let before = c.array
        BLAS.gemm(transB: true, m: m, n: n, k: k, alpha: 0.5, a: a.data + 8, lda: wide, b: b.data + 8, ldb: wide,
                  beta: 2, c: c.data + n, ldc: 2 * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k { s += Double(a[i, 8 + p]) * Double(b[j, 8 + p]) }
                XCTAssertEqual(c[i, n + j], Float(0.5 * s) + 2 * before[i * 2 * n + n + j], accuracy: 1e-4)
                XCTAssertEqual(c[i, j], before[i * 2 * n + j], "columns outside C's block are untouched")
            }
        }
    }

    /// fp16 weights (`ExactHalfMatrix`): every output is the fp32 chain of fused multiply-adds
    /// over k in order, bit for bit, from every kernel this CPU runs (AVX-512, AVX2, portable):
    /// every row count, n inside one panel, across panels and past the thread split, k from 1,
    /// with and without accumulation into y.
    func testHalfWeightsGiveTheFusedChainBitForBitOnEveryKernel() throws {
        var rng = RandomGenerator(seed: 4)
        for m in 1...ExactHalfMatrix.maxRows {
            for (k, n) in [(1, 3), (16, 9), (37, 130), (512, 301)] {
                let b = Tensor.randomNormal([n, k], rng: &rng)
                for i in 0..<b.count { b.data[i] = Float(Float16(b.data[i])) }  // fp16 values, as in a CTranslate2 file
                let half = try XCTUnwrap(ExactHalfMatrix(exactly: b))
                let a = Tensor.randomNormal([m, k], rng: &rng)
                for beta: Float in [0, 1] {
                    let start = Tensor.randomNormal([m, n], rng: &rng)
                    var expected = start.array
                    for q in 0..<m {
                        for j in 0..<n {
                            var s: Float = 0
                            for i in 0..<k { s = s.addingProduct(a[q, i], b[j, i]) }
                            expected[q * n + j] = beta == 0 ? s : s + beta * expected[q * n + j]
                        }
                    }
                    for level in 0...ExactHalfMatrix.kernelLevel {
                        let y = Tensor(start.array, shape: [m, n])
                        half.multiplyTransposed(a, into: y, beta: beta, level: level)
                        XCTAssertEqual(y.array.map(\.bitPattern), expected.map(\.bitPattern), "m=\(m) k=\(k) n=\(n) beta=\(beta) level=\(level)")
                    }
                }
            }
        }
        // Within rounding of the fp32 product (which sums in another order).
        let b = Tensor.randomNormal([301, 512], rng: &rng)
        for i in 0..<b.count { b.data[i] = Float(Float16(b.data[i])) }
        let a = Tensor.randomNormal([5, 512], rng: &rng), y = Tensor(zeros: [5, 301])
        try XCTUnwrap(ExactHalfMatrix(exactly: b)).multiplyTransposed(a, into: y, beta: 0)
        assertClose(y.array, naive(a, b, false, true), tolerance: 1e-4)
    }

    /// The copy is made only when it is exact: one weight off the fp16 grid, one past its range
    /// or a non-matrix refuses it.
    func testHalfCopyOnlyWhenExact() {
        let grid = Tensor([0.5, -2, 1024, 0.099975586, -0.0, 65504], shape: [2, 3])
        XCTAssertNotNil(ExactHalfMatrix(exactly: grid))
        XCTAssertNil(ExactHalfMatrix(exactly: Tensor([0.5, -2, 1024, 0.1, 0, 1], shape: [2, 3])), "0.1 is not an fp16 number")
        XCTAssertNil(ExactHalfMatrix(exactly: Tensor([0.5, 70000], shape: [1, 2])), "70000 overflows fp16")
        XCTAssertNil(ExactHalfMatrix(exactly: Tensor([0.5, 1, 2, 3], shape: [4])))
    }

    func testAccumulateWithBetaAndKeepLeadingAxes() {
        var rng = RandomGenerator(seed: 2)
        let a = Tensor.randomNormal([2, 3, 4], rng: &rng)
        let w = Tensor.randomNormal([5, 4], rng: &rng)
        let y = matmul(a, w, transposeB: true)
        XCTAssertEqual(y.shape, [2, 3, 5])
        let expected = y.array.map { $0 * 3 }
        matmul(a, w, transposeB: true, into: y, alpha: 2, beta: 1)
        assertClose(y.array, expected, tolerance: 1e-5)
    }
}

final class KernelTests: XCTestCase {
    func testExpAccuracyAcrossTheRange() {
        let xs = stride(from: Float(-90), through: 89, by: 0.173).map { $0 } + [0, -0.0, 1e-8, -1e-8]
        let x = Tensor(xs, shape: [xs.count])
        let y = x.exp()
        for (i, v) in xs.enumerated() {
            let ref = Float(Foundation.exp(Double(v)))
            if ref < 1e-37 { XCTAssertEqual(y.data[i], ref, accuracy: 1.2e-38, "exp(\(v))"); continue }
            XCTAssertEqual(y.data[i], ref, accuracy: ref * 2e-7, "exp(\(v))")
        }
        let special = Tensor([.infinity, -.infinity, .nan, 100, -200], shape: [5]).exp().array
        XCTAssertEqual(special[0], .infinity)
        XCTAssertEqual(special[1], 0)
        XCTAssertTrue(special[2].isNaN)
        XCTAssertEqual(special[3], .infinity)
        XCTAssertEqual(special[4], 0)
    }

    func testSoftmaxLogSoftmaxLogsumexpAgainstDouble() {
        var rng = RandomGenerator(seed: 3)
        let x = Tensor.randomNormal([7, 37], std: 5, rng: &rng)
        x[2, 3] = 80; x[2, 4] = -80
        let sm = x.softmax(), lsm = x.logSoftmax(), lse = x.logsumexp()
        XCTAssertEqual(lse.shape, [7])
        for r in 0..<7 {
            let row = x.row(r).array.map(Double.init)
            let m = row.max()!
            let ref = m + Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +))
            XCTAssertEqual(Double(lse.data[r]), ref, accuracy: 1e-5 * max(1, abs(ref)))
            for j in 0..<37 {
                XCTAssertEqual(Double(lsm[r, j]), row[j] - ref, accuracy: 1e-4)
                XCTAssertEqual(Double(sm[r, j]), Foundation.exp(row[j] - ref), accuracy: 1e-6)
            }
            XCTAssertEqual(sm.row(r).sum(), 1, accuracy: 1e-5)
        }
    }

    func testElementwiseAndReductions() {
        let a = Tensor((0..<37).map { Float($0) }, shape: [37])
        let b = Tensor((0..<37).map { Float(2 * $0 + 1) }, shape: [37])
        XCTAssertEqual((a + b).array, (0..<37).map { Float(3 * $0 + 1) })
        XCTAssertEqual((b - a).array, (0..<37).map { Float($0 + 1) })
        XCTAssertEqual((a * b).array, (0..<37).map { Float($0 * (2 * $0 + 1)) })
        XCTAssertEqual((a * 0.5).array, (0..<37).map { Float($0) / 2 })
        XCTAssertEqual(a.sum(), 666)
        XCTAssertEqual(a.max(), 36)
        XCTAssertEqual(Vec.dot(a.data, a.data, 37), Float((0..<37).map { $0 * $0 }.reduce(0, +)))
        let c = a.copy()
        c.add(b, scaledBy: 2)
        XCTAssertEqual(c.array, (0..<37).map { Float(5 * $0 + 2) })
    }

    /// The fused nearest-code search equals a scalar search, ties to the lower index, for
    /// codebook sizes around the 32-code block, codes of equal norm (whose sorted order must
    /// not change the tie rule) and a row count that spreads over threads.
    func testNearestCodeSearchMatchesAScalarSearch() {
        var rng = RandomGenerator(seed: 4)
        for (k, rows) in [(1, 1), (31, 3), (33, 5), (512, 2), (700, 130)] {
            // Small integers: exact sums, and many equal distances, so the tie rule is tested.
            let codebook = Tensor((0..<(k * 3)).map { _ in Float(rng.int(below: 3)) }, shape: [k, 3])
            let targets = Tensor((0..<(rows * 3)).map { _ in Float(rng.int(below: 3)) }, shape: [rows, 3])
            let found = NearestCodeSearch(codebook: codebook).nearest(targets.data, rows: rows)
            for r in 0..<rows {
                let distances = (0..<k).map { c in (0..<3).reduce(Float(0)) { $0 + pow(targets[r, $1] - codebook[c, $1], 2) } }
                XCTAssertEqual(Int(found[r]), distances.firstIndex(of: distances.min()!)!, "k \(k), row \(r)")
            }
        }
    }

    /// The norm-pruned search on a codebook shaped like SPAE's (norms spread over 1–20, codes
    /// in tight clusters) finds
    /// the code a double-precision exhaustive search finds, wherever that one is not a
    /// near-tie that float rounding may legitimately flip.
    func testPrunedNearestCodeSearchMatchesAnExhaustiveSearch() {
        var rng = RandomGenerator(seed: 9)
        let (k, d, rows) = (3000, 32, 400)
        let centres = (0..<60).map { _ in (0..<d).map { _ in rng.normal() } }
        var codes: [[Float]] = []
        for _ in 0..<k {
            let centre = centres[rng.int(below: centres.count)], scale = 1 + 19 * rng.uniform()
            codes.append(centre.map { ($0 + 0.05 * rng.normal()) * scale / Float(d).squareRoot() })
        }
        // Half the targets near a code; half a code stretched by up to 3%, whose nearest code
        // differs from it almost only in norm: the norm bound is then nearly tight, and a
        // radius any smaller skips the block that holds it.
        let targets = (0..<rows).map { r in
            let code = codes[rng.int(below: k)]
            if r % 2 == 0 { return code.map { $0 + 0.02 * rng.normal() } }
            let stretch = 1 + 0.03 * rng.uniform()
            return code.map { $0 * stretch }
        }
        let search = NearestCodeSearch(codebook: Tensor(codes.flatMap { $0 }, shape: [k, d]))
        let rowTensor = Tensor(targets.flatMap { $0 }, shape: [rows, d])
        let found = withExtendedLifetime(rowTensor) { search.nearest(rowTensor.data, rows: rows) }
        var exact = 0
        for r in 0..<rows {
            let distances = codes.map { c in zip(c, targets[r]).reduce(0.0) { $0 + pow(Double($1.0) - Double($1.1), 2) } }
            let best = distances.min()!
            if Int(found[r]) == distances.firstIndex(of: best)! { exact += 1; continue }
            XCTAssertLessThan(distances[Int(found[r])] - best, 1e-5 * (1 + best), "row \(r) got a code that is not the nearest")
        }
        XCTAssertGreaterThan(exact, rows * 9 / 10)
    }

    func testViewsShareStorage() {
        let t = Tensor((0..<12).map(Float.init), shape: [3, 4])
        t.row(1).fill(-1)
        XCTAssertEqual(t.rows(1..<3).array, [-1, -1, -1, -1, 8, 9, 10, 11])
        XCTAssertEqual(t.reshaped([2, -1]).shape, [2, 6])
        let c = t.copy()
        c.fill(0)
        XCTAssertEqual(t[0, 1], 1)
    }
}

final class RandomAndHalfTests: XCTestCase {
    func testSeededRandomIsReproducibleAndWellDistributed() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let xs = (0..<20_000).map { _ in a.normal() }
        XCTAssertEqual(xs, (0..<20_000).map { _ in b.normal() })
        XCTAssertNotEqual(xs.prefix(10).map { $0 }, (0..<10).map { _ in c.normal() })
        let mean = xs.reduce(0, +) / Float(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
        let us = (0..<20_000).map { _ in a.uniform() }
        XCTAssertTrue(us.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertEqual(us.reduce(0, +) / 20_000, 0.5, accuracy: 0.01)
        var items = Array(0..<50), same = Array(0..<50)
        var s1 = RandomGenerator(seed: 7), s2 = RandomGenerator(seed: 7)
        s1.shuffle(&items); s2.shuffle(&same)
        XCTAssertEqual(items, same)
        XCTAssertEqual(items.sorted(), Array(0..<50))
        XCTAssertNotEqual(items, Array(0..<50))
    }

    func testHalfConversions() {
        XCTAssertEqual(HalfPrecision.fp16(from: 1), 0x3C00)
        XCTAssertEqual(HalfPrecision.fp16(from: 65504), 0x7BFF)
        XCTAssertEqual(HalfPrecision.fp16(from: 70000), 0x7C00)           // overflow → inf
        XCTAssertEqual(HalfPrecision.float(fromFP16: 0x0001), 5.9604645e-8) // smallest subnormal
        XCTAssertEqual(HalfPrecision.fp16(from: 1 + 1.0 / 2048), 0x3C00)    // tie → even
        XCTAssertEqual(HalfPrecision.bf16(from: 1), 0x3F80)
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F80_8000)), 0x3F80) // tie → even
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F81_8000)), 0x3F82) // tie → even (up)
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertTrue(HalfPrecision.float(fromBF16: HalfPrecision.bf16(from: .nan)).isNaN)
        for bits in stride(from: UInt16(0), to: 0x7C00, by: 37) {
            XCTAssertEqual(HalfPrecision.fp16(from: HalfPrecision.float(fromFP16: bits)), bits)
            XCTAssertEqual(HalfPrecision.bf16(from: HalfPrecision.float(fromBF16: bits)), bits)
        }
    }

    func testParallelForCoversEveryIndexOnceAndNestsSerially() {
        let n = 10_007
        let hits = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        hits.initialize(repeating: 0, count: n)
        defer { hits.deallocate() }
        Parallel.forEach(n) { i in
            XCTAssertTrue(Parallel.isInsideRegion || Parallel.threadCount == 1)
            Parallel.forEach(3) { _ in }  // nested: runs serially on this thread
            hits[i] += 1
        }
        XCTAssertTrue((0..<n).allSatisfy { hits[$0] == 1 })
        XCTAssertFalse(Parallel.isInsideRegion)
    }
}
