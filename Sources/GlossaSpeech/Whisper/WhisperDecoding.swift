import CZlib
import Foundation
import GlossaLM
import GlossaTensor

/// One 30 s window decoded: greedy or sampled at a temperature as openai/whisper decoding.py
/// does, or by beam search with CTranslate2's rules (see `beamSearch`).
struct WhisperWindowDecoder {
    struct Result {
        var tokens: [Int32]
        var sumLogProb: Double
        var averageLogProb: Double { sumLogProb / Double(max(1, tokens.count + 1)) }
        var noSpeechProbability: Float
        var temperature: Float
        /// Whether the LM steered this decoding (shallow fusion was active for it).
        var fused: Bool
        var text: String
        /// zlib compression ratio of the text (transcribe.py's repetition check).
        var compressionRatio: Double
        /// Stopped before its end because it could no longer pass the loop check
        /// (`decode(_:…abandoningLoopsAfter:)`): the tokens so far, not a whole decoding.
        var abandoned = false
    }

    let model: WhisperModel
    let vocabulary: WhisperVocabulary
    let filters: WhisperLogitFilters
    let sampleLength: Int
    /// Shallow fusion, when an LM is attached and λ or β is non-zero.
    var fusion: ShallowFusion?

    /// The decoder after a window's prompt, which every decoding of the window (the fused one
    /// and each temperature of the fallback) starts from: the cross-attention keys and values
    /// and the prompt's pass (up to 224 tokens) are computed once per window, not once per
    /// decoding. Decodings fork the state (its cache pages are copy-on-write).
    struct Primed {
        let state: WhisperModel.DecoderState
        /// The logits after the whole prompt, for the first token.
        let firstLogits: Tensor
        let noSpeechProbability: Float
        /// The internal LM's state after the prompt and its log-probabilities, under fusion with μ ≠ 0.
        let internalLM: (WhisperModel.DecoderState, Tensor)?
    }

    /// `prompt` is the full decoder prefix (previous text and the start-of-transcript sequence).
    func prime(audio: Tensor, prompt: [Int32]) -> Primed {
        var state = model.makeDecoderState(audio: audio)
        // <|nospeech|> probability in the logits at <|startoftranscript|>'s position, not after
        // the whole prompt (decoding.py: probs_at_sot; CTranslate2 whisper.cc: sot_index).
        let sot = prompt.lastIndex(of: vocabulary.startOfTranscript) ?? prompt.count - 1
        let logits = model.decode(prompt, state: &state, logitRows: [sot, prompt.count - 1])
        var noSpeech: Float = 0
        if let ns = vocabulary.noSpeech {
            let atSOT = logits.data
            noSpeech = Foundation.exp(atSOT[Int(ns)] - RowMath.logsumexpRow(atSOT, logits.lastDim))
        }
        // The internal LM (the decoder without the audio) reads the same prompt as the decoder.
        var internalLM: (WhisperModel.DecoderState, Tensor)?
        if let fusion, fusion.isActive, fusion.internalWeight != 0 {
            var s = model.makeDecoderState(audio: nil)
            let l = model.decode(prompt, state: &s)
            internalLM = (s, fusion.internalLogProbs(l))
        }
        return Primed(state: state, firstLogits: logits.rows(1..<2).copy(), noSpeechProbability: noSpeech, internalLM: internalLM)
    }

    /// One decoding of a primed window; `lmContext` is the transcript so far, for shallow
    /// fusion, which `fused: false` turns off.
    ///
    /// With `abandoningLoopsAfter` (the previous window's text) a fused decoding stops as soon as
    /// every live hypothesis has repeated a word sequence among its finished words
    /// (`ShallowFusion.mustRepeat`): all it can still produce fails fusion's loop check. Such a
    /// loop otherwise runs to the length limit (224 tokens, each a full beam step), where it
    /// almost always outscores the hypotheses that ended before it (a loop grows surer as it
    /// goes on) and the window is decoded again without the LM; abandoned, the window goes to
    /// that fallback at once, also in the rare case where an earlier hypothesis would have won.
    /// The result is then `abandoned`: the best live hypothesis so far, to be used only as a
    /// rejected decoding.
    ///
    /// With `rescoring`, a beam search without the LM (under active fusion) returns, of its
    /// finished hypotheses that `rescoring` admits, the best by the fused score, (whisper's
    /// log-probability + `fusionTerms`) / tokens, the rank a fused search gives its hypotheses;
    /// whisper's own pick when it admits none. The LM then chooses among the candidates whisper
    /// is sure of, where steering the search gave a decoding whisper was unsure of (docs/asr.md,
    /// "The LM ranks the unfused retry's hypotheses").
    func decode(_ primed: Primed, beamSize: Int, temperature: Float, seed: UInt64, lmContext: [Int32] = [],
                fused: Bool = true, abandoningLoopsAfter previousText: String? = nil, rescoring: ((Result) -> Bool)? = nil) -> Result {
        let lm = fusion.flatMap { fused && $0.isActive ? $0.start(context: lmContext) : nil }
        let ilm = lm != nil ? primed.internalLM : nil
        let loops = lm != nil ? previousText : nil
        if temperature > 0 || beamSize <= 1 {
            let (tokens, sum, abandoned) = sample(state: primed.state, firstLogits: primed.firstLogits, temperature: temperature, seed: seed,
                                                  lm: lm, ilm: ilm, abandoningLoopsAfter: loops)
            return result(tokens, sum, primed, temperature, fused: lm != nil, abandoned: abandoned)
        }
        let (tokens, sum, abandoned, finished) = beamSearch(state: primed.state, firstLogits: primed.firstLogits, beamSize: beamSize,
                                                            lm: lm, ilm: ilm, abandoningLoopsAfter: loops)
        let best = result(tokens, sum, primed, temperature, fused: lm != nil, abandoned: abandoned)
        guard let passes = rescoring, let fusion, fusion.isActive, lm == nil, finished.count > 1 else { return best }
        let admitted = finished.map { result($0.tokens, $0.asr, primed, temperature, fused: false, abandoned: false) }.filter(passes)
        guard admitted.count > 1 else { return admitted.first ?? best }
        let ranks = zip(admitted, fusionTerms(of: admitted.map(\.tokens), lmContext: lmContext, internalLM: primed.internalLM))
            .map { r, term in (r.sumLogProb + term) / Double(max(1, r.tokens.count)) }
        return admitted[ranks.indices.max { ranks[$0] < ranks[$1] }!]
    }

    /// A decoding's result from its tokens and their ASR log-probability sum.
    private func result(_ tokens: [Int32], _ sum: Double, _ primed: Primed, _ temperature: Float, fused: Bool, abandoned: Bool) -> Result {
        let text = self.text(tokens)
        return Result(tokens: tokens, sumLogProb: sum, noSpeechProbability: primed.noSpeechProbability, temperature: temperature,
                      fused: fused, text: text, compressionRatio: Self.compressionRatio(text), abandoned: abandoned)
    }

    /// For each of a window's hypotheses, the sum of the fusion terms a fused beam search adds
    /// along it (`ShallowFusion.addBonuses` without the repetition guard, which is off by
    /// default): λ·log p_LM + β − μ·log p_ILM for each text token the LM scores. The
    /// hypotheses of one beam search share most of their beginning, which the LM and the
    /// internal LM read once.
    func fusionTerms(of hypotheses: [[Int32]], lmContext: [Int32], internalLM: (WhisperModel.DecoderState, Tensor)?) -> [Double] {
        guard let fusion else { return hypotheses.map { _ in 0 } }
        let textAt = hypotheses.map { h in h.indices.filter { h[$0] < vocabulary.endOfText } }
        let lmTerms = fusion.terms(of: zip(hypotheses, textAt).map { h, at in at.map { h[$0] } }, context: lmContext)
        var totals = lmTerms.map { $0.reduce(0.0) { $0 + Double($1 ?? 0) } }
        guard fusion.internalWeight != 0, let (start, first) = internalLM else { return totals }
        // The internal LM reads every token; its row for position p comes after tokens[..<p]
        // (`first` for p = 0).
        let shared = ShallowFusion.sharedPrefixCount(hypotheses)
        var state = start
        let prefix = shared > 0 ? model.decode(Array(hypotheses[0][..<shared]), state: &state, allLogits: true) : nil
        let prefixSums = prefix.map { p in (0..<shared).map { fusion.textLogSumExp(p, row: $0) } } ?? []
        // Log-probabilities past the shared beginning, by the tokens up to the last scored one:
        // hypotheses that differ only in their last timestamp are read once.
        var laterLogProbs: [[Int32]: [Float]] = [:]
        for (j, h) in hypotheses.enumerated() {
            let scored = textAt[j].indices.filter { lmTerms[j][$0] != nil }.map { textAt[j][$0] }
            for p in scored where p <= shared {
                let logProb = p == 0 ? fusion.internalLogProb(of: h[0], logits: first, row: 0, logSumExp: 0)
                    : fusion.internalLogProb(of: h[p], logits: prefix!, row: p - 1, logSumExp: prefixSums[p - 1])
                totals[j] -= Double(fusion.internalWeight * logProb)
            }
            let later = scored.filter { $0 > shared }
            guard let last = later.last else { continue }
            let key = Array(h[shared...last])
            if laterLogProbs[key] == nil {
                var own = state
                let rest = model.decode(Array(h[shared..<last]), state: &own, logitRows: later.map { $0 - 1 - shared })
                laterLogProbs[key] = later.indices.map { fusion.internalLogProb(of: h[later[$0]], logits: rest, row: $0) }
            }
            for logProb in laterLogProbs[key]! { totals[j] -= Double(fusion.internalWeight * logProb) }
        }
        return totals
    }

    /// The text of a decoding's tokens (timestamps and special tokens left out).
    private func text(_ tokens: [Int32]) -> String {
        vocabulary.tokenizer.decode(tokens.filter(vocabulary.isText))
    }

    /// `prime` then `decode`, for a single decoding of a window.
    func decode(audio: Tensor, prompt: [Int32], beamSize: Int, temperature: Float, seed: UInt64, lmContext: [Int32] = [],
                fused: Bool = true) -> Result {
        decode(prime(audio: audio, prompt: prompt), beamSize: beamSize, temperature: temperature, seed: seed,
               lmContext: lmContext, fused: fused)
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
                        lm: (DecodingState, Tensor?)?, ilm: (WhisperModel.DecoderState, Tensor)?,
                        abandoningLoopsAfter previousText: String?) -> ([Int32], Double, Bool) {
        var state = state
        var lmState = lm?.0, lmLogProbs = lm?.1
        var ilmState = ilm?.0, ilmLogProbs = ilm?.1
        var logits = firstLogits
        var tokens: [Int32] = []
        var sum = 0.0
        var fused = 0.0, scored = 0  // fusion terms of the chosen tokens, for the repetition guard
        var rng = RandomGenerator(seed: seed)
        while tokens.count < sampleLength {
            let asr = filteredLogProbs(logits, sampled: tokens)
            var logProbs = asr
            let v = logProbs.lastDim
            var next: Int32
            if let fusion, let lmLogProbs {
                logProbs = asr.copy()
                fusion.addBonuses(to: logProbs, lmLogProbs: lmLogProbs, internalLogProbs: ilmLogProbs, history: tokens,
                                  meanBonus: scored > 0 ? fused / Double(scored) : nil)
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
            sum += Double(asr.data[Int(next)])
            if lmLogProbs != nil && next < vocabulary.endOfText {
                fused += Double(logProbs.data[Int(next)] - asr.data[Int(next)])
                scored += 1
            }
            if next == vocabulary.endOfText { break }
            tokens.append(next)
            if let fusion, let previousText, fusion.mustRepeat(text(tokens), after: previousText) { return (tokens, sum, true) }
            if let fusion, lmState != nil, next < vocabulary.endOfText { lmLogProbs = fusion.advance(&lmState!, token: next) }
            logits = model.decode([next], state: &state)
            if let fusion, ilmState != nil { ilmLogProbs = fusion.internalLogProbs(model.decode([next], state: &ilmState!)) }
        }
        return (tokens, sum, false)
    }

    /// Beam search with CTranslate2's rules (BeamSearch::search in src/decoding.cc, which
    /// faster-whisper runs on the same weights): each step ranks every (beam, token) by its
    /// summed score and takes the best 2·beamSize. Of the first beamSize, each that ends in
    /// end-of-text (or any, on the last step) becomes a hypothesis, and its slot goes to the
    /// next candidate of the second half that does not end. The search stops once beamSize
    /// hypotheses exist (patience 1, no early exit under a length penalty); the winner has the
    /// best sum / length (length penalty 1), length without end-of-text.
    /// openai/whisper differs in two places: it also keeps ended candidates ranked below the
    /// beamSize-th continuing one, and at the length limit adds only enough unfinished beams to
    /// have beamSize; inside a repetition loop those rules pick different transcripts.
    /// With fusion, `sum` (ranking) is the fused score and `asr` the ASR log-probability alone.
    /// Returns the winner's tokens and ASR sum, whether it was abandoned, and every finished
    /// hypothesis with its ASR sum (for `decode(…rescoring:)`).
    private func beamSearch(state: WhisperModel.DecoderState, firstLogits: Tensor, beamSize: Int,
                            lm: (DecodingState, Tensor?)?, ilm: (WhisperModel.DecoderState, Tensor)?,
                            abandoningLoopsAfter previousText: String?) -> ([Int32], Double, Bool, [(tokens: [Int32], asr: Double)]) {
        struct Beam {
            var tokens: [Int32]; var sum: Double; var asr: Double
            /// Text tokens scored by the LM: (sum − asr) / scored is the mean fusion term.
            var scored = 0
            var state: WhisperModel.DecoderState; var logits: Tensor
            var lmState: DecodingState?; var lmLogProbs: Tensor?
            var ilmState: WhisperModel.DecoderState?; var ilmLogProbs: Tensor?
        }
        var beams = [Beam(tokens: [], sum: 0, asr: 0, state: state, logits: firstLogits, lmState: lm?.0, lmLogProbs: lm?.1,
                          ilmState: ilm?.0, ilmLogProbs: ilm?.1)]
        var hypotheses: [(tokens: [Int32], sum: Double, asr: Double)] = []
        let eot = vocabulary.endOfText
        let width = 2 * beamSize
        for step in 0..<sampleLength {
            var candidates: [(beam: Int, token: Int32, sum: Double, asr: Double)] = []
            for (b, beam) in beams.enumerated() {
                let logProbs = filteredLogProbs(beam.logits, sampled: beam.tokens)
                let scores = logProbs.copy()
                if let fusion, let lmLogProbs = beam.lmLogProbs {
                    fusion.addBonuses(to: scores, lmLogProbs: lmLogProbs, internalLogProbs: beam.ilmLogProbs, history: beam.tokens,
                                      meanBonus: beam.scored > 0 ? (beam.sum - beam.asr) / Double(beam.scored) : nil)
                }
                for t in Vec.topIndices(scores.data, scores.lastDim, width) where scores.data[t] > -.infinity {
                    candidates.append((b, Int32(t), beam.sum + Double(scores.data[t]), beam.asr + Double(logProbs.data[t])))
                }
            }
            candidates.sort { $0.sum > $1.sum }
            let lastStep = step == sampleLength - 1
            let (ending, continuing) = Self.selectBeams(candidates.map(\.token), beamSize: beamSize, endOfText: eot, lastStep: lastStep)
            for k in ending {
                let c = candidates[k]
                hypotheses.append((beams[c.beam].tokens + (c.token == eot ? [] : [c.token]), c.sum, c.asr))
            }
            var next: [Beam] = continuing.map { k in
                let c = candidates[k]
                var beam = beams[c.beam]
                beam.tokens.append(c.token)
                if beam.lmLogProbs != nil && c.token < eot { beam.scored += 1 }
                beam.sum = c.sum
                beam.asr = c.asr
                return beam
            }
            if lastStep || hypotheses.count >= beamSize || next.isEmpty { break }
            if let fusion, let previousText, next.allSatisfy({ fusion.mustRepeat(text($0.tokens), after: previousText) }) {
                return (next[0].tokens, next[0].asr, true, [])  // the best live hypothesis so far
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
            // One batched decoder step for all surviving beams and, when fusion subtracts the
            // internal LM, their audio-free states in the same call: the largest product, the
            // 106 MB head, is bound by reading it, which the extra rows share (`bench blas`:
            // 5.2 ms at 10 rows, 3.6 ms at 5).
            let tokens = next.map { $0.tokens.last! }
            let subtracting = next[0].ilmState != nil  // set only under fusion with μ ≠ 0
            var states = next.map(\.state)
            if subtracting {
                states += next.map { $0.ilmState! }
                for b in next.indices { next[b].ilmState = nil }  // one reference fewer to the cache pages
            }
            let logits = model.decodeStep(subtracting ? tokens + tokens : tokens, states: &states)
            for b in next.indices {
                next[b].state = states[b]
                next[b].logits = logits.rows(b..<(b + 1)).copy()
            }
            if let fusion, subtracting {
                for b in next.indices {
                    next[b].ilmState = states[next.count + b]
                    next[b].ilmLogProbs = fusion.internalLogProbs(logits.rows((next.count + b)..<(next.count + b + 1)).copy())
                }
            }
            beams = next
        }
        if hypotheses.isEmpty { hypotheses = beams.map { ($0.tokens, $0.sum, $0.asr) } }
        let best = hypotheses.max { $0.sum / Double(max(1, $0.tokens.count)) < $1.sum / Double(max(1, $1.tokens.count)) }!
        return (best.tokens, best.asr, false, hypotheses.map { ($0.tokens, $0.asr) })
    }

    /// One step of CTranslate2's beam rule over candidates sorted best first (their tokens, at
    /// least 2·beamSize when the vocabulary allows): which become hypotheses, which continue.
    /// Among the first beamSize, an end-of-text candidate (any candidate, on the last step)
    /// ends, and its slot goes to the next candidate from beamSize on that does not end.
    static func selectBeams(_ tokens: [Int32], beamSize: Int, endOfText: Int32, lastStep: Bool) -> (ending: [Int], continuing: [Int]) {
        var ending: [Int] = [], continuing: [Int] = []
        var secondary = beamSize
        for k in 0..<min(beamSize, tokens.count) {
            guard tokens[k] == endOfText || lastStep else {
                continuing.append(k)
                continue
            }
            ending.append(k)
            if let j = (secondary..<min(2 * beamSize, tokens.count)).first(where: { tokens[$0] != endOfText }), !lastStep {
                continuing.append(j)
                secondary = j + 1
            } else {
                secondary = 2 * beamSize
            }
        }
        return (ending, continuing)
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
