import Foundation
import GlossaLM
import GlossaTensor

/// In-context classification with a frozen LM over images written as words.
public enum FewShot {
    /// An image as text: its words of the first `layers` pyramid layers, layer by layer.
    public static func imageText(_ words: [[String]], layers: Int) -> String {
        words.prefix(layers).flatMap { $0 }.joined(separator: " ")
    }

    public struct Prediction {
        public let label: String
        /// log p(" label" | prompt) per candidate (constrained mode).
        public let scores: [String: Double]
    }

    /// Scores each candidate label as the continuation " label" and picks the likeliest.
    public static func constrained(prompt: RenderedPrompt, labels: [String], model: TransformerLM, spelling: LabelSpelling,
                                   endOfText: Int32?) -> Prediction {
        let context = spelling.encode(prompt, after: endOfText)
        let scores = model.scoreContinuations(context: context, continuations: labels.map(spelling.answer))
        let best = scores.indices.max { scores[$0] < scores[$1] }!
        return Prediction(label: labels[best], scores: Dictionary(uniqueKeysWithValues: zip(labels, scores)))
    }

    /// Contextual calibration (Zhao et al. 2021, "Calibrate Before Use"): each label's score
    /// minus its score when the query is replaced by content-free text, which removes the LM's
    /// prior for the label names (a small LM otherwise answers the likelier name whatever the
    /// image).
    public static func calibrated(prompt: RenderedPrompt, contentFree: RenderedPrompt, labels: [String], model: TransformerLM,
                                  spelling: LabelSpelling, endOfText: Int32?) -> Prediction {
        let real = constrained(prompt: prompt, labels: labels, model: model, spelling: spelling, endOfText: endOfText)
        let prior = constrained(prompt: contentFree, labels: labels, model: model, spelling: spelling, endOfText: endOfText)
        let scores = Dictionary(uniqueKeysWithValues: labels.map { ($0, real.scores[$0]! - prior.scores[$0]!) })
        return Prediction(label: labels.max { scores[$0]! < scores[$1]! }!, scores: scores)
    }

    /// Greedy generation of up to 8 tokens after end-of-text and the prompt (the context
    /// constrained scoring sees), stopping at a newline; the answer must equal a label.
    public static func open(prompt: RenderedPrompt, model: LanguageModel, spelling: LabelSpelling) throws -> String {
        let result = try model.generate(promptIDs: spelling.encode(prompt, after: model.endOfText), maxTokens: 8, stopStrings: ["\n"])
        return result.text.trimmingCharacters(in: .whitespaces)
    }

    /// One N-way K-shot episode over labelled items, fixed by `rng`: N classes, K support items
    /// each (shuffled), and one query from one of the N classes that is not in the support.
    public struct Episode {
        public let classes: [Int]
        public let support: [Int]
        public let query: Int
    }

    public static func episode(labels: [Int], byClass: [Int: [Int]], way: Int, shot: Int, rng: inout RandomGenerator) -> Episode {
        var classes = byClass.keys.sorted()
        rng.shuffle(&classes)
        classes = Array(classes.prefix(way))
        var support: [Int] = []
        var query = -1
        let queryClass = classes[rng.int(below: way)]
        for c in classes {
            var items = byClass[c]!
            rng.shuffle(&items)
            support += items.prefix(shot)
            if c == queryClass { query = items[shot] }
        }
        rng.shuffle(&support)
        return Episode(classes: classes, support: support, query: query)
    }

    /// Nearest neighbour over token bags: the support item whose multiset of tokens overlaps the
    /// query's most (ties to the earlier item), the baseline that uses the same tokens.
    public static func nearestNeighbour(query: [Int32], support: [[Int32]]) -> Int {
        var queryCounts: [Int32: Int] = [:]
        for t in query { queryCounts[t, default: 0] += 1 }
        var best = 0, bestOverlap = -1
        for (i, s) in support.enumerated() {
            var counts = queryCounts, overlap = 0
            for t in s where (counts[t] ?? 0) > 0 { overlap += 1; counts[t]! -= 1 }
            if overlap > bestOverlap { (best, bestOverlap) = (i, overlap) }
        }
        return best
    }

    /// Accuracy with a 95% Wilson score interval.
    public static func interval(correct: Int, total: Int) -> (accuracy: Double, low: Double, high: Double) {
        guard total > 0 else { return (0, 0, 0) }
        let p = Double(correct) / Double(total), n = Double(total), z = 1.96
        let center = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z * ((p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()) / (1 + z * z / n)
        return (p, center - half, center + half)
    }
}
