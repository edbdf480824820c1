import XCTest
import Foundation
import GlossaTensor
import GlossaTestSupport
@testable import GlossaNN

final class ActivationLossGradientTests: XCTestCase {
    func testActivationsGradients() {
        for kind in [ActivationKind.geluTanh, .geluErf, .silu] {
            var rng = RandomGenerator(seed: 20)
            let act = Activation(kind)
            let x = Tensor.randomNormal([4, 9], std: 2, rng: &rng)
            assertGradientsMatch(inputs: [("x(\(kind))", x)], parameters: [],
                                 forward: { act(x) }, backward: { [act.backward($0)] })
        }
    }

    /// GELU-tanh's vectorised backward equals the scalar closed form from −12 to 12 (the
    /// saturated tails included) and on a tail shorter than one vector.
    func testGeluTanhBackwardMatchesTheScalarDerivative() {
        let xs = (0..<4_803).map { Float($0) / 200 - 12 }
        let act = Activation(.geluTanh)
        _ = act(Tensor(xs, shape: [xs.count]))
        let dx = act.backward(Tensor(repeating: 1, shape: [xs.count]))
        for (i, x) in xs.enumerated() {
            XCTAssertEqual(dx.data[i], ActivationKind.geluTanh.derivative(x), accuracy: 2e-6, "x = \(x)")
        }
    }

    func testActivationValuesAgainstClosedForms() {
        // Reference values from torch.nn.functional.gelu / silu at x = 1.
        XCTAssertEqual(ActivationKind.geluErf.value(1), 0.8413447, accuracy: 1e-6)
        XCTAssertEqual(ActivationKind.geluTanh.value(1), 0.8411920, accuracy: 1e-6)
        XCTAssertEqual(ActivationKind.silu.value(1), 0.7310586, accuracy: 1e-6)
    }

    func testSwiGLU() {
        var rng = RandomGenerator(seed: 21)
        let op = SwiGLU()
        let gate = Tensor.randomNormal([3, 7], std: 1.5, rng: &rng)
        let up = Tensor.randomNormal([3, 7], rng: &rng)
        assertGradientsMatch(inputs: [("gate", gate), ("up", up)], parameters: [],
                             forward: { op.forward(gate: gate, up: up) },
                             backward: { let g = op.backward($0); return [g.gate, g.up] })
    }

    func testCrossEntropyGradientWithIgnoredTargets() {
        var rng = RandomGenerator(seed: 22)
        let ce = CrossEntropy()
        let logits = Tensor.randomNormal([6, 5], std: 2, rng: &rng)
        let targets: [Int32] = [1, -100, 4, 0, -100, 2]
        _ = ce.forward(logits: logits, targets: targets)
        let analytic = ce.backward()
        let report = GradientCheck.check([.init("logits", value: logits, gradient: analytic)]) {
            Double(ce.forward(logits: logits, targets: targets))
        }
        XCTAssertTrue(report.passed, report.description)
        for r in [1, 4] { XCTAssertEqual(analytic.row(r).array, [Float](repeating: 0, count: 5)) }
    }

    func testCrossEntropyValue() {
        let ce = CrossEntropy()
        let logits = Tensor([0, 0, Float(Foundation.log(2.0))], shape: [1, 3])
        // p(target 2) = 2/4
        XCTAssertEqual(ce.forward(logits: logits, targets: [2]), Float(Foundation.log(2.0)), accuracy: 1e-6)
        XCTAssertEqual(ce.forward(logits: logits, targets: [-100]), 0)
    }

    /// The checker itself must be able to fail, or every gradient test above proves nothing.
    func testGradientCheckRejectsAWrongGradient() {
        var rng = RandomGenerator(seed: 23)
        let act = Activation(.silu)
        let x = Tensor.randomNormal([2, 4], rng: &rng)
        let y = act(x)
        let wrong = act.backward(Tensor(repeating: 1, shape: y.shape)) * 1.1
        let report = GradientCheck.check([.init("x", value: x, gradient: wrong)]) {
            Double(act(x).sum())
        }
        XCTAssertFalse(report.passed)
    }
}

final class VectorErfTests: XCTestCase {
    func testErfLanesAgainstFoundation() {
        var worst: Float = 0
        for i in stride(from: -600, through: 600, by: 1) {
            let x = Float(i) / 100
            let lanes = Vec.erfLanes(Vec.Lanes(repeating: x))
            worst = max(worst, abs(lanes[0] - Foundation.erf(x)))
        }
        XCTAssertLessThan(worst, 3e-7)
        let act = Activation(.geluErf)
        let xs = Tensor((-40...40).map { Float($0) / 8 }, shape: [81])
        let y = act(xs)
        for i in 0..<81 { XCTAssertEqual(y.data[i], ActivationKind.geluErf.value(xs.data[i]), accuracy: 1e-6) }
    }
}
