import ArgumentParser
import Foundation
import GlossaTensor
import GlossaVision

struct TokenizeImage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Turn images into the LM's words: one word on top, more detail words below.",
        discussion: """
        Any PNG (gray, RGB, RGBA, palette; 8 or 16 bit; any size) is converted to the model's \
        channels, scaled so its longer side is 28 pixels and centred on a 32×32 black canvas. \
        Prints the words of each pyramid layer (1, 4, 16, 64, then 64 tokens per further layer); --json gives ids, words \
        and grid positions, ready for `glossa render`.

        Examples:
          glossa tokenize shoe.png --spae runs/spae-v1/model
          glossa tokenize shoe.png --spae runs/spae-v1/model --layers 2 --json > shoe.json
          glossa tokenize *.png --spae runs/spae-v1/model --html report.html
        """)

    @Argument(help: ArgumentHelp("PNG images.", valueName: "image")) var images: [String]
    @Option(help: ArgumentHelp("SPAE model folder.", valueName: "dir")) var spae = SPAE.defaultModel
    @Option(help: "Pyramid layers to print (default: all of the model's).") var layers: Int?
    @Flag(help: "Print JSON.") var json = false
    @Option(help: ArgumentHelp("Also write a self-contained HTML page of inputs, reconstructions by depth and word grids.", valueName: "file"))
    var html: String?

    struct Token: Codable { let id: Int32; let word: String; let row: Int; let col: Int }
    struct Layer: Codable { let layer: Int; let grid: Int; let tokens: [Token] }
    struct Document: Codable { let image: String; let layers: [Layer] }

    func validate() throws {
        if let layers, !(1...StreamingAverageQuantizer.maxLayers).contains(layers) {
            throw ValidationError("--layers must be 1 to \(StreamingAverageQuantizer.maxLayers)")
        }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: spae + "/config.json") else {
            throw CLIError("no SPAE model at \(spae): train one with `glossa spae train` or pass --spae DIR")
        }
        let (model, _) = try SPAEFile.load(spae)
        if let layers, layers > model.config.layers { throw CLIError("--layers \(layers): the model at \(spae) has \(model.config.layers) layers") }
        var documents: [Document] = []
        var entries: [TokenReport.Entry] = []
        for path in images {
            let input = ImagePreprocessing.modelInput(try PNGFile.read(path), channels: model.config.channels)
            let codes = model.tokenize(input, layers: layers)
            entries.append(TokenReport.Entry(name: path, input: input, codes: codes))
            let layerDocs = codes.enumerated().map { l, layer -> Layer in
                let side = StreamingAverageQuantizer.side(layer: l + 1)
                return Layer(layer: l + 1, grid: side, tokens: layer.enumerated().map { b, k in
                    Token(id: model.codebook.tokenIDs[Int(k)], word: model.codebook.words[Int(k)], row: b / side, col: b % side)
                })
            }
            documents.append(Document(image: path, layers: layerDocs))
        }
        if let html {
            try AtomicFile.write(Data(try TokenReport.html(entries, model: model).utf8), to: html)
        }
        if json {
            try printJSON(images.count == 1 ? AnyEncodable(documents[0]) : AnyEncodable(documents))
            return
        }
        for doc in documents {
            if images.count > 1 { print("\(doc.image):") }
            for layer in doc.layers {
                print("layer \(layer.layer) (\(layer.grid)×\(layer.grid)):")
                for r in 0..<layer.grid {
                    print("  " + layer.tokens.filter { $0.row == r }.map(\.word).joined(separator: " "))
                }
            }
        }
    }
}

/// Lets `tokenize --json` print one document for one image and an array for several.
struct AnyEncodable: Encodable {
    let encodeValue: (Encoder) throws -> Void
    init<T: Encodable>(_ value: T) { encodeValue = value.encode }
    func encode(to encoder: Encoder) throws { try encodeValue(encoder) }
}

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render words from `glossa tokenize --json` back into an image.",
        discussion: """
        Uses as many pyramid layers as the JSON holds. Writes a 28×28 PNG (the content \
        area), atomically.

        Example:
          glossa render shoe.json --spae runs/spae-v1/model -o shoe-rendered.png
        """)

    @Argument(help: ArgumentHelp("Tokens JSON from tokenize --json.", valueName: "tokens.json")) var tokens: String
    @Option(help: ArgumentHelp("SPAE model folder.", valueName: "dir")) var spae = SPAE.defaultModel
    @Option(name: .shortAndLong, help: ArgumentHelp("Output PNG.", valueName: "file")) var output: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: tokens) else { throw CLIError("cannot read \(tokens)") }
        let document: TokenizeImage.Document
        do { document = try JSONDecoder().decode(TokenizeImage.Document.self, from: data) } catch {
            throw CLIError("\(tokens) is not the JSON of `glossa tokenize --json` for one image")
        }
        let (model, _) = try SPAEFile.load(spae)
        let rowOf = Dictionary(uniqueKeysWithValues: model.codebook.tokenIDs.enumerated().map { ($1, Int32($0)) })
        var codes: [[Int32]] = []
        guard document.layers.count <= model.config.layers else {
            throw CLIError("\(tokens) holds \(document.layers.count) layers; the model at \(spae) has \(model.config.layers)")
        }
        for (l, layer) in document.layers.enumerated() {
            let side = StreamingAverageQuantizer.side(layer: l + 1)
            guard layer.tokens.count == side * side else { throw CLIError("layer \(l + 1) needs \(side * side) tokens, found \(layer.tokens.count)") }
            var row = [Int32](repeating: 0, count: side * side)
            for t in layer.tokens {
                guard let k = rowOf[t.id], t.row < side, t.col < side else { throw CLIError("token \(t.id) ('\(t.word)') is not in this model's codebook") }
                row[t.row * side + t.col] = k
            }
            codes.append(row)
        }
        guard !codes.isEmpty else { throw CLIError("\(tokens) holds no layers") }
        let pixels = model.render(codes)
        let c = model.config.channels
        var values: [Float] = []
        for y in 2..<30 { for x in 2..<30 { for ch in 0..<c { values.append(min(max(pixels.data[(ch * 32 + y) * 32 + x], 0), 1)) } } }
        try PNGFile.write(Image(width: 28, height: 28, channels: c, pixels: values), to: output)
        print("wrote \(output) from \(codes.count) layer\(codes.count == 1 ? "" : "s")")
    }
}
