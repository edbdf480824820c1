import Foundation

/// Kernels that work along the last axis of a [rows, cols] matrix: softmax, log-softmax
/// and logsumexp, each numerically stabilised by subtracting the row maximum.
public enum RowMath {
    /// Rows per parallel chunk so each thread gets at least ~32k elements of work.
    static func minChunk(cols: Int) -> Int { Swift.max(1, 32_768 / Swift.max(cols, 1)) }

    public static func softmax(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forEachChunk(rows, minChunk: minChunk(cols: cols)) { range in
            for r in range {
                let xi = x + r * cols, oi = out + r * cols
                let m = Vec.max(xi, cols)
                let s = Vec.expShiftedSum(xi, oi, cols, shift: m)
                Vec.scale(oi, 1 / s, oi, cols)
            }
        }
    }

    public static func logSoftmax(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forEachChunk(rows, minChunk: minChunk(cols: cols)) { range in
            for r in range {
                let xi = x + r * cols, oi = out + r * cols
                let lse = logsumexpRow(xi, cols)
                Vec.map(xi, oi, cols) { $0 - lse }
            }
        }
    }

    public static func logsumexp(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        Parallel.forEachChunk(rows, minChunk: minChunk(cols: cols)) { range in
            for r in range { out[r] = logsumexpRow(x + r * cols, cols) }
        }
    }

    /// log Σ exp(x_i) = m + log Σ exp(x_i − m). The sum is taken in lanes of exp values.
    public static func logsumexpRow(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let m = Vec.max(x, n)
        if m == -.infinity { return -.infinity }
        var acc = Vec.Lanes(repeating: 0)
        var i = 0
        while i + Vec.width <= n {
            acc += Vec.expLanes(Vec.load(x + i) - m)
            i += Vec.width
        }
        var s = acc.sum()
        while i < n { s += Foundation.exp(x[i] - m); i += 1 }
        return m + Foundation.log(s)
    }
}
