import XCTest
import GlossaTensor
import GlossaTestSupport
@testable import GlossaNN

final class ConvolutionGradientTests: XCTestCase {
    func testConv2dStridePadding() {
        for (stride, padding) in [(1, 1), (2, 1), (2, 0)] {
            var rng = RandomGenerator(seed: 40)
            let conv = Convolution.conv2d(3, 4, kernel: 3, stride: stride, padding: padding, rng: &rng)
            let x = Tensor.randomNormal([2, 3, 5, 6], rng: &rng)
            assertGradientsMatch(inputs: [("x", x)], parameters: conv.parameters,
                                 forward: { conv(x) }, backward: { [conv.backward($0)] })
        }
    }

    func testPointwiseResidualBlock() {
        var rng = RandomGenerator(seed: 46)
        let block = PointwiseResidualBlock(channels: 3, expansion: 2, name: "block", rng: &rng)
        let x = Tensor.randomNormal([2, 3, 4, 5], rng: &rng)
        assertGradientsMatch(inputs: [("x", x)], parameters: block.parameters,
                             forward: { block(x) }, backward: { [block.backward($0)] })
    }

    func testConv1dLikeWhisperStem() {
        var rng = RandomGenerator(seed: 41)
        for stride in [1, 2] {
            let conv = Convolution.conv1d(4, 5, kernel: 3, stride: stride, padding: 1, rng: &rng)
            let x = Tensor.randomNormal([2, 4, 9], rng: &rng)
            assertGradientsMatch(inputs: [("x", x)], parameters: conv.parameters,
                                 forward: { conv(x) }, backward: { [conv.backward($0)] })
        }
    }

    func testConv2dAgainstDirectSum() {
        var rng = RandomGenerator(seed: 42)
        let conv = Convolution.conv2d(2, 3, kernel: 3, stride: 2, padding: 1, rng: &rng)
        let x = Tensor.randomNormal([1, 2, 5, 5], rng: &rng)
        let y = conv(x)
        XCTAssertEqual(y.shape, [1, 3, 3, 3])
        let w = conv.weight.value, b = conv.bias!.value
        for o in 0..<3 { for oy in 0..<3 { for ox in 0..<3 {
            var s = b.data[o]
            for c in 0..<2 { for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx
                guard (0..<5).contains(iy), (0..<5).contains(ix) else { continue }
                s += w.data[((o * 2 + c) * 3 + ky) * 3 + kx] * x.data[(c * 5 + iy) * 5 + ix]
            } } }
            XCTAssertEqual(y.data[(o * 3 + oy) * 3 + ox], s, accuracy: 1e-5)
        } } }
    }

    /// A batch split across cores (one pipeline per core) equals image-by-image results.
    func testBatchedForwardMatchesSingleImages() {
        var rng = RandomGenerator(seed: 44)
        let conv = Convolution.conv2d(3, 5, kernel: 3, stride: 2, padding: 1, rng: &rng)
        let x = Tensor.randomNormal([9, 3, 10, 10], rng: &rng)
        let batched = conv(x)
        for i in 0..<9 {
            let single = conv(x.rows(i..<(i + 1)))
            XCTAssertLessThan(single.maxAbsDifference(batched.rows(i..<(i + 1))), 1e-5)
        }
    }

    /// The sub-pixel form equals upsample + conv: non-square images, several channels, a batch
    /// large enough for the per-core split, borders (the folded padding) included.
    func testUpsampledConvolutionEqualsUpsampleThenConv() {
        var rng = RandomGenerator(seed: 45)
        let up = UpsampleNearest(factor: 2)
        let conv = Convolution.conv2d(3, 5, kernel: 3, padding: 1, rng: &rng)
        let x = Tensor.randomNormal([6, 3, 4, 7], rng: &rng)
        let reference = conv(up(x))
        let folded = UpsampledConvolution(conv)(x)
        XCTAssertEqual(folded.shape, [6, 5, 8, 14])
        XCTAssertLessThan(folded.maxAbsDifference(reference), 1e-5)
    }

    func testUpsampleThenConvDecoderStep() {
        var rng = RandomGenerator(seed: 43)
        let up = UpsampleNearest(factor: 2)
        let conv = Convolution.conv2d(2, 2, kernel: 3, padding: 1, rng: &rng)
        let x = Tensor.randomNormal([1, 2, 3, 3], rng: &rng)
        assertGradientsMatch(inputs: [("x", x)], parameters: conv.parameters,
                             forward: { conv(up(x)) }, backward: { [up.backward(conv.backward($0))] })
        XCTAssertEqual(up(Tensor([1, 2, 3, 4], shape: [1, 1, 2, 2])).array,
                       [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4])
    }
}
