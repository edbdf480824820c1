import XCTest
import Foundation
import GlossaTestSupport
@testable import GlossaLM

final class CorpusTests: XCTestCase {
    func testHTMLTextSkipsHeadScriptsAndShortLines() {
        let html = """
        <html><head><title>Ignored title</title><script>var x = "<p>not text</p>";</script></head>
        <body><nav>Home Back Forward</nav><h1>Inserting a table here</h1>
        <p>Choose <span class="menuitem">Table - Insert</span> to open the dialog &amp; then click OK.</p>
        <div>Short</div><!-- a <p>comment</p> --><p>Caf&#233; and na&#xEF;ve words &lt;here&gt; today.</p></body></html>
        """
        XCTAssertEqual(MarkupText.lines(Array(html.utf8)), [
            "Inserting a table here",
            "Choose Table - Insert to open the dialog & then click OK.",
            "Café and naïve words <here> today.",
        ])
    }

    func testMallardSkipsInfo() {
        let page = """
        <page xmlns="http://projectmallard.org/1.0/"><info><credit><name>Some Author Name Here</name></credit></info>
        <title>Change your password now</title><p>Keep your account secure by changing your password often.</p></page>
        """
        XCTAssertEqual(MarkupText.lines(Array(page.utf8)), ["Change your password now", "Keep your account secure by changing your password often."])
    }

    func testSplitIsDeterministicAndRoughly90_5_5() {
        let ids = (0..<20_000).map { "usr/share/doc/page\($0).html" }
        let splits = ids.map(CorpusBuilder.split(of:))
        XCTAssertEqual(splits, ids.map(CorpusBuilder.split(of:)))
        let train = splits.filter { $0 == .train }.count, test = splits.filter { $0 == .test }.count
        XCTAssertEqual(Double(train) / 20_000, 0.90, accuracy: 0.01)
        XCTAssertEqual(Double(test) / 20_000, 0.05, accuracy: 0.01)
        XCTAssertEqual(CorpusBuilder.stableHash("glossa"), 0x0179_9D57_FEB6_8768, "FNV-1a must not depend on the process")
    }

    func testFortunesAndDeduplicationAcrossDocuments() throws {
        let raw = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: raw) }
        let fortunes = raw + "/usr/share/games/fortunes/de"
        try FileManager.default.createDirectory(atPath: fortunes, withIntermediateDirectories: true)
        try "Wer andern eine Grube gräbt, fällt selbst hinein.\n%\nAller Anfang ist schwer, sagt man so.\n%\nWer andern eine Grube gräbt, fällt selbst hinein.\n%\n"
            .write(toFile: fortunes + "/sprueche.u8", atomically: true, encoding: .utf8)
        try "latin-1 version, skipped".write(toFile: fortunes + "/sprueche", atomically: true, encoding: .utf8)
        let docs = CorpusBuilder.documents(.init(kind: .fortunes, folder: "usr/share/games/fortunes/de"), raw: raw)
        XCTAssertEqual(docs.map(\.lines), [["Wer andern eine Grube gräbt, fällt selbst hinein."], ["Aller Anfang ist schwer, sagt man so."],
                                           ["Wer andern eine Grube gräbt, fällt selbst hinein."]])
        let bpe = try ByteLevelBPETokenizer(path: modelFile("whisper-base/tokenizer.json"))
        let out = raw + "/corpus"
        let stats = try CorpusBuilder.build(language: "de", raw: raw, out: out, tokenizer: bpe, endOfText: 50257)
        XCTAssertEqual(stats.documents.values.reduce(0, +), 2, "the repeated fortune is dropped")
        let all = try ["train", "valid", "test"].map { try String(contentsOfFile: "\(out)/de/\($0).txt", encoding: .utf8) }.joined()
        XCTAssertEqual(all.components(separatedBy: "Grube").count - 1, 1)
        let tokenBytes = try ["train", "valid", "test"].map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/de/\($0).tokens")).count }
        XCTAssertEqual(tokenBytes.reduce(0, +) / 2, stats.tokens.values.reduce(0, +))
    }

    /// `glossa corpus --text`: a plain-text file's paragraphs are the documents.
    func testPlainTextParagraphsAreDocuments() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/domain.txt"
        try "In the beginning God created\nthe heaven and the earth.\r\n\r\n  And the earth was   without form.\n\n\n\nAnd God said, Let there be light.\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let docs = CorpusBuilder.documents(.init(kind: .paragraphs, folder: file), raw: "")
        XCTAssertEqual(docs.map(\.lines), [["In the beginning God created", "the heaven and the earth."],
                                           ["And the earth was without form."], ["And God said, Let there be light."]])
        XCTAssertEqual(Set(docs.map(\.id)).count, 3)
        let bpe = try ByteLevelBPETokenizer(path: modelFile("whisper-base/tokenizer.json"))
        let stats = try CorpusBuilder.build(language: "en", raw: "", out: folder + "/corpus", tokenizer: bpe, endOfText: 50257,
                                            sources: [.init(kind: .paragraphs, folder: file)])
        XCTAssertEqual(stats.documents.values.reduce(0, +), 3)
        XCTAssertEqual(stats.lines.values.reduce(0, +), 4)
    }
}
