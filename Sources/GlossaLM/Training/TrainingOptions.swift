/// Everything that defines a training run: the architecture and the optimisation. Stored in
/// every checkpoint, so `--resume` rebuilds exactly the same run.
public struct TrainingOptions: Codable, Equatable, Sendable {
    // Architecture (DeepSeek-V3 layout; experts == 0 gives a dense model).
    public var vocabulary = 50_258
    public var hidden = 256
    public var layers = 6
    public var heads = 4
    public var denseLayers = 1
    public var denseIntermediate = 768
    public var experts = 8
    public var topK = 2
    public var expertIntermediate = 128
    public var sharedExperts = 1
    public var kvRank = 64
    public var ropeHeadDim = 16
    public var nopeHeadDim = 32
    public var valueHeadDim = 32

    // Optimisation.
    public var steps = 2_000
    public var batch = 16
    public var length = 256
    public var peakLearningRate: Float = 3e-3
    public var minLearningRate: Float = 3e-4
    public var warmupSteps = 100
    public var weightDecay: Float = 0.1
    public var clipNorm: Float = 1
    public var seed: UInt64 = 1
    /// γ of DeepSeek-V3's auxiliary-loss-free balancing (0: off).
    public var biasUpdateRate: Float = 1e-3
    /// α of the Switch/GLaM balance loss (0: off).
    public var auxiliaryLossWeight: Float = 0
    public var languages = ["en", "de", "es", "fr", "it", "nl", "pt"]
    public var checkpointEvery = 100
    public var evaluateEvery = 200
    public var evaluationWindows = 8
    /// Embedding rows the optimizer may change; nil: all of them. The others keep their values
    /// (gradient zeroed before clipping, rows restored after each step): [] freezes the table,
    /// as instruction tuning must to keep SPAE's codebook valid.
    public var trainableEmbeddingRows: [Int32]?
    /// Train the embedding table's trainable rows only, every other weight kept as initialised
    /// (the Trainer zeroes its gradient and turns weight decay and the bias rule off). nil: false.
    public var embeddingsOnly: Bool?
    /// The first this many decoder layers keep their starting weights and MoE biases: a
    /// fine-tune of the upper layers, whose export can share the rest with its base model
    /// (`lm export --share-embedding`). nil: none frozen.
    public var frozenLayers: Int?

    public init() {}

    public var modelConfig: TransformerConfig {
        .deepseekStyle(vocabulary: vocabulary, hidden: hidden, layers: layers, heads: heads, denseLayers: denseLayers,
                       denseIntermediate: denseIntermediate, experts: experts, topK: topK, expertIntermediate: expertIntermediate,
                       sharedExperts: sharedExperts, kvRank: kvRank, ropeHeadDim: ropeHeadDim, nopeHeadDim: nopeHeadDim,
                       valueHeadDim: valueHeadDim)
    }
}
