import XCTest
import Foundation
import GlossaTensor
import GlossaTestSupport
@testable import GlossaVision

/// `glossa tokenize` / `glossa render` end to end with a small untrained SPAE folder.
final class ImageCLITests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = makeTemporaryFolder()
        var rng = RandomGenerator(seed: 2)
        let codebook = LexicalCodebook(tokenIDs: (100..<140).map(Int32.init), words: (0..<40).map { "word\($0)" },
                                       embeddings: .randomNormal([40, 12], rng: &rng))
        var config = SPAEModel.Config()
        (config.latentDim, config.width) = (8, 8)
        try SPAEFile.save(SPAEModel(config: config, codebook: codebook, seed: 1), to: folder + "/spae", languageModel: "test", steps: 0)
        let image = Image(width: 40, height: 20, channels: 3, pixels: (0..<(40 * 20 * 3)).map { Float($0 % 7) / 6 })
        try PNGFile.write(image, to: folder + "/wide.png")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testTokenizeJSONRenderAndHTML() throws {
        let spae = folder + "/spae"
        let json = try runGlossa(["tokenize", folder + "/wide.png", "--spae", spae, "--json", "--html", folder + "/report.html"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let layers = document["layers"] as! [[String: Any]]
        XCTAssertEqual(layers.map { ($0["tokens"] as! [Any]).count }, [1, 4, 16, 64])
        let report = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        XCTAssertTrue(report.contains("data:image/png;base64,"))
        XCTAssertEqual(report.components(separatedBy: "<img").count - 1, 5, "input + 4 depths")

        try json.stdout.write(toFile: folder + "/tokens.json", atomically: true, encoding: .utf8)
        let render = try runGlossa(["render", folder + "/tokens.json", "--spae", spae, "-o", folder + "/out.png"])
        XCTAssertEqual(render.status, 0, render.stderr)
        let out = try PNGFile.read(folder + "/out.png")
        XCTAssertEqual([out.width, out.height, out.channels], [28, 28, 1])

        let text = try runGlossa(["tokenize", folder + "/wide.png", "--spae", spae, "--layers", "2"])
        XCTAssertTrue(text.stdout.hasPrefix("layer 1 (1×1):\n  word"), text.stdout)
    }

    func testPromptPrintsAndAnswersAndRefusesBadInput() throws {
        let spae = folder + "/spae"
        let lm = folder + "/lm"
        try FileManager.default.createDirectory(atPath: lm, withIntermediateDirectories: true)
        let fixture = repositoryRoot() + "/Tests/GlossaLMTests/Fixtures/llama"
        for f in ["config.json", "model.safetensors.index.json"] + (1...4).map({ "model-0000\($0)-of-00004.safetensors" }) {
            try FileManager.default.copyItem(atPath: fixture + "/" + f, toPath: lm + "/" + f)
        }
        try writeTinyTokenizer(to: lm + "/tokenizer.json")
        let image = folder + "/wide.png"
        let printed = try runGlossa(["prompt", "--support", image + "=boot", "--support", image + "=bag", "--query", image,
                                     "--spae", spae, "--print-only"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        XCTAssertTrue(printed.stdout.hasPrefix("Classify each image as boot or bag.\nInput: word"), printed.stdout)
        let answered = try runGlossa(["prompt", "--support", image + "=boot", "--support", image + "=bag", "--query", image,
                                      "--spae", spae, "--lm", lm])
        XCTAssertEqual(answered.status, 0, answered.stderr)
        XCTAssertTrue(answered.stdout.contains("answer: ") && answered.stdout.contains("\nwritten: "), answered.stdout)
        let copied = try runGlossa(["prompt", "--support", image + "=boot", "--support", image + "=bag", "--query", image,
                                    "--spae", spae, "--lm", lm, "--spelling", "copied"])
        XCTAssertEqual(copied.status, 0, copied.stderr)
        XCTAssertEqual(copied.stdout.components(separatedBy: "\nanswer: ")[0], answered.stdout.components(separatedBy: "\nanswer: ")[0])
        let cases: [([String], String)] = [
            (["eval", "fewshot", "--split", "dev"], "--split must be test or train"),
            (["eval", "fewshot", "--spelling", "letters"], "'letters' is invalid"),
            (["eval", "fewshot", "--spelling-pieces", "0"], "--spelling-pieces must be at least 1"),
            (["prompt", "--query", image, "--spae", spae], "the support set is empty"),
            (["prompt", "--support", folder + "/absent.png=boot", "--query", image, "--spae", spae, "--print-only"], "no such file"),
            (["prompt", "--support", image + "=boot", "--query", image, "--template", "haiku", "--spae", spae], "unknown template 'haiku'"),
            (["prompt", "--support", image, "--query", image, "--spae", spae], "is not IMAGE=label"),
        ]
        for (args, message) in cases {
            let r = try runGlossa(args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
    }

    func testBadInputsGiveOneClearErrorLine() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/broken.png", contents: Data("GIF89a not a png".utf8)))
        let cases: [([String], String)] = [
            (["tokenize", folder + "/broken.png", "--spae", folder + "/spae"], "invalid image"),
            (["tokenize", folder + "/absent.png", "--spae", folder + "/spae"], "no such file"),
            (["tokenize", folder + "/wide.png", "--spae", folder + "/nothing"], "no SPAE model"),
            (["render", folder + "/wide.png", "--spae", folder + "/spae", "-o", folder + "/x.png"], "is not the JSON"),
        ]
        for (args, message) in cases {
            let r = try runGlossa(args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/x.png"))
    }
}
