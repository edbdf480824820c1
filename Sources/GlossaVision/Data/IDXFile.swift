import CZlib
import Foundation
import GlossaTensor

/// The IDX format of (Fashion-)MNIST, gzipped or not: a big-endian magic (0x0000 08 ND:
/// unsigned bytes, ND dimensions), ND big-endian u32 sizes, then the bytes. Every header
/// field is checked against the file's length.
public struct IDXFile {
    public let shape: [Int]
    public let bytes: [UInt8]

    public init(path: String) throws {
        let raw = try Self.load(path)
        guard raw.count >= 4 else { throw ImageError.invalid(file: path, reason: "IDX file of \(raw.count) bytes has no header") }
        guard raw[0] == 0, raw[1] == 0, raw[2] == 0x08 else {
            throw ImageError.invalid(file: path, reason: String(format: "IDX magic %02x%02x%02x%02x is not unsigned-byte data", raw[0], raw[1], raw[2], raw[3]))
        }
        let dims = Int(raw[3])
        guard dims >= 1, raw.count >= 4 + 4 * dims else { throw ImageError.invalid(file: path, reason: "IDX header truncated") }
        var shape: [Int] = []
        for d in 0..<dims {
            let o = 4 + 4 * d
            shape.append(Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3]))
        }
        let start = 4 + 4 * dims
        let count = shape.reduce(1, *)
        guard raw.count - start == count else {
            throw ImageError.invalid(file: path, reason: "IDX header promises \(shape) = \(count) bytes but \(raw.count - start) follow")
        }
        self.shape = shape
        bytes = Array(raw[start...])
    }

    /// The file's bytes, gunzipped when it starts with the gzip magic.
    static func load(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ImageError.cannotRead(file: path, reason: "no such file") }
        guard data.count >= 2, data[0] == 0x1F, data[1] == 0x8B else { return [UInt8](data) }
        guard let file = gzopen(path, "rb") else { throw ImageError.cannotRead(file: path, reason: "gzopen failed") }
        defer { gzclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 { throw ImageError.invalid(file: path, reason: "corrupt gzip stream") }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<Int(n)])
        }
        return out
    }
}

/// Fashion-MNIST (Debian's `dataset-fashion-mnist`): 28×28 gray images and labels 0–9.
public struct FashionMNIST {
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    public let images: [UInt8]
    public let labels: [UInt8]
    public var count: Int { labels.count }

    /// `split` is "train" (60,000) or "t10k" (10,000), from `folder` (…/datasets/fashion-mnist).
    public init(folder: String, split: String) throws {
        let images = try IDXFile(path: "\(folder)/\(split)-images-idx3-ubyte.gz")
        let labels = try IDXFile(path: "\(folder)/\(split)-labels-idx1-ubyte.gz")
        guard images.shape.count == 3, images.shape[1] == 28, images.shape[2] == 28, labels.shape == [images.shape[0]] else {
            throw ImageError.invalid(file: folder, reason: "images \(images.shape) and labels \(labels.shape) do not pair up as N×28×28 and N")
        }
        guard labels.bytes.allSatisfy({ $0 < 10 }) else { throw ImageError.invalid(file: folder, reason: "labels outside 0–9") }
        self.images = images.bytes
        self.labels = labels.bytes
    }

    /// All images as model inputs [N, 1, 32, 32] (28×28 centred on the 32×32 canvas).
    public func modelInputs() -> Tensor {
        let out = Tensor(zeros: [count, 1, 32, 32])
        for i in 0..<count {
            for y in 0..<28 { for x in 0..<28 {
                out.data[(i * 32 + y + 2) * 32 + x + 2] = Float(images[i * 784 + y * 28 + x]) / 255
            } }
        }
        return out
    }

    public func image(_ i: Int) -> Image {
        Image(width: 28, height: 28, channels: 1, pixels: images[(i * 784)..<((i + 1) * 784)].map { Float($0) / 255 })
    }
}
