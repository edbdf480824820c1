import GlossaTensor

/// Finite-difference gradient checking, the test behind every backward pass.
///
/// For each checked element: numeric = (L(x + ε) − L(x − ε)) / 2ε with L evaluated in
/// Double, compared with the analytic gradient. An element passes when
/// |analytic − numeric| ≤ atol + rtol·|numeric|.
public enum GradientCheck {
    public struct Target {
        public let name: String
        public let value: Tensor
        public let gradient: Tensor
        public init(_ name: String, value: Tensor, gradient: Tensor) {
            precondition(value.shape == gradient.shape, "\(name): value \(value.shape) vs gradient \(gradient.shape)")
            self.name = name
            self.value = value
            self.gradient = gradient
        }
    }

    public struct Report: CustomStringConvertible {
        public var checked = 0
        public var failures: [String] = []
        /// Largest |analytic − numeric| / (atol + rtol·|numeric|); ≤ 1 means every element passed.
        public var worstRatio: Double = 0
        public var passed: Bool { failures.isEmpty }
        public var description: String {
            "checked \(checked) elements, worst error/tolerance \(worstRatio)" +
                (failures.isEmpty ? "" : "; failures: " + failures.prefix(5).joined(separator: "; "))
        }
    }

    /// Checks up to `maxElementsPerTarget` elements of each target, evenly spaced.
    public static func check(_ targets: [Target], eps: Float = 1e-2, atol: Double = 2e-3, rtol: Double = 1e-2,
                             maxElementsPerTarget: Int = 48, loss: () -> Double) -> Report {
        var report = Report()
        for target in targets {
            let n = target.value.count
            let stride = max(1, n / maxElementsPerTarget)
            for i in Swift.stride(from: 0, to: n, by: stride) {
                let original = target.value.data[i]
                target.value.data[i] = original + eps
                let plus = loss()
                target.value.data[i] = original - eps
                let minus = loss()
                target.value.data[i] = original
                // The perturbation actually applied, after Float rounding.
                let step = Double(original + eps) - Double(original - eps)
                let numeric = (plus - minus) / step
                let analytic = Double(target.gradient.data[i])
                let ratio = abs(analytic - numeric) / (atol + rtol * abs(numeric))
                report.worstRatio = max(report.worstRatio, ratio)
                report.checked += 1
                if ratio > 1 {
                    report.failures.append("\(target.name)[\(i)]: analytic \(analytic), numeric \(numeric)")
                }
            }
        }
        return report
    }
}
