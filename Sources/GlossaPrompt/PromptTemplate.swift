import Foundation

/// A prompt template, read from a text file (templates are data): `#` comment lines, then
/// `example:` giving the format of one support example (its value may continue on the
/// following lines until `---`), then `---` and the prompt body. Placeholders: {image}
/// and {label} in examples; {examples}, {query} and {options} in the body. Each example is
/// followed by a newline.
public struct PromptTemplate: Equatable {
    public let name: String
    public let example: String
    public let body: String

    public enum TemplateError: Error, CustomStringConvertible {
        case unknown(String, available: [String])
        case invalid(String, String)
        public var description: String {
            switch self {
            case let .unknown(name, available): return "unknown template '\(name)'; available: \(available.joined(separator: ", "))"
            case let .invalid(name, detail): return "template '\(name)': \(detail)"
            }
        }
    }

    public init(name: String, text: String) throws {
        self.name = name
        guard let separator = text.range(of: "\n---\n") else { throw TemplateError.invalid(name, "no '---' line before the body") }
        let header = text[..<separator.lowerBound].split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }
        let headerText = header.joined(separator: "\n")
        guard headerText.hasPrefix("example: ") else { throw TemplateError.invalid(name, "the header must start with 'example: '") }
        example = String(headerText.dropFirst("example: ".count))
        var bodyText = String(text[separator.upperBound...])
        if bodyText.hasSuffix("\n") { bodyText.removeLast() }
        body = bodyText
        guard body.contains("{query}") else { throw TemplateError.invalid(name, "the body has no {query}") }
        guard example.contains("{image}") && example.contains("{label}") else { throw TemplateError.invalid(name, "the example needs {image} and {label}") }
    }

    /// The templates shipped in this module's Templates folder.
    public static var builtInNames: [String] {
        let urls = (try? FileManager.default.contentsOfDirectory(at: templatesFolder, includingPropertiesForKeys: nil)) ?? []
        return urls.filter { $0.pathExtension == "txt" }.map { $0.deletingPathExtension().lastPathComponent }.sorted()
    }

    static var templatesFolder: URL { Bundle.module.resourceURL!.appendingPathComponent("Templates") }

    /// A built-in template by name, or a template file by path.
    public static func load(_ nameOrPath: String) throws -> PromptTemplate {
        let url = nameOrPath.hasSuffix(".txt") ? URL(fileURLWithPath: nameOrPath) : templatesFolder.appendingPathComponent(nameOrPath + ".txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw TemplateError.unknown(nameOrPath, available: builtInNames)
        }
        return try PromptTemplate(name: url.deletingPathExtension().lastPathComponent, text: text)
    }

    /// "A or B", "A, B or C", with each label marked.
    static func optionList(_ labels: [String]) -> [RenderedPrompt.Segment] {
        var out: [RenderedPrompt.Segment] = []
        for (i, label) in labels.enumerated() {
            if i > 0 { out.append(.text(i == labels.count - 1 ? " or " : ", ")) }
            out.append(.label(label))
        }
        return out
    }

    /// The prompt for support examples (image words, label) and a query's image words.
    public func render(support: [(image: String, label: String)], query: String, options: [String]) -> RenderedPrompt {
        let examples = support.flatMap {
            RenderedPrompt.filling(example, with: ["image": [.text($0.image)], "label": [.label($0.label)]]) + [.text("\n")]
        }
        return RenderedPrompt(RenderedPrompt.filling(body, with: ["examples": examples, "options": Self.optionList(options), "query": [.text(query)]]))
    }
}
