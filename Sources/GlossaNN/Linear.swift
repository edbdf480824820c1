import GlossaTensor

/// y = x·Wᵀ + b, with W stored [out, in] as in PyTorch and Hugging Face checkpoints.
public final class Linear: Module {
    public let weight: Parameter
    public let bias: Parameter?
    public var inFeatures: Int { weight.value.shape[1] }
    public var outFeatures: Int { weight.value.shape[0] }
    private var savedInput: Tensor?
    /// An fp16 copy of the weights for few-row products, where it is exact (`keepExactHalfCopy`).
    public private(set) var halfWeight: ExactHalfMatrix?

    public init(weight: Parameter, bias: Parameter?) {
        precondition(weight.value.rank == 2, "Linear weight must be [out, in], got \(weight.value.shape)")
        if let bias { precondition(bias.value.shape == [weight.value.shape[0]], "Linear bias must be [out]") }
        self.weight = weight
        self.bias = bias
    }

    public convenience init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, name: String = "linear",
                            rng: inout RandomGenerator) {
        let w = Parameter("\(name).weight", Initializer.fanIn([outFeatures, inFeatures], fanIn: inFeatures, rng: &rng))
        let b = bias ? Parameter("\(name).bias", Initializer.fanIn([outFeatures], fanIn: inFeatures, rng: &rng), decays: false) : nil
        self.init(weight: w, bias: b)
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// x: [..., in] → [..., out]. Keeps a reference to x for backward; do not mutate it.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.lastDim == inFeatures, "Linear expects last dim \(inFeatures), got \(x.shape)")
        savedInput = x
        let y = Tensor(uninitialized: Array(x.shape.dropLast()) + [outFeatures])
        if let bias {
            for r in 0..<y.rowCount { (y.data + r * outFeatures).update(from: bias.value.data, count: outFeatures) }
        }
        if let halfWeight, y.rowCount <= ExactHalfMatrix.maxRows {
            halfWeight.multiplyTransposed(x, into: y, beta: bias == nil ? 0 : 1)
        } else {
            matmul(x, weight.value, transposeB: true, into: y, beta: bias == nil ? 0 : 1)
        }
        return y
    }

    /// Keeps an fp16 copy of the weights when every weight is an fp16 number, for the 1–10 row
    /// products of decoding steps (`ExactHalfMatrix`): half the bytes read and no horizontal
    /// sums; the outputs move within rounding (the products sum in another order). For frozen
    /// weights: the copy does not follow updates, and `backward` (the first step of any update)
    /// drops it. Returns whether the copy was made.
    @discardableResult
    public func keepExactHalfCopy() -> Bool {
        halfWeight = ExactHalfMatrix(exactly: weight.value)
        return halfWeight != nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// dW += dyᵀ·x, db += Σ_rows dy, returns dx = dy·W.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = savedInput else { preconditionFailure("Linear.backward before forward") }
        halfWeight = nil  // the weights are about to change: the copy would go stale
        matmul(dy, x, transposeA: true, into: weight.grad, beta: 1)
        if let bias {
            for r in 0..<dy.rowCount { Vec.add(bias.grad.data, dy.data + r * outFeatures, bias.grad.data, outFeatures) }
        }
        let dx = Tensor(uninitialized: x.shape)
        matmul(dy, weight.value, into: dx)
        return dx
    }
}
