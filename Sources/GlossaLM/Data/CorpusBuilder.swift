import Foundation

/// Builds Glossa's multilingual LM corpus from the Debian packages unpacked by
/// scripts/fetch_corpus.sh (DESIGN §4): per language, documents from LibreOffice help, the
/// Debian handbook, GNOME help and the fortunes packages; markup stripped; lines deduplicated
/// across the language (first occurrence in sorted document order wins); a deterministic
/// document-level split by a hash of the document's path (90% train, 5% valid, 5% test).
/// A plain-text file (a user's domain text) builds the same layout, one document per paragraph.
public enum CorpusBuilder {
    public enum SourceKind: Sendable {
        case markup, fortunes
        /// A UTF-8 text file; paragraphs (separated by blank lines) are the documents.
        case paragraphs
    }

    public struct Source: Sendable {
        public let kind: SourceKind
        /// A folder (for .paragraphs a file) under the raw root.
        public let folder: String

        public init(kind: SourceKind, folder: String) {
            self.kind = kind
            self.folder = folder
        }
    }

    public static let languages = ["en", "de", "es", "fr", "it", "nl", "pt"]

    public static func sources(for lang: String) -> [Source] {
        let lo: [String: String] = ["en": "en-US", "de": "de", "es": "es", "fr": "fr", "it": "it", "nl": "nl", "pt": "pt"]
        let handbook: [String: String] = ["en": "en-US", "de": "de-DE", "es": "es-ES", "fr": "fr-FR", "it": "it-IT", "nl": "nl-NL", "pt": "pt-BR"]
        let gnome: [String: [String]] = ["en": ["C"], "pt": ["pt", "pt_BR"]]
        let fortunes: [String: String] = ["en": "usr/share/games/fortunes", "de": "usr/share/games/fortunes/de",
                                          "es": "usr/share/games/fortunes/es", "it": "usr/share/games/fortunes/it"]
        var out = [Source(kind: .markup, folder: "usr/share/libreoffice/help/\(lo[lang]!)/text"),
                   Source(kind: .markup, folder: "usr/share/doc/debian-handbook/html/\(handbook[lang]!)")]
        out += (gnome[lang] ?? [lang]).map { Source(kind: .markup, folder: "usr/share/help/\($0)") }
        if let f = fortunes[lang] { out.append(Source(kind: .fortunes, folder: f)) }
        return out
    }

    public enum Split: String, CaseIterable, Sendable { case train, valid, test }

    /// 64-bit FNV-1a: a stable hash, unlike Swift's per-process seeded Hasher.
    static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    public static func split(of documentID: String) -> Split {
        switch stableHash(documentID) % 100 {
        case 0..<90: return .train
        case 90..<95: return .valid
        default: return .test
        }
    }

    public struct Document {
        public let id: String
        public let lines: [String]
    }

    /// Every document of a source, in sorted path order.
    public static func documents(_ source: Source, raw: String) -> [Document] {
        let root = raw.isEmpty ? source.folder : raw + "/" + source.folder
        let fm = FileManager.default
        switch source.kind {
        case .paragraphs:
            guard let data = fm.contents(atPath: root) else { return [] }
            let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            return text.components(separatedBy: "\n\n").enumerated().compactMap { i, paragraph in
                let lines = paragraph.split(separator: "\n").map { $0.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ") }
                    .filter { !$0.isEmpty }
                return lines.isEmpty ? nil : Document(id: "\(source.folder)#\(i)", lines: lines)
            }
        case .markup:
            guard let walker = fm.enumerator(atPath: root) else { return [] }
            let files = walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".html") || $0.hasSuffix(".page") }.sorted()
            return files.compactMap { rel in
                guard let data = fm.contents(atPath: root + "/" + rel) else { return nil }
                let lines = MarkupText.lines([UInt8](data))
                return lines.isEmpty ? nil : Document(id: source.folder + "/" + rel, lines: lines)
            }
        case .fortunes:
            // Top-level files only (the language subfolders are other languages' sources), the
            // UTF-8 variant (`.u8`) when there is one; entries are separated by lines of "%".
            guard let names = try? fm.contentsOfDirectory(atPath: root) else { return [] }
            let files = Set(names)
            var docs: [Document] = []
            for name in names.sorted() where !name.hasSuffix(".dat") && !files.contains(name + ".u8") {
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: root + "/" + name, isDirectory: &isDir), !isDir.boolValue,
                      let data = fm.contents(atPath: root + "/" + name),
                      let text = String(data: data, encoding: .utf8) else { continue }
                let entries = text.components(separatedBy: "\n%\n")
                for (i, entry) in entries.enumerated() {
                    let lines = entry.split(separator: "\n").map { $0.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ") }
                        .filter { !$0.isEmpty && $0 != "%" }
                    if lines.joined(separator: " ").split(separator: " ").count >= 3 {
                        docs.append(Document(id: "\(source.folder)/\(name)#\(i)", lines: lines))
                    }
                }
            }
            return docs
        }
    }

    public struct LanguageStats: Codable {
        public var documents: [String: Int] = [:]
        public var lines: [String: Int] = [:]
        public var bytes: [String: Int] = [:]
        public var tokens: [String: Int] = [:]
    }

    /// Writes `out/<lang>/<split>.txt` (documents separated by a blank line) and
    /// `out/<lang>/<split>.tokens` (little-endian UInt16 ids, documents separated by
    /// `endOfText`), and returns per-split counts.
    public static func build(language lang: String, raw: String, out: String, tokenizer: ByteLevelBPETokenizer,
                             endOfText: Int32, sources: [Source]? = nil) throws -> LanguageStats {
        var seen = Set<String>()
        var texts: [Split: [String]] = [:]
        var tokens: [Split: [UInt16]] = [:]
        var stats = LanguageStats()
        for source in sources ?? Self.sources(for: lang) {
            for doc in documents(source, raw: raw) {
                let fresh = doc.lines.filter { seen.insert($0).inserted }
                guard !fresh.isEmpty else { continue }
                let split = split(of: doc.id)
                let text = fresh.joined(separator: "\n")
                texts[split, default: []].append(text)
                var ids = tokenizer.encode(text)
                ids.append(endOfText)
                tokens[split, default: []].append(contentsOf: ids.map { UInt16(truncatingIfNeeded: $0) })
                stats.documents[split.rawValue, default: 0] += 1
                stats.lines[split.rawValue, default: 0] += fresh.count
                stats.bytes[split.rawValue, default: 0] += text.utf8.count
                stats.tokens[split.rawValue, default: 0] += ids.count
            }
        }
        let folder = out + "/" + lang
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for split in Split.allCases {
            let body = (texts[split] ?? []).joined(separator: "\n\n") + "\n"
            try writeAtomically(Data(body.utf8), to: folder + "/\(split.rawValue).txt")
            let ids = tokens[split] ?? []
            try writeAtomically(ids.withUnsafeBytes { Data($0) }, to: folder + "/\(split.rawValue).tokens")
        }
        return stats
    }

    static func writeAtomically(_ data: Data, to path: String) throws {
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
