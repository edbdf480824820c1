/// Everything that can be wrong with a safetensors file. Each case names the file and, where
/// it applies, the tensor, so a user can tell which of many shards is broken and why.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(file: String, reason: String)
    case truncated(file: String, detail: String)
    case headerTooLarge(file: String, bytes: UInt64)
    case invalidHeader(file: String, detail: String)
    case unsupportedDType(file: String, tensor: String, dtype: String)
    case badOffsets(file: String, tensor: String, detail: String)
    case byteSizeMismatch(file: String, tensor: String, expected: Int, actual: Int)
    case missingTensor(file: String, tensor: String)
    case wrongDType(file: String, tensor: String, expected: String, found: String)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason):
            return "\(file): cannot open safetensors file: \(reason)"
        case let .truncated(file, detail):
            return "\(file): truncated safetensors file: \(detail)"
        case let .headerTooLarge(file, bytes):
            return "\(file): safetensors header of \(bytes) bytes exceeds the 100 MB limit"
        case let .invalidHeader(file, detail):
            return "\(file): invalid safetensors header: \(detail)"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)' has unsupported dtype \(dtype)"
        case let .badOffsets(file, tensor, detail):
            return "\(file): tensor '\(tensor)' has bad data_offsets: \(detail)"
        case let .byteSizeMismatch(file, tensor, expected, actual):
            return "\(file): tensor '\(tensor)' spans \(actual) bytes but its shape and dtype need \(expected)"
        case let .missingTensor(file, tensor):
            return "\(file): no tensor named '\(tensor)'"
        case let .wrongDType(file, tensor, expected, found):
            return "\(file): tensor '\(tensor)' is \(found), expected \(expected)"
        case let .cannotWrite(file, reason):
            return "\(file): cannot write safetensors file: \(reason)"
        }
    }
}
