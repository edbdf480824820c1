import Foundation
import GlossaTensor

/// Writes a model as a Hugging Face folder that `transformers` loads as an ordinary
/// architecture: config.json, model.safetensors (fp16, except the router and its correction
/// bias, which transformers keeps in fp32) and the tokenizer.json it was trained with, with any
/// dropped merges written back (DroppedMergeRepair) so that Python encodes as Glossa does.
public enum HuggingFaceExport {
    /// The input embedding's tensor name in every exported architecture.
    public static let embeddingName = "model.embed_tokens.weight"

    /// `sharedEmbedding`: a model folder whose model.safetensors already holds this model's
    /// input embedding, bit for bit in fp16 (a model tuned with the table frozen), or all but
    /// at most `maxPatchedShare` of its rows (a model that trained some rows,
    /// `--trainable-embeddings rows:FILE`). The table is then not written again:
    /// model.safetensors.index.json maps it to that file by a relative path, and the rows that
    /// differ go into model.safetensors as a row patch (WeightStore.rowPatchNames), so a tuned
    /// variant costs its other weights only (25.7 MB of glossa-lm-v2's 37 MB are the table).
    /// Every other tensor that file holds bit for bit as this export would write it (a layer
    /// kept frozen, `lm train --frozen-layers`) is mapped there too, so a model that tuned its
    /// upper layers costs those layers only.
    public static func write(_ model: TransformerLM, to folder: String, tokenizer: String?, endOfText: Int32,
                             metadata: [String: String] = [:], sharedEmbedding: String? = nil) throws {
        var patch: [Int] = []
        var sharedNames: Set<String> = []
        if let base = sharedEmbedding {  // both checks before anything is written
            let store = try WeightStore(folder: base)  // opened once for both
            patch = try embeddingPatch(model, base: base, store: store)
            sharedNames = try unchangedTensors(model, store: store).union([embeddingName])
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var config = try configJSON(model.config, endOfText: endOfText)
        if model.multiTokenPrediction != nil { config["num_nextn_predict_layers"] = 1 }
        try Data((serialize(config, indent: "") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/config.json"), options: .atomic)
        var writer = SafetensorsWriter(metadata: ["format": "pt"].merging(metadata) { $1 })
        for p in model.parameters where !sharedNames.contains(p.name) {
            writer.add(p.name, p.value, as: storedType(of: p.name))
        }
        if !patch.isEmpty, let table = model.parameters.first(where: { $0.name == embeddingName })?.value {
            let names = WeightStore.rowPatchNames(of: embeddingName)
            writer.add(names.ids, int64: patch.map(Int64.init), shape: [patch.count])
            writer.add(names.rows, table.gatheringRows(patch), as: .f16)
        }
        for (name, bias) in selectionBiases(model) where !sharedNames.contains(name) {
            writer.add(name, bias, as: .f32)
        }
        try writer.write(to: folder + "/model.safetensors")
        let index = folder + "/model.safetensors.index.json"
        if let base = sharedEmbedding {
            let file = relativePath(from: folder, to: base + "/model.safetensors")
            var map = Dictionary(uniqueKeysWithValues: writer.names.map { ($0, "model.safetensors") })
            for name in sharedNames { map[name] = file }
            try AtomicFile.write(Data((serialize(["metadata": ["format": "pt"], "weight_map": map], indent: "") + "\n").utf8), to: index)
        } else if FileManager.default.fileExists(atPath: index) {
            try FileManager.default.removeItem(atPath: index)  // a stale index would shadow model.safetensors
        }
        if let tokenizer {
            let target = folder + "/tokenizer.json"
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: tokenizer)) } catch {
                throw TokenizerError.cannotRead(file: tokenizer, reason: (error as NSError).localizedDescription)
            }
            let repaired = try ByteLevelBPETokenizer.repairedJSON(data, path: tokenizer)
            if tokenizer != target || repaired != nil { try AtomicFile.write(repaired ?? data, to: target) }
        }
    }

    /// transformers keeps the router and its correction bias in fp32; every other weight is fp16.
    static func storedType(of name: String) -> SafetensorsDType {
        name.hasSuffix(".mlp.gate.weight") || name.hasSuffix(".e_score_correction_bias") ? .f32 : .f16
    }

    /// The MoE correction biases by tensor name. The MTP block is stored as layer
    /// num_hidden_layers, DeepSeek-V3's convention.
    static func selectionBiases(_ model: TransformerLM) -> [(name: String, value: Tensor)] {
        let blocks = model.layers + (model.multiTokenPrediction.map { [$0.block] } ?? [])
        return blocks.enumerated().compactMap { i, layer in
            (layer.feedForward as? MixtureOfExpertsLayer)?.selectionBias.map { ("model.layers.\(i).mlp.gate.e_score_correction_bias", $0) }
        }
    }

    /// The names of the tensors other than the embedding that the base `store` holds with the same shape
    /// and the same values as this export would write them (fp16 rounding included).
    static func unchangedTensors(_ model: TransformerLM, store: WeightStore) throws -> Set<String> {
        let tensors = model.parameters.map { ($0.name, $0.value) } + selectionBiases(model).map { ($0.name, $0.value) }
        var names: Set<String> = []
        for (name, mine) in tensors where name != embeddingName && store.contains(name) {
            guard let theirs = try? store.tensor(name, shape: mine.shape) else { continue }
            let half = storedType(of: name) == .f16
            let same = (0..<mine.count).allSatisfy { k in (half ? Float(Float16(mine.data[k])) : mine.data[k]) == theirs.data[k] }
            if same { names.insert(name) }
        }
        return names
    }

    /// The most rows a shared table may differ in, as a share of its rows: beyond it the model
    /// trained its table, and a patch would be a copy.
    static let maxPatchedShare = 0.5

    /// The rows where this model's embedding, as this export writes it (fp16), differs from the
    /// one the base `store` holds.
    static func embeddingPatch(_ model: TransformerLM, base: String, store: WeightStore) throws -> [Int] {
        guard let mine = model.parameters.first(where: { $0.name == embeddingName })?.value else {
            throw ModelError.invalidInput("the model has no \(embeddingName) to share")
        }
        let theirs = try store.tensor(embeddingName, shape: mine.shape)
        let width = mine.shape[1]
        let patch = (0..<mine.shape[0]).filter { row in
            (row * width..<(row + 1) * width).contains { Float(Float16(mine.data[$0])) != theirs.data[$0] }
        }
        guard Double(patch.count) <= maxPatchedShare * Double(mine.shape[0]) else {
            throw ModelError.invalidInput("\(base)'s embedding differs from this model's in \(patch.count) of \(mine.shape[0]) rows: "
                + "only a model tuned with the table frozen, or with at most half its rows trained, can share it")
        }
        return patch
    }

    /// The path of `file` relative to `folder`, both existing, counted between their real
    /// locations: the loader follows "../" from where the folder really is, so a path counted
    /// through a symbolic link (runs/ linked to another disk) would miss.
    static func relativePath(from folder: String, to file: String) -> String {
        func components(_ path: String) -> [String] {
            guard let real = realpath(path, nil) else { return URL(fileURLWithPath: path).standardizedFileURL.pathComponents }
            defer { free(real) }
            return URL(fileURLWithPath: String(cString: real)).pathComponents
        }
        let from = components(folder), to = components(file)
        let common = zip(from, to).prefix { $0 == $1 }.count
        return (Array(repeating: "..", count: from.count - common) + to[common...]).joined(separator: "/")
    }

    /// JSON with floats always written as floats ("1.0", not "1"): transformers' strict config
    /// classes reject an int where a float field is declared, and JSONSerialization drops ".0".
    static func serialize(_ value: Any, indent: String) -> String {
        let inner = indent + "  "
        switch value {
        case let dict as [String: Any]:
            let items = dict.keys.sorted().map { "\(inner)\"\($0)\": " + serialize(dict[$0]!, indent: inner) }
            return "{\n" + items.joined(separator: ",\n") + "\n\(indent)}"
        case let array as [Any]:
            return "[" + array.map { serialize($0, indent: inner) }.joined(separator: ", ") + "]"
        case let b as Bool: return b ? "true" : "false"
        case let i as Int: return String(i)
        case let i as Int32: return String(i)
        case let f as Float: return floatText(Double(f))
        case let d as Double: return floatText(d)
        case let s as String:
            return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        default: return "null"
        }
    }

    private static func floatText(_ d: Double) -> String {
        let s = String(format: "%.9g", d)
        return s.contains(".") || s.contains("e") || s.contains("n") ? s : s + ".0"
    }

    static func configJSON(_ c: TransformerConfig, endOfText: Int32) throws -> [String: Any] {
        guard case let .rmsNorm(eps) = c.normalization, case let .rotary(theta, interleaved) = c.positions else {
            throw ModelError.invalidInput("export supports RMSNorm + RoPE models (Llama, Mixtral, DeepSeek-V3)")
        }
        var json: [String: Any] = [
            "vocab_size": c.vocabularySize, "hidden_size": c.hiddenSize, "num_hidden_layers": c.layerCount,
            "num_attention_heads": c.heads, "num_key_value_heads": c.keyValueHeads, "rms_norm_eps": eps,
            "rope_theta": theta, "rope_parameters": ["rope_theta": theta, "rope_type": "default"],
            "hidden_act": "silu", "tie_word_embeddings": c.tiedEmbeddings, "attention_bias": false,
            "bos_token_id": endOfText, "eos_token_id": endOfText, "max_position_embeddings": 4096, "torch_dtype": "float16",
        ]
        let dense = c.feedForward.compactMap { if case let .dense(n) = $0 { return n } else { return nil } }.first
        let moe = c.feedForward.compactMap { if case let .mixture(m) = $0 { return m } else { return nil } }.first
        switch c.family {
        case .deepseekV3:
            guard let mla = c.latentAttention else { throw ModelError.invalidInput("DeepSeek-V3 export needs MLA") }
            let firstMoE = c.feedForward.firstIndex { if case .mixture = $0 { return true } else { return false } } ?? c.layerCount
            guard c.feedForward[firstMoE...].allSatisfy({ if case .mixture = $0 { return true } else { return false } }) else {
                throw ModelError.invalidInput("DeepseekV3ForCausalLM needs all MoE layers after the dense ones (first_k_dense_replace)")
            }
            var routing: (groups: Int, topKGroups: Int, normalize: Bool, scaling: Float) = (1, 1, true, 1)
            if let moe, case let .sigmoidGrouped(g, tg, n, s) = moe.routing { routing = (g, tg, n, s) }
            json.merge([
                "architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",
                "intermediate_size": dense ?? (moe?.intermediateSize ?? 0), "moe_intermediate_size": moe?.intermediateSize ?? 1,
                "n_routed_experts": moe?.experts ?? 1, "num_experts_per_tok": moe?.topK ?? 1,
                "n_shared_experts": moe.map { ($0.sharedIntermediateSize ?? 0) / $0.intermediateSize } ?? 0,
                "n_group": routing.groups, "topk_group": routing.topKGroups, "norm_topk_prob": routing.normalize,
                "routed_scaling_factor": routing.scaling, "first_k_dense_replace": firstMoE,
                "q_lora_rank": mla.queryRank.map { $0 as Any } ?? NSNull(), "kv_lora_rank": mla.keyValueRank,
                "qk_rope_head_dim": mla.ropeHeadDim, "qk_nope_head_dim": mla.nopeHeadDim, "v_head_dim": mla.valueHeadDim,
                "head_dim": mla.ropeHeadDim, "rope_interleave": interleaved, "num_nextn_predict_layers": 0,
            ]) { $1 }
        case .llama, .mixtral:
            json.merge(["architectures": [c.family.rawValue], "model_type": c.family == .llama ? "llama" : "mixtral",
                        "head_dim": c.headDim, "intermediate_size": dense ?? moe?.intermediateSize ?? 0]) { $1 }
            if let moe { json.merge(["num_local_experts": moe.experts, "num_experts_per_tok": moe.topK]) { $1 } }
        case .gpt2:
            throw ModelError.invalidInput("export supports RMSNorm + RoPE models (Llama, Mixtral, DeepSeek-V3)")
        }
        return json
    }
}
