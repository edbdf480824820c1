import XCTest
import GlossaNN
import GlossaTensor
import GlossaTestSupport
@testable import GlossaLM

/// llm.c-style check of training: for one batch, the loss and every parameter's gradient match
/// transformers (float64 reference, scripts/make_gradient_fixtures.py). Tolerance per tensor:
/// max |Δ| ≤ 1e-3 · max |reference gradient| + 1e-6, and the loss within 1e-5 relative.
final class GradientConformanceTests: XCTestCase {
    private func check(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = fixturePath(family)
        let model = try ModelLoader.load(folder: folder)
        let reference = try SafetensorsFile(path: folder + "/gradients.safetensors")
        let ids = try reference.int64s("input_ids").map(Int32.init)
        let batch = 2
        let targets = nextTokenTargets(ids, batch: batch)

        model.zeroGrad()
        let logits = model.forward(batch: ids, batch: batch)
        let loss = CrossEntropy()
        let value = loss.forward(logits: logits, targets: targets)
        XCTAssertEqual(value, try reference.tensor("loss").data[0], accuracy: 1e-5 * value, file: file, line: line)
        model.backward(loss.backward())

        var checked = 0
        for p in model.parameters {
            let expected = try reference.tensor(p.name)
            let scale = Swift.max(expected.max(), -expected.array.min()!)
            let diff = p.grad.maxAbsDifference(expected)
            XCTAssertLessThanOrEqual(diff, 1e-3 * scale + 1e-6, "\(family) gradient of \(p.name)", file: file, line: line)
            checked += 1
        }
        let names = Set(reference.names).subtracting(["input_ids", "loss"])
        XCTAssertEqual(checked, names.count, "every reference gradient has a Glossa parameter", file: file, line: line)
    }

    func testMixtralLossAndEveryGradientMatchTransformers() throws { try check("mixtral") }
    func testDeepseekV3LossAndEveryGradientMatchTransformers() throws { try check("deepseek_v3") }
}
