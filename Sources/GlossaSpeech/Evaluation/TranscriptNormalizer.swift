import Foundation

/// The text normalisation applied before scoring: Unicode NFKC, lowercase, punctuation and
/// symbols removed (hyphens and apostrophes become spaces, so "ill-disposed" scores as
/// "ill disposed"), whitespace folded. Letters, digits and combining marks of every script are kept.
public enum TranscriptNormalizer {
    public static func normalize(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        var out = String.UnicodeScalarView()
        for scalar in folded.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber, .nonspacingMark, .spacingMark, .enclosingMark:
                out.append(scalar)
            default:
                out.append(" ")
            }
        }
        return String(out).split(whereSeparator: { $0 == " " }).joined(separator: " ")
    }
}

/// Word and character error rates by Levenshtein distance.
public enum ErrorRate {
    /// Minimum substitutions + deletions + insertions turning `hypothesis` into `reference`.
    public static func editDistance<T: Equatable>(_ reference: [T], _ hypothesis: [T]) -> Int {
        if reference.isEmpty { return hypothesis.count }
        var previous = Array(0...hypothesis.count)
        var current = [Int](repeating: 0, count: hypothesis.count + 1)
        for i in 1...reference.count {
            current[0] = i
            for j in stride(from: 1, through: hypothesis.count, by: 1) {
                let cost = reference[i - 1] == hypothesis[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[hypothesis.count]
    }

    /// (word errors, reference words, character errors, reference characters) after normalising.
    public static func counts(reference: String, hypothesis: String) -> (wordErrors: Int, words: Int, charErrors: Int, chars: Int) {
        let r = TranscriptNormalizer.normalize(reference), h = TranscriptNormalizer.normalize(hypothesis)
        let rw = r.split(separator: " ").map(String.init), hw = h.split(separator: " ").map(String.init)
        let rc = Array(r), hc = Array(h)
        return (editDistance(rw, hw), rw.count, editDistance(rc, hc), rc.count)
    }
}
