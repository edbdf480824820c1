import Foundation
import GlossaLM

/// The tokens that write each label in a prompt.
///
/// A small LM copies a label from its prompt through the label's tokens, and it cannot write a
/// token it hardly ever saw, however plainly the prompt shows it: glossa-lm-v10 never answers
/// "trouser" when the tokenizer spells it " trous" "er" (" trous" occurs 3 times in its corpus),
/// yet it copies the same text spelt " tr" "ous" "er" (scripts/respell_probe.py). The text does not
/// change, only its tokens: a byte-level BPE decodes any spelling of the same bytes to the same
/// string, so an answer written in the other spelling still reads "trouser".
public struct LabelSpelling {
    public let tokenizer: ByteLevelBPETokenizer
    /// " label" → the ids that write it, for labels spelt otherwise than the tokenizer would.
    public private(set) var respelt: [String: [Int32]] = [:]

    /// Every label as the tokenizer encodes it.
    public init(tokenizer: ByteLevelBPETokenizer) { self.tokenizer = tokenizer }

    /// Each respelt label (without its space) → its tokens as text, for reports.
    public var readable: [String: [String]] {
        Dictionary(uniqueKeysWithValues: respelt.map { word, ids in
            (word.trimmingCharacters(in: .whitespaces), ids.map { tokenizer.decode([$0]) })
        })
    }

    /// The ids of `word` (a label with its leading space, if it has one).
    public func ids(_ word: String) -> [Int32] { respelt[word] ?? tokenizer.encode(word) }

    /// The ids of the continuation " label" that answers a prompt.
    public func answer(_ label: String) -> [Int32] { ids(" " + label) }

    /// The prompt's ids: its text as the tokenizer encodes it, each label (with the space before
    /// it) as spelt here. With no label respelt this equals encoding the whole text, since a
    /// label is a word of its own and GPT-2's pre-tokenizer splits the text at the same places.
    public func encode(_ prompt: RenderedPrompt) -> [Int32] {
        var ids: [Int32] = []
        var pending = ""
        for segment in prompt.segments {
            switch segment {
            case let .text(s):
                pending += s
            case let .label(label):
                let spaced = pending.hasSuffix(" ")
                if spaced { pending.removeLast() }
                ids += tokenizer.encode(pending)
                pending = ""
                ids += self.ids(spaced ? " " + label : label)
            }
        }
        return ids + tokenizer.encode(pending)
    }

    /// The ids the LM reads for a prompt: end-of-text (the start of a document), when the model
    /// has one, then the prompt's ids.
    public func encode(_ prompt: RenderedPrompt, after endOfText: Int32?) -> [Int32] {
        (endOfText.map { [$0] } ?? []) + encode(prompt)
    }

    /// Spellings the LM copies best, chosen without any image: for each label, a copy prompt of
    /// `template` with one support example and a query whose image is the content-free "N/A"
    /// (the label written throughout in the spelling under test) scores each spelling of the
    /// answer " label" followed by the newline that ends it (a spelling the LM writes but cannot
    /// stop after, "t-shirthirthir", is no use). Left to right, each of the tokenizer's tokens of
    /// the label is replaced by whichever split of its bytes into at most `maxPieces` vocabulary
    /// tokens scores highest, the tokens after it as the tokenizer spells them. The tokenizer's
    /// own spelling is a candidate, so a label the LM copies already keeps it. `maxPieces` 2 was
    /// chosen on episodes of Fashion-MNIST's train split (docs/prompting.md), never the test's.
    public static func copied(labels: [String], template: PromptTemplate, model: TransformerLM, tokenizer: ByteLevelBPETokenizer,
                              endOfText: Int32?, maxPieces: Int = 2) -> LabelSpelling {
        var spelling = LabelSpelling(tokenizer: tokenizer)
        let end = tokenizer.encode("\n")
        for label in labels {
            let word = " " + label
            let prompt = template.render(support: [(image: "N/A", label: label)], query: "N/A", options: [label])
            func score(_ ids: [Int32]) -> Double {
                var trial = spelling
                trial.respelt[word] = ids
                let context = trial.encode(prompt, after: endOfText)
                return model.scoreContinuations(context: context, continuations: [ids + end])[0]
            }
            let tokens = tokenizer.encode(word)
            var chosen: [[Int32]] = tokens.map { [$0] }
            for i in tokens.indices {
                let candidates = splits(tokenizer.bytes(of: tokens[i]), maxPieces: maxPieces, tokenizer: tokenizer)
                let scored = candidates.map { pieces -> (pieces: [Int32], score: Double) in
                    var trial = chosen
                    trial[i] = pieces
                    return (pieces, score(trial.flatMap { $0 }))
                }
                chosen[i] = scored.max { $0.score < $1.score }!.pieces
            }
            if chosen.flatMap({ $0 }) != tokens { spelling.respelt[word] = chosen.flatMap { $0 } }
        }
        return spelling
    }

    /// Every way to write `bytes` as 1…maxPieces ordinary vocabulary tokens, the whole first.
    static func splits(_ bytes: [UInt8], maxPieces: Int, tokenizer: ByteLevelBPETokenizer) -> [[Int32]] {
        guard !bytes.isEmpty else { return [[]] }
        var out: [[Int32]] = []
        if let whole = tokenizer.id(ofBytes: bytes) { out.append([whole]) }
        guard maxPieces > 1 else { return out }
        for cut in 1..<bytes.count {
            guard let head = tokenizer.id(ofBytes: Array(bytes[..<cut])) else { continue }
            out += splits(Array(bytes[cut...]), maxPieces: maxPieces - 1, tokenizer: tokenizer).map { [head] + $0 }
        }
        return out
    }
}
