import Foundation
import GlossaTensor

/// A CTranslate2 model.bin (format version 6), as shipped in the Whisper wheels:
/// u32 version, the spec name, u32 revision, u32 variable count; each variable is a name,
/// u8 rank, rank × u32 dims, u8 dtype (0 f32, 1 i8, 2 i16, 3 i32, 4 f16, 5 bf16), u32 byte
/// count and the raw data; then u32 alias count and (alias, target) name pairs. A string is
/// a u16 length that counts a trailing NUL, then UTF-8 bytes and the NUL. Little-endian.
public final class CTranslate2File {
    public struct Variable {
        public let shape: [Int]
        public let dtype: UInt8
        public let range: Range<Int>
    }

    public let path: String
    public let spec: String
    public private(set) var variables: [String: Variable] = [:]
    private let data: Data

    public init(path: String) throws {
        self.path = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw ModelFileError.unreadable(path, (error as NSError).localizedDescription)
        }
        self.data = data
        var variables: [String: Variable] = [:]
        var offset = 0
        func need(_ n: Int) throws {
            guard offset + n <= data.count else { throw ModelFileError.invalid(path, "truncated at byte \(offset)") }
        }
        func u8() throws -> UInt8 { try need(1); defer { offset += 1 }; return data[data.startIndex + offset] }
        func u16() throws -> Int {
            try need(2); defer { offset += 2 }
            return Int(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian })
        }
        func u32() throws -> Int {
            try need(4); defer { offset += 4 }
            return Int(data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian })
        }
        func string() throws -> String {
            let n = try u16()
            try need(n)
            defer { offset += n }
            guard n >= 1 else { throw ModelFileError.invalid(path, "empty string at byte \(offset)") }
            return String(decoding: data[(data.startIndex + offset)..<(data.startIndex + offset + n - 1)], as: UTF8.self)
        }
        let version = try u32()
        guard version == 6 else { throw ModelFileError.invalid(path, "CTranslate2 format version \(version), expected 6") }
        let spec = try string()
        _ = try u32()  // spec revision
        let count = try u32()
        for _ in 0..<count {
            let name = try string()
            let rank = Int(try u8())
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(try u32()) }
            let dtype = try u8()
            let bytes = try u32()
            try need(bytes)
            let sizes: [UInt8: Int] = [0: 4, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2]
            guard let size = sizes[dtype], shape.reduce(1, *) * size == bytes else {
                throw ModelFileError.invalid(path, "variable '\(name)' has dtype \(dtype) and \(bytes) bytes for shape \(shape)")
            }
            variables[name] = Variable(shape: shape, dtype: dtype, range: offset..<(offset + bytes))
            offset += bytes
        }
        let aliases = try u32()
        for _ in 0..<aliases {
            let alias = try string(), target = try string()
            guard let v = variables[target] else { throw ModelFileError.invalid(path, "alias '\(alias)' points to missing '\(target)'") }
            variables[alias] = v
        }
        self.spec = spec
        self.variables = variables
    }

    /// A floating-point variable as Float32 (f16 and bf16 are widened), checked against `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let v = variables[name] else { throw ModelFileError.missing(path, name) }
        guard v.shape == shape else { throw ModelFileError.shape(path, name, expected: shape, found: v.shape) }
        let t = Tensor(uninitialized: shape)
        let count = t.count
        try data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + v.range.lowerBound
            switch v.dtype {
            case 0: UnsafeMutableRawPointer(t.data).copyMemory(from: base, byteCount: count * 4)
            case 4: for i in 0..<count { t.data[i] = HalfPrecision.float(fromFP16: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case 5: for i in 0..<count { t.data[i] = HalfPrecision.float(fromBF16: UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            default: throw ModelFileError.invalid(path, "variable '\(name)' is not floating point (dtype \(v.dtype))")
            }
        }
        return t
    }

    /// A scalar integer variable (num_heads and similar config values).
    public func integer(_ name: String) throws -> Int {
        guard let v = variables[name], v.shape.isEmpty else { throw ModelFileError.missing(path, name) }
        return data.withUnsafeBytes { raw in
            let p = raw.baseAddress! + v.range.lowerBound
            switch v.dtype {
            case 1: return Int(p.load(as: Int8.self))
            case 2: return Int(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
            case 3: return Int(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
            default: return Int(p.load(as: UInt8.self))
            }
        }
    }
}

/// Problems with a speech model file, naming the file and the variable.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(String, String)
    case invalid(String, String)
    case missing(String, String)
    case shape(String, String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case let .unreadable(p, r): return "\(p): cannot read model: \(r)"
        case let .invalid(p, d): return "\(p): invalid model file: \(d)"
        case let .missing(p, n): return "\(p): missing variable '\(n)'"
        case let .shape(p, n, e, f): return "\(p): variable '\(n)' has shape \(f), expected \(e)"
        }
    }
}
