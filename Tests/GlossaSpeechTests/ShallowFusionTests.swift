import Foundation
import XCTest
import GlossaLM
import GlossaNN
import GlossaTensor
import GlossaTestSupport
@testable import GlossaSpeech

/// Shallow fusion: λ = 0 leaves the transcript exactly as without fusion; a toy LM that
/// strongly favours one word pulls the transcript toward it, and the fallback undoes what it
/// makes repetitive (also a loop too short for the compression check); mismatched
/// vocabularies are refused.
final class ShallowFusionTests: XCTestCase {
    let sample = repositoryRoot() + "/assets/samples/librivox-0880.wav"

    /// An LM over Whisper tiny.en's vocabulary that puts almost all mass on `favourite`:
    /// its layers output zero, every embedding row is the same vector, and only the head row
    /// of `favourite` is non-zero.
    func toyLM(vocabulary: Int, favourite: Int32) -> TransformerLM {
        let cfg = TransformerConfig.llamaStyle(vocabulary: vocabulary, hidden: 8, layers: 1, heads: 2, kvHeads: 2, intermediate: 8, tied: false)
        let lm = RandomInitialization.llamaStyle(cfg, seed: 1)
        let layer = lm.layers[0]
        (layer.attention as! StandardAttention).oProj.weight.value.fill(0)
        (layer.feedForward as! GatedMLP).down.weight.value.fill(0)
        lm.embedding.weight.value.fill(1)
        lm.head.weight.value.fill(0)
        lm.head.weight.value.row(Int(favourite)).fill(3)
        return lm
    }

    func testFusionWithZeroWeightIsExactlyUnfusedAndAStrongLMPullsTheTranscript() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        let tokenizer = transcriber.vocabulary.tokenizer
        let word = tokenizer.encode(" Paris")
        XCTAssertEqual(word.count, 1)
        let lm = toyLM(vocabulary: Int(transcriber.vocabulary.endOfText) + 1, favourite: word[0])
        let audio = try AudioFile.read(sample)
        var options = WhisperTranscriber.Options()  // the defaults: beam 5, 224-token windows
        let plain = try transcriber.transcribe(audio, options: options)

        options.fusion = try ShallowFusion(model: lm, tokenizer: tokenizer, whisper: transcriber.vocabulary, weight: 0, lengthBonus: 0)
        let zero = try transcriber.transcribe(audio, options: options)
        XCTAssertEqual(zero.segments, plain.segments, "λ = 0 must not change anything")

        // λ = 1.5 puts every other text token ~36 nats behind " Paris"; β keeps end-of-text, which
        // gets no LM term, from winning by default (the reason fusion has a length bonus).
        options.fusion = try ShallowFusion(model: lm, tokenizer: tokenizer, whisper: transcriber.vocabulary, weight: 1.5, lengthBonus: 30)
        // Without fallback: an LM this absurd makes the repetition check reject every temperature.
        options.temperatures = [0]
        let fused = try transcriber.transcribe(audio, options: options)
        XCTAssertFalse(plain.text.contains("Paris"))
        XCTAssertTrue(fused.text.contains("Paris"), fused.text)

        // With the fallback, the window the LM made repetitive (its fused decoding abandoned as
        // soon as it must loop) is decoded again without the LM at temperature 0 first, which is
        // exactly the unfused decoding.
        options.temperatures = WhisperTranscriber.Options().temperatures
        let fallenBack = try transcriber.transcribe(audio, options: options)
        XCTAssertEqual(fallenBack.segments, plain.segments)

        // Whether a window is silence is whisper's call. At λ 0.3, β 0 this LM, which penalises
        // every word but " Paris", ends the fused decoding early ("He was not"): no loop, but a
        // text whisper is unsure of (mean log-probability below −1). With every no-speech
        // probability above the threshold (0), that made the window silence; now the unfused
        // decoding that follows, which whisper is sure of, decides, and is kept.
        var weak = options
        weak.fusion = try ShallowFusion(model: lm, tokenizer: tokenizer, whisper: transcriber.vocabulary, weight: 0.3, lengthBonus: 0)
        weak.temperatures = [0]
        let early = try transcriber.transcribe(audio, options: weak)
        XCTAssertLessThan(early.segments.map(\.averageLogProb).max()!, Double(options.logProbThreshold), early.text)
        XCTAssertLessThan(early.text.count, plain.text.count, early.text)
        weak.temperatures = options.temperatures
        weak.noSpeechThreshold = 0
        XCTAssertEqual(try transcriber.transcribe(audio, options: weak).segments, plain.segments)

        // With the compression and confidence checks off, only the word check (4 words) can
        // see the loop; without it the fused "Paris Paris …" would be kept.
        options.compressionRatioThreshold = .infinity
        options.logProbThreshold = -.infinity
        XCTAssertEqual(options.fusion!.loopWords, 4)
        XCTAssertEqual(try transcriber.transcribe(audio, options: options).segments, plain.segments)
    }

    /// The loop check: a sequence of n words twice, case and punctuation aside, in a window or
    /// reaching back into the window before.
    func testTheLoopCheckFindsARepeatedWordSequence() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        var fusion = try ShallowFusion(model: toyLM(vocabulary: Int(transcriber.vocabulary.endOfText) + 1, favourite: 5),
                                       tokenizer: transcriber.vocabulary.tokenizer, whisper: transcriber.vocabulary, weight: 0.1, lengthBonus: 0)
        XCTAssertEqual(fusion.loopWords, 4)
        XCTAssertTrue(fusion.repeatsWords("Femme dix, ça m'a volé, ça m'a volé, Ça M'a volé."))
        XCTAssertTrue(fusion.repeatsWords("Tb Tb Tb Tb Tb"), "overlapping occurrences count")
        XCTAssertFalse(fusion.repeatsWords("Returns True when A is greater than or equal to B."))
        XCTAssertFalse(fusion.repeatsWords("On the one hand this, on the one side that."), "three words repeat, never four")
        XCTAssertTrue(fusion.repeatsWords("los ejemplos presentados en esta", after: "Todos los ejemplos presentados en esta página"), "a loop across windows")
        XCTAssertFalse(fusion.repeatsWords("Returns True when A is less than B.", after: "ça m'a volé, ça m'a volé"),
                       "a repeat in the previous window alone was accepted with it")
        fusion.loopWords = 3
        XCTAssertTrue(fusion.repeatsWords("On the one hand this, on the one side that."))
        fusion.loopWords = 0
        XCTAssertFalse(fusion.repeatsWords("Tb Tb Tb Tb Tb"), "0 turns the check off")
    }

    /// A prefix must repeat only on the words it has finished: its last word may still grow,
    /// and a trailing U+FFFD may be a character whose bytes are still coming. Whatever follows
    /// a prefix that must repeat, the whole text repeats (checked on every byte prefix).
    func testAPrefixMustRepeatOnlyOnItsFinishedWords() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        let fusion = try ShallowFusion(model: toyLM(vocabulary: Int(transcriber.vocabulary.endOfText) + 1, favourite: 5),
                                       tokenizer: transcriber.vocabulary.tokenizer, whisper: transcriber.vocabulary, weight: 0.1, lengthBonus: 0)
        XCTAssertFalse(fusion.mustRepeat("ça m'a volé, ça m'a vol"))
        XCTAssertFalse(fusion.mustRepeat("ça m'a volé, ça m'a volé"), "the last word may still become \"volée\"")
        XCTAssertTrue(fusion.repeatsWords("ça m'a volé, ça m'a volé"))
        XCTAssertTrue(fusion.mustRepeat("ça m'a volé, ça m'a volé,"))
        XCTAssertFalse(fusion.mustRepeat("Tb Tb Tb Tb T\u{FFFD}"))
        XCTAssertTrue(fusion.mustRepeat("Tb Tb Tb Tb Tb \u{FFFD}"))
        XCTAssertTrue(fusion.mustRepeat("la la la", after: "Tra la la la la"), "a loop reaching back into the window before")
        let texts = ["Femme dix, ça m'a volé, ça m'a volée, ça m'a volé.", "Wenn-D-Wenn-D-Wenn-D-Wenn-Dé", "Tb Tb Tb Tb Tbé",
                     "Returns True when A is greater than or equal to B.", "Σας Σας Σας Σας ΣαΣ Σ",
                     "Cafe\u{301} cafe\u{301} cafe\u{301} cafe\u{301} cafe\u{301}s cafe\u{301}"]
        var musts = 0
        for text in texts {
            let bytes = Array(text.utf8)
            for n in 0...bytes.count {
                let prefix = String(decoding: bytes.prefix(n), as: UTF8.self)
                guard fusion.mustRepeat(prefix) else { continue }
                musts += 1
                XCTAssertTrue(fusion.repeatsWords(text), "'\(prefix)' must repeat, but '\(text)' does not")
            }
        }
        XCTAssertGreaterThan(musts, 5)
    }

    /// A fused decoding whose every hypothesis loops stops early, greedy and in the beam search;
    /// when every decoding of the window fails and the surest of all is kept, the abandoned one
    /// is decoded to its end, so the window's result is the one without abandoning.
    func testALoopingFusedDecodingIsAbandonedAndTheWindowFallsBack() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        let tokenizer = transcriber.vocabulary.tokenizer
        let lm = toyLM(vocabulary: Int(transcriber.vocabulary.endOfText) + 1, favourite: tokenizer.encode(" Paris")[0])
        let fusion = try ShallowFusion(model: lm, tokenizer: tokenizer, whisper: transcriber.vocabulary, weight: 1.5, lengthBonus: 30)
        let samples = try AudioFile.read(sample)
        let mel = transcriber.frontEnd(samples, padding: 3000 * LogMelSpectrogram.hop)
        let audio = transcriber.model.encode(WhisperTranscriber.window(of: mel, from: 0, frames: samples.count / LogMelSpectrogram.hop, width: 3000))
        var options = WhisperTranscriber.Options()
        // The window is decoded a dozen times below, each to its end; 16 tokens hold the
        // loop ("Paris" five times is 5 tokens) without 224-token decodings of it.
        options.sampleLength = 16
        options.temperatures = [0, 0.4]
        options.fusion = fusion
        let decoder = WhisperWindowDecoder(model: transcriber.model, vocabulary: transcriber.vocabulary,
                                           filters: WhisperLogitFilters(vocabulary: transcriber.vocabulary, timestamps: true),
                                           sampleLength: options.sampleLength, fusion: fusion)
        let prompt = try transcriber.prompt(previous: [], language: nil, options: options)
        let primed = decoder.prime(audio: audio, prompt: prompt)
        for beam in [1, 3] {
            let whole = decoder.decode(primed, beamSize: beam, temperature: 0, seed: 0)
            XCTAssertFalse(whole.abandoned)
            XCTAssertTrue(fusion.repeatsWords(whole.text), whole.text)
            let stopped = decoder.decode(primed, beamSize: beam, temperature: 0, seed: 0, abandoningLoopsAfter: "")
            XCTAssertTrue(stopped.abandoned && stopped.fused)
            XCTAssertLessThan(stopped.tokens.count, whole.tokens.count, "beam \(beam): \(stopped.text)")
            XCTAssertTrue(fusion.repeatsWords(stopped.text), stopped.text)
        }
        // (That the window then falls back to the unfused decoding, the fused Paris test shows.)
        // A compression threshold of 0 makes every decoding a repeat: the surest of all is kept.
        options.compressionRatioThreshold = 0
        options.abandonsLoops = false
        let expected = transcriber.decodeWithFallback(decoder, audio: audio, prompt: prompt, lmContext: [], previousText: "", options: options)
        options.abandonsLoops = true
        let surest = transcriber.decodeWithFallback(decoder, audio: audio, prompt: prompt, lmContext: [], previousText: "", options: options)
        XCTAssertEqual(surest.0.tokens, expected.0.tokens)
        XCTAssertEqual(surest.0.fused, expected.0.fused)
        XCTAssertEqual(surest.1, expected.1)
        XCTAssertFalse(surest.0.abandoned)
    }

    /// Reranking the unfused fallback's hypotheses (`decode(…rescoring:)`): the fusion terms of a
    /// whole hypothesis, computed in one LM pass and one audio-free decoder pass, are those a
    /// fused search adds token by token (`addBonuses` after each `advance`), with and without
    /// earlier text; with a vanishing λ the rerank keeps whisper's pick, and with none admitted
    /// it keeps it too.
    func testAHypothesisIsRescoredWithTheTermsAFusedSearchAdds() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        let vocabulary = transcriber.vocabulary, tokenizer = vocabulary.tokenizer
        let cfg = TransformerConfig.llamaStyle(vocabulary: Int(vocabulary.endOfText) + 1, hidden: 16, layers: 1, heads: 2, kvHeads: 2,
                                               intermediate: 16, tied: false)
        func decoder(weight: Float, lengthBonus: Float) throws -> WhisperWindowDecoder {
            var fusion = try ShallowFusion(model: RandomInitialization.llamaStyle(cfg, seed: 3), tokenizer: tokenizer, whisper: vocabulary,
                                           weight: weight, lengthBonus: lengthBonus)
            fusion.internalWeight = 0.3
            return WhisperWindowDecoder(model: transcriber.model, vocabulary: vocabulary,
                                        filters: WhisperLogitFilters(vocabulary: vocabulary, timestamps: true), sampleLength: 48, fusion: fusion)
        }
        let samples = try AudioFile.read(sample)
        let mel = transcriber.frontEnd(samples, padding: 3000 * LogMelSpectrogram.hop)
        let audio = transcriber.model.encode(WhisperTranscriber.window(of: mel, from: 0, frames: samples.count / LogMelSpectrogram.hop, width: 3000))
        let prompt = try transcriber.prompt(previous: [], language: nil, options: WhisperTranscriber.Options())
        let fused = try decoder(weight: 0.5, lengthBonus: 0.1)
        let fusion = fused.fusion!
        let primed = fused.prime(audio: audio, prompt: prompt)
        // Hypotheses as a beam search ends them: a shared beginning, then apart (one ends where
        // another goes on, one differs only in its last timestamp); and one of a different start.
        // "!" is id 0: a row read after the tensor holding it was freed loses its first floats.
        let t0 = vocabulary.firstTimestamp
        let choose = [t0] + tokenizer.encode(" Choose the file, then open it.")
        let hypotheses: [[Int32]] = [choose + [t0 + 60], choose + [t0 + 61], Array(choose.dropLast()) + tokenizer.encode(" at once!") + [t0 + 70],
                          Array(choose.prefix(3)), [t0] + tokenizer.encode(" Close it.") + [t0 + 30]]
        // The first four share three tokens, all of the fourth.
        for context in [[], tokenizer.encode(" Earlier text.")] { for set in [hypotheses, Array(hypotheses.prefix(4))] {
            let terms = fused.fusionTerms(of: set, lmContext: context, internalLM: primed.internalLM)
            for (h, term) in zip(set, terms) {
                var (lmState, lmLogProbs) = fusion.start(context: context)
                var (ilmState, ilmLogProbs) = primed.internalLM!
                var expected = 0.0
                for t in h {
                    if let lm = lmLogProbs, t < vocabulary.endOfText {
                        let scores = Tensor(zeros: [1, ilmLogProbs.lastDim])
                        fusion.addBonuses(to: scores, lmLogProbs: lm, internalLogProbs: ilmLogProbs, history: [], meanBonus: nil)
                        expected += Double(scores.data[Int(t)])
                    }
                    if t < vocabulary.endOfText { lmLogProbs = fusion.advance(&lmState, token: t) }
                    ilmLogProbs = fusion.internalLogProbs(transcriber.model.decode([t], state: &ilmState))
                }
                XCTAssertNotEqual(expected, 0)
                XCTAssertEqual(term, expected, accuracy: 1e-3, tokenizer.decode(h.filter(vocabulary.isText)))
            }
        } }
        XCTAssertEqual(ShallowFusion.sharedPrefixCount(hypotheses), 1)
        XCTAssertEqual(ShallowFusion.sharedPrefixCount(Array(hypotheses.prefix(3))), choose.count - 1)
        XCTAssertEqual(ShallowFusion.sharedPrefixCount(Array(hypotheses.prefix(4))), 3)

        let plain = fused.decode(primed, beamSize: 5, temperature: 0, seed: 0, fused: false)
        XCTAssertEqual(fused.decode(primed, beamSize: 5, temperature: 0, seed: 0, fused: false, rescoring: { _ in false }).tokens, plain.tokens)
        let faint = try decoder(weight: 1e-9, lengthBonus: 0)
        var faintFusion = faint.fusion!
        faintFusion.internalWeight = 0
        let unweighted = WhisperWindowDecoder(model: faint.model, vocabulary: vocabulary, filters: faint.filters, sampleLength: 48, fusion: faintFusion)
        XCTAssertEqual(unweighted.decode(primed, beamSize: 5, temperature: 0, seed: 0, fused: false, rescoring: { _ in true }).tokens, plain.tokens)
    }

    /// The transcript's first word is not scored by the LM and reaches it without its leading
    /// space, as the LM's documents begin; later tokens are scored and fed as they are.
    func testTheFirstWordReachesTheLMWithoutItsSpace() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        let tokenizer = transcriber.vocabulary.tokenizer
        let lm = toyLM(vocabulary: Int(transcriber.vocabulary.endOfText) + 1, favourite: 5)
        let fusion = try ShallowFusion(model: lm, tokenizer: tokenizer, whisper: transcriber.vocabulary, weight: 0.5, lengthBonus: 0)
        let choose = tokenizer.encode(" Choose"), the = tokenizer.encode(" the")
        XCTAssertEqual(fusion.spaceless(choose[0]), tokenizer.encode("Choose"))
        XCTAssertEqual(fusion.spaceless(tokenizer.encode("Choose")[0]), [tokenizer.encode("Choose")[0]], "no space: unchanged")

        let (fresh, none) = fusion.start(context: [])
        XCTAssertNil(none, "the first token gets no LM term")
        var state = fresh
        XCTAssertEqual(state.length, 1)
        _ = fusion.advance(&state, token: choose[0])
        XCTAssertEqual(state.length, 1 + tokenizer.encode("Choose").count)
        _ = fusion.advance(&state, token: the[0])
        XCTAssertEqual(state.length, 2 + tokenizer.encode("Choose").count)

        let (resumed, scores) = fusion.start(context: choose + the)
        XCTAssertNotNil(scores)
        XCTAssertEqual(resumed.length, state.length, "a later window's context starts the same way")
    }

    /// The repetition guard: after "1 2 3 1 2", the token that followed "1 2" (3) is a repeat.
    /// It gets the hypothesis's mean fusion term; the other tokens get the LM's distribution
    /// with the repeat's mass taken out.
    func testTheRepetitionGuardNeutralisesTheLMOnRepeats() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        let eot = Int(transcriber.vocabulary.endOfText)
        let lm = toyLM(vocabulary: eot + 1, favourite: 5)
        var fusion = try ShallowFusion(model: lm, tokenizer: transcriber.vocabulary.tokenizer, whisper: transcriber.vocabulary, weight: 0.5, lengthBonus: 0)
        fusion.repeatNgram = 3
        XCTAssertEqual(fusion.repeats(after: [1, 2, 3, 1, 2]), [3])
        XCTAssertEqual(fusion.repeats(after: [1, 2, 3, 1, 2, 4, 1, 2]), [3, 4])
        XCTAssertEqual(fusion.repeats(after: [1, 2, 3, 1]), [])

        // An LM distribution with 0.9 on token 3 and the rest spread evenly.
        let v = eot + 1
        var probs = [Float](repeating: 0.1 / Float(v - 1), count: v)
        probs[3] = 0.9
        let lmLogProbs = Tensor(probs.map { Foundation.log($0) }, shape: [1, v])
        let scores = Tensor(zeros: [1, v + 10])  // Whisper's logits: the LM's ids and more
        scores.data[8] = -.infinity  // forbidden by the logit rules: stays forbidden
        fusion.addBonuses(to: scores, lmLogProbs: lmLogProbs, history: [1, 2, 3, 1, 2], meanBonus: -0.7)
        XCTAssertEqual(scores.data[3], -0.7, accuracy: 1e-6)
        XCTAssertEqual(scores.data[7], 0.5 * (Foundation.log(probs[7]) - Foundation.log(0.1)), accuracy: 1e-4)
        XCTAssertEqual(scores.data[8], -.infinity)
        XCTAssertEqual(scores.data[v + 2], 0, "special tokens get no LM term")

        fusion.repeatNgram = 0
        let unguarded = Tensor(zeros: [1, v])
        fusion.addBonuses(to: unguarded, lmLogProbs: lmLogProbs, history: [1, 2, 3, 1, 2], meanBonus: -0.7)
        XCTAssertEqual(unguarded.data[3], 0.5 * Foundation.log(0.9), accuracy: 1e-6)
        XCTAssertEqual(unguarded.data[7], 0.5 * Foundation.log(probs[7]), accuracy: 1e-4)
    }

    /// The internal LM's term: −μ · log p_ILM for text tokens, its log-probabilities normalised
    /// over the text tokens alone; special and forbidden tokens get nothing.
    func testTheInternalLMIsSubtractedFromTextTokens() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        let eot = Int(transcriber.vocabulary.endOfText)
        var fusion = try ShallowFusion(model: toyLM(vocabulary: eot + 1, favourite: 5), tokenizer: transcriber.vocabulary.tokenizer,
                                       whisper: transcriber.vocabulary, weight: 0.5, lengthBonus: 0)
        fusion.internalWeight = 0.25
        let logits = Tensor((0..<(eot + 10)).map { Float($0 % 7) - ($0 >= eot ? -20 : 0) }, shape: [1, eot + 10])
        let ilm = fusion.internalLogProbs(logits)
        XCTAssertEqual(RowMath.logsumexpRow(ilm.data, eot), 0, accuracy: 1e-4, "a distribution over the text tokens")
        XCTAssertEqual(ilm.data[3] - ilm.data[1], 2, accuracy: 1e-5)

        let lmLogProbs = Tensor(zeros: [1, eot + 1])
        let scores = Tensor(zeros: [1, eot + 10])
        scores.data[8] = -.infinity
        fusion.addBonuses(to: scores, lmLogProbs: lmLogProbs, internalLogProbs: ilm, history: [], meanBonus: nil)
        XCTAssertEqual(scores.data[3], -0.25 * ilm.data[3], accuracy: 1e-5)
        XCTAssertEqual(scores.data[8], -.infinity)
        XCTAssertEqual(scores.data[eot + 2], 0, "special tokens get no internal-LM term")

        // Under the repetition guard a repeat gets the mean fusion term, internal-LM term included.
        fusion.repeatNgram = 3
        let guarded = Tensor(zeros: [1, eot + 10])
        fusion.addBonuses(to: guarded, lmLogProbs: lmLogProbs, internalLogProbs: ilm, history: [1, 2, 3, 1, 2], meanBonus: -0.7)
        XCTAssertEqual(guarded.data[3], -0.7, accuracy: 1e-6)
        fusion.repeatNgram = 0

        fusion.internalWeight = 0
        let without = Tensor(zeros: [1, eot + 10])
        fusion.addBonuses(to: without, lmLogProbs: lmLogProbs, internalLogProbs: ilm, history: [], meanBonus: nil)
        XCTAssertEqual(without.data[3], 0, "μ = 0: no term")
    }

    func testMismatchedVocabulariesAreRefused() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        let multilingual = try ByteLevelBPETokenizer(path: modelFile("whisper-base/tokenizer.json"))
        let lm = toyLM(vocabulary: 50_258, favourite: 5)
        XCTAssertThrowsError(try ShallowFusion(model: lm, tokenizer: multilingual, whisper: transcriber.vocabulary, weight: 0.3, lengthBonus: 0)) {
            XCTAssertTrue("\($0)".contains("the LM's tokenizer differs from the recognizer's"), "\($0)")
        }
    }
}
