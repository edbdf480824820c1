import CPNG
import Foundation
import GlossaTensor

/// PNG in and out through libpng's simplified `png_image_*` API, which reports errors by
/// return value (libpng's own error path is longjmp, unusable from Swift). Reading accepts
/// every PNG colour type and depth (gray, gray + alpha, RGB, RGBA, palette; 1–16 bit) and
/// returns the stored values scaled to [0, 1], keeping the file's channel count (palette
/// images become RGB or RGBA; gray + alpha is composited on black). 16-bit files are read at
/// 16 bits without libpng's linear-to-sRGB conversion, which would brighten the usual
/// sRGB-encoded 16-bit file, and their associated alpha is undone.
public enum PNGFile {
    public static func read(_ path: String) throws -> Image {
        guard FileManager.default.fileExists(atPath: path) else { throw ImageError.cannotRead(file: path, reason: "no such file") }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw ImageError.invalid(file: path, reason: message(image))
        }
        guard image.width > 0, image.height > 0 else { throw ImageError.invalid(file: path, reason: "zero-size image") }
        let hasColor = image.format & UInt32(PNG_FORMAT_FLAG_COLOR) != 0
        let hasAlpha = image.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
        let channels = (hasColor ? 3 : 1) + (hasAlpha ? 1 : 0)
        let formats: [Int: UInt32] = [1: UInt32(PNG_FORMAT_GRAY), 2: UInt32(PNG_FORMAT_GA), 3: UInt32(PNG_FORMAT_RGB), 4: UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)]
        let sixteenBit = image.format & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
        image.format = formats[channels]! | (sixteenBit ? UInt32(PNG_FORMAT_FLAG_LINEAR) : 0)
        let (w, h) = (Int(image.width), Int(image.height))
        if sixteenBit { return try readSixteenBit(&image, path: path, width: w, height: h, channels: channels) }
        var bytes = [UInt8](repeating: 0, count: w * h * channels)
        let ok = bytes.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw ImageError.invalid(file: path, reason: message(image)) }
        // Gray + alpha is kept as gray with its alpha dropped only after compositing on black,
        // so every image has 1, 3 or 4 channels.
        if channels == 2 {
            let gray = (0..<(w * h)).map { Float(bytes[2 * $0]) / 255 * Float(bytes[2 * $0 + 1]) / 255 }
            return Image(width: w, height: h, channels: 1, pixels: gray)
        }
        return Image(width: w, height: h, channels: channels, pixels: bytes.map { Float($0) / 255 })
    }

    private static func readSixteenBit(_ image: inout png_image, path: String, width w: Int, height h: Int, channels: Int) throws -> Image {
        var words = [UInt16](repeating: 0, count: w * h * channels)
        let ok = words.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else { throw ImageError.invalid(file: path, reason: message(image)) }
        var values = words.map { Float($0) / 65_535 }
        let hasAlpha = channels == 2 || channels == 4
        if hasAlpha {
            // Linear formats come with colour premultiplied by alpha; undo it (gray + alpha
            // stays premultiplied, which is the composite on black).
            for p in 0..<(w * h) where channels == 4 {
                let a = values[p * 4 + 3]
                for c in 0..<3 { values[p * 4 + c] = a > 0 ? min(1, values[p * 4 + c] / a) : 0 }
            }
        }
        if channels == 2 { return Image(width: w, height: h, channels: 1, pixels: (0..<(w * h)).map { values[2 * $0] }) }
        return Image(width: w, height: h, channels: channels, pixels: values)
    }

    /// Writes 8-bit gray, RGB or RGBA, atomically (temp file + rename).
    public static func write(_ img: Image, to path: String) throws {
        do {
            try AtomicFile.write(try encode(img, name: path), to: path)
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError.cannotWrite(file: path, reason: "\(error)")
        }
    }

    /// The PNG bytes of an 8-bit gray, RGB or RGBA image.
    public static func encode(_ img: Image, name: String = "image") throws -> Data {
        let path = name
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(img.width)
        image.height = UInt32(img.height)
        let formats: [Int: UInt32] = [1: UInt32(PNG_FORMAT_GRAY), 3: UInt32(PNG_FORMAT_RGB), 4: UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)]
        image.format = formats[img.channels]!
        let bytes = img.pixels.map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
        var size = 0
        // First call sizes the in-memory PNG, second writes it.
        guard bytes.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }) != 0 else {
            throw ImageError.cannotWrite(file: path, reason: message(image))
        }
        var out = [UInt8](repeating: 0, count: size)
        guard bytes.withUnsafeBytes({ src in out.withUnsafeMutableBytes { png_image_write_to_memory(&image, $0.baseAddress, &size, 0, src.baseAddress, 0, nil) } }) != 0 else {
            throw ImageError.cannotWrite(file: path, reason: message(image))
        }
        return Data(out[0..<size])
    }

    private static func message(_ image: png_image) -> String {
        var copy = image.message
        return withUnsafeBytes(of: &copy) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
