import Dispatch
import Foundation
import GlossaNN
import GlossaTensor

/// Trains a language model on a TokenCorpus: next-token cross-entropy (+ the optional
/// Switch/GLaM balance loss), backward through every layer, gradient clipping, AdamW with
/// warmup + cosine, DeepSeek-V3's bias rule after each step, periodic evaluation and atomic
/// checkpoints. Resuming from a checkpoint continues bit-identically (the batches are a
/// function of the seed and the step).
public final class Trainer {
    public struct StepRecord: Codable {
        public let step: Int
        public let loss: Float
        public let auxiliaryLoss: Float
        public let learningRate: Float
        public let gradientNorm: Float
        public let tokensPerSecond: Double
        /// Targets the loss counted (rows the output head ran on): batch × length unless the
        /// corpus masks targets.
        public let targets: Int
        /// max/mean expert load per MoE layer in this step's batch.
        public let maxLoadRatio: [Float]
        public var validationLoss: [String: Float]?
    }

    public let options: TrainingOptions
    public let model: TransformerLM
    public let optimizer: AdamW
    public private(set) var step = 0
    let schedule: WarmupCosineSchedule
    let corpus: TokenCorpus
    let validation: TokenCorpus?
    let loss = CrossEntropy()
    /// Taken at the first step, after any --init or --resume: frozen rows never change later.
    lazy var embeddingRowFreeze: EmbeddingRowFreeze? = options.trainableEmbeddingRows.map {
        EmbeddingRowFreeze(model.embedding.weight, trainable: $0)
    }
    /// Taken at the first step, like embeddingRowFreeze: the --frozen-layers keep --init's weights.
    lazy var layerFreeze: LayerFreeze? = frozenLayerCount > 0 ? LayerFreeze(model.layers.prefix(frozenLayerCount)) : nil
    var frozenLayerCount: Int { min(options.frozenLayers ?? 0, model.layers.count) }

    public init(options: TrainingOptions, corpus: TokenCorpus, validation: TokenCorpus?) {
        self.options = options
        self.corpus = corpus
        self.validation = validation
        model = RandomInitialization.deepseekStyle(options.modelConfig, seed: options.seed)
        for moe in model.layers.compactMap({ $0.feedForward as? MixtureOfExpertsLayer }) {
            moe.auxiliaryLossWeight = options.auxiliaryLossWeight
        }
        // An embeddings-only run must not move the other weights: no decay (their gradients are zeroed).
        optimizer = AdamW(model.parameters, beta1: 0.9, beta2: 0.95, eps: 1e-8,
                          weightDecay: options.embeddingsOnly == true ? 0 : options.weightDecay)
        schedule = WarmupCosineSchedule(peak: options.peakLearningRate, floor: options.minLearningRate,
                                        warmupSteps: options.warmupSteps, totalSteps: options.steps)
    }

    public var moeLayers: [MixtureOfExpertsLayer] { model.layers.compactMap { $0.feedForward as? MixtureOfExpertsLayer } }
    /// The MoE layers whose correction bias the bias rule moves: none of the frozen ones.
    var trainedMoELayers: [MixtureOfExpertsLayer] {
        model.layers.dropFirst(frozenLayerCount).compactMap { $0.feedForward as? MixtureOfExpertsLayer }
    }

    public func resume(from checkpoint: String) throws {
        step = try TrainingCheckpoint.restore(from: checkpoint, model: model, optimizer: optimizer)
    }

    public func saveCheckpoint(to path: String) throws {
        try TrainingCheckpoint.save(to: path, step: step, options: options, model: model, optimizer: optimizer)
    }

    /// Splits [batch · (length+1)] windows into inputs [batch · length] and their targets.
    static func inputsAndTargets(_ windows: [Int32], batch: Int, length: Int) -> ([Int32], [Int32]) {
        var inputs: [Int32] = [], targets: [Int32] = []
        inputs.reserveCapacity(batch * length)
        targets.reserveCapacity(batch * length)
        for b in 0..<batch {
            let row = windows[(b * (length + 1))..<((b + 1) * (length + 1))]
            inputs.append(contentsOf: row.dropLast())
            targets.append(contentsOf: row.dropFirst())
        }
        return (inputs, targets)
    }

    /// `targets` with the ones outside `mask` set to the ignore index.
    func masked(_ targets: [Int32], _ mask: [Bool]?) -> [Int32] {
        guard let mask else { return targets }
        return zip(targets, mask).map { $1 ? $0 : loss.ignoreIndex }
    }

    /// Where the backward stops: below the frozen layers nothing trains when the table is frozen too.
    var lowestTrainedLayer: Int { options.trainableEmbeddingRows?.isEmpty == true ? frozenLayerCount : 0 }

    /// Whether the head's weight needs no gradient: it is the embedding table, fully frozen.
    var headIsFrozen: Bool {
        options.trainableEmbeddingRows?.isEmpty == true && model.head.weight === model.embedding.weight
    }

    /// The mean loss over the targets that are not ignored and how many there are, and, when
    /// `backward`, the gradient of every parameter. The head (12.9M of the shipped LM's 15.7M
    /// active weights) runs only on rows that have a target: answer-only instruction data has a
    /// few per window.
    func lossAndGradient(inputs: [Int32], targets: [Int32], batch: Int, backward: Bool = true) -> (loss: Float, targets: Int) {
        let hidden = model.hiddenStates(batch: inputs, batch: batch)
        let rows = targets.indices.filter { targets[$0] != loss.ignoreIndex }
        guard !rows.isEmpty else { return (0, 0) }
        let every = rows.count == targets.count
        let logits = model.head(every ? hidden : hidden.gatheringRows(rows))
        let value = loss.forward(logits: logits, targets: every ? targets : rows.map { targets[$0] })
        guard backward else { return (value, rows.count) }
        let dLogits = loss.backward()
        // A frozen tied head needs only dL/dhidden = dlogits·W, not its [vocab, hidden] weight gradient.
        let dSelected = headIsFrozen ? matmul(dLogits, model.head.weight.value) : model.head.backward(dLogits)
        model.backward(hidden: every ? dSelected : dSelected.scatteringRows(rows, rowCount: targets.count), lowestLayer: lowestTrainedLayer)
        return (value, rows.count)
    }

    /// One optimisation step.
    public func trainStep() -> StepRecord {
        let start = DispatchTime.now().uptimeNanoseconds
        let (b, t) = (options.batch, options.length)
        let windows = corpus.sampleWindows(seed: options.seed, step: step, batch: b, length: t)
        let (inputs, targets) = Self.inputsAndTargets(corpus.tokens(of: windows, length: t), batch: b, length: t)
        model.zeroGrad()
        let (value, counted) = lossAndGradient(inputs: inputs, targets: masked(targets, corpus.targetMask(of: windows, length: t)), batch: b)
        let aux = moeLayers.reduce(Float(0)) { $0 + $1.lastAuxiliaryLoss }
        embeddingRowFreeze?.zeroGradient()
        layerFreeze?.zeroGradient()
        if options.embeddingsOnly == true {
            // With zero gradients from the first step and no weight decay, AdamW's update is exactly 0.
            for p in model.parameters where p !== model.embedding.weight { p.grad.fill(0) }
        }
        let norm = clipGradientNorm(optimizer.parameters, maxNorm: options.clipNorm)
        let lr = schedule.learningRate(at: step)
        optimizer.step(learningRate: lr)
        embeddingRowFreeze?.restore()
        layerFreeze?.restore()
        let ratios = moeLayers.map(\.lastMaxLoadRatio)
        if options.biasUpdateRate > 0 && options.embeddingsOnly != true {
            trainedMoELayers.forEach { $0.updateSelectionBias(rate: options.biasUpdateRate) }
        }
        step += 1
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return StepRecord(step: step, loss: value, auxiliaryLoss: aux, learningRate: lr, gradientNorm: norm,
                          tokensPerSecond: Double(b * t) / seconds, targets: counted,
                          maxLoadRatio: ratios, validationLoss: nil)
    }

    /// Mean next-token loss per language over the targets of its first `windows` windows
    /// (only the masked-in ones for a language with a target mask).
    public func evaluate(_ corpus: TokenCorpus, windows: Int, length: Int) -> [String: Float] {
        var out: [String: Float] = [:]
        for lang in corpus.languages {
            var total = 0.0, count = 0
            for w in corpus.evaluationWindows(of: lang, length: length, limit: windows) {
                let ids = corpus.tokens(of: [w], length: length)
                let targets = masked(Array(ids.dropFirst()), corpus.targetMask(of: [w], length: length))
                let (value, n) = lossAndGradient(inputs: Array(ids.dropLast()), targets: targets, batch: 1, backward: false)
                total += Double(value) * Double(n)
                count += n
            }
            out[lang] = count == 0 ? .nan : Float(total / Double(count))
        }
        return out
    }

    /// FLOPs of one training step counted from the model's shapes: 6 per active weight per
    /// token (forward 2, backward 4) plus causal attention (forward and backward); the output
    /// head counts only for the `targets` rows it ran on, 4 per weight when it is frozen; the
    /// layers below `lowestTrainedLayer` run forward only (2 per weight).
    public func flopsPerStep(targets: Int) -> Double {
        let cfg = model.config
        let tokens = Double(options.batch * options.length)
        let skipped = lowestTrainedLayer
        let attention = (Double(cfg.layerCount) * 3 - Double(skipped) * 2) * 2 * 2 * Double(options.length) / 2
            * Double(cfg.heads * (cfg.latentAttention.map { $0.queryKeyHeadDim + $0.valueHeadDim } ?? 2 * cfg.headDim) / 2)
        let head = Double(cfg.vocabularySize * cfg.hiddenSize)
        var forwardOnly = cfg
        forwardOnly.vocabularySize = 0
        forwardOnly.feedForward = Array(cfg.feedForward.prefix(skipped))
        let frozen = skipped > 0 ? Double(forwardOnly.activeParametersPerToken - cfg.hiddenSize) : 0  // less the final norm
        return tokens * (6 * (Double(cfg.activeParametersPerToken) - head) - 4 * frozen + attention)
            + Double(targets) * (headIsFrozen ? 4 : 6) * head
    }

    /// Runs to `options.steps`, calling `report` after each step; checkpoints every
    /// `checkpointEvery` steps and at the end.
    public func run(checkpoint: String?, report: (StepRecord) throws -> Void) throws {
        while step < options.steps {
            var record = trainStep()
            if let validation, options.evaluateEvery > 0, step % options.evaluateEvery == 0 || step == options.steps {
                record.validationLoss = evaluate(validation, windows: options.evaluationWindows, length: options.length)
            }
            try report(record)
            if let checkpoint, step % options.checkpointEvery == 0 || step == options.steps {
                try saveCheckpoint(to: checkpoint)
            }
        }
    }
}
