import GlossaNN
import GlossaTensor

/// DeepSeek-V3 (`DeepseekV3ForCausalLM`), following transformers' `modeling_deepseek_v3.py`:
/// MLA attention, dense MLPs below `first_k_dense_replace`, then sigmoid-routed MoE layers
/// (`mlp.gate.weight`, `mlp.gate.e_score_correction_bias`, `mlp.experts.N.{gate,up,down}_proj`,
/// `mlp.shared_experts.*`). The MTP block, stored as layer `num_hidden_layers` (which
/// transformers ignores), is loaded when present, for self-speculative decoding.
enum DeepseekV3Architecture {
    static func config(_ c: ConfigReader) throws -> TransformerConfig {
        let hidden = try c.int("hidden_size"), heads = try c.int("num_attention_heads"), layers = try c.int("num_hidden_layers")
        let act = try c.string("hidden_act", default: "silu")
        guard act == "silu" else { throw ModelError.invalidConfig(path: c.path, detail: "hidden_act '\(act)' is not supported") }
        let latent = TransformerConfig.LatentAttention(
            queryRank: try c.optionalInt("q_lora_rank"), keyValueRank: try c.int("kv_lora_rank"),
            ropeHeadDim: try c.int("qk_rope_head_dim"), nopeHeadDim: try c.int("qk_nope_head_dim"), valueHeadDim: try c.int("v_head_dim"))
        let experts = try c.int("n_routed_experts")
        let groups = try c.int("n_group", default: 1), topKGroups = try c.int("topk_group", default: 1)
        guard experts % groups == 0, topKGroups <= groups else {
            throw ModelError.invalidConfig(path: c.path, detail: "n_routed_experts must split into n_group groups, topk_group ≤ n_group")
        }
        let shared = try c.int("n_shared_experts", default: 0)
        let moeInner = try c.int("moe_intermediate_size")
        let moe = TransformerConfig.MixtureOfExperts(
            experts: experts, topK: try c.int("num_experts_per_tok"), intermediateSize: moeInner,
            routing: .sigmoidGrouped(groups: groups, topKGroups: topKGroups, normalize: try c.bool("norm_topk_prob", default: true),
                                     scaling: try c.float("routed_scaling_factor", default: 1)),
            sharedIntermediateSize: shared > 0 ? shared * moeInner : nil)
        let firstDense = try c.int("first_k_dense_replace", default: 0)
        let dense = TransformerConfig.FeedForward.dense(intermediateSize: try c.int("intermediate_size"))
        return TransformerConfig(
            family: .deepseekV3, vocabularySize: try c.int("vocab_size"), hiddenSize: hidden, heads: heads,
            keyValueHeads: heads, headDim: latent.queryKeyHeadDim,
            normalization: .rmsNorm(eps: try c.float("rms_norm_eps", default: 1e-6)),
            positions: .rotary(theta: try c.ropeTheta(default: 10_000), interleaved: try c.bool("rope_interleave", default: true)),
            activation: .silu, gatedMLP: true, attentionBias: try c.bool("attention_bias", default: false), mlpBias: false,
            latentAttention: latent, feedForward: (0..<layers).map { $0 < firstDense ? dense : .mixture(moe) },
            tiedEmbeddings: try c.bool("tie_word_embeddings", default: false))
    }

    static func load(_ cfg: TransformerConfig, from store: WeightStore) throws -> TransformerLM {
        let d = cfg.hiddenSize, v = cfg.vocabularySize
        let embedding = Embedding(weight: Parameter("model.embed_tokens.weight", try store.tensor("model.embed_tokens.weight", shape: [v, d])))
        let layers = try cfg.feedForward.enumerated().map { i, ffn in try decoderLayer(i, ffn, cfg, from: store) }
        let model = TransformerLM(config: cfg, embedding: embedding, positionEmbedding: nil, layers: layers,
                                  finalNorm: try cfg.normalization.load("model.norm", dim: d, from: store),
                                  head: try store.head(tied: cfg.tiedEmbeddings, embedding: embedding, vocab: v, hidden: d))
        if store.contains("model.layers.\(layers.count).eh_proj.weight") {
            model.multiTokenPrediction = try multiTokenPrediction(cfg, from: store)
        }
        return model
    }

    /// Decoder layer `i` (`model.layers.i.*`), with a dense or mixture-of-experts MLP.
    static func decoderLayer(_ i: Int, _ ffn: TransformerConfig.FeedForward, _ cfg: TransformerConfig, from store: WeightStore) throws -> DecoderLayer {
        let d = cfg.hiddenSize, h = cfg.heads
        guard let mla = cfg.latentAttention, case let .rotary(theta, interleaved) = cfg.positions else {
            preconditionFailure("DeepSeek-V3 uses MLA with RoPE")
        }
        let eps = rmsEpsilon(cfg)
        let p = "model.layers.\(i)"
        let a = "\(p).self_attn"
        let bias = cfg.attentionBias
        var qProj: Linear?, qA: Linear?, qNorm: RMSNorm?, qB: Linear?
        if let rank = mla.queryRank {
            qA = try store.linear("\(a).q_a_proj", in: d, out: rank, bias: bias)
            qNorm = RMSNorm(weight: Parameter("\(a).q_a_layernorm.weight", try store.tensor("\(a).q_a_layernorm.weight", shape: [rank]), decays: false), eps: eps)
            qB = try store.linear("\(a).q_b_proj", in: rank, out: h * mla.queryKeyHeadDim)
        } else {
            qProj = try store.linear("\(a).q_proj", in: d, out: h * mla.queryKeyHeadDim)
        }
        let attention = LatentAttention(
            config: mla, heads: h, qProj: qProj, qA: qA, qNorm: qNorm, qB: qB,
            kvA: try store.linear("\(a).kv_a_proj_with_mqa", in: d, out: mla.keyValueRank + mla.ropeHeadDim, bias: bias),
            kvNorm: RMSNorm(weight: Parameter("\(a).kv_a_layernorm.weight", try store.tensor("\(a).kv_a_layernorm.weight", shape: [mla.keyValueRank]), decays: false), eps: eps),
            kvB: try store.linear("\(a).kv_b_proj", in: mla.keyValueRank, out: h * (mla.nopeHeadDim + mla.valueHeadDim)),
            oProj: try store.linear("\(a).o_proj", in: h * mla.valueHeadDim, out: d, bias: bias),
            ropeTheta: theta, interleaved: interleaved)
        let feedForward: FeedForwardLayer
        switch ffn {
        case let .dense(inner):
            feedForward = try store.gatedMLP(gate: "\(p).mlp.gate_proj", up: "\(p).mlp.up_proj", down: "\(p).mlp.down_proj",
                                             hidden: d, intermediate: inner)
        case let .mixture(moe):
            let experts = try (0..<moe.experts).map { e in
                let ep = "\(p).mlp.experts.\(e)"
                return try store.gatedMLP(gate: "\(ep).gate_proj", up: "\(ep).up_proj", down: "\(ep).down_proj",
                                          hidden: d, intermediate: moe.intermediateSize)
            }
            let shared = try moe.sharedIntermediateSize.map {
                try store.gatedMLP(gate: "\(p).mlp.shared_experts.gate_proj", up: "\(p).mlp.shared_experts.up_proj",
                                   down: "\(p).mlp.shared_experts.down_proj", hidden: d, intermediate: $0)
            }
            let biasName = "\(p).mlp.gate.e_score_correction_bias"
            feedForward = MixtureOfExpertsLayer(
                router: try store.linear("\(p).mlp.gate", in: d, out: moe.experts), experts: experts, shared: shared, config: moe,
                selectionBias: store.contains(biasName) ? try store.tensor(biasName, shape: [moe.experts]) : nil)
        }
        return DecoderLayer(
            attentionNorm: try cfg.normalization.load("\(p).input_layernorm", dim: d, from: store), attention: attention,
            feedForwardNorm: try cfg.normalization.load("\(p).post_attention_layernorm", dim: d, from: store),
            feedForward: feedForward)
    }

    /// The MTP module stored as layer `num_hidden_layers` (DeepSeek-V3's layout: `enorm`,
    /// `hnorm`, `eh_proj`, the block's own weights, `shared_head.norm`; the embedding and head
    /// are the trunk's). Its block has the FFN kind of the last trunk layer.
    static func multiTokenPrediction(_ cfg: TransformerConfig, from store: WeightStore) throws -> MultiTokenPredictionHead {
        let d = cfg.hiddenSize, i = cfg.layerCount, p = "model.layers.\(cfg.layerCount)"
        let eps = rmsEpsilon(cfg)
        func norm(_ name: String) throws -> RMSNorm {
            RMSNorm(weight: Parameter("\(p).\(name).weight", try store.tensor("\(p).\(name).weight", shape: [d]), decays: false), eps: eps)
        }
        return MultiTokenPredictionHead(
            embeddingNorm: try norm("enorm"), hiddenNorm: try norm("hnorm"),
            projection: try store.linear("\(p).eh_proj", in: 2 * d, out: d),
            block: try decoderLayer(i, cfg.feedForward[i - 1], cfg, from: store), outputNorm: try norm("shared_head.norm"))
    }

    static func rmsEpsilon(_ cfg: TransformerConfig) -> Float {
        if case let .rmsNorm(e) = cfg.normalization { return e }
        return 1e-6
    }
}
