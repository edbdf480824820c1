/// Words for Fashion-MNIST's classes, and the candidate codebook rows the semantic loss pulls
/// each class's layer-1 token toward.
public enum FashionWords {
    /// Single whole-word tokens of Whisper's vocabulary only ("sandal" and "pullover" split
    /// into pieces, so their classes use other words).
    public static let classWords: [[String]] = [
        ["shirt", "shirts", "top", "tops", "tee", "vest"], ["trousers", "pants", "jeans"], ["sweater", "jumper", "hoodie"],
        ["dress", "dresses", "gown", "skirt"], ["coat", "coats", "jacket", "jackets"],
        ["slippers", "heel", "heels", "strap", "straps", "sole"], ["shirt", "shirts"],
        ["sneakers", "shoe", "shoes"], ["bag", "bags", "purse", "wallet", "backpack"], ["boot", "boots", "ankle"],
    ]

    /// Every class word, for `LexicalCodebook.build(including:)`.
    public static var allWords: [String] { Array(Set(classWords.joined())).sorted() }

    /// candidates[class]: the class words and their closest LM neighbours, the words layer 1
    /// (one token per image, restricted to the union of these sets) is trained toward. A
    /// neighbour that several classes share is dropped: in this small LM's space the clothing
    /// words all lie close together, and shared words (" skirt" came up for 8 of 10 classes)
    /// would let one word count as right for everything.
    public static func candidates(in codebook: LexicalCodebook) -> [[Int32]] {
        let anchors = classWords.map { codebook.rows(for: $0) }
        let neighbours = anchors.map { codebook.neighbours(of: $0, limit: 8, threshold: 0.6) }
        var owners: [Int32: Int] = [:]
        for list in neighbours { for row in list { owners[row, default: 0] += 1 } }
        let anchorRows = Set(anchors.joined())
        return zip(anchors, neighbours).map { own, near in
            own + near.filter { !anchorRows.contains($0) && owners[$0] == 1 }
        }
    }
}
