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

    func testEmbeddingScatterAddsRepeatedIDs() {
        var rng = RandomGenerator(seed: 4)
        let layer = Embedding(11, 6, std: 1, rng: &rng)
        let ids: [Int32] = [3, 0, 3, 10, 7]
        assertGradientsMatch(inputs: [], parameters: layer.parameters,
                             forward: { layer(ids) }, backward: { layer.backward($0); return [] })
    }
}
