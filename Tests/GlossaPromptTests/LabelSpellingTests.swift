import XCTest
import Foundation
import GlossaLM
import GlossaTestSupport
@testable import GlossaPrompt

final class LabelSpellingTests: XCTestCase {
    static let lmFolder = repositoryRoot() + "/assets/lm/glossa-lm-v10"
    let labels = ["t-shirt", "trouser", "ankle boot", "coat"]

    func support(_ labels: [String]) -> [(image: String, label: String)] {
        labels.enumerated().map { (image: "boot leather shoe heel \($0.offset)", label: $0.element) }
    }

    /// With no label respelt, encoding a prompt segment by segment gives exactly the ids of its
    /// whole text, for every built-in template: a label is a word of its own.
    func testTokenizerSpellingEncodesTheWholeText() throws {
        let tokenizer = try ByteLevelBPETokenizer(path: Self.lmFolder + "/tokenizer.json")
        let spelling = LabelSpelling(tokenizer: tokenizer)
        for name in PromptTemplate.builtInNames {
            let prompt = try PromptTemplate.load(name).render(support: support(labels), query: "strap open sole", options: labels)
            XCTAssertEqual(spelling.encode(prompt), tokenizer.encode(prompt.text), name)
        }
    }

    /// Every split of a token's bytes is made of vocabulary tokens that spell the same bytes, the
    /// whole token first, and none has more pieces than asked.
    func testSplitsSpellTheSameBytes() throws {
        let tokenizer = try ByteLevelBPETokenizer(path: Self.lmFolder + "/tokenizer.json")
        let bytes = Array(" trous".utf8)
        let splits = LabelSpelling.splits(bytes, maxPieces: 2, tokenizer: tokenizer)
        XCTAssertEqual(splits.first, tokenizer.encode(" trous"))
        XCTAssertEqual(splits.count, 1 + bytes.indices.dropFirst().filter {
            tokenizer.id(ofBytes: Array(bytes[..<$0])) != nil && tokenizer.id(ofBytes: Array(bytes[$0...])) != nil
        }.count)
        for split in splits {
            XCTAssertLessThanOrEqual(split.count, 2)
            XCTAssertEqual(tokenizer.decodeBytes(split), bytes)
        }
    }

    /// glossa-lm-v10 cannot write " trouser" as its tokenizer spells it (" trous" is all but
    /// absent from its corpus); the spelling the copy test chooses is the same text, and greedy
    /// generation after a copy prompt writes it back.
    func testCopiedSpellingIsTheSameTextAndTheLMWritesIt() throws {
        let lm = try LanguageModel(folder: Self.lmFolder)
        let tokenizer = try lm.requireTokenizer()
        let template = try PromptTemplate.load("induction")
        let copied = LabelSpelling.copied(labels: ["trouser"], template: template, model: lm.model, tokenizer: tokenizer,
                                          endOfText: lm.endOfText)
        XCTAssertNotEqual(copied.answer("trouser"), tokenizer.encode(" trouser"))
        XCTAssertEqual(tokenizer.decode(copied.answer("trouser")), " trouser")
        let prompt = template.render(support: support(["coat", "trouser"]), query: "N/A", options: ["coat", "trouser"])
        XCTAssertEqual(tokenizer.decode(copied.encode(prompt)), prompt.text)
        let plain = LabelSpelling(tokenizer: tokenizer)
        let writes = { (spelling: LabelSpelling, query: String) -> String in
            let p = template.render(support: [(image: "N/A", label: "trouser")], query: query, options: ["trouser"])
            return try FewShot.open(prompt: p, model: lm, spelling: spelling)
        }
        XCTAssertEqual(try writes(copied, "N/A"), "trouser")
        XCTAssertNotEqual(try writes(plain, "N/A"), "trouser")
    }
}
