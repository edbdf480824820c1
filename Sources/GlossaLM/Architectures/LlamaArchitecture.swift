import GlossaNN
import GlossaTensor

/// Llama (`LlamaForCausalLM`) and Mixtral (`MixtralForCausalLM`): RMSNorm, RoPE (half-split),
/// grouped-query attention, SwiGLU. Mixtral replaces every MLP with a softmax top-k MoE
/// (`block_sparse_moe.gate`, `block_sparse_moe.experts.N.{w1,w2,w3}`). Names follow
/// transformers' `modeling_llama.py` and the Mixtral checkpoint layout.
enum LlamaArchitecture {
    static func config(_ c: ConfigReader, family: TransformerConfig.Family) throws -> TransformerConfig {
        let hidden = try c.int("hidden_size"), heads = try c.int("num_attention_heads")
        let act = try c.string("hidden_act", default: "silu")
        guard act == "silu" else { throw ModelError.invalidConfig(path: c.path, detail: "hidden_act '\(act)' is not supported") }
        let layers = try c.int("num_hidden_layers")
        let ffn: TransformerConfig.FeedForward
        if family == .mixtral {
            ffn = .mixture(.init(experts: try c.int("num_local_experts"), topK: try c.int("num_experts_per_tok"),
                                 intermediateSize: try c.int("intermediate_size"), routing: .softmaxTopK, sharedIntermediateSize: nil))
        } else {
            ffn = .dense(intermediateSize: try c.int("intermediate_size"))
        }
        return TransformerConfig(
            family: family, vocabularySize: try c.int("vocab_size"), hiddenSize: hidden, heads: heads,
            keyValueHeads: try c.int("num_key_value_heads", default: heads),
            headDim: try c.int("head_dim", default: hidden / heads),
            normalization: .rmsNorm(eps: try c.float("rms_norm_eps", default: 1e-6)),
            positions: .rotary(theta: try c.ropeTheta(default: 10_000), interleaved: false),
            activation: .silu, gatedMLP: true, attentionBias: try c.bool("attention_bias", default: false),
            mlpBias: try c.bool("mlp_bias", default: false), latentAttention: nil,
            feedForward: Array(repeating: ffn, count: layers), tiedEmbeddings: try c.bool("tie_word_embeddings", default: false))
    }

    static func load(_ cfg: TransformerConfig, from store: WeightStore) throws -> TransformerLM {
        let d = cfg.hiddenSize, v = cfg.vocabularySize, hd = cfg.headDim
        guard case let .rotary(theta, interleaved) = cfg.positions else { preconditionFailure("Llama uses RoPE") }
        let embedding = Embedding(weight: Parameter("model.embed_tokens.weight", try store.tensor("model.embed_tokens.weight", shape: [v, d])))
        let rope = RotaryEmbedding(headDim: hd, base: theta, interleaved: interleaved)
        var layers: [DecoderLayer] = []
        for (i, ffn) in cfg.feedForward.enumerated() {
            let p = "model.layers.\(i)"
            let b = cfg.attentionBias
            let attention = StandardAttention(
                q: try store.linear("\(p).self_attn.q_proj", in: d, out: cfg.heads * hd, bias: b),
                k: try store.linear("\(p).self_attn.k_proj", in: d, out: cfg.keyValueHeads * hd, bias: b),
                v: try store.linear("\(p).self_attn.v_proj", in: d, out: cfg.keyValueHeads * hd, bias: b),
                o: try store.linear("\(p).self_attn.o_proj", in: cfg.heads * hd, out: d, bias: b),
                heads: cfg.heads, kvHeads: cfg.keyValueHeads, headDim: hd, rope: rope)
            let feedForward: FeedForwardLayer
            switch ffn {
            case let .dense(inner):
                feedForward = try store.gatedMLP(gate: "\(p).mlp.gate_proj", up: "\(p).mlp.up_proj", down: "\(p).mlp.down_proj",
                                                 hidden: d, intermediate: inner, bias: cfg.mlpBias)
            case let .mixture(moe):
                let experts = try (0..<moe.experts).map { e in
                    let ep = "\(p).block_sparse_moe.experts.\(e)"
                    return try store.gatedMLP(gate: "\(ep).w1", up: "\(ep).w3", down: "\(ep).w2", hidden: d, intermediate: moe.intermediateSize)
                }
                feedForward = MixtureOfExpertsLayer(router: try store.linear("\(p).block_sparse_moe.gate", in: d, out: moe.experts),
                                                    experts: experts, shared: nil, config: moe, selectionBias: nil)
            }
            layers.append(DecoderLayer(
                attentionNorm: try cfg.normalization.load("\(p).input_layernorm", dim: d, from: store), attention: attention,
                feedForwardNorm: try cfg.normalization.load("\(p).post_attention_layernorm", dim: d, from: store),
                feedForward: feedForward))
        }
        return TransformerLM(config: cfg, embedding: embedding, positionEmbedding: nil, layers: layers,
                             finalNorm: try cfg.normalization.load("model.norm", dim: d, from: store),
                             head: try store.head(tied: cfg.tiedEmbeddings, embedding: embedding, vocab: v, hidden: d))
    }
}
