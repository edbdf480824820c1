import Foundation
import GlossaTensor

/// AdamW (Loshchilov & Hutter), PyTorch semantics: decoupled weight decay p ← p − lr·λ·p,
/// then the bias-corrected Adam step. Weight decay skips parameters with `decays == false`.
public final class AdamW {
    public let parameters: [Parameter]
    public var beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    /// First and second moments, one per parameter; exposed for checkpoints.
    public let firstMoments: [Tensor]
    public let secondMoments: [Tensor]
    public private(set) var stepCount = 0

    public init(_ parameters: [Parameter], beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01) {
        self.parameters = parameters
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        firstMoments = parameters.map { Tensor(zeros: $0.value.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.value.shape) }
    }

    /// Restores the step count when resuming from a checkpoint.
    public func restore(stepCount: Int) { self.stepCount = stepCount }

    public func step(learningRate lr: Float) {
        stepCount += 1
        let c1 = 1 - Foundation.pow(beta1, Float(stepCount))
        let c2 = 1 - Foundation.pow(beta2, Float(stepCount))
        let (b1, b2, eps) = (beta1, beta2, eps)
        for (i, p) in parameters.enumerated() {
            let decay = p.decays ? 1 - lr * weightDecay : 1
            let w = p.value.data, g = p.grad.data
            let m = firstMoments[i].data, v = secondMoments[i].data
            Parallel.forEachChunk(p.value.count, minChunk: 8192) { range in
                for j in range {
                    m[j] = b1 * m[j] + (1 - b1) * g[j]
                    v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j]
                    let mHat = m[j] / c1, vHat = v[j] / c2
                    w[j] = w[j] * decay - lr * mHat / (vHat.squareRoot() + eps)
                }
            }
        }
    }
}

/// Rescales all gradients so their global L2 norm is at most `maxNorm`
/// (`torch.nn.utils.clip_grad_norm_`). Returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var total: Double = 0
    for p in parameters { total += Double(Vec.dot(p.grad.data, p.grad.data, p.grad.count)) }
    let norm = Float(total.squareRoot())
    if norm > maxNorm {
        let k = maxNorm / (norm + 1e-6)
        for p in parameters { p.grad.scale(by: k) }
    }
    return norm
}
