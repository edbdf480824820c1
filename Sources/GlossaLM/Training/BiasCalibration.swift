import Foundation
import GlossaTensor

/// Re-balances a trained MoE's routing for a deployment mix of languages by running DeepSeek-V3's
/// bias rule, b_e −= γ·sign(load_e − mean load), on forward passes only: no weight changes, so the
/// embeddings (SPAE's codebook) and the experts stay as trained; only which experts are picked
/// moves.
///
/// Why it is needed: during training the rule balances each batch, whose languages are drawn in
/// proportion to corpus size, with γ fixed; the last biases reflect the last batches. Experts
/// specialise by language (max/mean load 3–3.5 within one language), so a different language mix
/// at inference, such as the validation set's equal shares, sees imbalance (max/mean up to 2.1).
/// Calibrating on training windows with equal language shares and a decaying γ (DeepSeek-V3 also
/// stops updating the bias at the end of training) fixes the bias for that mix.
public enum BiasCalibration {
    public struct Record {
        public let step: Int
        public let rate: Float
        public let maxLoadRatio: [Float]
    }

    /// `steps` passes over batches of `windowsPerLanguage` random training windows of each
    /// language; γ decays geometrically from `startRate` to `endRate`.
    public static func run(model: TransformerLM, corpus: TokenCorpus, steps: Int, windowsPerLanguage: Int, length: Int,
                           startRate: Float, endRate: Float, seed: UInt64, report: (Record) -> Void) {
        let moe = model.layers.compactMap { $0.feedForward as? MixtureOfExpertsLayer }
        precondition(!moe.isEmpty && moe.allSatisfy { $0.selectionBias != nil }, "bias calibration needs MoE layers with a selection bias")
        var rng = RandomGenerator(seed: seed)
        for step in 0..<steps {
            var ids: [Int32] = []
            for lang in corpus.languages {
                let tokens = corpus.count(of: lang)
                for _ in 0..<windowsPerLanguage {
                    ids += corpus.window(of: lang, start: rng.int(below: tokens - length), length: length)
                }
            }
            _ = model.hiddenStates(batch: ids, batch: corpus.languages.count * windowsPerLanguage)
            let progress = steps > 1 ? Float(step) / Float(steps - 1) : 1
            let rate = startRate * Foundation.pow(endRate / startRate, progress)
            let ratios = moe.map(\.lastMaxLoadRatio)
            moe.forEach { $0.updateSelectionBias(rate: rate) }
            report(Record(step: step + 1, rate: rate, maxLoadRatio: ratios))
        }
    }
}
