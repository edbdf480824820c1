import Foundation
import GlossaLM
import GlossaTensor

/// Shallow fusion of an external LM into Whisper's decoding (Kannan et al. 2018; the GLaM
/// multilingual shallow-fusion paper): for text tokens,
///
///     score = log p_asr(y | x, y<) + λ · log p_LM(y | y<) − μ · log p_ILM(y | y<) + β
///
/// and nothing is added for special or timestamp tokens. Each beam carries its own LM decoding
/// state (forks are cheap: see LayerKVCache), advanced only by text tokens; the LM's context is
/// the transcript so far, across 30 s windows.
///
/// The internal LM: p_ILM is what the recognizer's decoder predicts from the text alone, the
/// decoder run without cross-attention (ILME: Meng et al. 2021, "Internal language model
/// estimation for domain-adaptive end-to-end speech recognition", the context vector removed),
/// normalised over text tokens, with its own state per beam fed every token the decoder reads.
/// Whisper's decoder learned a text prior from its web transcripts; subtracting it lets the
/// external LM's prior on the target text replace that prior rather than be added to it.
///
/// The transcript's first word: Whisper writes it with a leading space (" The"), while the LM's
/// documents begin without one ("The"), so after end-of-text the LM gives " The" about
/// e^-8 of the probability of "The" and would penalise every first word by a different, arbitrary
/// amount. The first text token is therefore not scored by the LM (it has no context to judge
/// it by anyway), and the LM reads it without its space, as its own documents begin.
///
/// Repetition guard: a transformer LM copies from its context, so once Whisper starts a
/// repetition loop ("-Auto-Armens-Auto-Armens-") the LM predicts the next repeat with near
/// certainty and every other word gets a large penalty: fused loops run longer than unfused
/// ones (docs/asr.md). Where the hypothesis's last n−1 text tokens occurred before in the same
/// window, the tokens that followed them there (the "repeats") get the hypothesis's mean fusion
/// term so far, and the other tokens the LM's distribution with the repeats' mass taken out,
/// log p_LM(y) − log(1 − Σ_repeats p_LM). The LM then neither pushes a loop on nor penalises
/// it; whisper alone decides.
public struct ShallowFusion {
    public let model: TransformerLM
    public let weight: Float
    public let lengthBonus: Float
    /// μ: weight of the recognizer's internal LM, subtracted (ILME, Meng et al. 2021).
    public var internalWeight: Float = 0
    /// Tokens of the transcript kept as LM context at the start of each window.
    public var contextTokens = 128
    /// n of the repetition guard (0 turns it off).
    public var repeatNgram = 0
    /// A fused window whose text has a sequence of this many words twice is decoded again
    /// without the LM (0 turns the check off); see `repeatsWords`.
    public var loopWords = 4
    let endOfText: Int32
    let tokenizer: ByteLevelBPETokenizer

    /// Fails unless the LM's tokenizer spells every LM id exactly as Whisper's does: fused
    /// scores add log-probabilities of the same token ids, so the vocabularies must agree.
    public init(model: TransformerLM, tokenizer: ByteLevelBPETokenizer, whisper: WhisperVocabulary, weight: Float, lengthBonus: Float) throws {
        let n = min(model.vocabularySize, Int(whisper.endOfText) + 1)
        for id in 0..<Int32(n) where tokenizer.token(of: id) != whisper.tokenizer.token(of: id) {
            throw ModelError.invalidInput("the LM's tokenizer differs from the recognizer's at id \(id) "
                + "('\(tokenizer.token(of: id) ?? "none")' vs '\(whisper.tokenizer.token(of: id) ?? "none")'): shallow fusion needs one vocabulary")
        }
        guard model.vocabularySize > Int(whisper.endOfText) else {
            throw ModelError.invalidInput("the LM's \(model.vocabularySize) ids do not cover Whisper's text tokens (up to \(whisper.endOfText))")
        }
        self.model = model
        // The LM is frozen here, and its head (most of a small LM's weights) runs once per step
        // for all beams: where the checkpoint's weights are fp16 numbers, as glossa-lm-v2's are,
        // the step reads an exact fp16 copy (ExactHalfMatrix), half the bytes.
        model.head.keepExactHalfCopy()
        self.weight = weight
        self.lengthBonus = lengthBonus
        endOfText = whisper.endOfText
        self.tokenizer = tokenizer
    }

    /// With λ = β = 0 fusion is skipped entirely, so decoding is exactly unfused.
    public var isActive: Bool { weight != 0 || lengthBonus != 0 }

    /// An LM state primed with end-of-text and the transcript's last tokens; returns the state
    /// and the LM's log-probabilities for the next token (nil at the transcript's start: the
    /// first token is not scored).
    func start(context: [Int32]) -> (DecodingState, Tensor?) {
        var state = model.makeState()
        var tokens = Array(context.suffix(contextTokens))
        if tokens.count == context.count, let first = tokens.first {
            tokens = spaceless(first) + tokens.dropFirst()
        }
        let logits = model.forward([endOfText] + tokens, state: &state, allLogits: false)
        return (state, tokens.isEmpty ? nil : logits.logSoftmax())
    }

    /// Advances a beam's LM state by one text token (the first one without its leading space).
    func advance(_ state: inout DecodingState, token: Int32) -> Tensor {
        model.forward(input(token, after: state), state: &state, allLogits: false).logSoftmax()
    }

    /// The LM tokens for a text token: the first one after end-of-text without its leading space.
    private func input(_ token: Int32, after state: DecodingState) -> [Int32] {
        state.length == 1 ? spaceless(token) : [token]
    }

    /// Advances several beams' LM states by one text token each. The layers run per beam, as
    /// each has its own cache; the head, most of a small LM's weights (12.9M of glossa-lm-v2's
    /// 15.7M active parameters), runs once for all beams, so its weights are read once per
    /// step instead of once per beam.
    func advance(_ states: inout [DecodingState], tokens: [Int32]) -> [Tensor] {
        precondition(states.count == tokens.count && !tokens.isEmpty, "one token per LM state")
        let hidden = Tensor(uninitialized: [tokens.count, model.config.hiddenSize])
        for (b, token) in tokens.enumerated() {
            let h = model.hiddenStates(input(token, after: states[b]), state: &states[b])
            hidden.row(b).assign(h.row(h.rowCount - 1))
        }
        let logits = model.head(hidden)
        return tokens.indices.map { logits.rows($0..<($0 + 1)).copy().logSoftmax() }
    }

    /// λ·log p_LM + β for each text token of each of `texts` (a window's hypotheses, their
    /// text tokens) after the transcript `context`, as a fused search adds them; nil for the
    /// transcript's first token, which is not scored. The texts' common beginning is read once.
    func terms(of texts: [[Int32]], context: [Int32]) -> [[Float?]] {
        var (state, first) = start(context: context)
        // The LM's log-probabilities for the token after each of `tokens`, fed after `state`.
        func following(_ tokens: ArraySlice<Int32>, _ state: inout DecodingState) -> Tensor? {
            guard !tokens.isEmpty else { return nil }
            var ids: [Int32] = [], rows: [Int] = []
            for t in tokens {
                ids += ids.isEmpty ? input(t, after: state) : [t]
                rows.append(ids.count - 1)
            }
            return model.head(model.hiddenStates(ids, state: &state).gatheringRows(rows)).logSoftmax()
        }
        let shared = Self.sharedPrefixCount(texts)
        let prefix = following(texts.first?.prefix(shared) ?? [], &state)  // row k − 1: token k, for k in 1...shared
        // Elements are read with Tensor's subscript, which holds the tensor while it reads (a
        // `.data` pointer taken from a temporary outlives it). Hypotheses that differ only in
        // timestamps have the same text: each text is scored once.
        var scoredTexts: [[Int32]: [Float?]] = [:]
        return texts.map { text in
            if let known = scoredTexts[text] { return known }
            var own = state
            let rest = following(text.dropFirst(shared).dropLast(), &own)  // row k − 1 − shared: token k > shared
            let terms = text.indices.map { k -> Float? in
                guard k > 0 else { return first.map { weight * $0[0, Int(text[0])] + lengthBonus } }
                return weight * (k <= shared ? prefix![k - 1, Int(text[k])] : rest![k - 1 - shared, Int(text[k])]) + lengthBonus
            }
            scoredTexts[text] = terms
            return terms
        }
    }

    /// How many tokens all `lists` begin with.
    static func sharedPrefixCount(_ lists: [[Int32]]) -> Int {
        guard let shortest = lists.map(\.count).min() else { return 0 }
        return (0..<shortest).first { k in lists.contains { $0[k] != lists[0][k] } } ?? shortest
    }

    /// A token spelled without its leading space, in the LM's tokens (" Choose" → "Cho", "ose");
    /// the token itself when it has no leading space or is not whole UTF-8 on its own.
    func spaceless(_ token: Int32) -> [Int32] {
        let bytes = tokenizer.decodeBytes([token])
        guard bytes.count > 1, bytes[0] == 0x20, let text = String(validating: bytes.dropFirst(), as: UTF8.self) else { return [token] }
        return tokenizer.encode(text)
    }

    /// Adds the fusion term to every allowed candidate in `scores` (the ASR log-probabilities,
    /// −∞ where the logit rules forbid a token). `history` is the hypothesis's tokens in this
    /// window, `meanBonus` its mean fusion term per scored token so far (nil before the first).
    func addBonuses(to scores: Tensor, lmLogProbs lm: Tensor, internalLogProbs ilm: Tensor? = nil, history: [Int32], meanBonus: Double?) {
        // Off by default: then no per-step copy of the history on this per-token path.
        let repeats = repeatNgram > 1 && meanBonus != nil ? self.repeats(after: history.filter { $0 < endOfText }) : []
        var shift: Float = 0
        if !repeats.isEmpty {
            let mass = repeats.reduce(0.0) { $0 + Foundation.exp(Double(lm.data[Int($1)])) }
            shift = -Float(Foundation.log(max(1e-6, 1 - mass)))
        }
        let n = min(Int(endOfText), scores.lastDim)
        for i in 0..<n where scores.data[i] > -.infinity {
            scores.data[i] += weight * (lm.data[i] + shift) + lengthBonus
        }
        let internalLM = internalWeight != 0 ? ilm : nil
        if let internalLM {
            for i in 0..<n where scores.data[i] > -.infinity { scores.data[i] -= internalWeight * internalLM.data[i] }
        }
        // A repeat's whole fusion term, internal LM included, is replaced by the mean.
        for r in repeats.map(Int.init) where r < n && scores.data[r] > -.infinity {
            scores.data[r] += Float(meanBonus!) - (weight * (lm.data[r] + shift) + lengthBonus - (internalLM.map { internalWeight * $0.data[r] } ?? 0))
        }
    }

    /// The internal LM's log-probabilities over text tokens alone (the ids below end-of-text)
    /// from the audio-free decoder's logits row, normalised in place (the caller owns the row).
    func internalLogProbs(_ row: Tensor) -> Tensor {
        let lse = textLogSumExp(row, row: 0)
        for i in 0..<Int(endOfText) { row.data[i] -= lse }
        return row
    }

    /// logsumexp over the text tokens of `logits`' row `row`: what `internalLogProbs` subtracts.
    func textLogSumExp(_ logits: Tensor, row: Int) -> Float {
        RowMath.logsumexpRow(logits.data + row * logits.lastDim, Int(endOfText))
    }

    /// The internal LM's log-probability of `token` from the audio-free decoder's logits row
    /// `row` (as `internalLogProbs` gives it, without normalising a copy); `logSumExp` when
    /// known (0 for a row `internalLogProbs` has normalised).
    func internalLogProb(of token: Int32, logits: Tensor, row: Int, logSumExp: Float? = nil) -> Float {
        logits[row, Int(token)] - (logSumExp ?? textLogSumExp(logits, row: row))
    }

    /// The tokens that followed earlier occurrences of `text`'s last n−1 tokens in `text`.
    func repeats(after text: [Int32]) -> Set<Int32> {
        let k = repeatNgram - 1
        guard k > 0, text.count > k else { return [] }
        let key = text.suffix(k)
        var found = Set<Int32>()
        for start in 0..<(text.count - k) where text[start..<(start + k)].elementsEqual(key) {
            found.insert(text[start + k])
        }
        return found
    }

    /// Whether `text` has a sequence of `loopWords` words that occurred before, in `text` or in
    /// `previous` (the window before, whose end the LM also reads), case and punctuation
    /// aside. The fallback's compression check (ratio > 2.4) is made for whole 30 s windows: a
    /// loop in a short window ("ça m'a volé, ça m'a volé, ça m'a volé, …") stays under it, and
    /// fused windows loop more often, because a transformer LM copies what its context already
    /// holds. No reference sentence of the synthetic valid and test sets has a 4-word sequence
    /// twice; a fused window that repeats one is a loop the LM kept going.
    public func repeatsWords(_ text: String, after previous: String = "") -> Bool {
        guard loopWords > 0 else { return false }
        func words(_ s: String) -> [Substring] { s.lowercased().split { !$0.isLetter && !$0.isNumber } }
        let before = words(previous), all = before + words(text)
        guard all.count > loopWords else { return false }
        var seen = Set<ArraySlice<Substring>>()
        for start in 0...(all.count - loopWords) {
            // Only a sequence that reaches into `text` counts: `previous` was accepted as it is.
            if !seen.insert(all[start..<(start + loopWords)]).inserted && start + loopWords > before.count { return true }
        }
        return false
    }

    /// Whether every text that begins with `prefix` fails `repeatsWords` (after the same
    /// `previous`): the check run on the words the prefix has finished. Its last word may still
    /// grow ("vol" → "volé"), and trailing U+FFFD may be a character whose bytes are still
    /// coming, so both are left out; every earlier word is followed by a separator and stays
    /// as it is however the text goes on, so a sequence repeated among them stays repeated.
    func mustRepeat(_ prefix: String, after previous: String = "") -> Bool {
        let complete = prefix.reversed().drop { $0 == "\u{FFFD}" }.drop { $0.isLetter || $0.isNumber }
        return repeatsWords(String(complete.reversed()), after: previous)
    }
}
