import Foundation
import GlossaTensor

/// Rotary position embedding (RoFormer), applied per head to the first `rotaryDim` dims.
///
/// Pairs are either half-split, (i, i + r/2) as Hugging Face's `rotate_half` (Llama,
/// Mixtral), or interleaved, (2i, 2i + 1) as GPT-J and DeepSeek's original layout.
/// θ_i = base^(−2i/r); the pair is rotated by position·θ_i. The map is a rotation, so its
/// backward is the same rotation by −angle.
public final class RotaryEmbedding {
    public let headDim: Int
    public let rotaryDim: Int
    public let base: Float
    public let interleaved: Bool
    private var savedPositions: [Int] = []
    private var savedHeads = 0

    public init(headDim: Int, rotaryDim: Int? = nil, base: Float = 10_000, interleaved: Bool = false) {
        let r = rotaryDim ?? headDim
        precondition(r % 2 == 0 && r <= headDim, "rotary dim \(r) must be even and ≤ head dim \(headDim)")
        self.headDim = headDim
        self.rotaryDim = r
        self.base = base
        self.interleaved = interleaved
    }

    /// Inverse frequencies θ_i, computed in Double then rounded, like `base ** (arange(0, r, 2) / r)`.
    public lazy var inverseFrequencies: [Float] = (0..<(rotaryDim / 2)).map {
        Float(1 / Foundation.pow(Double(base), Double(2 * $0) / Double(rotaryDim)))
    }

    /// x: [rows, heads·headDim], row r at `positions[r]`. Returns a new tensor.
    public func forward(_ x: Tensor, positions: [Int]) -> Tensor {
        precondition(x.lastDim % headDim == 0, "RoPE: last dim \(x.lastDim) is not a multiple of head dim \(headDim)")
        precondition(positions.count == x.rowCount, "RoPE: \(positions.count) positions for \(x.rowCount) rows")
        savedPositions = positions
        savedHeads = x.lastDim / headDim
        let y = x.copy()
        rotate(y, positions: positions, sign: 1)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let dx = dy.copy()
        rotate(dx, positions: savedPositions, sign: -1)
        return dx
    }

    /// Rotates `t` in place by sign·angle.
    public func rotate(_ t: Tensor, positions: [Int], sign: Float) {
        let half = rotaryDim / 2
        let heads = t.lastDim / headDim
        let freqs = inverseFrequencies
        let cols = t.lastDim
        let interleaved = self.interleaved, headDim = self.headDim
        Parallel.forEachChunk(t.rowCount, minChunk: 16) { range in
            var cosTable = [Float](repeating: 0, count: half)
            var sinTable = [Float](repeating: 0, count: half)
            for r in range {
                let pos = Float(positions[r])
                for i in 0..<half {
                    let angle = pos * freqs[i]
                    cosTable[i] = Foundation.cos(angle)
                    sinTable[i] = sign * Foundation.sin(angle)
                }
                for h in 0..<heads {
                    let p = t.data + r * cols + h * headDim
                    for i in 0..<half {
                        let (a, b) = interleaved ? (2 * i, 2 * i + 1) : (i, i + half)
                        let x0 = p[a], x1 = p[b]
                        p[a] = x0 * cosTable[i] - x1 * sinTable[i]
                        p[b] = x1 * cosTable[i] + x0 * sinTable[i]
                    }
                }
            }
        }
    }
}
