import ArgumentParser
import Foundation
import GlossaLM
import GlossaSpeech

/// The shallow-fusion options shared by `glossa transcribe` and `glossa eval asr`.
/// λ = 0.2, β = 0 and μ = 0.2 were picked on the synthetic *valid* sets only (all 120 utterances
/// per language, with the loop check; docs/asr.md, "Choosing λ" and "Subtracting Whisper's
/// internal LM"). μ has been on by default since fused loops stop early (docs/asr.md, "Abandoning
/// fused loops"), which brought its cost within the 1.5× bound. The default LM, glossa-lm-v11, is
/// glossa-lm-v2 with its upper three layers trained on for the five test languages (`make
/// fusion-lm`); it replaced v2 for fusion on the same valid sets (docs/asr.md, "A fusion LM").
struct FusionOptions: ParsableArguments {
    static let defaultLM = "assets/lm/glossa-lm-v11"
    static let defaultWeight: Float = 0.2
    static let defaultLengthBonus: Float = 0
    static let defaultRepeatNgram = 0
    static let defaultLoopWords = 4
    static let defaultInternalWeight: Float = 0.2

    @Option(help: ArgumentHelp("Shallow fusion LM: a model folder with the recognizer's vocabulary, default (\(FusionOptions.defaultLM)) or none.",
                               valueName: "dir|default|none"))
    var lm = "default"
    @Option(name: .customLong("lm-weight"), help: "λ: weight of the LM's log-probability for text tokens.")
    var lmWeight: Float = FusionOptions.defaultWeight
    @Option(name: .customLong("length-bonus"), help: "β: bonus per emitted text token under fusion (below 0 a penalty, written --length-bonus=-0.3).")
    var lengthBonus: Float = FusionOptions.defaultLengthBonus
    @Option(name: .customLong("lm-repeat-ngram"),
            help: "n of the repetition guard: where the last n−1 text tokens occurred before in the window, the LM neither rewards nor penalises repeating what followed them (0: off).")
    var repeatNgram = FusionOptions.defaultRepeatNgram
    @Option(name: .customLong("lm-loop-words"),
            help: "A fused window whose text has a sequence of this many words twice (a loop) is decoded again without the LM (0: off).")
    var loopWords = FusionOptions.defaultLoopWords
    @Option(name: .customLong("ilm-weight"),
            help: "μ: weight of the recognizer's internal LM (its decoder without the audio), subtracted for text tokens under fusion (0: off, plain shallow fusion).")
    var internalWeight: Float = FusionOptions.defaultInternalWeight

    func validate() throws {
        guard repeatNgram >= 0 else { throw ValidationError("--lm-repeat-ngram must be 0 or more") }
        guard loopWords >= 0 else { throw ValidationError("--lm-loop-words must be 0 or more") }
        // A negative weight would reward what the LM finds unlikely (λ) or what Whisper's own
        // prior favours (μ): never a fusion, so it is refused rather than run.
        guard lmWeight >= 0 else { throw ValidationError("--lm-weight must be 0 or more") }
        guard internalWeight >= 0 else { throw ValidationError("--ilm-weight must be 0 or more") }
    }

    /// The LM folder in use, or nil without fusion (also when λ = 0: the transcript is then
    /// exactly the unfused one, so loading the LM would only cost time).
    var folder: String? {
        if lm == "none" || lmWeight == 0 { return nil }
        return lm == "default" ? Self.defaultLM : lm
    }

    /// The default LM shares Whisper's multilingual vocabulary; with an English-only model it
    /// is skipped with a note, while an explicitly named mismatching LM is an error.
    func fusion(for vocabulary: WhisperVocabulary) throws -> ShallowFusion? {
        guard let folder else { return nil }
        if lm == "default" {
            guard vocabulary.isMultilingual else {
                FileHandle.standardError.write(Data("note: no shallow fusion: the default LM's vocabulary is the multilingual one (pass --lm DIR or --lm none)\n".utf8))
                return nil
            }
            guard FileManager.default.fileExists(atPath: folder + "/config.json") else {
                throw CLIError("the default LM \(folder) is not here (run from the repository root, or pass --lm DIR or --lm none)")
            }
        }
        let language = try LanguageModel(folder: folder)
        var fusion = try ShallowFusion(model: language.model, tokenizer: try language.requireTokenizer(),
                                       whisper: vocabulary, weight: lmWeight, lengthBonus: lengthBonus)
        fusion.repeatNgram = repeatNgram
        fusion.loopWords = loopWords
        fusion.internalWeight = internalWeight
        return fusion
    }

    var summary: String {
        guard let folder else { return "no fusion" }
        return "fusion λ \(lmWeight) β \(lengthBonus)\(repeatNgram > 0 ? " repeat guard \(repeatNgram)" : "")\(loopWords != Self.defaultLoopWords ? " loop words \(loopWords)" : "")\(internalWeight != 0 ? " internal LM μ \(internalWeight)" : "") with \(folder)"
    }
}
