/// GPT-2's reversible byte ↔ printable-character table (`bytes_to_unicode` in
/// openai/gpt-2 encoder.py): printable Latin-1 bytes map to themselves, the other 68 bytes
/// to U+0100 and up, so every byte string has a whitespace-free text form in the vocabulary.
enum ByteLevelAlphabet {
    /// byteToScalar[b] is the character that stands for byte b.
    static let byteToScalar: [Unicode.Scalar] = {
        var printable = Array(UInt32(33)...126) + Array(UInt32(161)...172) + Array(UInt32(174)...255)
        var table = [UInt32](repeating: 0, count: 256)
        for b in printable { table[Int(b)] = b }
        var next: UInt32 = 256
        for b in 0..<256 where !printable.contains(UInt32(b)) {
            table[b] = next
            printable.append(UInt32(b))
            next += 1
        }
        return table.map { Unicode.Scalar($0)! }
    }()

    /// The inverse table: character → byte, for decoding.
    static let scalarToByte: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (b, s) in byteToScalar.enumerated() { map[s] = UInt8(b) }
        return map
    }()

    /// The vocabulary spelling of a byte string.
    static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }

    /// The bytes a vocabulary token spells, or nil if it has a character outside the table.
    static func decode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        for s in token.unicodeScalars {
            guard let b = scalarToByte[s] else { return nil }
            out.append(b)
        }
        return out
    }
}
