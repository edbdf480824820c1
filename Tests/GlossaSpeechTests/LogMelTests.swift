import XCTest
import GlossaTensor
import GlossaTestSupport
@testable import GlossaSpeech

/// The front end against openai/whisper's audio.py on real speech
/// (fixture: scripts/make_logmel_fixture.py). Target: max |Δ| ≤ 1e-3.
final class LogMelTests: XCTestCase {
    let fixture = try! SafetensorsFile(path: fixturePath("logmel_librivox.safetensors"))
    let sample = repositoryRoot() + "/assets/samples/librivox-0880.wav"

    func testAudioDecodesLikeWhispersFFmpegPath() throws {
        let audio = try AudioFile.read(sample)
        XCTAssertEqual(audio, try fixture.tensor("audio").array)
    }

    func testMelFiltersMatchLibrosa() throws {
        let ours = LogMelSpectrogram.melFilters(melCount: 80)
        let reference = try fixture.tensor("filters")
        XCTAssertEqual(ours.shape, reference.shape)
        XCTAssertLessThan(ours.maxAbsDifference(reference), 1e-6)
    }

    func testLogMelMatchesWhisperReference() throws {
        let audio = try fixture.tensor("audio").array
        let frontEnd = LogMelSpectrogram()
        let mel = frontEnd(audio)
        let reference = try fixture.tensor("mel")
        XCTAssertEqual(mel.shape, reference.shape)
        XCTAssertLessThanOrEqual(mel.maxAbsDifference(reference), 1e-3)

        let padded = frontEnd(audio, padding: 16_000)
        let frames = padded.shape[1]
        let tail = Tensor(zeros: [80, 40])
        for m in 0..<80 { for f in 0..<40 { tail[m, f] = padded[m, frames - 40 + f] } }
        XCTAssertLessThanOrEqual(tail.maxAbsDifference(try fixture.tensor("mel_padded_tail")), 1e-3)
    }
}
