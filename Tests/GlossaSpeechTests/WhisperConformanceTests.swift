import XCTest
import GlossaTensor
import GlossaTestSupport
@testable import GlossaSpeech

/// The Hugging Face layout against transformers: a tiny random WhisperForConditionalGeneration
/// (scripts/make_whisper_fixture.py), logits within 1e-4 · max |logit|, in one pass and
/// token by token through the decoder's KV cache.
final class WhisperConformanceTests: XCTestCase {
    func testHuggingFaceWhisperMatchesTransformers() throws {
        let folder = fixturePath("whisper_tiny_random")
        let model = try WhisperModel.load(huggingFace: folder)
        let expected = try SafetensorsFile(path: folder + "/expected.safetensors")
        let ids = try expected.int64s("decoder_input_ids").map(Int32.init)
        let reference = try expected.tensor("logits")
        let tolerance = 1e-4 * Swift.max(reference.max(), -reference.array.min()!)

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
}
