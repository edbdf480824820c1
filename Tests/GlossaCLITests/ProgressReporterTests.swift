import XCTest
import GlossaSupport

final class ProgressReporterTests: XCTestCase {
    func testPlainLinesShowRateAndETAAndAreThrottled() {
        var now = 0.0
        var lines: [String] = []
        let p = ProgressReporter("train", total: 100, unit: "steps", isTerminal: false, plainInterval: 5,
                                 write: { lines.append($0) }, clock: { now })
        now = 1; p.advance(by: 10)          // first line always prints
        now = 2; p.advance(by: 10)          // throttled
        now = 7; p.advance(by: 10, status: "loss 2.50")
        XCTAssertEqual(lines.count, 2)
        XCTAssertEqual(lines[1], "train · 30/100 (30%) · 4.29 steps/s · elapsed 7s · ETA 16s · loss 2.50\n")
        now = 20; p.advance(by: 70)         // reaching the total always prints
        p.finish()                          // and is not repeated
        XCTAssertEqual(lines.count, 3)
        XCTAssertFalse(lines.joined().contains("\r"))
        XCTAssertFalse(lines[2].contains("ETA"))
    }

    func testTerminalRedrawsInPlace() {
        var now = 0.0
        var out = ""
        let p = ProgressReporter("x", total: nil, unit: "files", isTerminal: true, write: { out += $0 }, clock: { now })
        now = 2; p.advance(by: 4)
        p.finish()
        XCTAssertTrue(out.hasPrefix("\r\u{1B}[K"))
        XCTAssertTrue(out.contains("4 files · 2.00 files/s"))
        XCTAssertTrue(out.hasSuffix("\n"))
    }

    func testDurations() {
        XCTAssertEqual(ProgressReporter.formatDuration(59.4), "59s")
        XCTAssertEqual(ProgressReporter.formatDuration(61), "1m01s")
        XCTAssertEqual(ProgressReporter.formatDuration(7322), "2h02m")
        XCTAssertEqual(ProgressReporter.formatRate(12_345), "12.3k")
    }
}
