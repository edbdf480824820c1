import Dispatch
import Foundation
import GlossaTensor

/// SPAE's metrics on a labelled set: PSNR and SSIM of the 28×28 content at each depth, the
/// share of images whose layer-1 word is one of their class's candidate words, codebook usage
/// and perplexity over all emitted tokens, and encode + decode throughput (encode, quantize
/// and decode at full depth, batches of `batch`).
public struct SPAEEvaluation: Codable {
    public var psnr: [Double] = []
    public var ssim: [Double] = []
    public var semanticPrecision: Double = 0
    /// Share of images whose rendering (full depth, as `glossa render` writes it: 28×28, 8-bit,
    /// clipped) tokenizes back to the same layer-1 word.
    public var roundTrip: Double = 0
    public var codebookUsage: Double = 0
    public var codebookPerplexity: Double = 0
    public var imagesPerSecond: Double = 0
    public var images = 0
    /// layerOneWords[class][word]: how often the layer-1 word was that word, per class; a
    /// prompt can tell two classes apart only where their words differ.
    public var layerOneWords: [[String: Int]] = []
    /// Where the error comes from: the PSNR of decoding the encoder's latent without quantizing
    /// it (the encoder + decoder's own ceiling), and per depth the latent error left by the
    /// quantizer, Σ‖ẑ_l − z‖² / Σ‖z − mean z‖².
    public var unquantizedPSNR: Double = 0
    public var latentError: [Double] = []

    public static func run(model: SPAEModel, images: Tensor, labels: [Int], candidates: [[Int32]], batch: Int = 100) -> SPAEEvaluation {
        let n = labels.count, layers = model.config.layers, c = model.config.channels
        var squared = [Double](repeating: 0, count: layers), ssimSum = [Double](repeating: 0, count: layers)
        var result = SPAEEvaluation()
        result.layerOneWords = Array(repeating: [:], count: (labels.max() ?? -1) + 1)
        var hits = 0, sameWord = 0, unquantizedSquared = 0.0
        var latentSquared = [Double](repeating: 0, count: layers), latentSum = [Double](), latentSquares = 0.0, latentRows = 0
        var histogram = [Int](repeating: 0, count: model.codebook.count)
        let size = images.count / images.shape[0]
        let codebook = model.mappedCodebook()
        var seconds = 0.0
        for start in stride(from: 0, to: n, by: batch) {
            let count = min(batch, n - start)
            let x = Tensor(uninitialized: [count] + Array(images.shape.dropFirst()))
            x.data.update(from: images.data + start * size, count: count * size)
            // Throughput is the tokenize + render path: encode, quantize, decode at full depth.
            let t0 = DispatchTime.now().uptimeNanoseconds
            let z = model.encode(x)
            let out = model.quantize(z, codebook: codebook).output
            let full = model.decode(out.reconstructions[layers - 1])
            seconds += Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let unquantized = model.decode(z)
            for i in 0..<count { unquantizedSquared += Self.compare(unquantized, x, image: i, channels: c).0 }
            let d = z.lastDim
            if latentSum.isEmpty { latentSum = [Double](repeating: 0, count: d) }
            for r in 0..<z.rowCount {
                for j in 0..<d {
                    let v = Double(z.data[r * d + j])
                    latentSum[j] += v
                    latentSquares += v * v
                    for l in 0..<layers { let e = Double(out.reconstructions[l].data[r * d + j]) - v; latentSquared[l] += e * e }
                }
            }
            latentRows += z.rowCount
            let decoded = (1..<layers).map { model.decode(out.reconstructions[$0 - 1]) } + [full]
            for i in 0..<count {
                let label = labels[start + i]
                if candidates[label].contains(out.codes[0][i]) { hits += 1 }
                result.layerOneWords[label][model.codebook.words[Int(out.codes[0][i])], default: 0] += 1
            }
            for codes in out.codes { for k in codes { histogram[Int(k)] += 1 } }
            let again = model.quantize(model.encode(Self.asRendered(full, channels: c)), codebook: codebook).output
            for i in 0..<count where again.codes[0][i] == out.codes[0][i] { sameWord += 1 }
            for l in 0..<layers {
                for i in 0..<count {
                    let (mse, s) = Self.compare(decoded[l], x, image: i, channels: c)
                    squared[l] += mse
                    ssimSum[l] += s
                }
            }
        }
        result.images = n
        /// PSNR of a summed squared error over n images, for pixels in [0, 1].
        func psnr(_ squaredSum: Double) -> Double { 10 * log10(1 / max(squaredSum / Double(n), 1e-12)) }
        result.psnr = squared.map(psnr)
        result.ssim = ssimSum.map { $0 / Double(n) }
        result.semanticPrecision = Double(hits) / Double(n)
        result.roundTrip = Double(sameWord) / Double(n)
        let total = Double(histogram.reduce(0, +))
        result.codebookUsage = Double(histogram.filter { $0 > 0 }.count) / Double(histogram.count)
        result.codebookPerplexity = exp(-histogram.filter { $0 > 0 }.reduce(0.0) { $0 + Double($1) / total * log(Double($1) / total) })
        result.imagesPerSecond = Double(n) / seconds
        result.unquantizedPSNR = psnr(unquantizedSquared)
        let spread = latentSquares - latentSum.reduce(0) { $0 + $1 * $1 } / Double(latentRows)
        result.latentError = latentSquared.map { $0 / spread }
        return result
    }

    /// What `glossa render` then `glossa tokenize` make of decoded images: the 28×28 centre,
    /// clipped to [0, 1] and rounded to 8 bits, on a black 32×32 canvas.
    static func asRendered(_ images: Tensor, channels: Int) -> Tensor {
        let out = Tensor(zeros: images.shape)
        for plane in 0..<(images.shape[0] * channels) {
            for y in 2..<30 {
                for x in 2..<30 {
                    let at = (plane * 32 + y) * 32 + x
                    out.data[at] = (min(max(images.data[at], 0), 1) * 255).rounded() / 255
                }
            }
        }
        return out
    }

    /// MSE and SSIM of image i's 28×28 centre (predictions clipped to [0, 1]). SSIM uses
    /// Wang et al.'s constants and 7×7 uniform windows, averaged over windows and channels.
    static func compare(_ prediction: Tensor, _ target: Tensor, image i: Int, channels: Int) -> (Double, Double) {
        var mse = 0.0, ssim = 0.0, windows = 0
        let (c1, c2) = (pow(0.01, 2.0), pow(0.03, 2.0))
        for ch in 0..<channels {
            func at(_ t: Tensor, _ x: Int, _ y: Int, clip: Bool = false) -> Double {
                let v = Double(t.data[((i * channels + ch) * 32 + y + 2) * 32 + x + 2])
                return clip ? min(max(v, 0), 1) : v
            }
            for y in 0..<28 { for x in 0..<28 { let d = at(prediction, x, y, clip: true) - at(target, x, y); mse += d * d } }
            for y0 in stride(from: 0, through: 21, by: 3) {
                for x0 in stride(from: 0, through: 21, by: 3) {
                    var (mp, mt, vp, vt, cov) = (0.0, 0.0, 0.0, 0.0, 0.0)
                    for y in y0..<(y0 + 7) { for x in x0..<(x0 + 7) { mp += at(prediction, x, y, clip: true); mt += at(target, x, y) } }
                    mp /= 49; mt /= 49
                    for y in y0..<(y0 + 7) { for x in x0..<(x0 + 7) {
                        let (a, b) = (at(prediction, x, y, clip: true) - mp, at(target, x, y) - mt)
                        vp += a * a; vt += b * b; cov += a * b
                    } }
                    (vp, vt, cov) = (vp / 48, vt / 48, cov / 48)
                    ssim += ((2 * mp * mt + c1) * (2 * cov + c2)) / ((mp * mp + mt * mt + c1) * (vp + vt + c2))
                    windows += 1
                }
            }
        }
        return (mse / Double(28 * 28 * channels), ssim / Double(windows))
    }
}
