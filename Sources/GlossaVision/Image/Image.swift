/// An image as Float32 pixels in [0, 1], row-major, channels interleaved (HWC), with 1
/// (gray), 3 (RGB) or 4 (RGBA) channels.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, channels: Int, pixels: [Float]) {
        precondition([1, 3, 4].contains(channels), "images have 1, 3 or 4 channels")
        precondition(pixels.count == width * height * channels, "\(pixels.count) values for \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public subscript(x x: Int, y y: Int, c c: Int) -> Float {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }
}

/// Problems with an image file, each naming the file.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    case cannotRead(file: String, reason: String)
    case invalid(file: String, reason: String)
    case cannotWrite(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotRead(file, reason): return "\(file): cannot read image: \(reason)"
        case let .invalid(file, reason): return "\(file): invalid image: \(reason)"
        case let .cannotWrite(file, reason): return "\(file): cannot write image: \(reason)"
        }
    }
}
