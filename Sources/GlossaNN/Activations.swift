import Foundation
import GlossaTensor

/// Pointwise activations with their derivatives. Each class keeps its input for backward.
public enum ActivationKind: String, Sendable {
    /// GELU with the tanh approximation (GPT-2 "gelu_new", PyTorch approximate="tanh").
    case geluTanh
    /// Exact GELU with erf (Whisper, PyTorch default).
    case geluErf
    /// x·σ(x), a.k.a. swish (Llama, Mixtral, DeepSeek experts).
    case silu

    @inline(__always)
    func value(_ x: Float) -> Float {
        switch self {
        case .geluTanh:
            let u = Activation.sqrt2OverPi * (x + 0.044715 * x * x * x)
            return 0.5 * x * (1 + Foundation.tanh(u))
        case .geluErf:
            return 0.5 * x * (1 + Foundation.erf(x * Activation.invSqrt2))
        case .silu:
            return x / (1 + Foundation.exp(-x))
        }
    }

    @inline(__always)
    func derivative(_ x: Float) -> Float {
        switch self {
        case .geluTanh:
            let u = Activation.sqrt2OverPi * (x + 0.044715 * x * x * x)
            let t = Foundation.tanh(u)
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * Activation.sqrt2OverPi * (1 + 3 * 0.044715 * x * x)
        case .geluErf:
            // Φ(x) + x·φ(x)
            return 0.5 * (1 + Foundation.erf(x * Activation.invSqrt2)) + x * Foundation.exp(-0.5 * x * x) * Activation.invSqrt2Pi
        case .silu:
            let s = 1 / (1 + Foundation.exp(-x))
            return s * (1 + x * (1 - s))
        }
    }
}

public final class Activation {
    static let sqrt2OverPi: Float = 0.7978845608028654
    static let invSqrt2: Float = 0.7071067811865476
    static let invSqrt2Pi: Float = 0.3989422804014327

    public let kind: ActivationKind
    private var savedInput: Tensor?

    public init(_ kind: ActivationKind) { self.kind = kind }

    public func forward(_ x: Tensor) -> Tensor {
        savedInput = x
        let y = Tensor(uninitialized: x.shape)
        let kind = self.kind
        Parallel.forEachChunk(x.count, minChunk: 16_384) { range in
            // Lane functions passed by name, not as closure literals: the optimiser inlines
            // them into `Vec.map`'s loop, where the closures stayed out of line on 4-lane registers.
            if kind == .geluErf {
                // The Whisper encoder's largest pointwise cost.
                Vec.map(x.data + range.lowerBound, y.data + range.lowerBound, range.count, Activation.geluErfLanes)
            } else if kind == .geluTanh {
                Vec.map(x.data + range.lowerBound, y.data + range.lowerBound, range.count, Activation.geluTanhLanes)
            } else {
                for i in range { y.data[i] = kind.value(x.data[i]) }
            }
        }
        return y
    }

    /// 0.5·x·(1 + erf(x/√2)).
    @inline(__always)
    static func geluErfLanes(_ v: Vec.Lanes) -> Vec.Lanes {
        0.5 * v * (1 + Vec.erfLanes(v * invSqrt2))
    }

    /// 0.5·x·(1 + tanh(u)) = x·σ(2u) = x / (1 + e^(−2u)), u = √(2/π)(x + 0.044715x³).
    @inline(__always)
    static func geluTanhLanes(_ v: Vec.Lanes) -> Vec.Lanes {
        let u = sqrt2OverPi * (v + 0.044715 * v * v * v)
        return v / (1 + Vec.expLanes(-2 * u))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = savedInput else { preconditionFailure("Activation.backward before forward") }
        let dx = Tensor(uninitialized: x.shape)
        let kind = self.kind
        Parallel.forEachChunk(x.count, minChunk: 16_384) { range in
            if kind == .geluTanh {
                // SPAE's training runs every activation through here, a scalar tanh per value
                // before (with Convolution.backwardColumnBudget: 74 → 79 images/s, docs/spae.md).
                Vec.zip(dy.data + range.lowerBound, x.data + range.lowerBound, dx.data + range.lowerBound, range.count,
                        Activation.geluTanhBackwardLanes)
            } else {
                for i in range { dx.data[i] = dy.data[i] * kind.derivative(x.data[i]) }
            }
        }
        return dx
    }

    /// dy · d/dx[x·σ(2u)] = dy · (σ + 2x·σ(1 − σ)·u′), σ = σ(2u), u′ = √(2/π)(1 + 3·0.044715x²):
    /// `ActivationKind.derivative`'s 0.5(1 + t) + 0.5x(1 − t²)u′ with t = tanh u = 2σ − 1.
    /// With e = e^(−2|u|) ≤ 1 (no overflow in either tail), σ(1 − σ) = e/(1 + e)² in both and
    /// σ = 1/(1 + e) for u ≥ 0, e/(1 + e) below: 1 − σ itself rounds to 0 from x ≈ 4 on.
    @inline(__always)
    static func geluTanhBackwardLanes(_ dy: Vec.Lanes, _ v: Vec.Lanes) -> Vec.Lanes {
        let u = sqrt2OverPi * (v + 0.044715 * v * v * v)
        let negative = u .< 0
        let e = Vec.expLanes(-2 * u.replacing(with: -u, where: negative))
        let inverse = 1 / (1 + e)
        let sigma = inverse.replacing(with: e * inverse, where: negative)
        let du: Vec.Lanes = sqrt2OverPi * (1 + 3 * 0.044715 * v * v)
        let slope: Vec.Lanes = 2 * v * e * inverse * inverse * du
        return dy * (sigma + slope)
    }
}

/// SwiGLU gating, the core of `E(x) = W2(silu(W1·x) ⊙ W3·x)`: y = silu(gate) ⊙ up.
public final class SwiGLU {
    private var savedGate: Tensor?
    private var savedUp: Tensor?

    public init() {}

    public func forward(gate: Tensor, up: Tensor) -> Tensor {
        precondition(gate.shape == up.shape, "SwiGLU: gate \(gate.shape) and up \(up.shape) differ")
        savedGate = gate
        savedUp = up
        let y = Tensor(uninitialized: gate.shape)
        Parallel.forEachChunk(gate.count, minChunk: 16_384) { range in
            for i in range { y.data[i] = ActivationKind.silu.value(gate.data[i]) * up.data[i] }
        }
        return y
    }

    /// Returns (dgate, dup).
    public func backward(_ dy: Tensor) -> (gate: Tensor, up: Tensor) {
        guard let gate = savedGate, let up = savedUp else { preconditionFailure("SwiGLU.backward before forward") }
        let dGate = Tensor(uninitialized: gate.shape), dUp = Tensor(uninitialized: up.shape)
        Parallel.forEachChunk(gate.count, minChunk: 16_384) { range in
            for i in range {
                let g = gate.data[i]
                dUp.data[i] = dy.data[i] * ActivationKind.silu.value(g)
                dGate.data[i] = dy.data[i] * up.data[i] * ActivationKind.silu.derivative(g)
            }
        }
        return (dGate, dUp)
    }
}
