/// Words for Fashion-MNIST's classes, and the candidate codebook rows the semantic loss pulls
/// each class's layer-1 token toward.
public enum FashionWords {
    /// Single whole-word tokens of Whisper's vocabulary only ("sandal" and "pullover" split
    /// into pieces, so their classes use other words). No word belongs to two classes: when
    /// T-shirt/top also had " shirt", the head could name both shirt classes " shirt", right by
    /// the precision measure and useless for telling them apart in a prompt.
    public static let classWords: [[String]] = [
        ["top", "tops", "tee", "vest"], ["trousers", "pants", "jeans"], ["sweater", "jumper", "hoodie"],
        ["dress", "dresses", "gown", "skirt"], ["coat", "coats", "jacket", "jackets"],
        ["slippers", "heel", "heels", "strap", "straps", "sole"], ["shirt", "shirts"],
        ["sneakers", "shoe", "shoes"], ["bag", "bags", "purse", "wallet", "backpack"], ["boot", "boots", "ankle"],
    ]

    /// Every class word, for `LexicalCodebook.build(including:)`.
    public static var allWords: [String] { Array(Set(classWords.joined())).sorted() }

    /// names[class]: the one word layer 1 is trained to say for each class, its first class
    /// word exactly as written (" top", " trousers", " sweater", …). One word per class, not
    /// any of its candidates: with the candidates the head split T-shirts between " top" (40%)
    /// and " tops" (36%) and sandals between " sole" and " heel", and a 1-shot prompt can only
    /// match a query to a support image that got the same word.
    public static func names(in codebook: LexicalCodebook) -> [[Int32]] {
        classWords.map { words in
            guard let row = codebook.words.firstIndex(of: words[0]) else { preconditionFailure("codebook lacks the class word '\(words[0])'") }
            return [Int32(row)]
        }
    }

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
