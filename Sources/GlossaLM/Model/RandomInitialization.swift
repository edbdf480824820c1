import GlossaNN
import GlossaTensor

/// Fresh models with N(0, std²) weights in the Llama/Mixtral layout (RMSNorm, RoPE, GQA,
/// SwiGLU, dense or softmax-routed MoE per the config's layer schedule), named as their
/// Hugging Face checkpoints are. Used by benchmarks and as the start of training.
public enum RandomInitialization {
    public static func llamaStyle(_ cfg: TransformerConfig, seed: UInt64, std: Float = 0.02) -> TransformerLM {
        precondition(cfg.latentAttention == nil && !cfg.attentionBias, "random initialisation covers the Llama/Mixtral layout")
        guard case let .rotary(theta, interleaved) = cfg.positions, case let .rmsNorm(eps) = cfg.normalization else {
            preconditionFailure("random initialisation needs RoPE and RMSNorm")
        }
        var rng = RandomGenerator(seed: seed)
        func linear(_ name: String, _ i: Int, _ o: Int) -> Linear {
            Linear(weight: Parameter("\(name).weight", .randomNormal([o, i], std: std, rng: &rng)), bias: nil)
        }
        func norm(_ name: String) -> RMSNorm {
            RMSNorm(weight: Parameter("\(name).weight", Tensor(repeating: 1, shape: [cfg.hiddenSize]), decays: false), eps: eps)
        }
        func mlp(_ p: String, _ inner: Int, _ names: (String, String, String)) -> GatedMLP {
            GatedMLP(gate: linear("\(p).\(names.0)", cfg.hiddenSize, inner), up: linear("\(p).\(names.1)", cfg.hiddenSize, inner),
                     down: linear("\(p).\(names.2)", inner, cfg.hiddenSize))
        }
        let d = cfg.hiddenSize, hd = cfg.headDim
        let embedding = Embedding(weight: Parameter("model.embed_tokens.weight", .randomNormal([cfg.vocabularySize, d], std: std, rng: &rng)))
        let rope = RotaryEmbedding(headDim: hd, base: theta, interleaved: interleaved)
        let layers = cfg.feedForward.enumerated().map { i, ffn -> DecoderLayer in
            let p = "model.layers.\(i)"
            let attention = StandardAttention(
                q: linear("\(p).self_attn.q_proj", d, cfg.heads * hd), k: linear("\(p).self_attn.k_proj", d, cfg.keyValueHeads * hd),
                v: linear("\(p).self_attn.v_proj", d, cfg.keyValueHeads * hd), o: linear("\(p).self_attn.o_proj", cfg.heads * hd, d),
                heads: cfg.heads, kvHeads: cfg.keyValueHeads, headDim: hd, rope: rope)
            let feedForward: FeedForwardLayer
            switch ffn {
            case let .dense(inner):
                feedForward = mlp("\(p).mlp", inner, ("gate_proj", "up_proj", "down_proj"))
            case let .mixture(moe):
                let experts = (0..<moe.experts).map { mlp("\(p).block_sparse_moe.experts.\($0)", moe.intermediateSize, ("w1", "w3", "w2")) }
                let shared = moe.sharedIntermediateSize.map { mlp("\(p).mlp.shared_experts", $0, ("gate_proj", "up_proj", "down_proj")) }
                feedForward = MixtureOfExpertsLayer(router: linear("\(p).block_sparse_moe.gate", d, moe.experts), experts: experts,
                                                    shared: shared, config: moe, selectionBias: nil)
            }
            return DecoderLayer(attentionNorm: norm("\(p).input_layernorm"), attention: attention,
                                feedForwardNorm: norm("\(p).post_attention_layernorm"), feedForward: feedForward)
        }
        let head = cfg.tiedEmbeddings ? Linear(weight: embedding.weight, bias: nil) : linear("lm_head", d, cfg.vocabularySize)
        return TransformerLM(config: cfg, embedding: embedding, positionEmbedding: nil, layers: layers,
                             finalNorm: norm("model.norm"), head: head)
    }
}

extension TransformerConfig {
    /// A Llama-style config (dense, or Mixtral-style MoE when `experts` > 0) for benchmarks
    /// and training.
    public static func llamaStyle(vocabulary: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int,
                                  intermediate: Int, experts: Int = 0, topK: Int = 2, tied: Bool = true) -> TransformerConfig {
        let ffn: FeedForward = experts > 0
            ? .mixture(.init(experts: experts, topK: topK, intermediateSize: intermediate, routing: .softmaxTopK, sharedIntermediateSize: nil))
            : .dense(intermediateSize: intermediate)
        return TransformerConfig(family: experts > 0 ? .mixtral : .llama, vocabularySize: vocabulary, hiddenSize: hidden, heads: heads,
                                 keyValueHeads: kvHeads, headDim: hidden / heads, normalization: .rmsNorm(eps: 1e-5),
                                 positions: .rotary(theta: 10_000, interleaved: false), activation: .silu, gatedMLP: true,
                                 attentionBias: false, mlpBias: false, latentAttention: nil,
                                 feedForward: Array(repeating: ffn, count: layers), tiedEmbeddings: tied)
    }

    /// Parameters touched per token (weights actually read in a decoding step): attention,
    /// the routed top-k and shared experts, routers, norms and the output head. The input
    /// embedding contributes one row, which is negligible and not counted.
    public var activeParametersPerToken: Int {
        let d = hiddenSize
        var total = vocabularySize * d + d
        for ffn in feedForward {
            total += 2 * d
            if let mla = latentAttention {
                let q = mla.queryRank.map { d * $0 + $0 + $0 * heads * mla.queryKeyHeadDim } ?? d * heads * mla.queryKeyHeadDim
                total += q + d * (mla.keyValueRank + mla.ropeHeadDim) + mla.keyValueRank
                    + mla.keyValueRank * heads * (mla.nopeHeadDim + mla.valueHeadDim) + heads * mla.valueHeadDim * d
            } else {
                total += d * heads * headDim * 2 + d * keyValueHeads * headDim * 2
            }
            let perMLP = { (inner: Int) in (gatedMLP ? 3 : 2) * d * inner }
            switch ffn {
            case let .dense(inner): total += perMLP(inner)
            case let .mixture(moe):
                total += moe.topK * perMLP(moe.intermediateSize) + d * moe.experts + (moe.sharedIntermediateSize.map(perMLP) ?? 0)
            }
        }
        return total
    }
}
