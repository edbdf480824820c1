import Foundation
import GlossaTensor

/// The tensors of a model folder: `model.safetensors`, or shards listed in
/// `model.safetensors.index.json`. Lookups check shapes and name the tensor on failure.
public final class WeightStore {
    public let folder: String
    private var files: [String: SafetensorsFile] = [:]
    /// Tensor name → file name.
    private var locations: [String: String] = [:]
    /// Tensors held in memory (a store built from another model's weights).
    private var memory: [String: Tensor] = [:]

    /// A store over tensors already in memory, e.g. one layer's weights renamed to build
    /// another layer from them.
    public init(tensors: [String: Tensor], name: String) {
        folder = name
        memory = tensors
    }

    public init(folder: String) throws {
        self.folder = folder
        let fm = FileManager.default
        let index = folder + "/model.safetensors.index.json"
        if fm.fileExists(atPath: index) {
            guard let data = fm.contents(atPath: index),
                  let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                  let map = root["weight_map"] as? [String: String] else {
                throw ModelError.cannotRead(path: index, reason: "not a safetensors index (no weight_map)")
            }
            locations = map
            for file in Set(map.values) { files[file] = try SafetensorsFile(path: folder + "/" + file) }
        } else {
            let single = folder + "/model.safetensors"
            guard fm.fileExists(atPath: single) else {
                throw ModelError.cannotRead(path: folder, reason: "no model.safetensors or model.safetensors.index.json")
            }
            let file = try SafetensorsFile(path: single)
            files["model.safetensors"] = file
            for name in file.names { locations[name] = "model.safetensors" }
        }
    }

    public func contains(_ name: String) -> Bool { locations[name] != nil || memory[name] != nil }

    /// The names of a row patch of `name` (Glossa's extension, written by `lm export
    /// --share-embedding` for a model that trained a few rows of a shared table): the row
    /// indices (I64 [k]) and their values ([k, width]), which replace those rows of the table
    /// another file holds. transformers ignores them (an unused-weights warning); `lm export
    /// --model` writes the patched table out in full for it.
    public static func rowPatchNames(of name: String) -> (ids: String, rows: String) {
        ("glossa.row_patch.ids/" + name, "glossa.row_patch.rows/" + name)
    }

    /// The tensor `name` as Float32, checked against `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        if let held = memory[name] {
            guard held.shape == shape else { throw ModelError.shapeMismatch(name: name, expected: shape, found: held.shape) }
            return held
        }
        guard let fileName = locations[name], let file = files[fileName] else {
            throw ModelError.missingTensor(name: name, searched: folder)
        }
        let entry = try file.entry(name)
        guard entry.shape == shape else {
            throw ModelError.shapeMismatch(name: name, expected: shape, found: entry.shape)
        }
        let value = try file.tensor(name)
        try applyRowPatch(to: value, name: name)
        return value
    }

    private func applyRowPatch(to value: Tensor, name: String) throws {
        let patch = Self.rowPatchNames(of: name)
        guard let idsFile = locations[patch.ids].flatMap({ files[$0] }) else { return }
        let ids = try idsFile.int64s(patch.ids)
        let width = value.shape.dropFirst().reduce(1, *)
        let rows = try tensor(patch.rows, shape: [ids.count, width])
        for (k, id) in ids.enumerated() {
            guard id >= 0, id < Int64(value.shape[0]) else {
                throw ModelError.cannotRead(path: folder, reason: "\(patch.ids) holds row \(id), outside \(name)'s \(value.shape[0]) rows")
            }
            (value.data + Int(id) * width).update(from: rows.data + k * width, count: width)
        }
    }
}
