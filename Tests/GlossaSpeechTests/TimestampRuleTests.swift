import XCTest
import GlossaLM
import GlossaTestSupport
@testable import GlossaSpeech

/// ApplyTimestampRules as CTranslate2 applies it (whisper.cc), with whisper base's vocabulary.
final class TimestampRuleTests: XCTestCase {
    func testTimestampsComeInPairsAndNeverGoBelowTheLastOne() throws {
        let folder = try modelFile("whisper-base")
        let tokenizer = try ByteLevelBPETokenizer(path: folder + "/tokenizer.json")
        let vocabulary = try WhisperVocabulary(tokenizer: tokenizer, path: folder, multilingual: true)
        let filters = WhisperLogitFilters(vocabulary: vocabulary, timestamps: true)
        let begin = Int(vocabulary.firstTimestamp), v = begin + 1501  // whisper base: 51,865 logits
        func ts(_ i: Int) -> Int32 { Int32(begin + i) }
        let word = try XCTUnwrap(tokenizer.encode(" hello").first)
        // Text likelier than all timestamps together (10 > log 1501), so no timestamp is forced.
        func allowed(after sampled: [Int32]) -> (text: Bool, timestamps: [Int]) {
            var logits = [Float](repeating: 0, count: v)
            for i in 0..<begin { logits[i] = 10 }
            logits.withUnsafeMutableBufferPointer { filters.apply($0.baseAddress!, count: v, sampled: sampled) }
            return (logits[Int(word)] > -.infinity, (begin..<v).filter { logits[$0] > -.infinity }.map { $0 - begin })
        }
        XCTAssertEqual(allowed(after: []).timestamps, Array(0...50), "the first token: a timestamp of at most 1 s")
        XCTAssertFalse(allowed(after: []).text)
        let closing = allowed(after: [ts(0), word, ts(100)])
        XCTAssertFalse(closing.text, "a timestamp after text is followed by a timestamp or end-of-text")
        XCTAssertEqual(closing.timestamps.first, 100)
        let paired = allowed(after: [ts(0), word, ts(100), ts(100)])
        XCTAssertTrue(paired.text)
        XCTAssertEqual(paired.timestamps, [], "after a pair comes text")
        let open = allowed(after: [ts(0), word, ts(100), ts(100), word])
        XCTAssertTrue(open.text)
        XCTAssertEqual(open.timestamps.first, 100, "CTranslate2 allows the last timestamp again (openai's newer rule: 101)")
    }
}
