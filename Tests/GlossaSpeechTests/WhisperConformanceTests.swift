import XCTest
import GlossaTensor
import GlossaTestSupport
@testable import GlossaSpeech

/// The Hugging Face layout against transformers: a tiny random WhisperForConditionalGeneration
/// (scripts/make_whisper_fixture.py), logits within 1e-4 · max |logit|, in one pass and
/// token by token through the decoder's KV cache; and the same for the decoder without audio.
final class WhisperConformanceTests: XCTestCase {
    /// The fixture's model and decoder input, the reference logits named `name`, and the
    /// tolerance for them.
    func fixture(_ name: String) throws -> (WhisperModel, SafetensorsFile, [Int32], Tensor, Float) {
        let folder = fixturePath("whisper_tiny_random")
        let expected = try SafetensorsFile(path: folder + "/expected.safetensors")
        let reference = try expected.tensor(name)
        return (try WhisperModel.load(huggingFace: folder), expected, try expected.int64s("decoder_input_ids").map(Int32.init),
                reference, 1e-4 * Swift.max(reference.max(), -reference.array.min()!))
    }

    func testHuggingFaceWhisperMatchesTransformers() throws {
        let (model, expected, ids, reference, tolerance) = try fixture("logits")

        let audio = model.encode(try expected.tensor("input_features"))
        var state = model.makeDecoderState(audio: audio)
        let full = model.decode(ids, state: &state, allLogits: true)
        XCTAssertLessThanOrEqual(full.maxAbsDifference(reference), tolerance)

        // Selected positions (the no-speech probability reads <|startoftranscript|>'s row).
        var selected = model.makeDecoderState(audio: audio)
        let picked = model.decode(ids, state: &selected, logitRows: [0, ids.count - 1])
        XCTAssertLessThanOrEqual(picked.rows(0..<1).maxAbsDifference(reference.rows(0..<1)), tolerance)
        XCTAssertLessThanOrEqual(picked.rows(1..<2).maxAbsDifference(reference.rows((ids.count - 1)..<ids.count)), tolerance)

        var stepwise = model.makeDecoderState(audio: audio)
        for (t, id) in ids.enumerated() {
            let step = model.decode([id], state: &stepwise)
            XCTAssertLessThanOrEqual(step.maxAbsDifference(reference.rows(t..<(t + 1))), tolerance, "step \(t)")
        }
    }

    /// The internal-LM estimate, the decoder without the audio, against transformers' decoder
    /// called without encoder states (which skips cross-attention): in one pass, token by token,
    /// and in a batched beam step.
    func testTheDecoderWithoutAudioMatchesTransformers() throws {
        let (model, expected, ids, reference, tolerance) = try fixture("internal_logits")
        let heard = try expected.tensor("logits")
        XCTAssertGreaterThan(reference.maxAbsDifference(heard), 100 * tolerance, "the audio must matter in the fixture")

        var state = model.makeDecoderState(audio: nil)
        XCTAssertLessThanOrEqual(model.decode(ids, state: &state, allLogits: true).maxAbsDifference(reference), tolerance)

        var stepwise = model.makeDecoderState(audio: nil)
        for (t, id) in ids.enumerated() {
            XCTAssertLessThanOrEqual(model.decode([id], state: &stepwise).maxAbsDifference(reference.rows(t..<(t + 1))), tolerance, "step \(t)")
        }

        // Two beams: one after the first 6 tokens, one after the first 5; each steps by its next.
        var long = model.makeDecoderState(audio: nil), short = model.makeDecoderState(audio: nil)
        _ = model.decode(Array(ids[..<6]), state: &long)
        _ = model.decode(Array(ids[..<5]), state: &short)
        var states = [long, short]
        let step = model.decodeStep([ids[6], ids[5]], states: &states)
        XCTAssertLessThanOrEqual(step.rows(0..<1).maxAbsDifference(reference.rows(6..<7)), tolerance)
        XCTAssertLessThanOrEqual(step.rows(1..<2).maxAbsDifference(reference.rows(5..<6)), tolerance)
    }

    /// The beam search's step: beams with audio, then their audio-free states, in one call.
    /// Each row must equal the same row stepped in a call of its own kind, to the bit (the
    /// fused transcripts do not depend on the batching), and match transformers.
    func testOneStepTakesBeamsThenTheirAudioFreeStates() throws {
        let (model, expected, ids, internalReference, tolerance) = try fixture("internal_logits")
        let heardReference = try expected.tensor("logits")
        let audio = model.encode(try expected.tensor("input_features"))
        // Two beams forked from one state (so they share its audio): after 6 tokens and after 5.
        func prefixes(_ audio: Tensor?) -> [WhisperModel.DecoderState] {
            var short = model.makeDecoderState(audio: audio)
            _ = model.decode(Array(ids[..<5]), state: &short)
            var long = short
            _ = model.decode([ids[5]], state: &long)
            return [long, short]
        }
        let tokens = [ids[6], ids[5]]
        var heard = prefixes(audio), unheard = prefixes(nil)
        var mixed = heard + unheard
        let together = model.decodeStep(tokens + tokens, states: &mixed)
        let apart = [model.decodeStep(tokens, states: &heard), model.decodeStep(tokens, states: &unheard)]
        for row in 0..<4 {
            let own = apart[row / 2].rows((row % 2)..<(row % 2 + 1))
            XCTAssertEqual(together.rows(row..<(row + 1)).maxAbsDifference(own), 0, "row \(row)")
            let reference = row < 2 ? heardReference : internalReference
            let position = 6 - row % 2
            XCTAssertLessThanOrEqual(together.rows(row..<(row + 1)).maxAbsDifference(reference.rows(position..<(position + 1))), tolerance, "row \(row)")
        }
        XCTAssertEqual(mixed.map(\.length), [7, 6, 7, 6])
    }
}
