/// GPT-2's pre-tokenizer, a hand-written scanner equivalent to the regex
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// (openai/gpt-2 encoder.py; Hugging Face tokenizers' ByteLevel pre-tokenizer) with Unicode
/// scalar semantics: \p{L} and \p{N} are general categories, \s is the White_Space property.
/// It works on UTF-8 bytes and returns byte ranges, so BPE needs no re-encoding.
enum GPT2PreTokenizer {
    enum Class { case letter, number, space, other }

    /// ASCII classes precomputed; other scalars go through Unicode properties.
    private static let asciiClass: [Class] = (0..<128).map { classify(Unicode.Scalar(UInt8($0))) }

    static func classify(_ s: Unicode.Scalar) -> Class {
        if s.properties.isWhitespace { return .space }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    /// Decodes the scalar at `i` (input is valid UTF-8: it comes from a Swift String).
    @inline(__always)
    static func scalar(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Unicode.Scalar, Int) {
        let b0 = UInt32(b[i])
        if b0 < 0x80 { return (Unicode.Scalar(UInt8(b0)), 1) }
        if b0 < 0xE0 { return (Unicode.Scalar(((b0 & 0x1F) << 6) | (UInt32(b[i + 1]) & 0x3F))!, 2) }
        if b0 < 0xF0 {
            let v = ((b0 & 0x0F) << 12) | ((UInt32(b[i + 1]) & 0x3F) << 6) | (UInt32(b[i + 2]) & 0x3F)
            return (Unicode.Scalar(v)!, 3)
        }
        let v = ((b0 & 0x07) << 18) | ((UInt32(b[i + 1]) & 0x3F) << 12) | ((UInt32(b[i + 2]) & 0x3F) << 6) | (UInt32(b[i + 3]) & 0x3F)
        return (Unicode.Scalar(v)!, 4)
    }

    @inline(__always)
    static func classAt(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Class, Int) {
        if b[i] < 0x80 { return (asciiClass[Int(b[i])], 1) }
        let (s, n) = scalar(b, i)
        return (classify(s), n)
    }

    /// Calls `emit` with each pre-token's byte range, in order.
    static func split(_ b: UnsafeBufferPointer<UInt8>, _ emit: (Range<Int>) -> Void) {
        let n = b.count
        var i = 0
        while i < n {
            if let end = contraction(b, i) {
                emit(i..<end)
                i = end
                continue
            }
            // ` ?X+` for X in letter, number, other: an optional U+0020, then a run of one class.
            var start = i
            if b[i] == 0x20 && i + 1 < n { start = i + 1 }
            let (cls, width) = classAt(b, start)
            if cls != .space {
                var j = start + width
                while j < n {
                    let (c, w) = classAt(b, j)
                    if c != cls { break }
                    j += w
                }
                emit(i..<j)
                i = j
                continue
            }
            // Whitespace: `\s+(?!\S)` keeps the last space for the next word; `\s+` otherwise.
            var j = i
            var lastWidth = 0
            while j < n {
                let (c, w) = classAt(b, j)
                if c != .space { break }
                lastWidth = w
                j += w
            }
            if j < n && j - lastWidth > i {
                j -= lastWidth
            }
            emit(i..<j)
            i = j
        }
    }

    /// 's 't 're 've 'm 'll 'd (lowercase only, as in GPT-2's pattern).
    @inline(__always)
    private static func contraction(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard b[i] == 0x27, i + 1 < b.count else { return nil }
        switch b[i + 1] {
        case 0x73, 0x74, 0x6D, 0x64: return i + 2  // s t m d
        case 0x72, 0x76:                            // re ve
            return i + 2 < b.count && b[i + 2] == 0x65 ? i + 3 : nil
        case 0x6C:                                  // ll
            return i + 2 < b.count && b[i + 2] == 0x6C ? i + 3 : nil
        default: return nil
        }
    }
}
