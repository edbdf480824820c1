import GlossaNN

/// One description of every decoder-only transformer Glossa runs: the architecture files
/// translate their Hugging Face config.json into it.
public struct TransformerConfig: Sendable {
    public enum Family: String, Sendable, CaseIterable {
        case gpt2 = "GPT2LMHeadModel"
        case llama = "LlamaForCausalLM"
        case mixtral = "MixtralForCausalLM"
        case deepseekV3 = "DeepseekV3ForCausalLM"
    }

    public enum Normalization: Sendable, Equatable {
        case layerNorm(eps: Float)
        case rmsNorm(eps: Float)
    }

    public enum Positions: Sendable, Equatable {
        /// A learned table (GPT-2).
        case learned(maxPositions: Int)
        /// Rotary embeddings on q and k, half-split or interleaved pairs.
        case rotary(theta: Float, interleaved: Bool)
    }

    /// Multi-head latent attention (DeepSeek-V2/V3).
    public struct LatentAttention: Sendable, Equatable {
        public var queryRank: Int?
        public var keyValueRank: Int
        public var ropeHeadDim: Int
        public var nopeHeadDim: Int
        public var valueHeadDim: Int
        public var queryKeyHeadDim: Int { ropeHeadDim + nopeHeadDim }
    }

    public enum Routing: Sendable, Equatable {
        /// Mixtral / GLaM: softmax over all experts, top-k, renormalised.
        case softmaxTopK
        /// DeepSeek-V3: sigmoid scores; selection on score + correction bias within the best
        /// `topKGroups` of `groups`; weights from the raw scores, optionally normalised, scaled.
        case sigmoidGrouped(groups: Int, topKGroups: Int, normalize: Bool, scaling: Float)
    }

    public struct MixtureOfExperts: Sendable, Equatable {
        public var experts: Int
        public var topK: Int
        public var intermediateSize: Int
        public var routing: Routing
        /// Intermediate size of the always-on shared expert, if any.
        public var sharedIntermediateSize: Int?
    }

    /// What a layer's feed-forward block is: the per-layer schedule covers GLaM-style
    /// alternation and Brainformer-style heterogeneous stacks.
    public enum FeedForward: Sendable, Equatable {
        case dense(intermediateSize: Int)
        case mixture(MixtureOfExperts)
    }

    public var family: Family
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var heads: Int
    public var keyValueHeads: Int
    public var headDim: Int
    public var normalization: Normalization
    public var positions: Positions
    public var activation: ActivationKind
    /// Gated (SwiGLU-style, three matrices) or plain (two matrices) dense MLPs.
    public var gatedMLP: Bool
    /// Biases on q, k, v, o (GPT-2 always; Llama when attention_bias).
    public var attentionBias: Bool
    public var mlpBias: Bool
    public var latentAttention: LatentAttention?
    public var feedForward: [FeedForward]
    public var tiedEmbeddings: Bool

    public var layerCount: Int { feedForward.count }
}
