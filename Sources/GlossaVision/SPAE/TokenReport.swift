import Foundation
import GlossaTensor

/// A self-contained HTML page (images inlined as base64 PNG) showing, for each image, the
/// input, its reconstruction at every pyramid depth and the words of each layer on their grid.
public enum TokenReport {
    public struct Entry {
        public let name: String
        public let input: Tensor
        public let codes: [[Int32]]
        public init(name: String, input: Tensor, codes: [[Int32]]) {
            self.name = name
            self.input = input
            self.codes = codes
        }
    }

    public static func html(_ entries: [Entry], model: SPAEModel) throws -> String {
        var body = ""
        for entry in entries {
            var cells = "<td>\(try img(entry.input, channels: model.config.channels))<br>input</td>"
            for depth in 1...entry.codes.count {
                let rendered = model.render(Array(entry.codes.prefix(depth)))
                cells += "<td>\(try img(rendered, channels: model.config.channels))<br>\(depth) layer\(depth == 1 ? "" : "s")</td>"
            }
            var grids = ""
            for (l, layer) in entry.codes.enumerated() {
                let side = StreamingAverageQuantizer.side(layer: l + 1)
                var rows = ""
                for r in 0..<side {
                    rows += "<tr>" + (0..<side).map { c in "<td>\(escape(model.codebook.words[Int(layer[r * side + c])]))</td>" }.joined() + "</tr>"
                }
                grids += "<div class=grid><b>layer \(l + 1)</b><table>\(rows)</table></div>"
            }
            body += "<section><h2>\(escape(entry.name))</h2><table class=images><tr>\(cells)</tr></table>\(grids)</section>\n"
        }
        return """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>Glossa SPAE tokens</title>
        <style>
        body { font-family: sans-serif; margin: 2em; } section { margin-bottom: 2.5em; }
        .images td { text-align: center; font-size: 12px; padding: 4px; }
        .images img { width: 112px; height: 112px; image-rendering: pixelated; border: 1px solid #ccc; }
        .grid { display: inline-block; vertical-align: top; margin: 0.5em 1.5em 0 0; font-size: 12px; }
        .grid td { border: 1px solid #ddd; padding: 2px 4px; }
        </style></head><body>
        <h1>Images as the LM's words</h1>
        <p>Each image is tokenized into a pyramid of words (1, 4, 16, 64, then 64 per further layer); the reconstructions use the first 1, 2, … layers.</p>
        \(body)</body></html>
        """
    }

    static func img(_ t: Tensor, channels: Int) throws -> String {
        var pixels: [Float] = []
        for y in 2..<30 { for x in 2..<30 { for c in 0..<channels { pixels.append(min(max(t.data[(c * 32 + y) * 32 + x], 0), 1)) } } }
        let png = try PNGFile.encode(Image(width: 28, height: 28, channels: channels, pixels: pixels))
        return "<img src=\"data:image/png;base64,\(png.base64EncodedString())\">"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
