import GlossaTensor

/// LayerNorm over the last axis: y = (x − μ)/√(σ² + ε) · γ + β (biased variance, as PyTorch).
/// Backward follows llm.c's layernorm_backward.
public final class LayerNorm: Module {
    public let weight: Parameter
    public let bias: Parameter
    public let eps: Float
    private var savedInput: Tensor?
    private var mean: [Float] = []
    private var rstd: [Float] = []

    public init(weight: Parameter, bias: Parameter, eps: Float = 1e-5) {
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    public convenience init(_ dim: Int, eps: Float = 1e-5, name: String = "norm") {
        self.init(weight: Parameter("\(name).weight", Tensor(repeating: 1, shape: [dim]), decays: false),
                  bias: Parameter("\(name).bias", Tensor(zeros: [dim]), decays: false), eps: eps)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func forward(_ x: Tensor) -> Tensor {
        let c = weight.value.count
        precondition(x.lastDim == c, "LayerNorm expects last dim \(c), got \(x.shape)")
        let rows = x.rowCount
        let y = Tensor(uninitialized: x.shape)
        mean = [Float](repeating: 0, count: rows)
        rstd = [Float](repeating: 0, count: rows)
        let w = weight.value.data, b = bias.value.data
        for r in 0..<rows {
            let xi = x.data + r * c, yi = y.data + r * c
            let m = Vec.sum(xi, c) / Float(c)
            var v: Float = 0
            for j in 0..<c { let d = xi[j] - m; v += d * d }
            let s = 1 / (v / Float(c) + eps).squareRoot()
            for j in 0..<c { yi[j] = (xi[j] - m) * s * w[j] + b[j] }
            mean[r] = m
            rstd[r] = s
        }
        savedInput = x
        return y
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = savedInput else { preconditionFailure("LayerNorm.backward before forward") }
        let c = weight.value.count
        let dx = Tensor(uninitialized: x.shape)
        let w = weight.value.data, dw = weight.grad.data, db = bias.grad.data
        for r in 0..<x.rowCount {
            let xi = x.data + r * c, dyi = dy.data + r * c, dxi = dx.data + r * c
            let m = mean[r], s = rstd[r]
            var meanDNorm: Float = 0, meanDNormNorm: Float = 0
            for j in 0..<c {
                let norm = (xi[j] - m) * s
                let dnorm = dyi[j] * w[j]
                meanDNorm += dnorm
                meanDNormNorm += dnorm * norm
                db[j] += dyi[j]
                dw[j] += dyi[j] * norm
            }
            meanDNorm /= Float(c)
            meanDNormNorm /= Float(c)
            for j in 0..<c {
                let norm = (xi[j] - m) * s
                dxi[j] = s * (dyi[j] * w[j] - meanDNorm - norm * meanDNormNorm)
            }
        }
        return dx
    }
}

/// RMSNorm over the last axis: y = x / √(mean(x²) + ε) · γ (Llama, Mixtral, DeepSeek).
public final class RMSNorm: Module {
    public let weight: Parameter
    public let eps: Float
    private var savedInput: Tensor?
    private var rstd: [Float] = []

    public init(weight: Parameter, eps: Float = 1e-6) {
        self.weight = weight
        self.eps = eps
    }

    public convenience init(_ dim: Int, eps: Float = 1e-6, name: String = "norm") {
        self.init(weight: Parameter("\(name).weight", Tensor(repeating: 1, shape: [dim]), decays: false), eps: eps)
    }

    public var parameters: [Parameter] { [weight] }

    public func forward(_ x: Tensor) -> Tensor {
        let c = weight.value.count
        precondition(x.lastDim == c, "RMSNorm expects last dim \(c), got \(x.shape)")
        let y = Tensor(uninitialized: x.shape)
        rstd = [Float](repeating: 0, count: x.rowCount)
        for r in 0..<x.rowCount {
            let xi = x.data + r * c
            let s = 1 / (Vec.dot(xi, xi, c) / Float(c) + eps).squareRoot()
            rstd[r] = s
            Vec.mul(xi, weight.value.data, y.data + r * c, c)
            Vec.scale(y.data + r * c, s, y.data + r * c, c)
        }
        savedInput = x
        return y
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// With g = dy ⊙ γ: dx = s·g − x·s³·mean(g ⊙ x), dγ += dy ⊙ x·s.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = savedInput else { preconditionFailure("RMSNorm.backward before forward") }
        let c = weight.value.count
        let dx = Tensor(uninitialized: x.shape)
        let w = weight.value.data, dw = weight.grad.data
        for r in 0..<x.rowCount {
            let xi = x.data + r * c, dyi = dy.data + r * c, dxi = dx.data + r * c
            let s = rstd[r]
            var gx: Float = 0
            for j in 0..<c {
                gx += dyi[j] * w[j] * xi[j]
                dw[j] += dyi[j] * xi[j] * s
            }
            let k = s * s * s * gx / Float(c)
            for j in 0..<c { dxi[j] = s * dyi[j] * w[j] - xi[j] * k }
        }
        return dx
    }
}
