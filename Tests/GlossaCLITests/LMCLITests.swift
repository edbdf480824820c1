import XCTest
import Foundation
import GlossaTensor
import GlossaTestSupport

/// `glossa lm …` end to end on the tiny Llama fixture, with a small byte-level tokenizer.
final class LMCLITests: XCTestCase {
    var folder = ""
    let fixture = repositoryRoot() + "/Tests/GlossaLMTests/Fixtures/llama"

    override func setUpWithError() throws {
        folder = makeTemporaryFolder()
        for f in try FileManager.default.contentsOfDirectory(atPath: fixture) where f != "expected.safetensors" {
            try FileManager.default.copyItem(atPath: fixture + "/" + f, toPath: folder + "/" + f)
        }
        try writeTinyTokenizer(to: folder + "/tokenizer.json")
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testLogitsMatchTheTransformersFixture() throws {
        let expected = try SafetensorsFile(path: fixture + "/expected.safetensors")
        let ids = try expected.int64s("input_ids").map(String.init).joined(separator: ",")
        let out = folder + "/logits.safetensors"
        let r = try runGlossa(["lm", "logits", "--model", folder, "--ids", ids, "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let logits = try SafetensorsFile(path: out).tensor("logits")
        let reference = try expected.tensor("logits")
        XCTAssertEqual(logits.shape, reference.shape)
        XCTAssertLessThan(logits.maxAbsDifference(reference), 1e-4 * reference.max())
    }

    func testGenerateIsReproducibleAndStops() throws {
        let greedy = try runGlossa(["lm", "generate", "--model", folder, "--prompt", "the", "--max-tokens", "8", "--json"])
        XCTAssertEqual(greedy.status, 0, greedy.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(greedy.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((object["tokens"] as! [Int]).count, 8)
        XCTAssertEqual(object["stopReason"] as? String, "maxTokens")
        let args = ["lm", "generate", "--model", folder, "--prompt", "in the", "--max-tokens", "12", "--temperature", "1", "--seed", "5"]
        let a = try runGlossa(args), b = try runGlossa(args)
        XCTAssertEqual(a.stdout, b.stdout)
        let c = try runGlossa(args.dropLast() + ["6"])
        XCTAssertNotEqual(a.stdout, c.stdout, "another seed should give another sample")
        // The first generated character as a stop string: nothing before it is printed.
        let first = try runGlossa(args + ["--json"])
        let text = (try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as! [String: Any])["text"] as! String
        let stopAt = String(text.prefix(1))
        let stopped = try runGlossa(args + ["--stop", stopAt])
        XCTAssertEqual(stopped.stdout, "\n")
    }

    func testScore() throws {
        let textFile = folder + "/text.txt"
        try "the cat sat on the mat".write(toFile: textFile, atomically: true, encoding: .utf8)
        let r = try runGlossa(["lm", "score", "--model", folder, "--text-file", textFile, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let count = object["tokenCount"] as! Int, total = object["totalLogProb"] as! Double
        XCTAssertGreaterThan(count, 5)
        XCTAssertLessThan(total, 0)
        XCTAssertEqual(object["perplexity"] as! Double, exp(-total / Double(count)), accuracy: 1e-6)
    }

    func testBadInputsGiveOneClearErrorLine() throws {
        let empty = folder + "/empty.txt"
        try "  \n".write(toFile: empty, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["lm", "score", "--model", folder, "--text-file", empty], "is empty"),
            (["lm", "score", "--model", folder, "--text-file", folder + "/missing.txt"], "cannot read"),
            (["lm", "logits", "--model", folder, "--ids", "1,x", "--out", folder + "/o.safetensors"], "comma-separated integers"),
            (["lm", "logits", "--model", folder, "--ids", "1,400", "--out", folder + "/o.safetensors"], "outside the vocabulary of 320"),
            (["lm", "generate", "--model", folder + "/nope", "--prompt", "x"], "not a model folder"),
            (["lm", "generate", "--model", fixture, "--prompt", "x"], "no tokenizer.json"),
            (["corpus", "--text", empty, "--languages", "en", "--out", folder + "/c"], "holds no text"),
            (["corpus", "--text", folder + "/missing.txt", "--languages", "en", "--out", folder + "/c"], "cannot read"),
            (["corpus", "--text", empty, "--languages", "en,de", "--out", folder + "/c"], "exactly one language"),
            (["lm", "train", "--init", folder + "/nope", "--out", folder + "/t"], "config.json"),
            (["lm", "train", "--out", folder + "/t", "--frozen-layers", "2"], "--frozen-layers needs --init"),
            (["lm", "train", "--init", repositoryRoot() + "/assets/lm/glossa-lm-v2", "--out", folder + "/t", "--frozen-layers", "6"],
             "--frozen-layers must be 0 to 5"),
        ]
        for (args, message) in cases {
            let r = try runGlossa(args)
            XCTAssertNotEqual(r.status, 0, args.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { !$0.isEmpty }.count, 1, r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/o.safetensors"), "no output on error")
    }
}
