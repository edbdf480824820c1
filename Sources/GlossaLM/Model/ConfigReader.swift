import Foundation

/// Typed access to a Hugging Face `config.json`, with errors that name the key.
public struct ConfigReader {
    public let path: String
    public let values: [String: Any]

    public init(path: String) throws {
        self.path = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ModelError.cannotRead(path: path, reason: (error as NSError).localizedDescription)
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelError.invalidConfig(path: path, detail: "not a JSON object")
        }
        self.values = object
    }

    public func has(_ key: String) -> Bool {
        guard let v = values[key] else { return false }
        return !(v is NSNull)
    }

    public func int(_ key: String) throws -> Int {
        guard let n = values[key] as? NSNumber, n.doubleValue == Double(n.intValue) else {
            throw ModelError.invalidConfig(path: path, detail: "'\(key)' must be an integer")
        }
        return n.intValue
    }

    public func int(_ key: String, default fallback: Int) throws -> Int {
        has(key) ? try int(key) : fallback
    }

    public func optionalInt(_ key: String) throws -> Int? {
        has(key) ? try int(key) : nil
    }

    public func float(_ key: String, default fallback: Float? = nil) throws -> Float {
        if !has(key), let fallback { return fallback }
        guard let n = values[key] as? NSNumber else {
            throw ModelError.invalidConfig(path: path, detail: "'\(key)' must be a number")
        }
        return n.floatValue
    }

    public func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard has(key) else { return fallback }
        guard let b = values[key] as? Bool else {
            throw ModelError.invalidConfig(path: path, detail: "'\(key)' must be true or false")
        }
        return b
    }

    public func string(_ key: String, default fallback: String? = nil) throws -> String {
        if !has(key), let fallback { return fallback }
        guard let s = values[key] as? String else {
            throw ModelError.invalidConfig(path: path, detail: "'\(key)' must be a string")
        }
        return s
    }

    /// RoPE base: transformers 5 writes `rope_parameters.rope_theta`, older configs `rope_theta`.
    /// Only the default (unscaled) RoPE is supported.
    public func ropeTheta(default fallback: Float) throws -> Float {
        if let params = values["rope_parameters"] as? [String: Any] {
            let type = params["rope_type"] as? String ?? "default"
            guard type == "default" else {
                throw ModelError.invalidConfig(path: path, detail: "rope_type '\(type)' is not supported (only default)")
            }
            return (params["rope_theta"] as? NSNumber)?.floatValue ?? fallback
        }
        if let scaling = values["rope_scaling"] as? [String: Any] {
            let type = scaling["rope_type"] as? String ?? scaling["type"] as? String ?? "default"
            guard type == "default" else {
                throw ModelError.invalidConfig(path: path, detail: "rope_scaling '\(type)' is not supported (only default)")
            }
        }
        return try float("rope_theta", default: fallback)
    }

    /// The architecture name: `architectures[0]`, else `model_type`.
    public var architectureName: String? {
        if let list = values["architectures"] as? [String], let first = list.first { return first }
        return values["model_type"] as? String
    }
}
