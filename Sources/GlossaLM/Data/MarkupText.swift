/// Plain text from HTML (LibreOffice help, the Debian handbook) and Mallard XML (GNOME help).
///
/// A byte-level scanner, not a parser: block elements become line breaks, elements whose
/// content is not prose (head, script, style, Mallard's info) are skipped whole, every other
/// tag is dropped, and entities are decoded. Lines are whitespace-folded; lines with fewer
/// than three words are dropped (menus, breadcrumbs, bare labels).
public enum MarkupText {
    static let skipped: Set<String> = ["head", "script", "style", "info", "noscript", "svg", "nav", "header", "footer"]
    static let blocks: Set<String> = ["p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "title", "td", "th",
                                      "tr", "br", "section", "page", "item", "note", "pre", "screen", "code", "dt", "dd",
                                      "table", "tbody", "listitem", "para", "figure", "caption", "blockquote", "terms", "tree"]

    public static func lines(_ bytes: [UInt8]) -> [String] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2)
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b != UInt8(ascii: "<") {
                out.append(b)
                i += 1
                continue
            }
            // Comments and <!DOCTYPE …>/<?xml …?>: drop through the end marker.
            if i + 3 < n && bytes[i + 1] == UInt8(ascii: "!") && bytes[i + 2] == UInt8(ascii: "-") && bytes[i + 3] == UInt8(ascii: "-") {
                i = find(bytes, Array("-->".utf8), from: i + 4).map { $0 + 3 } ?? n
                continue
            }
            var j = i + 1
            let closing = j < n && bytes[j] == UInt8(ascii: "/")
            if closing { j += 1 }
            var name: [UInt8] = []
            while j < n, isNameByte(bytes[j]) { name.append(bytes[j] | 0x20); j += 1 }
            guard let end = find(bytes, [UInt8(ascii: ">")], from: j) else { break }
            let tag = String(decoding: name, as: UTF8.self)
            let selfClosing = end > i && bytes[end - 1] == UInt8(ascii: "/")
            if !closing && !selfClosing && skipped.contains(tag) {
                i = find(bytes, Array("</\(tag)".utf8), from: end + 1, caseInsensitive: true)
                    .flatMap { find(bytes, [UInt8(ascii: ">")], from: $0) }.map { $0 + 1 } ?? n
                continue
            }
            if blocks.contains(tag) { out.append(UInt8(ascii: "\n")) } else { out.append(UInt8(ascii: " ")) }
            i = end + 1
        }
        let text = decodeEntities(String(decoding: out, as: UTF8.self))
        return text.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(whereSeparator: { $0.isWhitespace })
            return words.count >= 3 ? words.joined(separator: " ") : nil
        }
    }

    @inline(__always)
    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x3A || b == 0x2D
    }

    private static func find(_ bytes: [UInt8], _ pattern: [UInt8], from start: Int, caseInsensitive: Bool = false) -> Int? {
        guard !pattern.isEmpty, start < bytes.count else { return nil }
        let first = pattern[0]
        var i = start
        while i + pattern.count <= bytes.count {
            if bytes[i] == first {
                var k = 1
                while k < pattern.count && (caseInsensitive ? bytes[i + k] | 0x20 == pattern[k] | 0x20 : bytes[i + k] == pattern[k]) { k += 1 }
                if k == pattern.count { return i }
            }
            i += 1
        }
        return nil
    }

    static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—", "ndash": "–",
        "hellip": "…", "laquo": "«", "raquo": "»", "copy": "©", "reg": "®", "trade": "™", "rarr": "→", "larr": "←",
        "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "bull": "•", "middot": "·", "times": "×", "euro": "€",
    ]

    /// &name; and &#N; / &#xH; entities.
    public static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var rest = Substring(s)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let semi = after.prefix(10).firstIndex(of: ";") {
                let body = after[..<semi]
                var replacement: String?
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    replacement = UInt32(body.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                } else if body.hasPrefix("#") {
                    replacement = UInt32(body.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
                } else {
                    replacement = namedEntities[String(body)]
                }
                if let replacement {
                    out += replacement
                    rest = after[after.index(after: semi)...]
                    continue
                }
            }
            out += "&"
            rest = after
        }
        out += rest
        return out
    }
}
