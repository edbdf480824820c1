import GlossaNN
import GlossaTensor

/// GPT-2 (`GPT2LMHeadModel`): LayerNorm, learned positions, GELU (tanh), tied head.
/// Checkpoint names follow transformers' `modeling_gpt2.py`; its Conv1D layers store weights
/// [in, out], so they are transposed to Glossa's [out, in] here, once, at load.
enum GPT2Architecture {
    static func config(_ c: ConfigReader) throws -> TransformerConfig {
        let hidden = try c.int("n_embd"), heads = try c.int("n_head")
        let activation = try c.string("activation_function", default: "gelu_new")
        guard ["gelu_new", "gelu_pytorch_tanh", "gelu"].contains(activation) else {
            throw ModelError.invalidConfig(path: c.path, detail: "activation_function '\(activation)' is not supported")
        }
        guard hidden % heads == 0 else { throw ModelError.invalidConfig(path: c.path, detail: "n_embd not divisible by n_head") }
        let inner = try c.int("n_inner", default: 4 * hidden)
        return TransformerConfig(
            family: .gpt2, vocabularySize: try c.int("vocab_size"), hiddenSize: hidden, heads: heads, keyValueHeads: heads,
            headDim: hidden / heads, normalization: .layerNorm(eps: try c.float("layer_norm_epsilon", default: 1e-5)),
            positions: .learned(maxPositions: try c.int("n_positions")),
            activation: activation == "gelu" ? .geluErf : .geluTanh, gatedMLP: false, attentionBias: true, mlpBias: true,
            latentAttention: nil, feedForward: Array(repeating: .dense(intermediateSize: inner), count: try c.int("n_layer")),
            tiedEmbeddings: true)
    }

    /// A Conv1D weight [in, out] read and transposed to [out, in].
    private static func conv1D(_ store: WeightStore, _ name: String, in i: Int, out o: Int) throws -> Tensor {
        try store.tensor(name, shape: [i, o]).transposed()
    }

    static func load(_ cfg: TransformerConfig, from store: WeightStore) throws -> TransformerLM {
        let d = cfg.hiddenSize, v = cfg.vocabularySize
        guard case let .learned(maxPositions) = cfg.positions else { preconditionFailure("GPT-2 uses learned positions") }
        let wte = Embedding(weight: Parameter("transformer.wte.weight", try store.tensor("transformer.wte.weight", shape: [v, d])))
        let wpe = Embedding(weight: Parameter("transformer.wpe.weight", try store.tensor("transformer.wpe.weight", shape: [maxPositions, d])))
        var layers: [DecoderLayer] = []
        for (i, ffn) in cfg.feedForward.enumerated() {
            let p = "transformer.h.\(i)"
            let qkv = try conv1D(store, "\(p).attn.c_attn.weight", in: d, out: 3 * d)
            let qkvBias = try store.tensor("\(p).attn.c_attn.bias", shape: [3 * d])
            func part(_ k: Int, _ name: String) -> Linear {
                Linear(weight: Parameter("\(p).attn.\(name).weight", qkv.rows((k * d)..<((k + 1) * d)).copy()),
                       bias: Parameter("\(p).attn.\(name).bias", Tensor(Array(qkvBias.array[(k * d)..<((k + 1) * d)]), shape: [d]), decays: false))
            }
            let proj = Linear(weight: Parameter("\(p).attn.c_proj.weight", try conv1D(store, "\(p).attn.c_proj.weight", in: d, out: d)),
                              bias: Parameter("\(p).attn.c_proj.bias", try store.tensor("\(p).attn.c_proj.bias", shape: [d]), decays: false))
            let attention = StandardAttention(q: part(0, "q"), k: part(1, "k"), v: part(2, "v"), o: proj,
                                              heads: cfg.heads, kvHeads: cfg.heads, headDim: cfg.headDim, rope: nil)
            guard case let .dense(inner) = ffn else { preconditionFailure("GPT-2 layers are dense") }
            let fc = Linear(weight: Parameter("\(p).mlp.c_fc.weight", try conv1D(store, "\(p).mlp.c_fc.weight", in: d, out: inner)),
                            bias: Parameter("\(p).mlp.c_fc.bias", try store.tensor("\(p).mlp.c_fc.bias", shape: [inner]), decays: false))
            let out = Linear(weight: Parameter("\(p).mlp.c_proj.weight", try conv1D(store, "\(p).mlp.c_proj.weight", in: inner, out: d)),
                             bias: Parameter("\(p).mlp.c_proj.bias", try store.tensor("\(p).mlp.c_proj.bias", shape: [d]), decays: false))
            layers.append(DecoderLayer(
                attentionNorm: try cfg.normalization.load("\(p).ln_1", dim: d, from: store), attention: attention,
                feedForwardNorm: try cfg.normalization.load("\(p).ln_2", dim: d, from: store),
                feedForward: PlainMLP(up: fc, down: out, activation: cfg.activation)))
        }
        return TransformerLM(config: cfg, embedding: wte, positionEmbedding: wpe, layers: layers,
                             finalNorm: try cfg.normalization.load("transformer.ln_f", dim: d, from: store),
                             head: try store.head(tied: true, embedding: wte, vocab: v, hidden: d))
    }
}
