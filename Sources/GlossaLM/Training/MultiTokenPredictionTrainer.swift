import Dispatch
import Foundation
import GlossaNN
import GlossaTensor

/// Trains a multi-token-prediction module on a frozen trunk: the trunk's hidden states h_t and
/// the embeddings of x_{t+1} predict x_{t+2} (cross-entropy through the trunk's tied head);
/// only the module's weights move (AdamW, warmup + cosine, clipping), and its MoE selection
/// bias follows DeepSeek-V3's rule. The shipped LM stays frozen, so SPAE's codebook and
/// every earlier result still hold; the module is an add-on for self-speculative decoding.
public final class MultiTokenPredictionTrainer {
    public struct Options: Codable, Equatable {
        public var steps = 300
        public var batch = 16
        public var length = 256
        public var peakLearningRate: Float = 1e-3
        public var warmupSteps = 30
        public var seed: UInt64 = 2
        public var biasUpdateRate: Float = 0.01
        public var languages = ["en", "de", "es", "fr", "it", "nl", "pt"]
        public init() {}
    }

    public struct StepRecord: Codable {
        public let step: Int
        public let loss: Float
        public let learningRate: Float
        public let tokensPerSecond: Double
        public var validationLoss: Float?
    }

    public let model: TransformerLM
    public let module: MultiTokenPredictionHead
    public let options: Options
    public let optimizer: AdamW
    public private(set) var step = 0
    let corpus: TokenCorpus
    let schedule: WarmupCosineSchedule
    let crossEntropy = CrossEntropy()

    /// `model` keeps its weights; a module is created for it unless it already has one.
    public init(model: TransformerLM, options: Options, corpus: TokenCorpus) throws {
        self.model = model
        self.options = options
        self.corpus = corpus
        if model.multiTokenPrediction == nil { model.multiTokenPrediction = try .initialized(for: model, seed: options.seed) }
        module = model.multiTokenPrediction!
        optimizer = AdamW(module.parameters, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1)
        schedule = WarmupCosineSchedule(peak: options.peakLearningRate, floor: options.peakLearningRate / 10,
                                        warmupSteps: options.warmupSteps, totalSteps: options.steps)
    }

    var moe: MixtureOfExpertsLayer? { module.block.feedForward as? MixtureOfExpertsLayer }
    var biases: [String: Tensor] { moe?.selectionBias.map { ["mtp": $0] } ?? [:] }

    public func saveCheckpoint(to path: String) throws {
        try TrainingCheckpoint.save(to: path, step: step, options: String(data: try JSONEncoder().encode(options), encoding: .utf8)!,
                                    optimizer: optimizer, biases: biases)
    }

    public func resume(from path: String) throws {
        step = try TrainingCheckpoint.restore(from: path, optimizer: optimizer, biases: biases)
    }

    /// The MTP loss on `windows` of length + 1 tokens ([batch · (length + 1)]); `crossEntropy`
    /// keeps dL/dlogits. Position t predicts x_{t+2}; the last position has no target.
    func loss(windows: [Int32], batch b: Int, length t: Int) -> Float {
        let (inputs, targets) = Trainer.inputsAndTargets(windows, batch: b, length: t)
        let hidden = model.hiddenStates(batch: inputs, batch: b)
        let positions = (0..<b).flatMap { _ in Array(0..<t) }
        var none: LayerKVCache? = nil
        let out = module.forward(hidden: hidden, nextEmbeddings: model.embedding(targets), batch: b, positions: positions, cache: &none)
        let twoAhead = (0..<(b * t)).map { i in i % t == t - 1 ? crossEntropy.ignoreIndex : targets[i + 1] }
        return crossEntropy.forward(logits: model.head(out), targets: twoAhead)
    }

    public func trainStep() -> StepRecord {
        let start = DispatchTime.now().uptimeNanoseconds
        let (b, t) = (options.batch, options.length)
        module.zeroGrad()
        let value = loss(windows: corpus.batch(seed: options.seed, step: step, batch: b, length: t), batch: b, length: t)
        // dL/d(module output) only: the head is the frozen trunk's, so its weight gradient is skipped.
        module.backward(matmul(crossEntropy.backward(), model.head.weight.value))
        clipGradientNorm(optimizer.parameters, maxNorm: 1)
        let lr = schedule.learningRate(at: step)
        optimizer.step(learningRate: lr)
        if options.biasUpdateRate > 0 { moe?.updateSelectionBias(rate: options.biasUpdateRate) }
        step += 1
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return StepRecord(step: step, loss: value, learningRate: lr, tokensPerSecond: Double(b * t) / seconds, validationLoss: nil)
    }

    /// Mean MTP loss over the first `windows` validation windows of each language.
    public func evaluate(_ validation: TokenCorpus, windows: Int) -> Float {
        var total = 0.0, count = 0
        for lang in validation.languages {
            for w in validation.windows(of: lang, length: options.length, limit: windows) {
                total += Double(loss(windows: w, batch: 1, length: options.length))
                count += 1
            }
        }
        return Float(total / Double(max(1, count)))
    }
}
