/// Problems loading or running a model; each names the file or tensor involved.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case invalidConfig(path: String, detail: String)
    case unknownArchitecture(path: String, name: String, supported: [String])
    case missingTensor(name: String, searched: String)
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason):
            return "\(path): cannot read: \(reason)"
        case let .invalidConfig(path, detail):
            return "\(path): invalid config.json: \(detail)"
        case let .unknownArchitecture(path, name, supported):
            return "\(path): unknown architecture '\(name)'; supported: \(supported.joined(separator: ", "))"
        case let .missingTensor(name, searched):
            return "missing tensor '\(name)' in \(searched)"
        case let .shapeMismatch(name, expected, found):
            return "tensor '\(name)' has shape \(found), expected \(expected)"
        case let .invalidInput(detail):
            return detail
        }
    }
}
