import XCTest
import Foundation
import GlossaTestSupport
@testable import GlossaVision

final class ImageInputTests: XCTestCase {
    var folder = ""
    override func setUp() { folder = makeTemporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func gradient(channels: Int, width: Int = 7, height: Int = 5) -> Image {
        var pixels: [Float] = []
        for y in 0..<height { for x in 0..<width { for c in 0..<channels { pixels.append(Float((x * 31 + y * 17 + c * 60) % 256) / 255) } } }
        return Image(width: width, height: height, channels: channels, pixels: pixels)
    }

    func testGrayRGBAndRGBARoundTripExactly() throws {
        for channels in [1, 3, 4] {
            let image = gradient(channels: channels)
            let path = folder + "/g\(channels).png"
            try PNGFile.write(image, to: path)
            XCTAssertEqual(try PNGFile.read(path), image)
        }
    }

    /// Palette, 16-bit, gray + alpha and 1-bit files, made by ImageMagick-free means: Python's
    /// zlib is not needed either — these are tiny hand-assembled PNGs (see `pngBytes`).
    func testPaletteSixteenBitGrayAlphaAndOneBit() throws {
        // 2×1 palette image: indices 0, 1 → red, blue.
        let palette = try write("palette.png", width: 2, height: 1, depth: 8, colorType: 3, rows: [[0, 0, 1]],
                                extra: [("PLTE", [255, 0, 0, 0, 0, 255])])
        XCTAssertEqual(try PNGFile.read(palette).pixels, [1, 0, 0, 0, 0, 1])
        // 1×1 16-bit RGB: (65535, 0, 32896) → 8-bit (255, 0, 128).
        let deep = try write("deep.png", width: 1, height: 1, depth: 16, colorType: 2, rows: [[0, 255, 255, 0, 0, 128, 128]])
        XCTAssertEqual(try PNGFile.read(deep).pixels.map { ($0 * 255).rounded() }, [255, 0, 128])
        // 1×1 gray + alpha (200, alpha 128): composited on black → 200·128/255.
        let ga = try write("ga.png", width: 1, height: 1, depth: 8, colorType: 4, rows: [[0, 200, 128]])
        let read = try PNGFile.read(ga)
        XCTAssertEqual(read.channels, 1)
        XCTAssertEqual(read.pixels[0], Float(200) / 255 * Float(128) / 255, accuracy: 1e-6)
        // 8×1 1-bit gray: 10110000.
        let bits = try write("bits.png", width: 8, height: 1, depth: 1, colorType: 0, rows: [[0, 0b1011_0000]])
        XCTAssertEqual(try PNGFile.read(bits).pixels, [1, 0, 1, 1, 0, 0, 0, 0])
    }

    func testBadFilesGiveOneClearError() throws {
        let cases: [(String, Data?, String)] = [
            ("missing.png", nil, "cannot read image: no such file"),
            ("empty.png", Data(), "invalid image"),
            ("text.png", Data("not a png at all, just words\n".utf8), "invalid image"),
            ("truncated.png", try Data(contentsOf: URL(fileURLWithPath: writeSample())).prefix(40), "invalid image"),
            ("zero.png", try pngBytes(width: 0, height: 0, depth: 8, colorType: 0, rows: []), "invalid image"),
        ]
        for (name, data, expected) in cases {
            let path = folder + "/" + name
            if let data { XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: data)) }
            XCTAssertThrowsError(try PNGFile.read(path), name) { error in
                XCTAssertTrue("\(error)".hasPrefix(path + ": "), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(name): \(error)")
            }
        }
    }

    func writeSample() throws -> String {
        let path = folder + "/sample.png"
        try PNGFile.write(gradient(channels: 3, width: 32, height: 32), to: path)
        return path
    }

    // MARK: - A minimal PNG encoder for test files of exotic formats.

    func write(_ name: String, width: Int, height: Int, depth: UInt8, colorType: UInt8, rows: [[UInt8]],
               extra: [(String, [UInt8])] = []) throws -> String {
        let path = folder + "/" + name
        let bytes = try pngBytes(width: width, height: height, depth: depth, colorType: colorType, rows: rows, extra: extra)
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: bytes))
        return path
    }

    func pngBytes(width: Int, height: Int, depth: UInt8, colorType: UInt8, rows: [[UInt8]], extra: [(String, [UInt8])] = []) throws -> Data {
        var out = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        func chunk(_ type: String, _ body: [UInt8]) {
            let typed = Array(type.utf8) + body
            withUnsafeBytes(of: UInt32(body.count).bigEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: typed)
            withUnsafeBytes(of: crc32(typed).bigEndian) { out.append(contentsOf: $0) }
        }
        var header: [UInt8] = []
        withUnsafeBytes(of: UInt32(width).bigEndian) { header += $0 }
        withUnsafeBytes(of: UInt32(height).bigEndian) { header += $0 }
        header += [depth, colorType, 0, 0, 0]
        chunk("IHDR", header)
        for (type, body) in extra { chunk(type, body) }
        chunk("IDAT", zlibStored(rows.flatMap { $0 }))
        chunk("IEND", [])
        return out
    }

    /// A zlib stream of one stored (uncompressed) deflate block.
    func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01, 0x01, UInt8(data.count & 0xFF), UInt8(data.count >> 8), UInt8(~data.count & 0xFF), UInt8((~data.count >> 8) & 0xFF)]
        out += data
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in data { a = (a + UInt32(byte)) % 65_521; b = (b + a) % 65_521 }
        withUnsafeBytes(of: (b << 16 | a).bigEndian) { out += $0 }
        return out
    }

    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

final class IDXTests: XCTestCase {
    func testHeaderValidation() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = Data([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/good", contents: good))
        let idx = try IDXFile(path: folder + "/good")
        XCTAssertEqual(idx.shape, [3])
        XCTAssertEqual(idx.bytes, [7, 8, 9])
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/short", contents: good.prefix(10)))
        XCTAssertThrowsError(try IDXFile(path: folder + "/short")) { XCTAssertTrue("\($0)".contains("promises [3] = 3 bytes but 2 follow"), "\($0)") }
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/magic", contents: Data([0, 0, 13, 1, 0, 0, 0, 0])))
        XCTAssertThrowsError(try IDXFile(path: folder + "/magic")) { XCTAssertTrue("\($0)".contains("not unsigned-byte data"), "\($0)") }
    }
}
