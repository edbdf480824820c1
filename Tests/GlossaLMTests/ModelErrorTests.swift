import XCTest
import Foundation
import GlossaTensor
import GlossaTestSupport
@testable import GlossaLM

/// Broken model folders give errors that name the tensor, the expected shape and the shape found.
final class ModelErrorTests: XCTestCase {
    var folder = ""
    override func setUp() {
        folder = makeTemporaryFolder()
        let src = fixturePath("mixtral")
        for f in ["config.json", "model.safetensors"] {
            try! FileManager.default.copyItem(atPath: src + "/" + f, toPath: folder + "/" + f)
        }
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    /// Rewrites model.safetensors through `edit(name, tensor) -> tensor or nil (drop)`.
    private func rewrite(_ edit: (String, Tensor) -> Tensor?) throws {
        let file = try SafetensorsFile(path: folder + "/model.safetensors")
        var writer = SafetensorsWriter()
        for name in file.names {
            if let t = edit(name, try file.tensor(name).copy()) { writer.add(name, t) }
        }
        try writer.write(to: folder + "/model.safetensors")
    }

    private func assertLoadFails(_ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelLoader.load(folder: folder), file: file, line: line) {
            XCTAssertEqual("\($0)", expected, file: file, line: line)
        }
    }

    func testMissingTensor() throws {
        try rewrite { name, t in name == "model.layers.1.block_sparse_moe.experts.2.w3.weight" ? nil : t }
        assertLoadFails("missing tensor 'model.layers.1.block_sparse_moe.experts.2.w3.weight' in \(folder)")
    }

    func testShapeMismatch() throws {
        try rewrite { name, t in name == "model.layers.0.self_attn.k_proj.weight" ? Tensor(zeros: [12, 32]) : t }
        assertLoadFails("tensor 'model.layers.0.self_attn.k_proj.weight' has shape [12, 32], expected [16, 32]")
    }

    func testUnknownArchitecture() throws {
        let config = folder + "/config.json"
        let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "MixtralForCausalLM", with: "FalconForCausalLM")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        assertLoadFails("\(config): unknown architecture 'FalconForCausalLM'; supported: GPT2LMHeadModel, LlamaForCausalLM, MixtralForCausalLM, DeepseekV3ForCausalLM")
    }

    func testCorruptConfigAndMissingFolder() throws {
        try "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": \"big\"}".write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        assertLoadFails("\(folder)/config.json: invalid config.json: 'hidden_size' must be an integer")
        XCTAssertThrowsError(try ModelLoader.load(folder: folder + "/nope")) {
            XCTAssertTrue("\($0)".contains("not a model folder"))
        }
    }
}
