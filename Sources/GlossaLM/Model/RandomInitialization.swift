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

extension RandomInitialization {
    /// A fresh DeepSeek-V3-layout model (MLA, dense first layers, sigmoid-routed MoE with a
    /// shared expert and a zero correction bias), named as `DeepseekV3ForCausalLM` checkpoints.
    public static func deepseekStyle(_ cfg: TransformerConfig, seed: UInt64, std: Float = 0.02) -> TransformerLM {
        guard let mla = cfg.latentAttention, case let .rotary(theta, interleaved) = cfg.positions,
              case let .rmsNorm(eps) = cfg.normalization else { preconditionFailure("DeepSeek layout needs MLA, RoPE and RMSNorm") }
        var rng = RandomGenerator(seed: seed)
        let d = cfg.hiddenSize, h = cfg.heads
        func linear(_ name: String, _ i: Int, _ o: Int) -> Linear {
            Linear(weight: Parameter("\(name).weight", .randomNormal([o, i], std: std, rng: &rng)), bias: nil)
        }
        func norm(_ name: String, _ dim: Int) -> RMSNorm {
            RMSNorm(weight: Parameter("\(name).weight", Tensor(repeating: 1, shape: [dim]), decays: false), eps: eps)
        }
        func mlp(_ p: String, _ inner: Int) -> GatedMLP {
            GatedMLP(gate: linear("\(p).gate_proj", d, inner), up: linear("\(p).up_proj", d, inner), down: linear("\(p).down_proj", inner, d))
        }
        let embedding = Embedding(weight: Parameter("model.embed_tokens.weight", .randomNormal([cfg.vocabularySize, d], std: std, rng: &rng)))
        let layers = cfg.feedForward.enumerated().map { i, ffn -> DecoderLayer in
            let p = "model.layers.\(i)", a = "\(p).self_attn"
            var qProj: Linear?, qA: Linear?, qNorm: RMSNorm?, qB: Linear?
            if let rank = mla.queryRank {
                qA = linear("\(a).q_a_proj", d, rank)
                qNorm = norm("\(a).q_a_layernorm", rank)
                qB = linear("\(a).q_b_proj", rank, h * mla.queryKeyHeadDim)
            } else {
                qProj = linear("\(a).q_proj", d, h * mla.queryKeyHeadDim)
            }
            let attention = LatentAttention(
                config: mla, heads: h, qProj: qProj, qA: qA, qNorm: qNorm, qB: qB,
                kvA: linear("\(a).kv_a_proj_with_mqa", d, mla.keyValueRank + mla.ropeHeadDim),
                kvNorm: norm("\(a).kv_a_layernorm", mla.keyValueRank),
                kvB: linear("\(a).kv_b_proj", mla.keyValueRank, h * (mla.nopeHeadDim + mla.valueHeadDim)),
                oProj: linear("\(a).o_proj", h * mla.valueHeadDim, d), ropeTheta: theta, interleaved: interleaved)
            let feedForward: FeedForwardLayer
            switch ffn {
            case let .dense(inner):
                feedForward = mlp("\(p).mlp", inner)
            case let .mixture(moe):
                feedForward = MixtureOfExpertsLayer(
                    router: linear("\(p).mlp.gate", d, moe.experts),
                    experts: (0..<moe.experts).map { mlp("\(p).mlp.experts.\($0)", moe.intermediateSize) },
                    shared: moe.sharedIntermediateSize.map { mlp("\(p).mlp.shared_experts", $0) }, config: moe,
                    selectionBias: Tensor(zeros: [moe.experts]))
            }
            return DecoderLayer(attentionNorm: norm("\(p).input_layernorm", d), attention: attention,
                                feedForwardNorm: norm("\(p).post_attention_layernorm", d), feedForward: feedForward)
        }
        let head = cfg.tiedEmbeddings ? Linear(weight: embedding.weight, bias: nil) : linear("lm_head", d, cfg.vocabularySize)
        return TransformerLM(config: cfg, embedding: embedding, positionEmbedding: nil, layers: layers,
                             finalNorm: norm("model.norm", d), head: head)
    }
}

extension TransformerConfig {
    /// A DeepSeek-V3-layout config: MLA without a query LoRA, `denseLayers` dense layers, then
    /// MoE layers of `experts` routed experts (top-k by sigmoid score, one group) plus one
    /// shared expert of the same size. `experts == 0` gives an all-dense model.
    public static func deepseekStyle(vocabulary: Int, hidden: Int, layers: Int, heads: Int, denseLayers: Int,
                                     denseIntermediate: Int, experts: Int, topK: Int, expertIntermediate: Int,
                                     sharedExperts: Int = 1, kvRank: Int, ropeHeadDim: Int, nopeHeadDim: Int,
                                     valueHeadDim: Int) -> TransformerConfig {
        let moe = MixtureOfExperts(experts: experts, topK: topK, intermediateSize: expertIntermediate,
                                   routing: .sigmoidGrouped(groups: 1, topKGroups: 1, normalize: true, scaling: 1),
                                   sharedIntermediateSize: sharedExperts > 0 ? sharedExperts * expertIntermediate : nil)
        let latent = LatentAttention(queryRank: nil, keyValueRank: kvRank, ropeHeadDim: ropeHeadDim,
                                     nopeHeadDim: nopeHeadDim, valueHeadDim: valueHeadDim)
        return TransformerConfig(
            family: .deepseekV3, vocabularySize: vocabulary, hiddenSize: hidden, heads: heads, keyValueHeads: heads,
            headDim: latent.queryKeyHeadDim, normalization: .rmsNorm(eps: 1e-6), positions: .rotary(theta: 10_000, interleaved: true),
            activation: .silu, gatedMLP: true, attentionBias: false, mlpBias: false, latentAttention: latent,
            feedForward: (0..<layers).map { $0 < denseLayers || experts == 0 ? .dense(intermediateSize: denseIntermediate) : .mixture(moe) },
            tiedEmbeddings: true)
    }

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
