import GlossaTensor

/// A trainable tensor and its accumulated gradient. Layers add into `grad` during backward;
/// the optimizer reads it and `zeroGrad()` clears it before the next step.
public final class Parameter {
    public let name: String
    public let value: Tensor
    public let grad: Tensor
    /// Weight decay applies to matrices, not to biases and norm gains (AdamW convention).
    public let decays: Bool

    public init(_ name: String, _ value: Tensor, decays: Bool = true) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
        self.decays = decays
    }

    public func zeroGrad() { grad.fill(0) }
}

/// Anything that owns parameters. Layers list theirs; models concatenate their layers'.
public protocol Module: AnyObject {
    var parameters: [Parameter] { get }
}

extension Module {
    public func zeroGrad() { parameters.forEach { $0.zeroGrad() } }
}

/// Shared weight initialisation: uniform(±1/√fanIn), PyTorch's default for Linear and Conv.
enum Initializer {
    static func fanIn(_ shape: [Int], fanIn: Int, rng: inout RandomGenerator) -> Tensor {
        let bound = 1 / Float(fanIn).squareRoot()
        return Tensor.randomUniform(shape, low: -bound, high: bound, rng: &rng)
    }
}
