import Foundation

/// Byte-level BPE as GPT-2 and Whisper use it, loaded from a Hugging Face `tokenizer.json`.
///
/// encode: split out added/special tokens (leftmost, longest match), pre-tokenize each other
/// segment with GPT-2's pattern, spell each piece's bytes in the byte-level alphabet, and apply
/// merges by lowest rank (openai/gpt-2 encoder.py `bpe`). Post-processor templates (Whisper's
/// `<|startoftranscript|>…`) are not applied: callers add the special tokens they need.
public final class ByteLevelBPETokenizer: @unchecked Sendable {
    public let vocabularySize: Int
    /// Token id → the bytes it stands for (added tokens: their UTF-8 content).
    private let tokenBytes: [[UInt8]]
    private let tokenStrings: [String]
    private let idsByToken: [String: Int32]
    /// (left id, right id) packed into 64 bits → (rank, merged id).
    private let merges: [UInt64: (rank: Int32, merged: Int32)]
    private let byteIDs: [Int32]
    /// Added tokens bucketed by first UTF-8 byte, longest first.
    private let addedByFirstByte: [UInt8: [(bytes: [UInt8], id: Int32)]]
    public let specialTokenIDs: Set<Int32>
    /// Merges the file dropped and this tokenizer restored ("Ġ t" for Whisper's multilingual
    /// tokenizer.json; see DroppedMergeRepair), in rank order.
    public let restoredMerges: [String]
    /// Memo of pre-token bytes → ids. The lock makes the tokenizer safe to share across threads.
    private var cache: [[UInt8]: [Int32]] = [:]
    private let cacheLock = NSLock()

    public convenience init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TokenizerError.cannotRead(file: path, reason: (error as NSError).localizedDescription)
        }
        try self.init(json: data, path: path)
    }

    public init(json data: Data, path: String = "tokenizer.json") throws {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.invalid(file: path, detail: "not a JSON object")
        }
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.invalid(file: path, detail: "no \"model\" section")
        }
        guard (model["type"] as? String) == "BPE" else {
            throw TokenizerError.unsupported(file: path, detail: "model type \(model["type"] ?? "missing"), only BPE is supported")
        }
        if let pre = root["pre_tokenizer"] as? [String: Any], let type = pre["type"] as? String, type != "ByteLevel" {
            throw TokenizerError.unsupported(file: path, detail: "pre-tokenizer \(type), only ByteLevel is supported")
        }
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.invalid(file: path, detail: "model.vocab is missing")
        }
        var ids: [String: Int32] = [:]
        var maxID: Int32 = -1
        for (token, value) in vocab {
            guard let n = value as? Int, n >= 0 else {
                throw TokenizerError.invalid(file: path, detail: "vocab entry '\(token)' has no valid id")
            }
            ids[token] = Int32(n)
            maxID = max(maxID, Int32(n))
        }
        var added: [(String, Int32, Bool)] = []
        for entry in root["added_tokens"] as? [[String: Any]] ?? [] {
            guard let content = entry["content"] as? String, let n = entry["id"] as? Int, !content.isEmpty else {
                throw TokenizerError.invalid(file: path, detail: "an added_tokens entry lacks content or id")
            }
            added.append((content, Int32(n), entry["special"] as? Bool ?? false))
            ids[content] = Int32(n)
            maxID = max(maxID, Int32(n))
        }
        let size = Int(maxID) + 1
        var strings = [String](repeating: "", count: size)
        var bytes = [[UInt8]](repeating: [], count: size)
        for (token, id) in ids {
            strings[Int(id)] = token
            bytes[Int(id)] = ByteLevelAlphabet.decode(token) ?? Array(token.utf8)
        }
        for (content, id, _) in added { bytes[Int(id)] = Array(content.utf8) }

        var byteIDs = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            guard let id = ids[String(ByteLevelAlphabet.byteToScalar[b])] else {
                throw TokenizerError.invalid(file: path, detail: "vocabulary lacks the byte-level token for byte \(b)")
            }
            byteIDs[b] = id
        }

        guard let mergeList = model["merges"] as? [Any] else {
            throw TokenizerError.invalid(file: path, detail: "model.merges is missing")
        }
        var listed: [DroppedMergeRepair.Merge] = []
        listed.reserveCapacity(mergeList.count)
        for (rank, item) in mergeList.enumerated() {
            // Both forms: "a b" (tokenizers < 0.20) and ["a", "b"].
            let pair: [String]
            if let s = item as? String {
                pair = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            } else if let a = item as? [String] {
                pair = a
            } else {
                throw TokenizerError.invalid(file: path, detail: "merge \(rank) is neither \"a b\" nor [\"a\", \"b\"]")
            }
            guard pair.count == 2, let l = ids[pair[0]], let r = ids[pair[1]], let m = ids[pair[0] + pair[1]] else {
                throw TokenizerError.invalid(file: path, detail: "merge \(rank) \(pair) refers to tokens not in the vocabulary")
            }
            listed.append(.init(left: l, right: r, merged: m))
        }
        let repair = DroppedMergeRepair(listed: listed, tokens: strings, ids: ids,
                                        excluded: Set(byteIDs).union(added.map { $0.1 }))
        // In an id-ordered list the merged id is the rank (tiktoken's rule), which also places the
        // restored merges; otherwise the list position is.
        var mergeTable: [UInt64: (rank: Int32, merged: Int32)] = [:]
        mergeTable.reserveCapacity(listed.count + repair.restored.count)
        for (position, merge) in (listed + repair.restored).enumerated() {
            let key = UInt64(UInt32(bitPattern: merge.left)) << 32 | UInt64(UInt32(bitPattern: merge.right))
            let rank = repair.idOrdered ? merge.merged : Int32(position)
            if mergeTable[key] == nil { mergeTable[key] = (rank, merge.merged) }
        }

        var buckets: [UInt8: [(bytes: [UInt8], id: Int32)]] = [:]
        for (content, id, _) in added {
            let b = Array(content.utf8)
            buckets[b[0], default: []].append((b, id))
        }
        for k in buckets.keys { buckets[k]!.sort { $0.bytes.count > $1.bytes.count } }

        self.vocabularySize = size
        self.tokenStrings = strings
        self.tokenBytes = bytes
        self.idsByToken = ids
        self.merges = mergeTable
        self.restoredMerges = repair.restored.map { strings[Int($0.left)] + " " + strings[Int($0.right)] }
        self.byteIDs = byteIDs
        self.addedByFirstByte = buckets
        self.specialTokenIDs = Set(added.filter { $0.2 }.map { $0.1 })
    }

    /// The id of a token spelled exactly as in the vocabulary (e.g. "<|endoftext|>", "Ġthe").
    public func id(of token: String) -> Int32? { idsByToken[token] }

    /// The ordinary (not special) token that stands for exactly these bytes, if the vocabulary has one.
    public func id(ofBytes bytes: [UInt8]) -> Int32? {
        guard let id = idsByToken[ByteLevelAlphabet.encode(bytes)], !specialTokenIDs.contains(id) else { return nil }
        return id
    }

    /// The vocabulary spelling of an id ("Ġthe" for " the").
    public func token(of id: Int32) -> String? {
        id >= 0 && Int(id) < tokenStrings.count ? tokenStrings[Int(id)] : nil
    }

    /// The bytes an id decodes to.
    public func bytes(of id: Int32) -> [UInt8] {
        id >= 0 && Int(id) < tokenBytes.count ? tokenBytes[Int(id)] : []
    }

    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3)
        var utf8 = Array(text.utf8)
        utf8.withUnsafeMutableBufferPointer { mb in
            let b = UnsafeBufferPointer(mb)
            var segmentStart = 0
            var i = 0
            while i < b.count {
                if let bucket = addedByFirstByte[b[i]], let match = bucket.first(where: { matches($0.bytes, b, at: i) }) {
                    encodeOrdinary(UnsafeBufferPointer(rebasing: b[segmentStart..<i]), into: &out)
                    out.append(match.id)
                    i += match.bytes.count
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            encodeOrdinary(UnsafeBufferPointer(rebasing: b[segmentStart..<b.count]), into: &out)
        }
        return out
    }

    @inline(__always)
    private func matches(_ pattern: [UInt8], _ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i + pattern.count <= b.count else { return false }
        for k in 0..<pattern.count where b[i + k] != pattern[k] { return false }
        return true
    }

    private func encodeOrdinary(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Int32]) {
        guard b.count > 0 else { return }
        GPT2PreTokenizer.split(b) { range in
            let piece = Array(b[range])
            cacheLock.lock()
            let cached = cache[piece]
            cacheLock.unlock()
            if let cached {
                out.append(contentsOf: cached)
                return
            }
            let ids = bpe(piece)
            cacheLock.lock()
            if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }
            cache[piece] = ids
            cacheLock.unlock()
            out.append(contentsOf: ids)
        }
    }

    /// Repeatedly merges the adjacent pair of lowest rank (all its non-overlapping occurrences,
    /// left to right) until no pair has a merge.
    private func bpe(_ piece: [UInt8]) -> [Int32] {
        var symbols = piece.map { byteIDs[Int($0)] }
        while symbols.count > 1 {
            var bestRank = Int32.max, bestMerged: Int32 = -1, bestLeft: Int32 = -1, bestRight: Int32 = -1
            for k in 0..<(symbols.count - 1) {
                let key = UInt64(UInt32(bitPattern: symbols[k])) << 32 | UInt64(UInt32(bitPattern: symbols[k + 1]))
                if let m = merges[key], m.rank < bestRank {
                    bestRank = m.rank
                    bestMerged = m.merged
                    (bestLeft, bestRight) = (symbols[k], symbols[k + 1])
                }
            }
            if bestMerged < 0 { break }
            var next: [Int32] = []
            next.reserveCapacity(symbols.count)
            var k = 0
            while k < symbols.count {
                if k + 1 < symbols.count && symbols[k] == bestLeft && symbols[k + 1] == bestRight {
                    next.append(bestMerged)
                    k += 2
                } else {
                    next.append(symbols[k])
                    k += 1
                }
            }
            symbols = next
        }
        return symbols
    }

    /// Concatenates the tokens' bytes and decodes them as UTF-8 (invalid sequences become
    /// U+FFFD, as in `tokenizers`). Special tokens are kept unless `skipSpecialTokens`.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    public func decodeBytes(_ ids: [Int32], skipSpecialTokens: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        for id in ids {
            if skipSpecialTokens && specialTokenIDs.contains(id) { continue }
            out.append(contentsOf: bytes(of: id))
        }
        return out
    }
}
