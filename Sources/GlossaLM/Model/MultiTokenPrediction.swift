import GlossaNN
import GlossaTensor

/// DeepSeek-V3's multi-token prediction module at depth 1 (DESIGN §4): from the trunk's final
/// hidden state h_t and the embedding of the next token x_{t+1} it predicts x_{t+2}:
///
///     u = Block(W_eh · [RMSNorm_e(Emb(x_{t+1})); RMSNorm_h(h_t)]),  logits = Head(RMSNorm_o(u))
///
/// The embedding comes first in the concatenation, as DeepSeek-V3's released weights are read
/// (vLLM `deepseek_mtp.py`: `eh_proj(torch.cat([enorm(inputs_embeds), hnorm(previous_hidden_states)], -1))`).
/// Embedding and head are the trunk's own. h_t is the trunk's output after its final norm,
/// the vector its head reads. The block attends over earlier MTP positions, so it keeps its
/// own KV cache when drafting.
public final class MultiTokenPredictionHead: Module {
    public let embeddingNorm: RMSNorm
    public let hiddenNorm: RMSNorm
    public let projection: Linear
    public let block: DecoderLayer
    public let outputNorm: RMSNorm

    public init(embeddingNorm: RMSNorm, hiddenNorm: RMSNorm, projection: Linear, block: DecoderLayer, outputNorm: RMSNorm) {
        self.embeddingNorm = embeddingNorm
        self.hiddenNorm = hiddenNorm
        self.projection = projection
        self.block = block
        self.outputNorm = outputNorm
    }

    public var parameters: [Parameter] {
        embeddingNorm.parameters + hiddenNorm.parameters + projection.parameters + block.parameters + outputNorm.parameters
    }

    public func makeCache() -> LayerKVCache { block.attention.makeCache() }

    /// hidden: h_t rows [n, d]; nextEmbeddings: Emb(x_{t+1}) rows [n, d] → [n, d], the vector
    /// the trunk's head turns into logits for x_{t+2}.
    public func forward(hidden: Tensor, nextEmbeddings: Tensor, batch: Int, positions: [Int], cache: inout LayerKVCache?) -> Tensor {
        let e = embeddingNorm.forward(nextEmbeddings), h = hiddenNorm.forward(hidden)
        let d = h.lastDim
        let joined = Tensor(uninitialized: [h.rowCount, 2 * d])
        for r in 0..<h.rowCount {
            (joined.data + r * 2 * d).update(from: e.data + r * d, count: d)
            (joined.data + r * 2 * d + d).update(from: h.data + r * d, count: d)
        }
        let x = projection(joined)
        return outputNorm.forward(block.forward(x, batch: batch, positions: positions, cache: &cache))
    }

    /// Accumulates the module's own gradients from dL/d(output). The trunk is frozen, so the
    /// gradients reaching its hidden states and embeddings are dropped.
    public func backward(_ dOutput: Tensor) {
        let dJoined = projection.backward(block.backward(outputNorm.backward(dOutput)))
        let d = dJoined.lastDim / 2, rows = dJoined.rowCount
        let dE = Tensor(uninitialized: [rows, d]), dH = Tensor(uninitialized: [rows, d])
        for r in 0..<rows {
            (dE.data + r * d).update(from: dJoined.data + r * 2 * d, count: d)
            (dH.data + r * d).update(from: dJoined.data + r * 2 * d + d, count: d)
        }
        _ = embeddingNorm.backward(dE)
        _ = hiddenNorm.backward(dH)
    }
}

extension MultiTokenPredictionHead {
    /// A fresh module for a trained DeepSeek-V3-layout trunk: the block starts as a copy of the
    /// trunk's last layer (same shapes, a sensible residual-stream map), the norms at 1, and
    /// W_eh = [N(0, 0.02) | I], so at first the block reads the trunk's state and learns to
    /// mix in the next token's embedding.
    public static func initialized(for model: TransformerLM, seed: UInt64) throws -> MultiTokenPredictionHead {
        let cfg = model.config, d = cfg.hiddenSize, last = cfg.layerCount - 1
        guard cfg.family == .deepseekV3 else {
            throw ModelError.invalidInput("multi-token prediction is implemented for the DeepSeek-V3 layout, not \(cfg.family.rawValue)")
        }
        let from = "model.layers.\(last).", to = "model.layers.\(cfg.layerCount)."
        var tensors: [String: Tensor] = [:]
        for p in model.layers[last].parameters where p.name.hasPrefix(from) {
            tensors[to + p.name.dropFirst(from.count)] = p.value.copy()
        }
        if let moe = model.layers[last].feedForward as? MixtureOfExpertsLayer, let bias = moe.selectionBias {
            tensors[to + "mlp.gate.e_score_correction_bias"] = bias.copy()
        }
        for name in ["enorm", "hnorm", "shared_head.norm"] { tensors[to + name + ".weight"] = Tensor(repeating: 1, shape: [d]) }
        var rng = RandomGenerator(seed: seed)
        let projection = Tensor.randomNormal([d, 2 * d], std: 0.02, rng: &rng)
        for i in 0..<d { projection.data[i * 2 * d + d + i] = 1 }
        tensors[to + "eh_proj.weight"] = projection
        return try DeepseekV3Architecture.multiTokenPrediction(cfg, from: WeightStore(tensors: tensors, name: "initial MTP module"))
    }
}
