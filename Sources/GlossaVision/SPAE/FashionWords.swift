/// Words for Fashion-MNIST's classes, and the candidate codebook rows the semantic loss pulls
/// each class toward: layer 1 (one token per image) gets the class words and their closest LM
/// neighbours; layer 2 (four tokens) a looser set.
public enum FashionWords {
    public static let classWords: [[String]] = [
        ["shirt", "top", "tee"], ["trousers", "trouser", "pants", "jeans"], ["pullover", "sweater", "jumper"],
        ["dress", "gown"], ["coat", "jacket"], ["sandal", "sandals"], ["shirt", "blouse"],
        ["sneaker", "sneakers", "shoe", "shoes"], ["bag", "handbag", "purse"], ["boot", "boots", "ankle"],
    ]

    /// candidates[class][layer] (layers 1 and 2).
    public static func candidates(in codebook: LexicalCodebook) -> [[Int: [Int32]]] {
        classWords.map { words in
            let anchors = codebook.rows(for: words)
            return [1: codebook.neighbours(of: anchors, limit: 8, threshold: 0.6),
                    2: codebook.neighbours(of: anchors, limit: 32, threshold: 0.4)]
        }
    }
}
