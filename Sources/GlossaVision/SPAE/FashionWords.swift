/// Words for Fashion-MNIST's classes, and the candidate codebook rows the semantic loss pulls
/// each class's layer-1 token toward.
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

    /// candidates[class][1]: the class words and their closest LM neighbours, the words layer 1
    /// (one token per image, restricted to the union of these sets) is trained toward.
    public static func candidates(in codebook: LexicalCodebook) -> [[Int: [Int32]]] {
        classWords.map { words in [1: codebook.neighbours(of: codebook.rows(for: words), limit: 8, threshold: 0.6)] }
    }
}
