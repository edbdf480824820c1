/// A prompt as text in which each label is marked, so that a label can be written with tokens
/// other than those the tokenizer would choose (LabelSpelling) while the text stays the same.
public struct RenderedPrompt: Equatable {
    public enum Segment: Equatable {
        case text(String)
        /// A class name; it is a word of its own (what precedes and follows it is no letter or digit).
        case label(String)
    }

    public var segments: [Segment]

    public init(_ segments: [Segment]) { self.segments = segments }

    /// The plain text, as printed and as any other LLM reads it.
    public var text: String {
        segments.map { segment in
            switch segment {
            case let .text(s), let .label(s): return s
            }
        }.joined()
    }

    /// `pattern` with each `{name}` that `values` names replaced by its segments; other text,
    /// unknown braces included, stays text.
    static func filling(_ pattern: String, with values: [String: [Segment]]) -> [Segment] {
        var out: [Segment] = []
        var literal = ""
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"), let value = values[String(rest[rest.index(after: open)..<close])] {
                if !literal.isEmpty { out.append(.text(literal)); literal = "" }
                out += value
                rest = rest[rest.index(after: close)...]
            } else {
                literal.append("{")
                rest = rest[rest.index(after: open)...]
            }
        }
        literal += rest
        if !literal.isEmpty { out.append(.text(literal)) }
        return out
    }
}
