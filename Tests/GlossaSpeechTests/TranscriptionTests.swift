import XCTest
import Foundation
import GlossaTestSupport
@testable import GlossaSpeech

/// End to end on real speech (a LibriVox clip) with the real Whisper weights from `make models`.
final class TranscriptionTests: XCTestCase {
    let sample = repositoryRoot() + "/assets/samples/librivox-0880.wav"

    func normalized(_ s: String) -> String {
        String(s.lowercased().map { $0.isLetter ? $0 : " " }).split(separator: " ").joined(separator: " ")
    }

    func testWhisperBaseTranscribesLibriVox() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-base"))
        XCTAssertEqual(transcriber.model.dimensions.width, 512)
        XCTAssertEqual(transcriber.model.dimensions.encoderLayers, 6)
        XCTAssertTrue(transcriber.vocabulary.isMultilingual)
        XCTAssertEqual(transcriber.vocabulary.languages.count, 99)
        let windows = try transcriber.transcribe(try AudioFile.read(sample))
        XCTAssertEqual(windows.count, 1)
        XCTAssertEqual(windows[0].language, "en", "language detection")
        XCTAssertEqual(normalized(windows[0].text), "he was not an ill disposed young man")
    }

    func testCorruptModelFileGivesAClearError() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        FileManager.default.createFile(atPath: folder + "/model.bin", contents: Data([6, 0, 0, 0, 200, 0, 65]))
        XCTAssertThrowsError(try WhisperModel.load(ctranslate2: folder + "/model.bin")) {
            XCTAssertTrue("\($0)".contains("invalid model file: truncated"), "\($0)")
        }
        XCTAssertThrowsError(try WhisperTranscriber(folder: folder + "/nothing")) {
            XCTAssertTrue("\($0)".contains("no model.bin"), "\($0)")
        }
    }
}
