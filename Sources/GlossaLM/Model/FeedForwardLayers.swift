import GlossaNN
import GlossaTensor

/// The feed-forward interface of a decoder layer: a row-wise map [rows, d] → [rows, d].
public protocol FeedForwardLayer: Module {
    func forward(_ x: Tensor) -> Tensor
    /// dL/dx from dL/dy for the last forward; accumulates parameter gradients.
    func backward(_ dy: Tensor) -> Tensor
}

/// Two-matrix MLP: down(act(up(x))) (GPT-2's `mlp.c_fc` / `mlp.c_proj`).
public final class PlainMLP: FeedForwardLayer {
    public let up: Linear, down: Linear
    public let activation: Activation

    public init(up: Linear, down: Linear, activation: ActivationKind) {
        self.up = up
        self.down = down
        self.activation = Activation(activation)
    }

    public var parameters: [Parameter] { up.parameters + down.parameters }

    public func forward(_ x: Tensor) -> Tensor { down(activation(up(x))) }

    public func backward(_ dy: Tensor) -> Tensor { up.backward(activation.backward(down.backward(dy))) }
}

/// Gated MLP, `E(x) = W2(silu(W1·x) ⊙ W3·x)`: Llama's `gate/up/down_proj`, Mixtral's
/// `w1/w3/w2`, DeepSeek's experts.
public final class GatedMLP: FeedForwardLayer {
    public let gate: Linear, up: Linear, down: Linear
    let glu = SwiGLU()

    public init(gate: Linear, up: Linear, down: Linear) {
        (self.gate, self.up, self.down) = (gate, up, down)
    }

    public var parameters: [Parameter] { gate.parameters + up.parameters + down.parameters }

    public func forward(_ x: Tensor) -> Tensor { down(glu.forward(gate: gate(x), up: up(x))) }

    public func backward(_ dy: Tensor) -> Tensor {
        let (dGate, dUp) = glu.backward(down.backward(dy))
        let dx = gate.backward(dGate)
        dx.add(up.backward(dUp))
        return dx
    }
}
