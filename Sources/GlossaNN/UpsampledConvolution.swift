import GlossaTensor

/// conv3×3(upsample×2(x)) with stride 1 and padding 1, computed at x's resolution (inference).
///
/// Output pixel (2i + py, 2j + px) reads the upsampled rows 2i + py − 1 … 2i + py + 1, which are
/// x's rows {i − 1, i} for py = 0 and {i, i + 1} for py = 1: two kernel rows land on one input
/// row and their weights add (likewise for columns). Each of the four output phases is
/// therefore a 2×2 convolution of x with folded weights, 4·C multiply-adds per output pixel
/// instead of 9·C, over a column matrix 2.25× smaller; the zero padding of the upsampled image
/// is x's own zero padding, so the result is the same sum (up to the order of additions).
/// This is the sub-pixel view of the decoder's "nearest upsample + conv", the part of SPAE's
/// decoder that dominated its FLOPs.
public final class UpsampledConvolution {
    public let inChannels: Int, outChannels: Int
    /// phases[py · 2 + px]: [O, C · 2 · 2], taps (c, a, b) at x[c, i + py − 1 + a, j + px − 1 + b].
    let phases: [Tensor]
    let bias: Tensor?

    public init(_ conv: Convolution) {
        let w = conv.weight.value
        precondition(w.shape.count == 4 && w.shape[2] == 3 && w.shape[3] == 3 && conv.stride == (1, 1) && conv.padding == (1, 1),
                     "UpsampledConvolution folds a 3×3, stride-1, padding-1 convolution, got weight \(w.shape)")
        (outChannels, inChannels) = (w.shape[0], w.shape[1])
        bias = conv.bias?.value
        // Kernel rows folded onto input row a (0, 1) for phase p: p = 0 → {0}, {1, 2}; p = 1 → {0, 1}, {2}.
        let folds = [[[0], [1, 2]], [[0, 1], [2]]]
        var phases: [Tensor] = []
        for py in 0..<2 {
            for px in 0..<2 {
                let folded = Tensor(zeros: [outChannels, inChannels * 4])
                for o in 0..<outChannels {
                    for c in 0..<inChannels {
                        for a in 0..<2 {
                            for b in 0..<2 {
                                var s: Float = 0
                                for kh in folds[py][a] { for kw in folds[px][b] { s += w.data[((o * inChannels + c) * 3 + kh) * 3 + kw] } }
                                folded.data[o * inChannels * 4 + (c * 2 + a) * 2 + b] = s
                            }
                        }
                    }
                }
                phases.append(folded)
            }
        }
        self.phases = phases
    }

    /// x [N, C, H, W] → [N, O, 2H, 2W].
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == inChannels, "UpsampledConvolution expects [N, \(inChannels), H, W], got \(x.shape)")
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let y = Tensor(uninitialized: [n, outChannels, 2 * h, 2 * w])
        let threads = Parallel.threadCount
        if threads > 1 && n >= 2 * threads && !Parallel.isInsideRegion {
            // As Convolution.forward: a share of the images per core, each with serial sgemms.
            Parallel.forEachWithSerialBLAS(threads) { t in
                self.forwardImages(x, y, range: (n * t / threads)..<(n * (t + 1) / threads))
            }
        } else {
            forwardImages(x, y, range: 0..<n)
        }
        return y
    }

    private func forwardImages(_ x: Tensor, _ y: Tensor, range: Range<Int>) {
        let (c, h, w, o) = (inChannels, x.shape[2], x.shape[3], outChannels)
        let pixels = h * w, patch = c * 4
        // Images per product: the column matrix stays within Convolution's cache budget.
        let group = max(1, min(range.count, Convolution.columnBudget / (patch * pixels))), ld = group * pixels
        let col = Tensor(uninitialized: [patch, ld])
        let product = Tensor(uninitialized: [o, ld])
        for start in stride(from: range.lowerBound, to: range.upperBound, by: group) {
            let count = min(group, range.upperBound - start)
            for py in 0..<2 {
                for px in 0..<2 {
                    for j in 0..<count {
                        Self.im2col2x2(x.data + (start + j) * c * pixels, col.data + j * pixels, ld: ld,
                                       channels: c, height: h, width: w, dy: py - 1, dx: px - 1)
                    }
                    BLAS.gemm(m: o, n: count * pixels, k: patch, a: phases[py * 2 + px].data, lda: patch,
                              b: col.data, ldb: ld, c: product.data, ldc: ld)
                    // Scatter phase (py, px) into every other pixel of the output, plus the bias.
                    for j in 0..<count {
                        for oc in 0..<o {
                            let src = product.data + oc * ld + j * pixels
                            let dst = y.data + ((start + j) * o + oc) * 4 * pixels + py * 2 * w + px
                            let b = bias?.data[oc] ?? 0
                            for i in 0..<h {
                                let s = src + i * w, d = dst + i * 4 * w
                                for jx in 0..<w { d[2 * jx] = s[jx] + b }
                            }
                        }
                    }
                }
            }
        }
    }

    /// col[(c, a, b), (i, j)] = x[c, i + dy + a, j + dx + b], zero outside the image.
    static func im2col2x2(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, ld: Int,
                          channels: Int, height h: Int, width w: Int, dy: Int, dx: Int) {
        for c in 0..<channels {
            for a in 0..<2 {
                for b in 0..<2 {
                    let row = col + ((c * 2 + a) * 2 + b) * ld
                    let shift = dx + b
                    let first = max(0, -shift), last = min(w, w - shift)
                    for i in 0..<h {
                        let iy = i + dy + a
                        let dst = row + i * w
                        guard iy >= 0 && iy < h else { dst.update(repeating: 0, count: w); continue }
                        let src = x + (c * h + iy) * w
                        if first > 0 { dst.update(repeating: 0, count: first) }
                        (dst + first).update(from: src + first + shift, count: last - first)
                        if last < w { (dst + last).update(repeating: 0, count: w - last) }
                    }
                }
            }
        }
    }
}
