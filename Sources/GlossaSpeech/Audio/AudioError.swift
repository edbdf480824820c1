/// Problems with an audio file, each naming the file.
public enum AudioError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(file: String, reason: String)
    case empty(file: String)
    case resampling(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason): return "\(file): cannot read audio: \(reason)"
        case let .empty(file): return "\(file): the audio holds no samples"
        case let .resampling(file, reason): return "\(file): resampling failed: \(reason)"
        }
    }
}
