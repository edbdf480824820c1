import CZlib
import Foundation
import GlossaLM
import GlossaTensor

/// One 30 s window decoded: greedy, sampled at a temperature, or by beam search, following
/// openai/whisper decoding.py (sum log-probability ranked by length, patience 1).
struct WhisperWindowDecoder {
    struct Result {
        var tokens: [Int32]
        var sumLogProb: Double
        var averageLogProb: Double { sumLogProb / Double(max(1, tokens.count + 1)) }
        var noSpeechProbability: Float
        var temperature: Float
        var text: String
        /// zlib compression ratio of the text (transcribe.py's repetition check).
        var compressionRatio: Double
    }

    let model: WhisperModel
    let vocabulary: WhisperVocabulary
    let filters: WhisperLogitFilters
    let sampleLength: Int
    /// Shallow fusion, when an LM is attached and λ or β is non-zero.
    var fusion: ShallowFusion?

    /// `prompt` is the full decoder prefix (previous text and the start-of-transcript sequence);
    /// `lmContext` the transcript so far, for shallow fusion.
    func decode(audio: Tensor, prompt: [Int32], beamSize: Int, temperature: Float, seed: UInt64, lmContext: [Int32] = []) -> Result {
        var state = model.makeDecoderState(audio: audio)
        let first = model.decode(prompt, state: &state)
        // <|nospeech|> probability at the first sampled position (decoding.py).
        var noSpeech: Float = 0
        if let ns = vocabulary.noSpeech {
            noSpeech = Foundation.exp(first.data[Int(ns)] - RowMath.logsumexpRow(first.data, first.lastDim))
        }
        let lm = fusion.flatMap { $0.isActive ? $0.start(context: lmContext) : nil }
        let (tokens, sum) = temperature > 0 || beamSize <= 1
            ? sample(state: state, firstLogits: first, temperature: temperature, seed: seed, lm: lm)
            : beamSearch(state: state, firstLogits: first, beamSize: beamSize, lm: lm)
        let text = vocabulary.tokenizer.decode(tokens.filter(vocabulary.isText))
        return Result(tokens: tokens, sumLogProb: sum, noSpeechProbability: noSpeech, temperature: temperature, text: text,
                      compressionRatio: Self.compressionRatio(text))
    }

    /// Log-probabilities after the logit rules, in place.
    private func filteredLogProbs(_ logits: Tensor, sampled: [Int32]) -> Tensor {
        let row = logits.copy()
        filters.apply(row.data, count: row.lastDim, sampled: sampled)
        let lse = RowMath.logsumexpRow(row.data, row.lastDim)
        for i in 0..<row.lastDim { row.data[i] -= lse }
        return row
    }

    /// Greedy (or sampled) decoding; with fusion, candidates are scored by the fused score.
    /// Returns the tokens and their ASR log-probability sum (fusion only steers the choice).
    private func sample(state: WhisperModel.DecoderState, firstLogits: Tensor, temperature: Float, seed: UInt64,
                        lm: (DecodingState, Tensor?)?) -> ([Int32], Double) {
        var state = state
        var lmState = lm?.0, lmLogProbs = lm?.1
        var logits = firstLogits
        var tokens: [Int32] = []
        var sum = 0.0
        var rng = RandomGenerator(seed: seed)
        while tokens.count < sampleLength {
            let logProbs = filteredLogProbs(logits, sampled: tokens)
            let v = logProbs.lastDim
            var next: Int32
            if let fusion, lmLogProbs != nil {
                for i in 0..<v where logProbs.data[i] > -.infinity {
                    logProbs.data[i] += Float(fusion.bonus(Int32(i), lmLogProbs))
                }
            }
            if temperature <= 0 {
                next = Sampler.argmax(logProbs.data, v)
            } else {
                // Categorical over softmax(logits / T) (decoding.py GreedyDecoder with temperature).
                var weights = [Double](repeating: 0, count: v)
                var total = 0.0
                for i in 0..<v where logProbs.data[i] > -.infinity {
                    weights[i] = Foundation.exp(Double(logProbs.data[i]) / Double(temperature))
                    total += weights[i]
                }
                var u = Double(rng.uniform()) * total
                next = Int32(v - 1)
                for i in 0..<v where weights[i] > 0 {
                    u -= weights[i]
                    if u <= 0 { next = Int32(i); break }
                }
            }
            sum += Double(logProbs.data[Int(next)]) - (fusion?.bonus(next, lmLogProbs) ?? 0)
            if next == vocabulary.endOfText { break }
            tokens.append(next)
            if let fusion, lmState != nil, next < vocabulary.endOfText { lmLogProbs = fusion.advance(&lmState!, token: next) }
            logits = model.decode([next], state: &state)
        }
        return (tokens, sum)
    }

    /// Beam search: each beam offers its beamSize + 1 best continuations; the best beamSize
    /// unfinished ones continue, candidates ending in end-of-text are kept until beamSize of
    /// them are finished; the winner has the best sum log-prob / length.
    /// With fusion, `sum` (ranking) is the fused score and `asr` the ASR log-probability alone.
    private func beamSearch(state: WhisperModel.DecoderState, firstLogits: Tensor, beamSize: Int,
                            lm: (DecodingState, Tensor?)?) -> ([Int32], Double) {
        struct Beam {
            var tokens: [Int32]; var sum: Double; var asr: Double
            var state: WhisperModel.DecoderState; var logits: Tensor
            var lmState: DecodingState?; var lmLogProbs: Tensor?
        }
        var beams = [Beam(tokens: [], sum: 0, asr: 0, state: state, logits: firstLogits, lmState: lm?.0, lmLogProbs: lm?.1)]
        var finished: [([Int32], Double, Double)] = []
        let eot = vocabulary.endOfText
        for _ in 0..<sampleLength {
            var candidates: [(beam: Int, token: Int32, sum: Double, asr: Double)] = []
            for (b, beam) in beams.enumerated() {
                let logProbs = filteredLogProbs(beam.logits, sampled: beam.tokens)
                let scores = logProbs.copy()
                if let fusion, beam.lmLogProbs != nil {
                    for i in 0..<scores.lastDim where scores.data[i] > -.infinity {
                        scores.data[i] += Float(fusion.bonus(Int32(i), beam.lmLogProbs))
                    }
                }
                for t in Vec.topIndices(scores.data, scores.lastDim, beamSize + 1) {
                    candidates.append((b, Int32(t), beam.sum + Double(scores.data[t]), beam.asr + Double(logProbs.data[t])))
                }
            }
            candidates.sort { $0.sum > $1.sum }
            var next: [Beam] = []
            for c in candidates {
                if c.token == eot {
                    if finished.count < beamSize { finished.append((beams[c.beam].tokens, c.sum, c.asr)) }
                } else if next.count < beamSize {
                    var beam = beams[c.beam]
                    beam.tokens.append(c.token)
                    beam.sum = c.sum
                    beam.asr = c.asr
                    next.append(beam)
                }
                if next.count == beamSize && finished.count >= beamSize { break }
            }
            // The surviving beams' LM states advance by their new text token in one batched step.
            if let fusion {
                let advancing = next.indices.filter { next[$0].lmState != nil && next[$0].tokens.last! < eot }
                if !advancing.isEmpty {
                    var states = advancing.map { next[$0].lmState! }
                    for b in advancing { next[b].lmState = nil }  // one reference fewer to the shared cache pages
                    let logProbs = fusion.advance(&states, tokens: advancing.map { next[$0].tokens.last! })
                    for (i, b) in advancing.enumerated() {
                        next[b].lmState = states[i]
                        next[b].lmLogProbs = logProbs[i]
                    }
                }
            }
            // One batched decoder step for all surviving beams.
            if !next.isEmpty && finished.count < beamSize {
                var states = next.map(\.state)
                let logits = model.decodeStep(next.map { $0.tokens.last! }, states: &states)
                for b in next.indices {
                    next[b].state = states[b]
                    next[b].logits = logits.rows(b..<(b + 1)).copy()
                }
            }
            beams = next
            if finished.count >= beamSize || beams.isEmpty { break }
        }
        if finished.isEmpty { finished = beams.map { ($0.tokens, $0.sum, $0.asr) } }
        let best = finished.max { $0.1 / Double(max(1, $0.0.count)) < $1.1 / Double(max(1, $1.0.count)) }!
        return (best.0, best.2)
    }

    /// len(text) / len(zlib.compress(text)), as transcribe.py's get_compression_ratio.
    static func compressionRatio(_ text: String) -> Double {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return 0 }
        var size = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        let status = compress2(&out, &size, bytes, uLong(bytes.count), Z_DEFAULT_COMPRESSION)
        return status == Z_OK ? Double(bytes.count) / Double(size) : 0
    }
}
