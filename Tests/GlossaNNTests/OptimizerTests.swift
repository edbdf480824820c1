import XCTest
import GlossaTensor
import GlossaTestSupport
@testable import GlossaNN

final class OptimizerTests: XCTestCase {
    /// Five AdamW steps with clipping and warmup + cosine reproduce torch.optim.AdamW
    /// (fixture from scripts/make_tensor_fixtures.py) within 1e-6.
    func testAdamWClippingAndScheduleMatchPyTorch() throws {
        let ref = try SafetensorsFile(path: fixturePath("adamw_reference.safetensors"))
        let w = Parameter("w", try ref.tensor("init.weight").copy())
        let b = Parameter("b", try ref.tensor("init.bias").copy(), decays: false)
        let gradsW = try ref.tensor("grads.weight"), gradsB = try ref.tensor("grads.bias")
        let norms = try ref.tensor("norms")
        let opt = AdamW([w, b], beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        let schedule = WarmupCosineSchedule(peak: 0.01, floor: 0.001, warmupSteps: 2, totalSteps: 5)
        for step in 0..<5 {
            w.grad.assign(gradsW.row(step))
            b.grad.assign(gradsB.row(step))
            let norm = clipGradientNorm([w, b], maxNorm: 2)
            XCTAssertEqual(norm, norms.data[step], accuracy: 1e-4)
            opt.step(learningRate: schedule.learningRate(at: step))
        }
        assertClose(w.value.array, try ref.tensor("final.weight").array, tolerance: 1e-6, "weight")
        assertClose(b.value.array, try ref.tensor("final.bias").array, tolerance: 1e-6, "bias")
    }

    func testScheduleShape() {
        let s = WarmupCosineSchedule(peak: 1, floor: 0.1, warmupSteps: 4, totalSteps: 14)
        XCTAssertEqual(s.learningRate(at: 0), 0.25)
        XCTAssertEqual(s.learningRate(at: 3), 1)
        XCTAssertEqual(s.learningRate(at: 9), 0.55, accuracy: 1e-6)
        XCTAssertEqual(s.learningRate(at: 14), 0.1)
        XCTAssertEqual(s.learningRate(at: 100), 0.1)
    }

    func testClippingLeavesSmallGradientsAlone() {
        let p = Parameter("p", Tensor([0, 0], shape: [2]))
        p.grad.assign(Tensor([0.3, 0.4], shape: [2]))
        XCTAssertEqual(clipGradientNorm([p], maxNorm: 1), 0.5, accuracy: 1e-6)
        XCTAssertEqual(p.grad.array, [0.3, 0.4])
    }
}
