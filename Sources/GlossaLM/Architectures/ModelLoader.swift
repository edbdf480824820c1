import Foundation

/// Loads a Hugging Face model folder (config.json + safetensors) into a TransformerLM.
public enum ModelLoader {
    public static let supported = TransformerConfig.Family.allCases.map(\.rawValue)

    public static func config(folder: String) throws -> TransformerConfig {
        let reader = try ConfigReader(path: folder + "/config.json")
        let name = reader.architectureName ?? "(none)"
        switch name {
        case "GPT2LMHeadModel", "gpt2": return try GPT2Architecture.config(reader)
        case "LlamaForCausalLM", "llama": return try LlamaArchitecture.config(reader, family: .llama)
        case "MixtralForCausalLM", "mixtral": return try LlamaArchitecture.config(reader, family: .mixtral)
        case "DeepseekV3ForCausalLM", "deepseek_v3": return try DeepseekV3Architecture.config(reader)
        default: throw ModelError.unknownArchitecture(path: reader.path, name: name, supported: supported)
        }
    }

    public static func load(folder: String) throws -> TransformerLM {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw ModelError.cannotRead(path: folder, reason: "not a model folder")
        }
        let cfg = try config(folder: folder)
        let store = try WeightStore(folder: folder)
        switch cfg.family {
        case .gpt2: return try GPT2Architecture.load(cfg, from: store)
        case .llama, .mixtral: return try LlamaArchitecture.load(cfg, from: store)
        case .deepseekV3: return try DeepseekV3Architecture.load(cfg, from: store)
        }
    }
}
