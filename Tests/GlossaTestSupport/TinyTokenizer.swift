import Foundation

/// A byte-level BPE tokenizer.json small enough for the 320-token fixture models: the 256
/// byte tokens, merges of frequent English pairs up to id 318, and `<|endoftext|>` as 319.
public func writeTinyTokenizer(to path: String) throws {
    // The GPT-2 byte alphabet (bytes_to_unicode), spelled out here to stay independent of GlossaLM.
    var printable = Array(33...126) + Array(161...172) + Array(174...255)
    var table = [Int](repeating: 0, count: 256)
    for b in printable { table[b] = b }
    var next = 256
    for b in 0..<256 where !printable.contains(b) { table[b] = next; printable.append(b); next += 1 }
    let spell = { (b: UInt8) in String(Character(Unicode.Scalar(UInt32(table[Int(b)]))!)) }
    var vocab: [String: Int] = [:]
    for b in 0..<256 { vocab[spell(UInt8(b))] = b }
    var merges: [[String]] = []
    let pairs = ["th", "he", "in", "er", "an", " t", " a", "re", "on", " th", "en", "at", "ou", "ed", "is", "it",
                 "es", "or", "ing", " s", " w", " the", "nd", " o", "ar", "al", "le", " c", "as", " b", "ti", "to",
                 " f", " m", "ve", "st", "ro", "se", " p", "ic", " d", "me", " h", "ent", "ll", "de", "ne", "ion",
                 " in", "ch", " l", "ri", "co", "ur", "ut", "ly", "be", "om", " e", "ce", "ha", "ma", "us"]
    for p in pairs where vocab.count < 319 {
        let bytes = Array(p.utf8)
        // Split into the two longest known parts.
        for cut in stride(from: bytes.count - 1, to: 0, by: -1) {
            let left = bytes[..<cut].map(spell).joined(), right = bytes[cut...].map(spell).joined()
            if vocab[left] != nil, vocab[right] != nil, vocab[left + right] == nil {
                vocab[left + right] = vocab.count
                merges.append([left, right])
                break
            }
        }
    }
    while vocab.count < 319 { vocab["<|unused\(vocab.count)|>"] = vocab.count }
    let json: [String: Any] = [
        "version": "1.0",
        "added_tokens": [["id": 319, "content": "<|endoftext|>", "special": true]],
        "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false],
        "model": ["type": "BPE", "vocab": vocab, "merges": merges],
    ]
    try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
}
