import XCTest
import Foundation
import GlossaTestSupport

/// End-to-end: runs the built `glossa` executable as a user would.
final class CLITests: XCTestCase {
    func testHelpAndVersion() throws {
        let help = try runGlossa(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("USAGE: glossa"))
        XCTAssertTrue(help.stdout.contains("bench"))
        let version = try runGlossa(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "0.1.0")
    }

    func testBenchBLASQuickJSONReportsRatios() throws {
        let r = try runGlossa(["bench", "blas", "--quick", "--json", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertGreaterThan(report["peakGflops"] as! Double, 1)
        XCTAssertFalse((report["openblasCore"] as! String).isEmpty, "the report names OpenBLAS's kernel set")
        let results = report["results"] as! [[String: Any]]
        XCTAssertGreaterThanOrEqual(results.count, 10)
        XCTAssertTrue(results.allSatisfy { ($0["ratioToPeak"] as! Double) > 0 })
        XCTAssertTrue(r.stderr.contains("bench blas"), "progress goes to stderr")
    }

    /// `eval asr --json` scores a manifest and reports, per utterance, the segments with the
    /// temperature and confidence their window was decoded at.
    func testEvalASRJSONReportsEachUtterancesSegments() throws {
        let root = repositoryRoot()
        let manifest = FileManager.default.temporaryDirectory.appendingPathComponent("glossa-eval-\(getpid()).tsv")
        try "\(root)/assets/samples/librivox-0880.wav\tHe was not an ill-disposed young man.\n".write(to: manifest, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: manifest) }
        let r = try runGlossa(["eval", "asr", "--manifest", manifest.path, "--model", try modelFile("whisper-tiny.en"),
                               "--lm", "none", "--beam", "1", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(report["utterances"] as? Int, 1)
        let utterance = (report["results"] as! [[String: Any]])[0]
        XCTAssertEqual(utterance["words"] as? Int, 8)
        let segments = utterance["segments"] as! [[String: Any]]
        XCTAssertEqual(segments.count, 1)
        XCTAssertEqual(segments[0]["temperature"] as? Double, 0, "a clear clip passes at temperature 0")
        XCTAssertLessThan(segments[0]["avg_logprob"] as! Double, 0)
        XCTAssertGreaterThan(segments[0]["avg_logprob"] as! Double, -1, "above transcribe.py's confidence threshold")
    }

    func testBadOptionGivesOneClearErrorAndNonZeroExit() throws {
        let r = try runGlossa(["bench", "blas", "--threads", "0"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--threads must be at least 1"), r.stderr)
        XCTAssertTrue(r.stdout.isEmpty)

        let loop = try runGlossa(["transcribe", "assets/samples/librivox-0880.wav", "--lm-loop-words=-1"])
        XCTAssertNotEqual(loop.status, 0)
        XCTAssertTrue(loop.stderr.contains("--lm-loop-words must be 0 or more"), loop.stderr)
        XCTAssertTrue(loop.stdout.isEmpty)

        for (option, value) in [("lm-weight", "-0.2"), ("ilm-weight", "-0.1")] {
            let weight = try runGlossa(["eval", "asr", "--manifest", "data/speech/espeak-en/test.tsv", "--\(option)=\(value)"])
            XCTAssertNotEqual(weight.status, 0)
            XCTAssertTrue(weight.stderr.contains("--\(option) must be 0 or more"), weight.stderr)
            XCTAssertTrue(weight.stdout.isEmpty)
        }
    }
}
