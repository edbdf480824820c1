import GlossaNN
import GlossaTensor

/// How SPAE sees the frozen LM rows [K, D_lm] in its latent space [K, latentDim]: one linear
/// map (V2L-style; glossa-spae-v3), or with `hidden` a GELU MLP, Linear(D_lm → hidden) → GELU →
/// Linear(hidden → latentDim). The rows themselves never change either way, so every token SPAE
/// emits is still the LM's word; the MLP only bends where each word sits in the latent space.
/// It costs nothing per image at inference (the mapped codebook is computed once per model),
/// and in `scripts/spae_architecture_probe.py` it gave 18.54 dB at 4 layers after 1,000 steps
/// against the linear map's 17.46, same encoder and decoder (docs/spae.md).
public final class CodebookMap: Module {
    let layers: [Linear]
    let activation: Activation?

    /// Parameter names: `name.weight` for the linear map (as glossa-spae-v3 stores it);
    /// `name.0.weight`, `name.0.bias`, `name.1.weight`, `name.1.bias` for the MLP.
    public init(lmDim: Int, latentDim: Int, hidden: Int?, name: String, rng: inout RandomGenerator) {
        if let hidden {
            layers = [Linear(lmDim, hidden, name: name + ".0", rng: &rng), Linear(hidden, latentDim, name: name + ".1", rng: &rng)]
            activation = Activation(.geluTanh)
        } else {
            layers = [Linear(lmDim, latentDim, bias: false, name: name, rng: &rng)]
            activation = nil
        }
    }

    /// A copy of `other`'s weights under another name (layer 1's own map starts as the shared one).
    public init(copying other: CodebookMap, name: String) {
        let single = other.layers.count == 1
        layers = other.layers.enumerated().map { i, layer in
            let prefix = single ? name : "\(name).\(i)"
            return Linear(weight: Parameter(prefix + ".weight", layer.weight.value.copy()),
                          bias: layer.bias.map { Parameter(prefix + ".bias", $0.value.copy(), decays: false) })
        }
        activation = other.activation.map { Activation($0.kind) }
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Sets the linear map's singular values all to their root mean square, keeping its singular
    /// vectors: W ← σ_rms·U·Vᵀ, the polar factor by Newton–Schulz, X ← 1.5·X − 0.5·(X·Xᵀ)·X from
    /// X = W/‖W‖_F (every singular value in (0, 1], so the iteration converges to 1 for each).
    /// Called after every optimiser step, it lets the map turn the codebook but not flatten it:
    /// unconstrained, glossa-spae-v3's map grew one direction 38× over the next (singular values
    /// 24.9, 0.66, …; the direction is 0.94-correlated with the rows' norm), so its 8,224 codes
    /// lie near a line and each latent position carries about one number (docs/spae.md).
    public func orthogonalize(iterations: Int = 12) {
        precondition(activation == nil, "only the linear map is orthogonalized")
        let w = layers[0].weight.value
        let frobenius = Vec.dot(w.data, w.data, w.count).squareRoot()
        guard frobenius > 0 else { return }
        var x = w * (1 / frobenius)
        for _ in 0..<iterations {
            let gram = matmul(x, x, transposeB: true)          // [out, out]
            x = x * 1.5 - matmul(gram, x) * 0.5
        }
        w.assign(x * (frobenius / Float(w.shape[0]).squareRoot()))
    }

    public func forward(_ rows: Tensor) -> Tensor {
        guard let activation else { return layers[0](rows) }
        return layers[1](activation(layers[0](rows)))
    }

    public func callAsFunction(_ rows: Tensor) -> Tensor { forward(rows) }

    /// Accumulates the weights' gradients; the frozen rows' gradient is not needed.
    public func backward(_ dMapped: Tensor) {
        guard let activation else { _ = layers[0].backward(dMapped); return }
        _ = layers[0].backward(activation.backward(layers[1].backward(dMapped)))
    }
}
