import XCTest
import Foundation
import GlossaTensor
import GlossaTestSupport

final class SafetensorsTests: XCTestCase {
    var folder = ""
    override func setUp() { folder = makeTemporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testReadsFileWrittenByPython() throws {
        let file = try SafetensorsFile(path: fixturePath("python_written.safetensors"))
        XCTAssertEqual(file.metadata, ["format": "pt", "creator": "make_tensor_fixtures.py"])
        let f32 = try file.tensor("weights.f32")
        XCTAssertEqual(f32.shape, [2, 3])
        XCTAssertEqual(f32.array, (0..<6).map { Float($0) * 0.25 - 1 })
        XCTAssertEqual(try file.tensor("weights.f16").array, [0.5, -2, 65504, Float(Float16(1e-4))])
        XCTAssertEqual(try file.tensor("weights.bf16").array,
                       [1, -3.5, HalfPrecision.float(fromBF16: HalfPrecision.bf16(from: 0.1)), 1000, -0.0, 7])
        XCTAssertEqual(try file.int64s("ids.i64"), [0, -1, 1 << 40, 7, -(1 << 35)])
        XCTAssertEqual(try file.tensor("empty").shape, [0, 4])
        XCTAssertThrowsError(try file.tensor("ids.i64"))
        XCTAssertThrowsError(try file.tensor("nope")) { error in
            XCTAssertEqual(error as? SafetensorsError, .missingTensor(file: file.path, tensor: "nope"))
        }
    }

    /// The bytes Glossa writes for these tensors are pinned by a committed fixture, which
    /// scripts/check_glossa_safetensors.py loads in Python: so Glossa's files load in Python.
    func testWriterOutputIsStableAndLoadsInPython() throws {
        let x = Tensor((0..<12).map { Float($0) / 3 - 1.5 }, shape: [3, 4])
        var writer = SafetensorsWriter(metadata: ["format": "pt", "creator": "glossa"])
        writer.add("a.f32", x)
        writer.add("b.f16", x, as: .f16)
        writer.add("c.bf16", x, as: .bf16)
        writer.add("d.i64", int64: [3, -4, 1 << 50, 0], shape: [2, 2])
        let path = folder + "/out.safetensors"
        try writer.write(to: path)
        if ProcessInfo.processInfo.environment["GLOSSA_REGENERATE_FIXTURES"] == "1" {
            try writer.write(to: fixturePath("glossa_written.safetensors"))
        }
        let expected = try Data(contentsOf: URL(fileURLWithPath: fixturePath("glossa_written.safetensors")))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), expected)

        let back = try SafetensorsFile(path: path)
        XCTAssertEqual(try back.tensor("a.f32").array, x.array)
        XCTAssertEqual(try back.tensor("b.f16").array, x.array.map { Float(Float16($0)) })
        XCTAssertEqual(try back.int64s("d.i64"), [3, -4, 1 << 50, 0])
        XCTAssertEqual(back.names, ["a.f32", "b.f16", "c.bf16", "d.i64"])
    }

    func testAtomicWriteLeavesNoTemporaryFiles() throws {
        var writer = SafetensorsWriter()
        writer.add("x", Tensor([1, 2], shape: [2]))
        try writer.write(to: folder + "/m.safetensors")
        try writer.write(to: folder + "/m.safetensors")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["m.safetensors"])
        XCTAssertThrowsError(try writer.write(to: folder + "/missing/m.safetensors"))
    }

    // MARK: - Bad files: each gives a thrown error that names the problem.

    private func write(_ header: String, data: [UInt8], headerLength: UInt64? = nil, to name: String = "bad.safetensors") -> String {
        var bytes = Data()
        let h = Array(header.utf8)
        withUnsafeBytes(of: (headerLength ?? UInt64(h.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: h)
        bytes.append(contentsOf: data)
        let path = folder + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: bytes))
        return path
    }

    private func assertFails(_ path: String, mentions words: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(path: path), file: file, line: line) { error in
            let text = "\(error)"
            for w in words { XCTAssertTrue(text.contains(w), "'\(text)' should mention '\(w)'", file: file, line: line) }
            XCTAssertTrue(text.contains(path), "'\(text)' should name the file", file: file, line: line)
        }
    }

    func testMissingFile() {
        assertFails(folder + "/absent.safetensors", mentions: ["cannot open", "No such file"])
    }

    func testTruncatedFiles() {
        let shortPath = folder + "/short.safetensors"
        XCTAssertTrue(FileManager.default.createFile(atPath: shortPath, contents: Data([1, 2, 3])))
        assertFails(shortPath, mentions: ["truncated", "8-byte"])
        assertFails(write("{}", data: [], headerLength: 500, to: "h.safetensors"), mentions: ["truncated", "header claims 500"])
        let header = #"{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#
        assertFails(write(header, data: [UInt8](repeating: 0, count: 10)), mentions: ["truncated", "'x'"])
    }

    func testOverlappingOffsets() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertFails(write(header, data: [UInt8](repeating: 0, count: 12)), mentions: ["'b'", "overlapping"])
    }

    func testGapBetweenTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertFails(write(header, data: [UInt8](repeating: 0, count: 12)), mentions: ["'b'", "gap"])
    }

    func testWrongDTypeSize() {
        let header = #"{"a":{"dtype":"F16","shape":[3],"data_offsets":[0,12]}}"#
        assertFails(write(header, data: [UInt8](repeating: 0, count: 12)), mentions: ["'a'", "need 6"])
    }

    func testUnsupportedDTypeAndBadJSON() {
        let header = #"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#
        assertFails(write(header, data: [UInt8](repeating: 0, count: 8)), mentions: ["unsupported dtype C64"])
        assertFails(write("{not json", data: [], to: "j.safetensors"), mentions: ["not valid JSON"])
        assertFails(write("[1,2]", data: [], to: "k.safetensors"), mentions: ["not a JSON object"])
    }

    func testHeaderTooLarge() {
        assertFails(write("{}", data: [], headerLength: 200_000_000), mentions: ["exceeds the 100 MB limit"])
    }

    func testTrailingBytesAreRejected() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertFails(write(header, data: [UInt8](repeating: 0, count: 9)), mentions: ["cover 4 of 9"])
    }
}
