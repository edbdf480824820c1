/// fp16 and bf16 ↔ fp32 conversions, bit-exact with PyTorch's round-to-nearest-even.
public enum HalfPrecision {
    /// IEEE binary16 bits → Float (exact).
    @inline(__always)
    public static func float(fromFP16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// Float → IEEE binary16 bits, round to nearest even, overflow to ±inf.
    @inline(__always)
    public static func fp16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// bfloat16 bits are the top half of a Float (exact).
    @inline(__always)
    public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float → bfloat16, round to nearest even; NaN stays a quiet NaN.
    @inline(__always)
    public static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16((bits &+ roundingBias) >> 16)
    }

    public static func decodeFP16(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = float(fromFP16: UInt16(littleEndian: src[i])) }
    }

    public static func decodeBF16(_ src: UnsafePointer<UInt16>, into dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = float(fromBF16: UInt16(littleEndian: src[i])) }
    }
}
