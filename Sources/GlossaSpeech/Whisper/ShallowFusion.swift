import GlossaLM
import GlossaTensor

/// Shallow fusion of an external LM into Whisper's decoding (Kannan et al. 2018; the GLaM
/// multilingual shallow-fusion paper): for text tokens,
///
///     score = log p_asr(y | x, y<) + λ · log p_LM(y | y<) + β
///
/// and nothing is added for special or timestamp tokens. Each beam carries its own LM
/// decoding state (forks are cheap: see LayerKVCache), advanced only by text tokens; the LM's
/// context is the transcript so far, across 30 s windows.
public struct ShallowFusion {
    public let model: TransformerLM
    public let weight: Float
    public let lengthBonus: Float
    /// Tokens of the transcript kept as LM context at the start of each window.
    public var contextTokens = 128
    let endOfText: Int32

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
        self.weight = weight
        self.lengthBonus = lengthBonus
        endOfText = whisper.endOfText
    }

    /// With λ = β = 0 fusion is skipped entirely, so decoding is exactly unfused.
    public var isActive: Bool { weight != 0 || lengthBonus != 0 }

    /// An LM state primed with end-of-text and the transcript's last tokens; returns the state
    /// and the LM's log-probabilities for the next token.
    func start(context: [Int32]) -> (DecodingState, Tensor) {
        var state = model.makeState()
        let logits = model.forward([endOfText] + context.suffix(contextTokens), state: &state, allLogits: false)
        return (state, logits.logSoftmax())
    }

    /// Advances a beam's LM state by one text token.
    func advance(_ state: inout DecodingState, token: Int32) -> Tensor {
        model.forward([token], state: &state, allLogits: false).logSoftmax()
    }

    /// The fusion term for `token` given the LM's log-probabilities (0 for non-text tokens).
    func bonus(_ token: Int32, _ lmLogProbs: Tensor?) -> Double {
        guard token < endOfText, let lm = lmLogProbs else { return 0 }
        return Double(weight * lm.data[Int(token)] + lengthBonus)
    }
}
