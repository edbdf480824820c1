/// Words for Fashion-MNIST's classes, and the candidate codebook rows the semantic loss pulls
/// each class toward: layer 1 (one token per image) gets the class words and their closest LM
/// neighbours; layer 2 (four tokens) a looser set.
public enum FashionWords {
    /// Single whole-word tokens of Whisper's vocabulary only ("sandal", "trousers" and
    /// "pullover" split into pieces, so their classes use other words).
    public static let classWords: [[String]] = [
        ["shirt", "shirts", "vest"], ["pants", "jeans"], ["sweater", "jumper"],
        ["dress", "dresses", "gown", "skirt"], ["coat", "coats", "jacket", "jackets"],
        ["slippers", "heel", "heels", "strap", "straps", "sole"], ["shirt", "shirts"],
        ["sneakers", "shoe", "shoes"], ["bag", "bags", "purse", "wallet", "backpack"], ["boot", "boots", "ankle"],
    ]

    /// Every class word, for `LexicalCodebook.build(including:)`.
    public static var allWords: [String] { Array(Set(classWords.joined())).sorted() }

    /// candidates[class][layer] (layers 1 and 2).
    public static func candidates(in codebook: LexicalCodebook) -> [[Int: [Int32]]] {
        classWords.map { words in
            let anchors = codebook.rows(for: words)
            return [1: codebook.neighbours(of: anchors, limit: 8, threshold: 0.6),
                    2: codebook.neighbours(of: anchors, limit: 32, threshold: 0.4)]
        }
    }
}
