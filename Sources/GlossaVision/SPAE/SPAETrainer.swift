import Dispatch
import Foundation
import GlossaNN
import GlossaTensor

/// Trains SPAE on labelled images: reconstruction (MSE at the full depth and at one random
/// shallower depth per step, so every depth learns to decode), plus the quantizer's
/// commitment and codebook losses and the semantic head's label-word loss; AdamW with warmup + cosine and clipping.
/// Batches are a function of (seed, step), so a resumed run continues identically.
public final class SPAETrainer {
    public struct Options: Codable, Equatable {
        public var steps = 3000
        public var batch = 64
        public var learningRate: Float = 2e-3
        public var warmupSteps = 100
        public var seed: UInt64 = 1
        public var commitment: Float = 0.25
        /// Weight w of the random shallower depth's reconstruction loss: (MSE_L + w·MSE_l)/(1 + w)
        /// (1: glossa-spae-v3's mean of the two; glossa-spae-v4 0.03; 0: full depth only). The
        /// one small decoder renders every depth, and in the PyTorch probe learning the shallow
        /// ones cost 4 dB at full depth after 500 steps (16.25 against 20.29 dB at w = 0, where
        /// PSNR still rises with each layer; docs/spae.md).
        public var shallowWeight: Float = 1
        /// Scales the semantic head's loss. Its gradients reach only the head, so the weight
        /// matters through the shared gradient-norm clip: kept small, the head cannot shrink
        /// the reconstruction's share of the clipped step.
        public var semanticWeight: Float = 0.1
        /// Train only the semantic head (weight 1), the rest frozen: the head is a probe, so a
        /// new head can be fitted to a trained model without touching its reconstruction.
        public var headOnly = false
        public init() {}
    }

    public struct StepRecord: Codable {
        public let step: Int
        public let reconstruction: Float
        public let commitment: Float
        public let semantic: Float
        /// Distinct codes among the batch's tokens (all layers): low values mean collapse.
        public let distinctCodes: Int
        public let imagesPerSecond: Double
    }

    public let model: SPAEModel
    public let options: Options
    public let optimizer: AdamW
    public private(set) var step = 0
    let images: Tensor      // [N, C, 32, 32]
    let labels: [Int]
    /// layerOneTargets[class]: the codebook rows the semantic head's loss counts as right.
    let layerOneTargets: [[Int32]]
    let schedule: WarmupCosineSchedule

    public init(model: SPAEModel, options: Options, images: Tensor, labels: [Int], layerOneTargets: [[Int32]]) {
        self.model = model
        self.options = options
        self.images = images
        self.labels = labels
        self.layerOneTargets = layerOneTargets
        model.quantizer.commitment = options.commitment
        precondition(!options.headOnly || model.semanticHead != nil, "head-only training needs a semantic head")
        optimizer = AdamW(options.headOnly ? model.semanticHead!.parameters : model.parameters, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0)
        schedule = WarmupCosineSchedule(peak: options.learningRate, floor: options.learningRate / 10,
                                        warmupSteps: min(options.warmupSteps, options.steps), totalSteps: options.steps)
    }

    public func resume(step: Int) { self.step = step; optimizer.restore(stepCount: step) }

    public func trainStep() -> StepRecord {
        let start = DispatchTime.now().uptimeNanoseconds
        var rng = RandomGenerator(seed: options.seed &+ UInt64(step) &* 0x9E37_79B9_7F4A_7C15)
        let b = options.batch
        let pick = (0..<b).map { _ in rng.int(below: labels.count) }
        let size = images.count / images.shape[0]
        let x = Tensor(uninitialized: [b] + Array(images.shape.dropFirst()))
        for (i, n) in pick.enumerated() { (x.data + i * size).update(from: images.data + n * size, count: size) }

        model.zeroGrad()
        let z = model.encode(x)
        let labelWords = pick.map { layerOneTargets[labels[$0]] }
        if options.headOnly, let (codes, loss) = model.layerOneWords(z, labelWords: labelWords) {
            model.semanticHead?.backward(weight: 1)
            return finishStep(start: start, reconstruction: 0, commitment: 0, semantic: loss, codes: Set(codes).count)
        }
        let codebook = model.mappedCodebook()
        let (out, semantic) = model.quantize(z, codebook: codebook, labelWords: labelWords)
        let layers = model.config.layers
        // Drawn even when its weight is 0, so every option sees the same batches and depths.
        let shallow = layers > 1 ? rng.int(below: layers - 1) + 1 : 0
        let w = shallow > 0 ? options.shallowWeight : 0
        let depths: [(depth: Int, weight: Float)] = w > 0 ? [(shallow, w / (1 + w)), (layers, 1 / (1 + w))] : [(layers, Float(1))]
        var dReconstructions = [Tensor?](repeating: nil, count: layers)
        var reconstruction: Float = 0
        for (depth, weight) in depths {
            let y = model.decodeForTraining(out.reconstructions[depth - 1])
            let dy = y - x
            reconstruction += weight * Vec.dot(dy.data, dy.data, dy.count) / Float(dy.count)
            dy.scale(by: 2 * weight / Float(dy.count))
            dReconstructions[depth - 1] = model.decodeBackward(dy)
        }
        let (dz, dCodebook) = model.quantizer.backward(dReconstructions)
        model.encodeBackward(dz)
        model.mappedCodebookBackward(dCodebook)
        model.semanticHead?.backward(weight: options.semanticWeight)
        return finishStep(start: start, reconstruction: reconstruction, commitment: out.commitmentLoss, semantic: semantic,
                          codes: Set(out.codes.joined()).count)
    }

    private func finishStep(start: UInt64, reconstruction: Float, commitment: Float, semantic: Float, codes: Int) -> StepRecord {
        clipGradientNorm(optimizer.parameters, maxNorm: 1)
        optimizer.step(learningRate: schedule.learningRate(at: step))
        if model.config.codebookMapOrthogonal == true && !options.headOnly { model.codebookMap.orthogonalize() }
        step += 1
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return StepRecord(step: step, reconstruction: reconstruction, commitment: commitment, semantic: semantic,
                          distinctCodes: codes, imagesPerSecond: Double(options.batch) / seconds)
    }
}
