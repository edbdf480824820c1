import Foundation
import GlossaTensor

/// An SPAE model folder: config.json (the architecture, the codebook's LM token ids and
/// words) and model.safetensors (weights and the frozen codebook rows, fp16), written
/// atomically. The folder is self-contained: tokenizing needs no LM.
public enum SPAEFile {
    struct Manifest: Codable {
        var config: SPAEModel.Config
        var codebookTokenIDs: [Int32]
        var codebookWords: [String]
        var languageModel: String
        var steps: Int
    }

    /// fp16 for shipping; f32 for training checkpoints, so a resumed run is bit-identical.
    public static func save(_ model: SPAEModel, to folder: String, languageModel: String, steps: Int, dtype: SafetensorsDType = .f16) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let manifest = Manifest(config: model.config, codebookTokenIDs: model.codebook.tokenIDs, codebookWords: model.codebook.words,
                                languageModel: languageModel, steps: steps)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(manifest), to: folder + "/config.json")
        var writer = SafetensorsWriter(metadata: ["format": "glossa-spae"])
        for p in model.parameters { writer.add(p.name, p.value, as: dtype) }
        writer.add("codebook.embeddings", model.codebook.embeddings, as: dtype)
        try writer.write(to: folder + "/model.safetensors")
    }

    public static func load(_ folder: String) throws -> (model: SPAEModel, languageModel: String) {
        let configPath = folder + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw ImageError.cannotRead(file: configPath, reason: "not an SPAE model folder (no config.json)")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw ImageError.invalid(file: configPath, reason: "not an SPAE config: \(error)")
        }
        let weights = try SafetensorsFile(path: folder + "/model.safetensors")
        let rows = try weights.tensor("codebook.embeddings")
        guard rows.rowCount == manifest.codebookTokenIDs.count, manifest.codebookWords.count == rows.rowCount else {
            throw ImageError.invalid(file: folder, reason: "codebook of \(rows.rowCount) rows for \(manifest.codebookTokenIDs.count) token ids")
        }
        let codebook = LexicalCodebook(tokenIDs: manifest.codebookTokenIDs, words: manifest.codebookWords, embeddings: rows.copy())
        let model = SPAEModel(config: manifest.config, codebook: codebook, seed: 0)
        for p in model.parameters {
            let t = try weights.tensor(p.name)
            guard t.shape == p.value.shape else {
                throw ImageError.invalid(file: folder, reason: "tensor '\(p.name)' has shape \(t.shape), expected \(p.value.shape)")
            }
            p.value.assign(t)
        }
        return (model, manifest.languageModel)
    }
}

extension SPAEModel {
    /// Words per pyramid layer for one preprocessed image [C, 32, 32].
    public func tokenize(_ input: Tensor, layers: Int? = nil) -> [[Int32]] {
        let out = quantize(encode(input.reshaped([1] + input.shape)), codebook: inferenceCodebook()).output
        return Array(out.codes.prefix(layers ?? config.layers))
    }

    /// Pixels [C, 32, 32] from codes per layer (as `tokenize` returns them, any depth ≥ 1):
    /// each position averages the codes of its blocks, as the quantizer's reconstruction.
    public func render(_ codes: [[Int32]]) -> Tensor {
        let codebook = inferenceCodebook()
        let d = config.latentDim
        let rows = Tensor(zeros: [64, d])
        for (l, layer) in codes.enumerated() {
            for p in 0..<64 {
                let k = Int(layer[StreamingAverageQuantizer.token(of: p, layer: l + 1)])
                Vec.axpy(1 / Float(codes.count), codebook.data + k * d, rows.data + p * d, d)
            }
        }
        let image = decode(rows)
        return image.reshaped(Array(image.shape.dropFirst()))
    }
}
