import GlossaTensor

/// Starting a run from a trained model instead of random weights: fine-tuning, or adapting the
/// LM to a domain from text alone. The architecture comes from the model; the optimizer and the
/// learning-rate schedule start fresh.
extension TrainingOptions {
    /// Takes the architecture fields from a DeepSeek-V3-layout config (what `glossa lm train`
    /// exports); any other layout is refused.
    public mutating func adoptArchitecture(of cfg: TransformerConfig, path: String) throws {
        guard let mla = cfg.latentAttention, cfg.family == .deepseekV3 else {
            throw ModelError.invalidConfig(path: path, detail: "--init needs a DeepseekV3ForCausalLM (a model `glossa lm train` wrote)")
        }
        let dense = cfg.feedForward.prefix { if case .dense = $0 { true } else { false } }
        vocabulary = cfg.vocabularySize
        hidden = cfg.hiddenSize
        layers = cfg.layerCount
        heads = cfg.heads
        denseLayers = dense.count
        if case let .dense(inner)? = dense.first { denseIntermediate = inner }
        experts = 0
        if case let .mixture(moe)? = cfg.feedForward.last {
            (experts, topK, expertIntermediate) = (moe.experts, moe.topK, moe.intermediateSize)
            sharedExperts = (moe.sharedIntermediateSize ?? 0) / max(1, moe.intermediateSize)
        } else if case let .dense(inner)? = cfg.feedForward.last {
            (denseLayers, denseIntermediate) = (cfg.layerCount, inner)
        }
        (kvRank, ropeHeadDim, nopeHeadDim, valueHeadDim) = (mla.keyValueRank, mla.ropeHeadDim, mla.nopeHeadDim, mla.valueHeadDim)
    }
}

extension Trainer {
    /// Copies every parameter and MoE correction bias of `source`, matched by name and shape.
    public func initialize(from source: TransformerLM) throws {
        let sourceParameters = Dictionary(source.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        for p in model.parameters {
            guard let value = sourceParameters[p.name] else { throw ModelError.missingTensor(name: p.name, searched: "the --init model") }
            guard value.shape == p.value.shape else { throw ModelError.shapeMismatch(name: p.name, expected: p.value.shape, found: value.shape) }
            p.value.assign(value)
        }
        let sourceBiases = TrainingCheckpoint.selectionBiases(source.layers)
        for (layer, bias) in TrainingCheckpoint.selectionBiases(model.layers) {
            guard let value = sourceBiases[layer], value.shape == bias.shape else {
                throw ModelError.missingTensor(name: "model.layers.\(layer).mlp.gate.e_score_correction_bias", searched: "the --init model")
            }
            bias.assign(value)
        }
    }

    /// Rescales each trainable embedding row to `norm`, its direction kept: a start for tokens
    /// the --init model never learnt, whose rows still hold the initialisation's random values,
    /// four times a trained row's norm in glossa-lm-v2 (4.7 against 1.1), a loud wrong token in
    /// and out (tied head). Zero is no start: RMSNorm's gradient at a zero input is 1/√ε.
    public func rescaleTrainableEmbeddingRows(toNorm norm: Float) {
        guard let rows = options.trainableEmbeddingRows else { return }
        let table = model.embedding.weight.value, width = table.shape[1]
        for row in rows {
            let start = table.data + Int(row) * width
            let current = Vec.dot(start, start, width).squareRoot()
            if current > 0 { Vec.scale(start, norm / current, start, width) }
        }
    }
}
