import XCTest
import GlossaTensor
import GlossaTestSupport
@testable import GlossaNN

final class LinearEmbeddingGradientTests: XCTestCase {
    func testLinearWithBias() {
        var rng = RandomGenerator(seed: 1)
        let layer = Linear(7, 5, bias: true, rng: &rng)
        let x = Tensor.randomNormal([2, 3, 7], rng: &rng)
        assertGradientsMatch(inputs: [("x", x)], parameters: layer.parameters,
                             forward: { layer(x) }, backward: { [layer.backward($0)] })
    }

    func testLinearWithoutBias() {
        var rng = RandomGenerator(seed: 2)
        let layer = Linear(6, 9, bias: false, rng: &rng)
        let x = Tensor.randomNormal([4, 6], rng: &rng)
        assertGradientsMatch(inputs: [("x", x)], parameters: layer.parameters,
                             forward: { layer(x) }, backward: { [layer.backward($0)] })
    }

    func testLinearSingleRowUsesGemvAndMatchesGemm() {
        var rng = RandomGenerator(seed: 3)
        let layer = Linear(33, 17, bias: true, rng: &rng)
        let x = Tensor.randomNormal([3, 33], rng: &rng)
        let full = layer(x)
        let single = layer(x.rows(1..<2))
        assertClose(single.array, full.row(1).array, tolerance: 1e-5, "gemv row vs gemm row")
        assertGradientsMatch(inputs: [("x", x.rows(1..<2))], parameters: layer.parameters,
                             forward: { layer(x.rows(1..<2)) }, backward: { [layer.backward($0)] })
    }

    /// A layer whose weights are fp16 numbers keeps an fp16 copy for 1–10 rows: outputs within
    /// rounding of the fp32 ones, the bias added after the product; more rows keep the fp32 path
    /// bit for bit. fp32 weights off the fp16 grid keep no copy; training drops it.
    func testExactHalfCopyMovesOutputsOnlyWithinRounding() {
        var rng = RandomGenerator(seed: 5)
        let layer = Linear(40, 23, bias: true, rng: &rng)
        XCTAssertFalse(layer.keepExactHalfCopy(), "random fp32 weights are not fp16 numbers")
        for i in 0..<layer.weight.value.count { layer.weight.value.data[i] = Float(Float16(layer.weight.value.data[i])) }
        let x = Tensor.randomNormal([12, 40], rng: &rng)
        let rowCounts = [1, 2, 5, 10, 12]
        let before = rowCounts.map { layer(x.rows(0..<$0)).array }
        XCTAssertTrue(layer.keepExactHalfCopy())
        for (m, expected) in zip(rowCounts, before) {
            let after = layer(x.rows(0..<m)).array
            if m > ExactHalfMatrix.maxRows {
                XCTAssertEqual(after.map(\.bitPattern), expected.map(\.bitPattern), "\(m) rows")
            } else {
                assertClose(after, expected, tolerance: 1e-5, "\(m) rows")
            }
        }
        _ = layer.backward(Tensor(repeating: 1, shape: [12, 23]))
        XCTAssertNil(layer.halfWeight, "training drops the copy before the weights change")
    }

    func testEmbeddingScatterAddsRepeatedIDs() {
        var rng = RandomGenerator(seed: 4)
        let layer = Embedding(11, 6, std: 1, rng: &rng)
        let ids: [Int32] = [3, 0, 3, 10, 7]
        assertGradientsMatch(inputs: [], parameters: layer.parameters,
                             forward: { layer(ids) }, backward: { layer.backward($0); return [] })
    }
}
