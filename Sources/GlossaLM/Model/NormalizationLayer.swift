import GlossaNN
import GlossaTensor

/// LayerNorm or RMSNorm behind one interface, chosen by the config.
public protocol NormalizationLayer: Module {
    func forward(_ x: Tensor) -> Tensor
    func backward(_ dy: Tensor) -> Tensor
}

extension LayerNorm: NormalizationLayer {}
extension RMSNorm: NormalizationLayer {}

extension TransformerConfig.Normalization {
    /// Builds the norm from checkpoint tensors under `prefix` (weight, and bias for LayerNorm).
    func load(_ prefix: String, dim: Int, from store: WeightStore) throws -> NormalizationLayer {
        switch self {
        case let .layerNorm(eps):
            return LayerNorm(weight: Parameter("\(prefix).weight", try store.tensor("\(prefix).weight", shape: [dim]), decays: false),
                             bias: Parameter("\(prefix).bias", try store.tensor("\(prefix).bias", shape: [dim]), decays: false),
                             eps: eps)
        case let .rmsNorm(eps):
            return RMSNorm(weight: Parameter("\(prefix).weight", try store.tensor("\(prefix).weight", shape: [dim]), decays: false), eps: eps)
        }
    }
}
