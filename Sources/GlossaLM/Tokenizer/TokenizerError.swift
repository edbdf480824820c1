/// Problems with a tokenizer.json, each naming the file.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    case cannotRead(file: String, reason: String)
    case invalid(file: String, detail: String)
    case unsupported(file: String, detail: String)

    public var description: String {
        switch self {
        case let .cannotRead(file, reason): return "\(file): cannot read tokenizer: \(reason)"
        case let .invalid(file, detail): return "\(file): invalid tokenizer.json: \(detail)"
        case let .unsupported(file, detail): return "\(file): unsupported tokenizer: \(detail)"
        }
    }
}
