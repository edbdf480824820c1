import XCTest
import GlossaTensor
import GlossaNN

/// Checks a layer's backward against finite differences of L = Σ y ⊙ R for a fixed random R.
///
/// - forward: recomputes y from the current values of inputs and parameters.
/// - backward: given dL/dy = R, returns the input gradients in the order of `inputs`, and
///   accumulates parameter gradients into `Parameter.grad`.
public func assertGradientsMatch(
    inputs: [(String, Tensor)], parameters: [Parameter],
    eps: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 1e-2, seed: UInt64 = 99,
    forward: () -> Tensor, backward: (Tensor) -> [Tensor],
    file: StaticString = #filePath, line: UInt = #line
) {
    var rng = RandomGenerator(seed: seed)
    let y0 = forward()
    let projection = Tensor.randomNormal(y0.shape, rng: &rng)
    parameters.forEach { $0.zeroGrad() }
    let inputGradients = backward(projection)
    XCTAssertEqual(inputGradients.count, inputs.count, "backward returned the wrong number of input gradients", file: file, line: line)
    var targets = zip(inputs, inputGradients).map { GradientCheck.Target($0.0.0, value: $0.0.1, gradient: $0.1) }
    targets += parameters.map { GradientCheck.Target($0.name, value: $0.value, gradient: $0.grad.copy()) }
    let report = GradientCheck.check(targets, eps: eps, atol: atol, rtol: rtol) {
        let y = forward()
        var total: Double = 0
        for i in 0..<y.count { total += Double(y.data[i]) * Double(projection.data[i]) }
        return total
    }
    XCTAssertGreaterThan(report.checked, 0, file: file, line: line)
    XCTAssertTrue(report.passed, report.description, file: file, line: line)
}

/// Asserts two float arrays agree elementwise within `tolerance`.
public func assertClose(_ a: [Float], _ b: [Float], tolerance: Float, _ message: String = "",
                        file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "length \(message)", file: file, line: line)
    var worst: Float = 0, at = -1
    for i in 0..<min(a.count, b.count) where abs(a[i] - b[i]) > worst || a[i].isNaN != b[i].isNaN {
        worst = a[i].isNaN != b[i].isNaN ? .infinity : abs(a[i] - b[i])
        at = i
    }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(message): worst |Δ| \(worst) at \(at)", file: file, line: line)
}
