import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress for long work, on stderr: done/total, rate and time left.
///
/// On a terminal it redraws one line in place (at most ~10 times a second). When stderr is
/// piped or redirected it prints plain lines instead, at most every `plainInterval` seconds,
/// so logs stay readable.
public final class ProgressReporter {
    public let label: String
    public let unit: String
    public let total: Int?
    public private(set) var done = 0

    private let isTerminal: Bool
    private let write: (String) -> Void
    private let clock: () -> Double
    private let start: Double
    private var lastDraw = -Double.infinity
    private let plainInterval: Double
    private var extra = ""
    /// `done` at the last drawn line, so `finish` does not repeat an identical final line.
    private var drawnDone = -1

    /// - Parameters:
    ///   - total: units of work, or nil when unknown (no ETA then).
    ///   - isTerminal / write / clock: injectable for tests; default to stderr and wall time.
    public init(_ label: String, total: Int?, unit: String = "it",
                isTerminal: Bool = isatty(STDERR_FILENO) != 0,
                plainInterval: Double = 5,
                write: @escaping (String) -> Void = { FileHandle.standardError.write($0.data(using: .utf8)!) },
                clock: @escaping () -> Double = { Date().timeIntervalSinceReferenceDate }) {
        self.label = label
        self.total = total
        self.unit = unit
        self.isTerminal = isTerminal
        self.plainInterval = plainInterval
        self.write = write
        self.clock = clock
        self.start = clock()
    }

    /// Adds `n` finished units; `status` is free text such as "loss 3.21".
    public func advance(by n: Int = 1, status: String? = nil) {
        done += n
        if let status { extra = status }
        let now = clock()
        let interval = isTerminal ? 0.1 : plainInterval
        if now - lastDraw >= interval || done == total {
            lastDraw = now
            draw(now: now, final: false)
        }
    }

    /// Prints the final line (always, even when throttled).
    public func finish(status: String? = nil) {
        if let status { extra = status }
        if isTerminal || drawnDone != done || status != nil { draw(now: clock(), final: true) }
    }

    /// The current line, without terminal control characters.
    public func line(now: Double) -> String {
        let elapsed = max(now - start, 1e-9)
        let rate = Double(done) / elapsed
        var parts = [label]
        if let total {
            let pct = total > 0 ? 100 * Double(done) / Double(total) : 100
            parts.append("\(done)/\(total) (\(String(format: "%.0f", pct))%)")
        } else {
            parts.append("\(done) \(unit)")
        }
        parts.append("\(Self.formatRate(rate)) \(unit)/s")
        parts.append("elapsed \(Self.formatDuration(elapsed))")
        if let total, done < total, rate > 0 {
            parts.append("ETA \(Self.formatDuration(Double(total - done) / rate))")
        }
        if !extra.isEmpty { parts.append(extra) }
        return parts.joined(separator: " · ")
    }

    private func draw(now: Double, final: Bool) {
        drawnDone = done
        if isTerminal {
            write("\r\u{1B}[K" + line(now: now) + (final ? "\n" : ""))
        } else {
            write(line(now: now) + "\n")
        }
    }

    public static func formatRate(_ r: Double) -> String {
        switch r {
        case ..<10: return String(format: "%.2f", r)
        case ..<1000: return String(format: "%.1f", r)
        case ..<1_000_000: return String(format: "%.1fk", r / 1000)
        default: return String(format: "%.2fM", r / 1_000_000)
        }
    }

    public static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m"
    }
}
