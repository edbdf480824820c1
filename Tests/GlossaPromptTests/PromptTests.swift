import XCTest
import Foundation
import GlossaLM
import GlossaTensor
import GlossaTestSupport
@testable import GlossaPrompt

final class PromptTests: XCTestCase {
    let support = [(image: "boot leather shoe heel", label: "ankle boot"), (image: "strap sole open summer", label: "sandal")]
    let query = "strap open sole beach"

    /// Each built-in template renders exactly its golden file (regenerate with
    /// GLOSSA_REGENERATE_FIXTURES=1 after an intended change).
    func testTemplatesMatchTheirGoldenFiles() throws {
        let names = PromptTemplate.builtInNames
        XCTAssertEqual(names, ["frozen", "induction", "options", "zero-shot"])
        for name in names {
            let rendered = try PromptTemplate.load(name).render(support: support, query: query, options: ["ankle boot", "sandal"]).text
            let golden = fixturePath(name + ".txt").replacingOccurrences(of: "/Fixtures/", with: "/Golden/")
            if ProcessInfo.processInfo.environment["GLOSSA_REGENERATE_FIXTURES"] == "1" {
                try rendered.write(toFile: golden, atomically: true, encoding: .utf8)
            }
            XCTAssertEqual(rendered, try String(contentsOfFile: golden, encoding: .utf8), name)
        }
    }

    func testInductionTemplateIsSPAEsFormat() throws {
        let text = try PromptTemplate.load("induction").render(support: support, query: query, options: ["ankle boot", "sandal"]).text
        XCTAssertEqual(text, """
        Classify each image as ankle boot or sandal.
        Input: boot leather shoe heel Output: ankle boot
        Input: strap sole open summer Output: sandal
        Input: strap open sole beach Output:
        """)
    }

    func testUnknownAndBrokenTemplates() {
        XCTAssertThrowsError(try PromptTemplate.load("sonnet")) { XCTAssertTrue("\($0)".contains("unknown template 'sonnet'; available: frozen")) }
        XCTAssertThrowsError(try PromptTemplate(name: "x", text: "example: {image}\n---\n{query}")) { XCTAssertTrue("\($0)".contains("{label}")) }
        XCTAssertThrowsError(try PromptTemplate(name: "x", text: "no separator")) { XCTAssertTrue("\($0)".contains("---")) }
    }

    func testEpisodesAreFixedBySeedAndWellFormed() {
        let labels = (0..<200).map { $0 % 10 }
        let byClass = Dictionary(grouping: labels.indices, by: { labels[$0] })
        func episodes(_ seed: UInt64) -> [FewShot.Episode] {
            var rng = RandomGenerator(seed: seed)
            return (0..<50).map { _ in FewShot.episode(labels: labels, byClass: byClass, way: 5, shot: 2, rng: &rng) }
        }
        let a = episodes(7), b = episodes(7), c = episodes(8)
        XCTAssertEqual(a.map(\.support), b.map(\.support))
        XCTAssertEqual(a.map(\.query), b.map(\.query))
        XCTAssertNotEqual(a.map(\.query), c.map(\.query))
        for e in a {
            XCTAssertEqual(Set(e.classes).count, 5)
            XCTAssertEqual(e.support.count, 10)
            XCTAssertTrue(e.classes.contains(labels[e.query]))
            XCTAssertFalse(e.support.contains(e.query))
        }
    }

    func testNearestNeighbourAndInterval() {
        XCTAssertEqual(FewShot.nearestNeighbour(query: [1, 2, 3, 3], support: [[9, 9], [3, 3, 1], [1, 2]]), 1)
        let (p, low, high) = FewShot.interval(correct: 850, total: 1000)
        XCTAssertEqual(p, 0.85)
        XCTAssertEqual(low, 0.826, accuracy: 0.001)
        XCTAssertEqual(high, 0.871, accuracy: 0.001)
    }

    /// Constrained scoring ranks labels by the LM's log-probability of " label" after the prompt.
    func testConstrainedScoringUsesTheLM() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fixture = repositoryRoot() + "/Tests/GlossaLMTests/Fixtures/llama"
        for f in ["config.json", "model.safetensors.index.json"] + (1...4).map({ "model-0000\($0)-of-00004.safetensors" }) {
            try FileManager.default.copyItem(atPath: fixture + "/" + f, toPath: folder + "/" + f)
        }
        try writeTinyTokenizer(to: folder + "/tokenizer.json")
        let lm = try LanguageModel(folder: folder)
        let tokenizer = try lm.requireTokenizer()
        let prompt = RenderedPrompt([.text("Input: the cat Output:")])
        let prediction = FewShot.constrained(prompt: prompt, labels: ["on", "the"], model: lm.model,
                                             spelling: LabelSpelling(tokenizer: tokenizer), endOfText: lm.endOfText)
        let direct = lm.model.score([lm.endOfText!] + tokenizer.encode("Input: the cat Output: on"))
        let context = lm.model.score([lm.endOfText!] + tokenizer.encode("Input: the cat Output:"))
        XCTAssertEqual(prediction.scores["on"]!, direct.totalLogProb - context.totalLogProb, accuracy: 1e-3)
        XCTAssertEqual(prediction.label, prediction.scores["on"]! > prediction.scores["the"]! ? "on" : "the")
    }
}
