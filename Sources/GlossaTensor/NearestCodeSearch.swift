/// Exact nearest-row search in squared Euclidean distance, for vector quantizers (SPAE's
/// pyramid searches every target against the whole 8,224-word codebook).
///
/// argmin_k ‖t − e_k‖² = argmin_k (‖e_k‖² − 2 t·e_k), computed fused (no distance matrix in
/// memory: the sgemm formulation wrote rows × K floats and read them back) over blocks of 32
/// codes in SIMD registers, and pruned by the triangle inequality: ‖t − e‖ ≥ |‖t‖ − ‖e‖|.
/// The codes are stored sorted by norm, so a target's search starts at the block whose norms
/// match ‖t‖ and walks outward in both directions, stopping each way at the first block whose
/// nearest norm is already farther than the best distance found. The mapped SPAE codebook's
/// norms spread from 2 to 17 (5th–95th percentile) while its codes' nearest neighbours lie
/// about 0.02 apart, so most blocks are never read. The bound carries a slack for float
/// rounding, so rounding can only make it scan more, never skip the nearest code.
public final class NearestCodeSearch {
    public let dim: Int
    public let count: Int
    let padded: Int
    /// [D][padded]: column j holds coordinate j of every code, in ascending norm.
    let transposed: UnsafeMutablePointer<Float>
    /// ‖e‖² in sorted order; +∞ for the padding, which is then never chosen.
    let norms: UnsafeMutablePointer<Float>
    /// ‖e‖ in sorted order (count entries).
    let lengths: [Float]
    let maxLength: Float
    /// Sorted position → codebook row.
    let original: [Int32]
    static let lanes = 32

    /// codebook: [K, D].
    public init(codebook: Tensor) {
        let (count, dim) = (codebook.rowCount, codebook.lastDim)
        (self.count, self.dim) = (count, dim)
        precondition(count > 0, "empty codebook")
        padded = (count + Self.lanes - 1) / Self.lanes * Self.lanes
        let squared = (0..<count).map { k in Vec.dot(codebook.data + k * dim, codebook.data + k * dim, dim) }
        let order = (0..<count).sorted { (squared[$0], $0) < (squared[$1], $1) }
        original = order.map { Int32($0) }
        lengths = order.map { squared[$0].squareRoot() }
        maxLength = lengths.last!
        transposed = .allocate(capacity: dim * padded)
        transposed.initialize(repeating: 0, count: dim * padded)
        norms = .allocate(capacity: padded)
        norms.initialize(repeating: .infinity, count: padded)
        for (p, k) in order.enumerated() {
            norms[p] = squared[k]
            for j in 0..<dim { transposed[j * padded + p] = codebook.data[k * dim + j] }
        }
    }

    deinit {
        transposed.deallocate()
        norms.deallocate()
    }

    /// The nearest codebook row for each of `rows` targets [rows, D]; ties go to the lower
    /// row index. Rows are split over Parallel's threads.
    public func nearest(_ targets: UnsafePointer<Float>, rows: Int) -> [Int32] {
        var best = [Int32](repeating: 0, count: rows)
        best.withUnsafeMutableBufferPointer { out in
            let out = UncheckedBox(out.baseAddress!)
            Parallel.forEachChunk(rows, minChunk: 64) { range in
                let scaled = UnsafeMutablePointer<Float>.allocate(capacity: dim)
                defer { scaled.deallocate() }
                for r in range { out.value[r] = search(targets + r * dim, scaled: scaled) }
            }
        }
        return best
    }

    /// The smallest lane by halving, as per-lane selects (the stdlib's `min()` is a scalar loop
    /// with a branch per lane, and its generic `pointwiseMin` stayed an out-of-line call).
    @inline(__always)
    static func minimum(_ v: Vec.Lanes) -> Float {
        let (l, h) = (v.lowHalf, v.highHalf)
        let m8 = SIMD8<Float>(h[0] < l[0] ? h[0] : l[0], h[1] < l[1] ? h[1] : l[1], h[2] < l[2] ? h[2] : l[2],
                              h[3] < l[3] ? h[3] : l[3], h[4] < l[4] ? h[4] : l[4], h[5] < l[5] ? h[5] : l[5],
                              h[6] < l[6] ? h[6] : l[6], h[7] < l[7] ? h[7] : l[7])
        let (l4, h4) = (m8.lowHalf, m8.highHalf)
        let m4 = SIMD4<Float>(h4[0] < l4[0] ? h4[0] : l4[0], h4[1] < l4[1] ? h4[1] : l4[1],
                              h4[2] < l4[2] ? h4[2] : l4[2], h4[3] < l4[3] ? h4[3] : l4[3])
        return Swift.min(Swift.min(m4[0], m4[1]), Swift.min(m4[2], m4[3]))
    }

    private func search(_ t: UnsafePointer<Float>, scaled: UnsafeMutablePointer<Float>) -> Int32 {
        typealias Lanes = Vec.Lanes
        for j in 0..<dim { scaled[j] = -2 * t[j] }
        let tt = Vec.dot(t, t, dim), length = tt.squareRoot()
        var best = Float.infinity, bestIndex = Int32.max
        // Distances to the 32 codes of block b (without the constant ‖t‖²). Two accumulator sets
        // (even and odd coordinates) keep eight FMA chains in flight instead of four.
        @inline(__always) func scan(_ b: Int) {
            let c = b * Self.lanes
            var a0 = Vec.load(norms + c), a1 = Vec.load(norms + c + 16)
            var b0 = Lanes(repeating: 0), b1 = Lanes(repeating: 0)
            var column = UnsafePointer(transposed + c)
            var j = 0
            while j + 1 < dim {
                let (ta, tb) = (Lanes(repeating: scaled[j]), Lanes(repeating: scaled[j + 1]))
                a0 = a0.addingProduct(ta, Vec.load(column))
                a1 = a1.addingProduct(ta, Vec.load(column + 16))
                b0 = b0.addingProduct(tb, Vec.load(column + padded))
                b1 = b1.addingProduct(tb, Vec.load(column + padded + 16))
                column += 2 * padded
                j += 2
            }
            if j < dim {
                let ta = Lanes(repeating: scaled[j])
                a0 = a0.addingProduct(ta, Vec.load(column))
                a1 = a1.addingProduct(ta, Vec.load(column + 16))
            }
            a0 += b0
            a1 += b1
            let m = Self.minimum(Vec.lanesMin(a0, a1))
            guard m <= best else { return }
            for l in 0..<Self.lanes where (l < 16 ? a0[l] : a1[l - 16]) == m {
                let o = original[c + l]
                if m < best || o < bestIndex { (best, bestIndex) = (m, o) }
            }
        }
        // The radius beyond which no code can be nearer than the best so far (+∞ until then).
        // best + ‖t‖² is a float sum of terms up to (‖t‖ + ‖e‖)², rounded at each of the D + 2
        // steps; the slack covers that rounding (~1e-5 of the largest term) and the lengths'.
        let slack = 1e-5 * (length + maxLength) * (length + maxLength) + 1e-6
        @inline(__always) func radius() -> Float { (Swift.max(best + tt, 0) + slack).squareRoot() }
        let blocks = padded / Self.lanes
        var up = Swift.min(lengths.partitioningIndex { $0 >= length } / Self.lanes, blocks - 1), down = up - 1
        var goingUp = true, goingDown = down >= 0
        while goingUp || goingDown {
            if goingUp {
                if up < blocks && lengths[up * Self.lanes] - length <= radius() { scan(up); up += 1 } else { goingUp = false }
            }
            if goingDown {
                if down >= 0 && length - lengths[Swift.min(count, (down + 1) * Self.lanes) - 1] <= radius() {
                    scan(down)
                    down -= 1
                } else {
                    goingDown = false
                }
            }
        }
        return bestIndex == .max ? 0 : bestIndex  // a NaN target matches nothing
    }
}
