import GlossaNN
import GlossaTensor

/// Weight-loading shorthands shared by the architecture files.
extension WeightStore {
    /// A Linear from `<prefix>.weight` [out, in] (and `<prefix>.bias` [out] when `bias`).
    func linear(_ prefix: String, in inFeatures: Int, out outFeatures: Int, bias: Bool = false) throws -> Linear {
        let w = Parameter("\(prefix).weight", try tensor("\(prefix).weight", shape: [outFeatures, inFeatures]))
        let b = bias ? Parameter("\(prefix).bias", try tensor("\(prefix).bias", shape: [outFeatures]), decays: false) : nil
        return Linear(weight: w, bias: b)
    }

    /// A gated MLP from three projections named by the caller's convention.
    func gatedMLP(gate: String, up: String, down: String, hidden: Int, intermediate: Int, bias: Bool = false) throws -> GatedMLP {
        GatedMLP(gate: try linear(gate, in: hidden, out: intermediate, bias: bias),
                 up: try linear(up, in: hidden, out: intermediate, bias: bias),
                 down: try linear(down, in: intermediate, out: hidden, bias: bias))
    }

    /// The output head: `lm_head.weight`, or the embedding table when tied (or when the
    /// checkpoint omits the head, as tied GPT-2 files do).
    func head(tied: Bool, embedding: Embedding, vocab: Int, hidden: Int) throws -> Linear {
        if tied || !contains("lm_head.weight") {
            return Linear(weight: embedding.weight, bias: nil)
        }
        return try linear("lm_head", in: hidden, out: vocab)
    }
}
