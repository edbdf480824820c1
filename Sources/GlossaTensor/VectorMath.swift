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

    /// Applies a lane-wise map with a scalar tail that uses the same function on one-lane input.
    @inlinable @inline(__always)
    public static func map(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int,
                    _ f: (Lanes) -> Lanes) {
        var i = 0
        while i + width <= n {
            store(f(load(x + i)), out + i)
            i += width
        }
        if i < n {
            var tail = Lanes(repeating: 0)
            for j in i..<n { tail[j - i] = x[j] }
            let r = f(tail)
            for j in i..<n { out[j] = r[j - i] }
        }
    }

    @inlinable @inline(__always)
    public static func zip(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>,
                    _ n: Int, _ f: (Lanes, Lanes) -> Lanes) {
        var i = 0
        while i + width <= n {
            store(f(load(a + i), load(b + i)), out + i)
            i += width
        }
        if i < n {
            var ta = Lanes(repeating: 0), tb = Lanes(repeating: 0)
            for j in i..<n { ta[j - i] = a[j]; tb[j - i] = b[j] }
            let r = f(ta, tb)
            for j in i..<n { out[j] = r[j - i] }
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
        while i + width <= n { acc = pointwiseMax(acc, load(x + i)); i += width }
        var m = acc.max()
        while i < n { m = Swift.max(m, x[i]); i += 1 }
        return m
    }

    /// Lane-wise e^x, Cephes `expf` (range reduction by ln 2, degree-5 minimax polynomial),
    /// about 1 ulp on the whole float range; inputs below -87.3 flush to 0, above ln(FLT_MAX) ≈ 88.72283 to +inf.
    @inlinable @inline(__always)
    public static func expLanes(_ x: Lanes) -> Lanes {
        let log2e: Float = 1.44269504088896341
        let ln2Hi: Float = 0.693359375
        let ln2Lo: Float = -2.12194440e-4
        let clamped = x.clamped(lowerBound: Lanes(repeating: -87.3), upperBound: Lanes(repeating: 88.72283))
        let n = (clamped * log2e).rounded(.toNearestOrEven)
        let r = clamped - n * ln2Hi - n * ln2Lo
        var p = Lanes(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        // 2^n built from the exponent bits; n is within [-126, 128] after the clamp. Split it in
        // two factors so n = 128 does not overflow the exponent field.
        let ni = SIMD16<Int32>(n, rounding: .towardZero)
        let half = ni &>> 1
        let scaleA = Lanes(bitPattern: (half &+ 127) &<< 23)
        let scaleB = Lanes(bitPattern: ((ni &- half) &+ 127) &<< 23)
        var result = y * scaleA * scaleB
        result.replace(with: 0, where: x .< -87.3)
        result.replace(with: .infinity, where: x .> 88.72283)
        result.replace(with: x, where: x .!= x)  // NaN propagates
        return result
    }
}

extension SIMD16 where Scalar == Float {
    @inlinable @inline(__always)
    init(bitPattern bits: SIMD16<Int32>) {
        self = unsafeBitCast(bits, to: SIMD16<Float>.self)
    }
}
