import Foundation

/// Writes safetensors files atomically: everything goes to a temporary file in the target's
/// folder, is flushed, and is then renamed over the target, so a crash never leaves a
/// half-written model or checkpoint behind.
public struct SafetensorsWriter {
    /// One named tensor and the dtype to store it as.
    public enum Value {
        /// Float values stored as F32, F16 or BF16.
        case float(Tensor, SafetensorsDType)
        /// Integer values stored as I64.
        case int64([Int64], shape: [Int])

        var shape: [Int] {
            switch self {
            case let .float(t, _): return t.shape
            case let .int64(_, shape): return shape
            }
        }

        var dtype: SafetensorsDType {
            switch self {
            case let .float(_, d): return d
            case .int64: return .i64
            }
        }
    }

    private var items: [(String, Value)] = []
    public var metadata: [String: String] = [:]

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The names added so far.
    public var names: [String] { items.map(\.0) }

    public mutating func add(_ name: String, _ tensor: Tensor, as dtype: SafetensorsDType = .f32) {
        precondition([.f32, .f16, .bf16].contains(dtype), "float tensors are stored as F32, F16 or BF16")
        items.append((name, .float(tensor, dtype)))
    }

    public mutating func add(_ name: String, int64 values: [Int64], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        items.append((name, .int64(values, shape: shape)))
    }

    /// Serialises in name order (deterministic bytes for a given set of tensors).
    public func serialized() -> Data {
        let sorted = items.sorted { $0.0 < $1.0 }
        var headerParts: [String] = []
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            headerParts.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
        }
        var offset = 0
        for (name, value) in sorted {
            let bytes = value.shape.reduce(1, *) * value.dtype.byteSize
            let shape = value.shape.map(String.init).joined(separator: ",")
            headerParts.append("\(jsonString(name)):{\"dtype\":\"\(value.dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(headerParts.joined(separator: ","))}".utf8)
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (8 + header.count) % 8 != 0 { header.append(0x20) }

        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for (_, value) in sorted { append(value, to: &out) }
        return out
    }

    private func append(_ value: Value, to out: inout Data) {
        switch value {
        case let .float(t, .f32):
            out.append(UnsafeBufferPointer(start: t.data, count: t.count))
        case let .float(t, .f16):
            let bits = (0..<t.count).map { HalfPrecision.fp16(from: t.data[$0]).littleEndian }
            bits.withUnsafeBytes { out.append(contentsOf: $0) }
        case let .float(t, .bf16):
            let bits = (0..<t.count).map { HalfPrecision.bf16(from: t.data[$0]).littleEndian }
            bits.withUnsafeBytes { out.append(contentsOf: $0) }
        case let .int64(values, _):
            values.map(\.littleEndian).withUnsafeBytes { out.append(contentsOf: $0) }
        case .float:
            preconditionFailure("unreachable: add(_:_:as:) admits only F32, F16 and BF16")
        }
    }

    /// Writes the file atomically (temp file in the same folder, then rename).
    public func write(to path: String) throws {
        try AtomicFile.write(serialized(), to: path)
    }

    private func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
