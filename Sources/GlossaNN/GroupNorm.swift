import GlossaTensor

/// GroupNorm (Wu & He): x [N, C, …] is normalised over each group of C/G channels and all
/// spatial positions, then scaled and shifted per channel.
public final class GroupNorm: Module {
    public let groups: Int
    public let weight: Parameter
    public let bias: Parameter
    public let eps: Float
    private var saved: (x: Tensor, mean: [Float], rstd: [Float])?

    public init(groups: Int, channels: Int, eps: Float = 1e-5, name: String = "norm") {
        precondition(channels % groups == 0, "\(channels) channels not divisible into \(groups) groups")
        self.groups = groups
        self.eps = eps
        weight = Parameter("\(name).weight", Tensor(repeating: 1, shape: [channels]), decays: false)
        bias = Parameter("\(name).bias", Tensor(zeros: [channels]), decays: false)
    }

    public var parameters: [Parameter] { [weight, bias] }
    private var channels: Int { weight.value.count }

    private func dims(_ x: Tensor) -> (n: Int, spatial: Int, perGroup: Int) {
        precondition(x.rank >= 2 && x.shape[1] == channels, "GroupNorm expects [N, \(channels), …], got \(x.shape)")
        return (x.shape[0], x.count / (x.shape[0] * channels), channels / groups)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let (n, s, cg) = dims(x)
        let y = Tensor(zeros: x.shape)
        var means = [Float](repeating: 0, count: n * groups), rstds = means
        let size = cg * s
        for i in 0..<n {
            for g in 0..<groups {
                let base = (i * channels + g * cg) * s
                let m = Vec.sum(x.data + base, size) / Float(size)
                var v: Float = 0
                for j in 0..<size { let d = x.data[base + j] - m; v += d * d }
                let r = 1 / (v / Float(size) + eps).squareRoot()
                means[i * groups + g] = m
                rstds[i * groups + g] = r
                for c in 0..<cg {
                    let ch = g * cg + c
                    let (w, b) = (weight.value.data[ch], bias.value.data[ch])
                    for j in 0..<s {
                        let k = base + c * s + j
                        y.data[k] = (x.data[k] - m) * r * w + b
                    }
                }
            }
        }
        saved = (x, means, rstds)
        return y
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// The LayerNorm backward applied per group, with per-channel γ.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let (x, means, rstds) = saved else { preconditionFailure("GroupNorm.backward before forward") }
        let (n, s, cg) = dims(x)
        let dx = Tensor(zeros: x.shape)
        let size = Float(cg * s)
        for i in 0..<n {
            for g in 0..<groups {
                let base = (i * channels + g * cg) * s
                let (m, r) = (means[i * groups + g], rstds[i * groups + g])
                var meanD: Float = 0, meanDN: Float = 0
                for c in 0..<cg {
                    let ch = g * cg + c
                    let w = weight.value.data[ch]
                    for j in 0..<s {
                        let k = base + c * s + j
                        let norm = (x.data[k] - m) * r
                        let dnorm = dy.data[k] * w
                        meanD += dnorm
                        meanDN += dnorm * norm
                        weight.grad.data[ch] += dy.data[k] * norm
                        bias.grad.data[ch] += dy.data[k]
                    }
                }
                meanD /= size
                meanDN /= size
                for c in 0..<cg {
                    let w = weight.value.data[g * cg + c]
                    for j in 0..<s {
                        let k = base + c * s + j
                        let norm = (x.data[k] - m) * r
                        dx.data[k] = r * (dy.data[k] * w - meanD - norm * meanDN)
                    }
                }
            }
        }
        return dx
    }
}
