import XCTest
import GlossaTensor
import GlossaTestSupport
@testable import GlossaNN

final class NormalizationGradientTests: XCTestCase {
    /// Non-trivial gains and biases so their gradients are not masked by γ = 1, β = 0.
    private func randomize(_ parameters: [Parameter], rng: inout RandomGenerator) {
        for p in parameters { p.value.assign(.randomNormal(p.value.shape, mean: 1, std: 0.3, rng: &rng)) }
    }

    func testLayerNorm() {
        var rng = RandomGenerator(seed: 10)
        let layer = LayerNorm(8)
        randomize(layer.parameters, rng: &rng)
        let x = Tensor.randomNormal([5, 8], mean: 0.5, std: 2, rng: &rng)
        assertGradientsMatch(inputs: [("x", x)], parameters: layer.parameters,
                             forward: { layer(x) }, backward: { [layer.backward($0)] })
    }

    func testLayerNormMatchesDefinition() {
        let layer = LayerNorm(4, eps: 0)
        let y = layer(Tensor([1, 2, 3, 4], shape: [1, 4]))
        // mean 2.5, variance 1.25
        let s = 1 / Float(1.25).squareRoot()
        assertClose(y.array, [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s], tolerance: 1e-6)
    }

    func testRMSNorm() {
        var rng = RandomGenerator(seed: 11)
        let layer = RMSNorm(12)
        randomize(layer.parameters, rng: &rng)
        let x = Tensor.randomNormal([3, 12], std: 1.5, rng: &rng)
        assertGradientsMatch(inputs: [("x", x)], parameters: layer.parameters,
                             forward: { layer(x) }, backward: { [layer.backward($0)] })
    }

    func testGroupNorm() {
        var rng = RandomGenerator(seed: 12)
        let layer = GroupNorm(groups: 2, channels: 6)
        randomize(layer.parameters, rng: &rng)
        let x = Tensor.randomNormal([2, 6, 3, 3], std: 2, rng: &rng)
        assertGradientsMatch(inputs: [("x", x)], parameters: layer.parameters,
                             forward: { layer(x) }, backward: { [layer.backward($0)] })
    }

    func testGroupNormNormalisesEachGroup() {
        var rng = RandomGenerator(seed: 13)
        let layer = GroupNorm(groups: 3, channels: 6)
        let y = layer(.randomNormal([1, 6, 4, 4], mean: 3, std: 5, rng: &rng))
        for g in 0..<3 {
            let values = Array(y.array[(g * 32)..<((g + 1) * 32)])
            let mean = values.reduce(0, +) / 32
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 32
            XCTAssertEqual(mean, 0, accuracy: 1e-5)
            XCTAssertEqual(variance, 1, accuracy: 1e-3)
        }
    }
}
