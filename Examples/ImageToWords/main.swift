// Turns an image into the LM's words and back, through the library API.
//
//   swift run -c release ImageToWords <image.png> <spae-folder> [out.png]
import Foundation
import GlossaVision

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write("usage: ImageToWords <image.png> <spae-folder> [out.png]\n".data(using: .utf8)!)
    exit(2)
}
do {
    let (spae, _) = try SPAEFile.load(arguments[2])
    // Any PNG → the model's 32×32 input (see README: image preprocessing rule).
    let input = ImagePreprocessing.modelInput(try PNGFile.read(arguments[1]), channels: spae.config.channels)
    let codes = spae.tokenize(input)  // codebook rows per layer: 1, 4, 16, 64 tokens, then 64 per further 8×8 layer
    for (l, layer) in codes.enumerated() {
        print("layer \(l + 1):", layer.map { spae.codebook.words[Int($0)] }.joined(separator: " "))
    }
    if arguments.count > 3 {
        let pixels = spae.render(codes)  // [channels, 32, 32]
        var values: [Float] = []
        for y in 2..<30 { for x in 2..<30 { for c in 0..<spae.config.channels { values.append(min(max(pixels.data[(c * 32 + y) * 32 + x], 0), 1)) } } }
        try PNGFile.write(Image(width: 28, height: 28, channels: spae.config.channels, pixels: values), to: arguments[3])
        print("rendered \(arguments[3])")
    }
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
