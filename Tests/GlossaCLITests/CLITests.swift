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

    func testBadOptionGivesOneClearErrorAndNonZeroExit() throws {
        let r = try runGlossa(["bench", "blas", "--threads", "0"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--threads must be at least 1"), r.stderr)
        XCTAssertTrue(r.stdout.isEmpty)

        let loop = try runGlossa(["transcribe", "assets/samples/librivox-0880.wav", "--lm-loop-words=-1"])
        XCTAssertNotEqual(loop.status, 0)
        XCTAssertTrue(loop.stderr.contains("--lm-loop-words must be 0 or more"), loop.stderr)
        XCTAssertTrue(loop.stdout.isEmpty)
    }
}
