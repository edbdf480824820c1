import XCTest
import Foundation
import GlossaTestSupport
@testable import GlossaSpeech

/// Bad and unusual audio: each case either decodes correctly or gives one clear error.
final class AudioInputTests: XCTestCase {
    var folder = ""
    override func setUp() { folder = makeTemporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// A 16-bit PCM WAV file.
    func wav(_ name: String, rate: Int, channels: Int, samples: [Int16]) -> String {
        var d = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(36 + samples.count * 2); d.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16); u16(1); u16(channels); u32(rate); u32(rate * channels * 2); u16(channels * 2); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(samples.count * 2)
        for s in samples { withUnsafeBytes(of: s.littleEndian) { d.append(contentsOf: $0) } }
        let path = folder + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: d))
        return path
    }

    func assertAudioError(_ path: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AudioFile.read(path), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path + ": "), text, file: file, line: line)
            XCTAssertTrue(text.contains(expected), "'\(text)' should contain '\(expected)'", file: file, line: line)
        }
    }

    func testEmptyFile() {
        let path = folder + "/empty.wav"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data()))
        assertAudioError(path, "cannot read audio")
    }

    func testTextFileRenamedWav() {
        let path = folder + "/notes.wav"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("these are meeting notes, not audio\n".utf8)))
        assertAudioError(path, "cannot read audio")
    }

    func testTruncatedHeader() throws {
        let full = try Data(contentsOf: URL(fileURLWithPath: wav("full.wav", rate: 16_000, channels: 1, samples: [1, 2, 3])))
        let path = folder + "/truncated.wav"
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: full.prefix(20)))
        assertAudioError(path, "cannot read audio")
    }

    func testZeroLengthAudio() {
        assertAudioError(wav("silence.wav", rate: 16_000, channels: 1, samples: []), "no samples")
    }

    func testMissingFile() {
        assertAudioError(folder + "/absent.wav", "no such file")
    }

    /// 8 kHz stereo: mixed to mono and resampled to 16 kHz; a 440 Hz tone stays a 440 Hz tone.
    func testEightKilohertzStereoIsMixedAndResampled() throws {
        let seconds = 1.0, rate = 8_000
        var interleaved: [Int16] = []
        for i in 0..<Int(seconds * Double(rate)) {
            let v = Int16(12_000 * sin(2 * Double.pi * 440 * Double(i) / Double(rate)))
            interleaved += [v, v / 2]
        }
        let samples = try AudioFile.read(wav("stereo8k.wav", rate: rate, channels: 2, samples: interleaved))
        XCTAssertEqual(Double(samples.count), 16_000 * seconds, accuracy: 2)
        // Zero crossings of a 440 Hz tone: 880 per second.
        let crossings = zip(samples.dropFirst(), samples).filter { ($0.0 >= 0) != ($0.1 >= 0) }.count
        XCTAssertEqual(Double(crossings), 880, accuracy: 4)
        let peak = samples[2000..<14000].map(abs).max()!
        XCTAssertEqual(peak, 0.75 * 12_000 / 32_768, accuracy: 0.01, "the mono mix averages the channels")
    }
}
