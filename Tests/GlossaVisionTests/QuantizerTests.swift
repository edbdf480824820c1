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
    /// differentiated numerically). The semantic loss reaches the words, not z (next test).
    func testLatentGradientOfCommitmentLoss() {
        let (z, codebook) = data(images: 2, d: 3, k: 24, seed: 6)
        let q = StreamingAverageQuantizer(layers: 3)
        q.commitment = 0.7
        q.allowedRows = [1: [3, 5, 7, 10, 11, 20]]
        let candidates: [[Int: [Int32]]] = [[1: [3, 5]], [1: [10]]]
        let out = q.forward(z, codebook: codebook, candidates: candidates)
        let (dz, _) = q.backward([nil, nil, nil])
        let report = GradientCheck.check([.init("z", value: z, gradient: dz)], eps: 1e-2, atol: 1e-3, rtol: 2e-2) {
            let o = q.forward(z, codebook: codebook, candidates: candidates)
            XCTAssertEqual(o.codes, out.codes, "perturbation changed a code")
            return Double(o.commitmentLoss)
        }
        XCTAssertTrue(report.passed, report.description)
    }

    /// The codebook learns from the codebook loss and, for the allowed (concept) rows of a
    /// semantic layer, from the label-word cross-entropy.
    func testCodebookGradientOfCodebookAndSemanticLosses() {
        let (z, codebook) = data(images: 2, d: 3, k: 16, seed: 3)
        let q = StreamingAverageQuantizer(layers: 1)
        q.allowedRows = [1: [2, 4, 9, 12]]
        let candidates: [[Int: [Int32]]] = [[1: [2, 4]], [1: [9]]]
        let out = q.forward(z, codebook: codebook, candidates: candidates)
        XCTAssertGreaterThan(out.semanticLoss, 0)
        let (_, dCodebook) = q.backward([nil])
        let report = GradientCheck.check([.init("codebook", value: codebook, gradient: dCodebook)], eps: 1e-3, atol: 1e-3, rtol: 2e-2) {
            let o = q.forward(z, codebook: codebook, candidates: candidates)
            XCTAssertEqual(o.codes, out.codes)
            return Double(o.codebookLoss + o.semanticLoss)
        }
        XCTAssertTrue(report.passed, report.description)
    }
}
