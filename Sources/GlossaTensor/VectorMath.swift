/// Elementwise and reduction kernels on raw Float32 runs, written with SIMD16 lanes so the
/// compiler emits AVX/AVX2 code. Tensor-level wrappers live in Tensor+Math.swift.
public enum Vec {
    public typealias Lanes = SIMD16<Float>
    public static var width: Int { Lanes.scalarCount }

    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }

    @inlinable @inline(__always)
    public static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    }

    /// Applies a lane-wise map; the tail (n not a multiple of the width) goes through the same
    /// call, zero-padded. One call site for `f`, not two: with two, the optimiser kept large
    /// closures (exp, erf) out of line, where Swift's calling convention splits SIMD16 into
    /// four 4-lane registers and the whole body ran 4 lanes at a time even with AVX2.
    @inlinable @inline(__always)
    public static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                    _ f: (Lanes) -> Lanes) {
        var i = 0
        while i < n {
            let full = i + width <= n
            var v = Lanes(repeating: 0)
            if full { v = load(x + i) } else { for j in i..<n { v[j - i] = x[j] } }
            let r = f(v)
            if full { store(r, out + i) } else { for j in i..<n { out[j] = r[j - i] } }
            i += width
        }
    }

    /// `map` over two inputs, with the same single call site.
    @inlinable @inline(__always)
    public static func zip(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                    _ n: Int, _ f: (Lanes, Lanes) -> Lanes) {
        var i = 0
        while i < n {
            let full = i + width <= n
            var va = Lanes(repeating: 0), vb = Lanes(repeating: 0)
            if full {
                va = load(a + i)
                vb = load(b + i)
            } else {
                for j in i..<n { va[j - i] = a[j]; vb[j - i] = b[j] }
            }
            let r = f(va, vb)
            if full { store(r, out + i) } else { for j in i..<n { out[j] = r[j - i] } }
            i += width
        }
    }

    @inlinable
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        zip(a, b, out, n) { $0 + $1 }
    }

    @inlinable
    public static func sub(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        zip(a, b, out, n) { $0 - $1 }
    }

    @inlinable
    public static func mul(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        zip(a, b, out, n) { $0 * $1 }
    }

    @inlinable
    public static func scale(_ x: UnsafePointer<Float>, _ s: Float, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        map(x, out, n) { $0 * s }
    }

    /// y += alpha · x
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        zip(x, y, y, n) { $1 + alpha * $0 }
    }

    /// out = e^(x − shift), returning Σ out: softmax's exponentials and their sum in one pass.
    /// A plain loop rather than `map` with a capturing closure, which the optimiser kept out
    /// of line (4 lanes at a time) in the Whisper encoder's attention.
    @inlinable
    public static func expShiftedSum(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                                     shift: Float) -> Float {
        var acc = Lanes(repeating: 0)
        var i = 0
        while i + width <= n {
            let e = expLanes(load(x + i) - shift)
            store(e, out + i)
            acc += e
            i += width
        }
        var s = acc.sum()
        if i < n {
            var tail = Lanes(repeating: -.infinity)
            for j in i..<n { tail[j - i] = x[j] }
            let e = expLanes(tail - shift)
            for j in i..<n { out[j] = e[j - i]; s += e[j - i] }
        }
        return s
    }

    @inlinable
    public static func exp(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        map(x, out, n, expLanes)
    }

    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Lanes(repeating: 0)
        var i = 0
        while i + width <= n { acc += load(x + i); i += width }
        var s = acc.sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    @inlinable
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Lanes(repeating: 0)
        var i = 0
        while i + width <= n { acc += load(a + i) * load(b + i); i += width }
        var s = acc.sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    @inlinable
    public static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        precondition(n > 0, "max of an empty run")
        var acc = Lanes(repeating: -.infinity)
        var i = 0
        while i + width <= n { acc = lanesMax(acc, load(x + i)); i += width }
        var m = -Float.infinity
        for j in 0..<width { m = acc[j] > m ? acc[j] : m }
        while i < n { m = x[i] > m ? x[i] : m; i += 1 }
        return m
    }

    /// Lane-wise erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7, below Float's resolution
    /// near 1): erf(|x|) = 1 − (a₁t + … + a₅t⁵)·e^(−x²), t = 1/(1 + p|x|), sign restored.
    @inlinable @inline(__always)
    public static func erfLanes(_ x: Lanes) -> Lanes {
        var ax = x
        for j in 0..<16 { ax[j] = Swift.abs(ax[j]) }
        let t = 1 / (1 + 0.3275911 * ax)
        var poly = Lanes(repeating: 1.061405429)
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        let y = 1 - poly * t * expLanes(-(ax * ax))
        var r = y
        for j in 0..<16 { r[j] = x[j] < 0 ? -y[j] : y[j] }
        return r
    }

    /// Indices of the k largest values, largest first, in one pass (no full sort); ties go to
    /// the lower index, as torch.topk; -inf values are never picked.
    public static func topIndices(_ values: UnsafePointer<Float>, _ n: Int, _ k: Int) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for i in 0..<n where values[i] > -.infinity {
            if best.count == k && values[i] <= values[best[k - 1]] { continue }
            var pos = best.count
            while pos > 0 && values[best[pos - 1]] < values[i] { pos -= 1 }
            best.insert(i, at: pos)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// Lane-wise maximum. Written as per-lane selects, which LLVM lowers to one vmaxps;
    /// the standard library's `pointwiseMax` (and `clamped`, masks, `replace(with:where:)`)
    /// fall back to scalar code and are ~10× slower here.
    @inlinable @inline(__always)
    public static func lanesMax(_ a: Lanes, _ b: Lanes) -> Lanes {
        Lanes(b[0] > a[0] ? b[0] : a[0], b[1] > a[1] ? b[1] : a[1], b[2] > a[2] ? b[2] : a[2], b[3] > a[3] ? b[3] : a[3],
              b[4] > a[4] ? b[4] : a[4], b[5] > a[5] ? b[5] : a[5], b[6] > a[6] ? b[6] : a[6], b[7] > a[7] ? b[7] : a[7],
              b[8] > a[8] ? b[8] : a[8], b[9] > a[9] ? b[9] : a[9], b[10] > a[10] ? b[10] : a[10], b[11] > a[11] ? b[11] : a[11],
              b[12] > a[12] ? b[12] : a[12], b[13] > a[13] ? b[13] : a[13], b[14] > a[14] ? b[14] : a[14], b[15] > a[15] ? b[15] : a[15])
    }

    /// Lane-wise minimum, written as per-lane selects for the same reason as `lanesMax`.
    @inlinable @inline(__always)
    public static func lanesMin(_ a: Lanes, _ b: Lanes) -> Lanes {
        Lanes(b[0] < a[0] ? b[0] : a[0], b[1] < a[1] ? b[1] : a[1], b[2] < a[2] ? b[2] : a[2], b[3] < a[3] ? b[3] : a[3],
              b[4] < a[4] ? b[4] : a[4], b[5] < a[5] ? b[5] : a[5], b[6] < a[6] ? b[6] : a[6], b[7] < a[7] ? b[7] : a[7],
              b[8] < a[8] ? b[8] : a[8], b[9] < a[9] ? b[9] : a[9], b[10] < a[10] ? b[10] : a[10], b[11] < a[11] ? b[11] : a[11],
              b[12] < a[12] ? b[12] : a[12], b[13] < a[13] ? b[13] : a[13], b[14] < a[14] ? b[14] : a[14], b[15] < a[15] ? b[15] : a[15])
    }

    /// Clamps each lane to [low, high]; NaN lanes stay NaN (the comparisons are false).
    @inlinable @inline(__always)
    public static func lanesClamp(_ x: Lanes, _ low: Float, _ high: Float) -> Lanes {
        var r = x
        for j in 0..<16 {
            let v = r[j]
            r[j] = v < low ? low : (v > high ? high : v)
        }
        return r
    }

    /// Lane-wise e^x, Cephes `expf` (range reduction by ln 2, degree-5 minimax polynomial),
    /// about 1 ulp on the normal range. Inputs are clamped to [-110, 89] first: below about
    /// -103.9 the result underflows to 0 (so e^-inf = 0 exactly, as masked softmax needs), above
    /// ln(FLT_MAX) ≈ 88.72 it overflows to +inf; NaN stays NaN. No masks: see lanesMax.
    @inlinable @inline(__always)
    public static func expLanes(_ x: Lanes) -> Lanes {
        let log2e: Float = 1.44269504088896341
        let ln2Hi: Float = 0.693359375
        let ln2Lo: Float = -2.12194440e-4
        let clamped = lanesClamp(x, -110, 89)
        // Round to nearest by the 1.5·2²³ trick: after adding it, the integer sits in the low
        // mantissa bits, which also gives n as Int32 without a (slow, unvectorised) conversion.
        let magic: Float = 12_582_912
        let shifted = clamped * log2e + magic
        let n = shifted - magic
        let ni = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- Int32(bitPattern: magic.bitPattern)
        let r = clamped - n * ln2Hi - n * ln2Lo
        var p = Lanes(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        // 2^n from exponent bits, split in two factors so n in [-159, 129] stays representable
        // in each; their product underflows or overflows exactly where e^x does.
        let half = ni &>> 1
        let scaleA = unsafeBitCast((half &+ 127) &<< 23, to: Lanes.self)
        let scaleB = unsafeBitCast(((ni &- half) &+ 127) &<< 23, to: Lanes.self)
        return y * scaleA * scaleB
    }
}
