import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A memory-mapped safetensors file, validated in full when opened.
///
/// Layout (https://github.com/huggingface/safetensors#format): an 8-byte little-endian
/// header length N, an N-byte JSON header mapping names to `dtype`, `shape` and
/// `data_offsets` (relative to the data start), an optional `__metadata__` of strings,
/// then the data. Validation follows the reference implementation's: N ≤ 100 MB, every
/// tensor's byte span equals numel × dtype size, and the spans tile the data exactly
/// (contiguous from 0, no gaps, no overlaps, nothing past the end).
public final class SafetensorsFile: @unchecked Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let dtype: SafetensorsDType
        public let shape: [Int]
        public let byteRange: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    public static let maxHeaderBytes: UInt64 = 100_000_000

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    /// Names in file order (by data offset), which is also the order Python wrote them.
    public let names: [String]

    /// The mapping; mapped MAP_PRIVATE and writable so borrowed F32 tensors are copy-on-write
    /// and can never modify the file. Immutable after init, so sharing across threads is safe.
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int
    private let dataStart: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SafetensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafetensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw SafetensorsError.cannotOpen(file: path, reason: "is a directory")
        }
        let length = Int(info.st_size)
        guard length >= 8 else {
            throw SafetensorsError.truncated(file: path, detail: "\(length) bytes, fewer than the 8-byte header length")
        }
        guard let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw SafetensorsError.cannotOpen(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        var mappedOK = false
        defer { if !mappedOK { munmap(base, length) } }

        let headerLength = UInt64(littleEndian: base.loadUnaligned(as: UInt64.self))
        guard headerLength <= Self.maxHeaderBytes else {
            throw SafetensorsError.headerTooLarge(file: path, bytes: headerLength)
        }
        guard 8 + Int(headerLength) <= length else {
            throw SafetensorsError.truncated(file: path, detail: "header claims \(headerLength) bytes but the file has \(length - 8) after the length field")
        }
        let headerData = Data(bytes: base + 8, count: Int(headerLength))
        let parsed = try Self.parseHeader(headerData, path: path, dataLength: length - 8 - Int(headerLength))
        self.entries = parsed.entries
        self.metadata = parsed.metadata
        self.names = parsed.names
        self.mapping = base
        self.mappedLength = length
        self.dataStart = 8 + Int(headerLength)
        mappedOK = true
    }

    deinit {
        if let mapping { munmap(mapping, mappedLength) }
    }

    private static func parseHeader(_ data: Data, path: String, dataLength: Int) throws
        -> (entries: [String: Entry], metadata: [String: String], names: [String])
    {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SafetensorsError.invalidHeader(file: path, detail: "not valid JSON")
        }
        guard let root = object as? [String: Any] else {
            throw SafetensorsError.invalidHeader(file: path, detail: "the header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in root {
            if name == "__metadata__" {
                guard let dict = value as? [String: Any] else {
                    throw SafetensorsError.invalidHeader(file: path, detail: "__metadata__ is not an object")
                }
                for (k, v) in dict {
                    guard let s = v as? String else {
                        throw SafetensorsError.invalidHeader(file: path, detail: "__metadata__ value for '\(k)' is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            entries[name] = try parseEntry(name: name, value: value, path: path, dataLength: dataLength)
        }
        let ordered = entries.values.sorted { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name) }
        var expectedStart = 0
        for entry in ordered {
            if entry.byteRange.lowerBound < expectedStart {
                throw SafetensorsError.badOffsets(file: path, tensor: entry.name, detail: "starts at \(entry.byteRange.lowerBound), overlapping the previous tensor that ends at \(expectedStart)")
            }
            if entry.byteRange.lowerBound > expectedStart {
                throw SafetensorsError.badOffsets(file: path, tensor: entry.name, detail: "starts at \(entry.byteRange.lowerBound), leaving a gap after byte \(expectedStart)")
            }
            expectedStart = entry.byteRange.upperBound
        }
        if expectedStart != dataLength {
            throw SafetensorsError.invalidHeader(file: path, detail: "tensors cover \(expectedStart) of \(dataLength) data bytes")
        }
        return (entries, metadata, ordered.map(\.name))
    }

    private static func parseEntry(name: String, value: Any, path: String, dataLength: Int) throws -> Entry {
        guard let dict = value as? [String: Any] else {
            throw SafetensorsError.invalidHeader(file: path, detail: "entry '\(name)' is not an object")
        }
        guard let dtypeName = dict["dtype"] as? String else {
            throw SafetensorsError.invalidHeader(file: path, detail: "entry '\(name)' has no dtype")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw SafetensorsError.unsupportedDType(file: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = dict["shape"] as? [Any],
              let shape = Self.nonNegativeInts(shapeValues) else {
            throw SafetensorsError.invalidHeader(file: path, detail: "entry '\(name)' has no valid shape")
        }
        guard let offsetValues = dict["data_offsets"] as? [Any],
              let offsets = Self.nonNegativeInts(offsetValues), offsets.count == 2 else {
            throw SafetensorsError.badOffsets(file: path, tensor: name, detail: "data_offsets must be two non-negative integers")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end else {
            throw SafetensorsError.badOffsets(file: path, tensor: name, detail: "begin \(begin) is after end \(end)")
        }
        guard end <= dataLength else {
            throw SafetensorsError.truncated(file: path, detail: "tensor '\(name)' ends at data byte \(end) but the data holds \(dataLength)")
        }
        let (numel, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        let (bytes, overflow2) = numel.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, !overflow2, bytes == end - begin else {
            throw SafetensorsError.byteSizeMismatch(file: path, tensor: name, expected: overflow || overflow2 ? Int.max : bytes, actual: end - begin)
        }
        return Entry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// JSON numbers arrive as NSNumber; accept only non-negative integral values.
    private static func nonNegativeInts(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber, n.int64Value >= 0, n.doubleValue == Double(n.int64Value) else { return nil }
            out.append(n.intValue)
        }
        return out
    }

    public func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else { throw SafetensorsError.missingTensor(file: path, tensor: name) }
        return e
    }

    /// Raw little-endian bytes of a tensor, inside the mapping.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let e = try entry(name)
        return UnsafeRawBufferPointer(start: mapping! + dataStart + e.byteRange.lowerBound, count: e.byteRange.count)
    }

    /// A floating-point tensor as Float32. F32 data that is 4-byte aligned is borrowed from the
    /// mapping without a copy (copy-on-write pages); F16, BF16 and F64 are converted.
    public func tensor(_ name: String) throws -> Tensor {
        let e = try entry(name)
        guard e.dtype.isFloatingPoint else {
            throw SafetensorsError.wrongDType(file: path, tensor: name, expected: "a floating-point dtype", found: e.dtype.rawValue)
        }
        let raw = try rawBytes(name)
        let count = e.count
        guard count > 0, let src = raw.baseAddress else { return Tensor(zeros: e.shape) }
        switch e.dtype {
        case .f32:
            if Int(bitPattern: src) % MemoryLayout<Float>.alignment == 0 {
                let p = UnsafeMutablePointer(mutating: src.assumingMemoryBound(to: Float.self))
                return Tensor(storage: TensorStorage(borrowing: p, count: count, owner: self), shape: e.shape)
            }
            let t = Tensor(zeros: e.shape)
            UnsafeMutableRawPointer(t.data).copyMemory(from: src, byteCount: raw.count)
            return t
        case .f16, .bf16:
            let t = Tensor(zeros: e.shape)
            let halves = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
            defer { halves.deallocate() }
            UnsafeMutableRawPointer(halves).copyMemory(from: src, byteCount: raw.count)
            if e.dtype == .f16 {
                HalfPrecision.decodeFP16(halves, into: t.data, count: count)
            } else {
                HalfPrecision.decodeBF16(halves, into: t.data, count: count)
            }
            return t
        case .f64:
            let t = Tensor(zeros: e.shape)
            for i in 0..<count { t.data[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
            return t
        case .i64, .i32:
            preconditionFailure("unreachable: integer dtypes are rejected above")
        }
    }

    /// An integer tensor (I64 or I32) as Int64 values.
    public func int64s(_ name: String) throws -> [Int64] {
        let e = try entry(name)
        let raw = try rawBytes(name)
        switch e.dtype {
        case .i64:
            return (0..<e.count).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .i32:
            return (0..<e.count).map { Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
        default:
            throw SafetensorsError.wrongDType(file: path, tensor: name, expected: "I64 or I32", found: e.dtype.rawValue)
        }
    }
}
