import XCTest
import GlossaNN
import GlossaTensor
import GlossaTestSupport
@testable import GlossaVision

final class QuantizerTests: XCTestCase {
    func data(images: Int, d: Int, k: Int, seed: UInt64) -> (Tensor, Tensor) {
        var rng = RandomGenerator(seed: seed)
        return (Tensor.randomNormal([images * 64, d], rng: &rng), Tensor.randomNormal([k, d], rng: &rng))
    }

    func testEachLayerBringsTheRunningAverageCloserToTheLatent() {
        let (z, codebook) = data(images: 3, d: 4, k: 512, seed: 1)
        let q = StreamingAverageQuantizer(layers: 4)
        let out = q.forward(z, codebook: codebook)
        XCTAssertEqual(out.codes.map(\.count), [3, 12, 48, 192])
        let errors = out.reconstructions.map { r in (0..<r.count).reduce(Float(0)) { $0 + pow(r.data[$1] - z.data[$1], 2) } }
        for l in 1..<4 { XCTAssertLessThan(errors[l], errors[l - 1], "layer \(l + 1) should improve on layer \(l): \(errors)") }
        // Layer 1's code is broadcast over the whole 8×8 grid.
        let first = out.reconstructions[0]
        XCTAssertEqual(first.row(0).array, codebook.row(Int(out.codes[0][0])).array)
        XCTAssertEqual(first.row(63).array, first.row(0).array)
    }

    /// Gradients of the commitment loss w.r.t. z, by finite differences (the codes must not
    /// change under the perturbation; the straight-through term is a surrogate and is not
    /// differentiated numerically). Layer 1's codes are given, as the semantic head gives them.
    func testLatentGradientOfCommitmentLoss() {
        let (z, codebook) = data(images: 2, d: 3, k: 24, seed: 6)
        let q = StreamingAverageQuantizer(layers: 3)
        q.commitment = 0.7
        let given: [Int: [Int32]] = [1: [5, 11]]
        let out = q.forward(z, codebook: codebook, given: given)
        XCTAssertEqual(out.codes[0], [5, 11])
        let (dz, _) = q.backward([nil, nil, nil])
        let report = GradientCheck.check([.init("z", value: z, gradient: dz)], eps: 1e-2, atol: 1e-3, rtol: 2e-2) {
            let o = q.forward(z, codebook: codebook, given: given)
            XCTAssertEqual(o.codes, out.codes, "perturbation changed a code")
            return Double(o.commitmentLoss)
        }
        XCTAssertTrue(report.passed, report.description)
    }

    /// The codebook (through the map that produces it) learns from the codebook loss.
    func testCodebookGradientOfCodebookLoss() {
        let (z, codebook) = data(images: 2, d: 3, k: 16, seed: 3)
        // One layer: deeper targets move with the codes (z_l = l·z − Σ e), which the loss
        // treats as constants, so a finite difference through them would not match.
        let q = StreamingAverageQuantizer(layers: 1)
        let out = q.forward(z, codebook: codebook)
        let (_, dCodebook) = q.backward([nil])
        let report = GradientCheck.check([.init("codebook", value: codebook, gradient: dCodebook)], eps: 1e-3, atol: 1e-3, rtol: 2e-2) {
            let o = q.forward(z, codebook: codebook)
            XCTAssertEqual(o.codes, out.codes)
            return Double(o.codebookLoss)
        }
        XCTAssertTrue(report.passed, report.description)
    }

    /// The semantic head's label-word loss, linear and with a hidden layer: gradients of every
    /// parameter by finite differences, and no gradient into the latent (it is a probe).
    func testSemanticHeadGradients() {
        for hidden in [nil, 4] {
            var rng = RandomGenerator(seed: 9)
            let z = Tensor.randomNormal([3 * 64, 2], rng: &rng)
            let concept = Tensor.randomNormal([5, 6], rng: &rng)
            let head = SemanticHead(latentDim: 2, lmDim: 6, rows: [10, 11, 12, 13, 14], hidden: hidden, rng: &rng)
            XCTAssertEqual(head.parameters.count, hidden == nil ? 3 : 6)
            if hidden != nil {
                let mean = Tensor.randomNormal([128], rng: &rng)
                head.setCenter(mean: mean)
            }
            let labels: [[Int32]] = [[10, 12], [14], [11]]
            let (codes, loss) = head.forward(z, conceptEmbeddings: concept, labelWords: labels)
            XCTAssertEqual(codes.count, 3)
            XCTAssertTrue(codes.allSatisfy { (10...14).contains($0) })
            XCTAssertGreaterThan(loss, 0)
            head.zeroGrad()
            head.backward(weight: 0.5)
            // The center is fixed (no gradient, see SemanticHead.center); every other parameter is checked.
            XCTAssertTrue(head.parameters.filter { $0.name.hasSuffix("center") }.allSatisfy { $0.grad.array.allSatisfy { $0 == 0 } })
            let report = GradientCheck.check(head.parameters.filter { !$0.name.hasSuffix("center") }.map { .init($0.name, value: $0.value, gradient: $0.grad) },
                                             eps: 1e-2, atol: 1e-3, rtol: 2e-2) {
                0.5 * Double(head.forward(z, conceptEmbeddings: concept, labelWords: labels).loss)
            }
            XCTAssertTrue(report.passed, "hidden \(String(describing: hidden)): \(report.description)")
            XCTAssertEqual(head.forward(z, conceptEmbeddings: concept).codes, codes, "unlabelled forward chooses the same words")
        }
    }
}
