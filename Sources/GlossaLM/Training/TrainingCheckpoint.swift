import Foundation
import GlossaNN
import GlossaTensor

/// A training checkpoint in one safetensors file: every parameter (`param/<name>`), AdamW's
/// moments (`adam.m/<name>`, `adam.v/<name>`), the MoE correction biases (`bias/<layer>`), and
/// in the metadata the step and the run's options. Written atomically (temp file + rename).
public enum TrainingCheckpoint {
    public static func save(to path: String, step: Int, options: TrainingOptions, model: TransformerLM, optimizer: AdamW) throws {
        try save(to: path, step: step, options: String(data: try JSONEncoder().encode(options), encoding: .utf8)!,
                 optimizer: optimizer, biases: selectionBiases(model.layers))
    }

    /// The general form: the optimizer's parameters and moments, named extra tensors that are
    /// trained outside the optimizer (`bias/<key>`), the step and the options as JSON.
    public static func save(to path: String, step: Int, options json: String, optimizer: AdamW, biases: [String: Tensor]) throws {
        var writer = SafetensorsWriter()
        writer.metadata["step"] = String(step)
        writer.metadata["options"] = json
        for (i, p) in optimizer.parameters.enumerated() {
            writer.add("param/" + p.name, p.value)
            writer.add("adam.m/" + p.name, optimizer.firstMoments[i])
            writer.add("adam.v/" + p.name, optimizer.secondMoments[i])
        }
        for (key, bias) in biases { writer.add("bias/\(key)", bias) }
        try writer.write(to: path)
    }

    /// The MoE correction biases of `layers`, keyed by layer index.
    static func selectionBiases(_ layers: [DecoderLayer]) -> [String: Tensor] {
        var biases: [String: Tensor] = [:]
        for (i, layer) in layers.enumerated() {
            if let bias = (layer.feedForward as? MixtureOfExpertsLayer)?.selectionBias { biases["\(i)"] = bias }
        }
        return biases
    }

    /// The options a checkpoint was written with.
    public static func options(at path: String) throws -> TrainingOptions {
        let file = try SafetensorsFile(path: path)
        guard let json = file.metadata["options"], let options = try? JSONDecoder().decode(TrainingOptions.self, from: Data(json.utf8)) else {
            throw ModelError.cannotRead(path: path, reason: "not a Glossa training checkpoint (no options in its metadata)")
        }
        return options
    }

    /// Restores parameters, moments and biases in place; returns the step to continue from.
    public static func restore(from path: String, model: TransformerLM, optimizer: AdamW) throws -> Int {
        try restore(from: path, optimizer: optimizer, biases: selectionBiases(model.layers))
    }

    public static func restore(from path: String, optimizer: AdamW, biases: [String: Tensor]) throws -> Int {
        let file = try SafetensorsFile(path: path)
        guard let stepText = file.metadata["step"], let step = Int(stepText) else {
            throw ModelError.cannotRead(path: path, reason: "not a Glossa training checkpoint (no step in its metadata)")
        }
        for (i, p) in optimizer.parameters.enumerated() {
            p.value.assign(try checked(file, "param/" + p.name, p.value.shape))
            optimizer.firstMoments[i].assign(try checked(file, "adam.m/" + p.name, p.value.shape))
            optimizer.secondMoments[i].assign(try checked(file, "adam.v/" + p.name, p.value.shape))
        }
        for (key, bias) in biases { bias.assign(try checked(file, "bias/\(key)", bias.shape)) }
        optimizer.restore(stepCount: step)
        return step
    }

    private static func checked(_ file: SafetensorsFile, _ name: String, _ shape: [Int]) throws -> Tensor {
        let entry = try file.entry(name)
        guard entry.shape == shape else { throw ModelError.shapeMismatch(name: name, expected: shape, found: entry.shape) }
        return try file.tensor(name)
    }
}
