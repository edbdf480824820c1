import GlossaTensor

/// The geometry of a 2-D convolution over one image; conv1d is the case height = 1.
struct ConvGeometry {
    let channels: Int, height: Int, width: Int
    let kernelH: Int, kernelW: Int
    let strideH: Int, strideW: Int
    let padH: Int, padW: Int

    var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    var patchSize: Int { channels * kernelH * kernelW }
    var outPixels: Int { outHeight * outWidth }

    /// col[(c, kh, kw), (oh, ow)] = x[c, oh·s − p + kh, ow·s − p + kw], zero outside the image
    /// (Caffe's im2col).
    /// `ld` is the distance between rows of `col` (≥ outPixels), so several images can sit
    /// side by side in one column matrix.
    /// Output columns first..<last, those whose input column ix = xo·s − p + kw lies inside the image.
    @inline(__always)
    func insideColumns(kw: Int) -> (Int, Int) {
        let first = min(outWidth, max(0, (padW - kw + strideW - 1) / strideW))
        return (first, min(outWidth, max(first, (width - 1 + padW - kw) / strideW + 1)))
    }

    func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, ld: Int) {
        let (oh, ow) = (outHeight, outWidth)
        for c in 0..<channels {
            for kh in 0..<kernelH {
                for kw in 0..<kernelW {
                    let row = col + ((c * kernelH + kh) * kernelW + kw) * ld
                    let (first, last) = insideColumns(kw: kw)
                    for y in 0..<oh {
                        let iy = y * strideH - padH + kh
                        let dst = row + y * ow
                        guard iy >= 0 && iy < height else { dst.update(repeating: 0, count: ow); continue }
                        let src = x + (c * height + iy) * width
                        if first > 0 { dst.update(repeating: 0, count: first) }
                        if strideW == 1 {
                            (dst + first).update(from: src + first - padW + kw, count: last - first)
                        } else {
                            for xo in first..<last { dst[xo] = src[xo * strideW - padW + kw] }
                        }
                        if last < ow { (dst + last).update(repeating: 0, count: ow - last) }
                    }
                }
            }
        }
    }

    /// The adjoint of im2col: scatter-adds columns back into the image gradient.
    func col2imAdd(_ col: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, ld: Int) {
        let (oh, ow) = (outHeight, outWidth)
        for c in 0..<channels {
            for kh in 0..<kernelH {
                for kw in 0..<kernelW {
                    let row = col + ((c * kernelH + kh) * kernelW + kw) * ld
                    let (first, last) = insideColumns(kw: kw)
                    guard first < last else { continue }
                    for y in 0..<oh {
                        let iy = y * strideH - padH + kh
                        guard iy >= 0 && iy < height else { continue }
                        let dst = dx + (c * height + iy) * width - padW + kw
                        let src = row + y * ow
                        // Rows are short (8–32 columns): a plain loop the compiler vectorises
                        // beats a call into Vec's lane-wide kernels, whose tails are scalar.
                        for xo in first..<last { dst[xo * strideW] += src[xo] }
                    }
                }
            }
        }
    }
}

/// Convolution by im2col + sgemm: per image, Y[O, pixels] = W[O, C·kh·kw] · col + b.
/// Weights are [O, C, kh, kw] (conv2d) or [O, C, k] (conv1d), PyTorch's layout.
public final class Convolution: Module {
    public let weight: Parameter
    public let bias: Parameter?
    let kernelH: Int, kernelW: Int, stride: (Int, Int), padding: (Int, Int)
    let isOneDimensional: Bool
    private var saved: (x: Tensor, geometry: ConvGeometry)?

    public var outChannels: Int { weight.value.shape[0] }
    public var inChannels: Int { weight.value.shape[1] }

    private init(weight: Parameter, bias: Parameter?, kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), oneD: Bool) {
        self.weight = weight
        self.bias = bias
        (kernelH, kernelW) = kernel
        self.stride = stride
        self.padding = padding
        self.isOneDimensional = oneD
    }

    /// conv2d: x [N, C, H, W] → [N, O, H', W'].
    public static func conv2d(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                              bias: Bool = true, name: String = "conv", rng: inout RandomGenerator) -> Convolution {
        let fan = inChannels * kernel * kernel
        let w = Parameter("\(name).weight", Initializer.fanIn([outChannels, inChannels, kernel, kernel], fanIn: fan, rng: &rng))
        let b = bias ? Parameter("\(name).bias", Initializer.fanIn([outChannels], fanIn: fan, rng: &rng), decays: false) : nil
        return Convolution(weight: w, bias: b, kernel: (kernel, kernel), stride: (stride, stride), padding: (padding, padding), oneD: false)
    }

    /// conv1d: x [N, C, L] → [N, O, L'] (Whisper's encoder stem).
    public static func conv1d(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                              bias: Bool = true, name: String = "conv", rng: inout RandomGenerator) -> Convolution {
        let fan = inChannels * kernel
        let w = Parameter("\(name).weight", Initializer.fanIn([outChannels, inChannels, kernel], fanIn: fan, rng: &rng))
        let b = bias ? Parameter("\(name).bias", Initializer.fanIn([outChannels], fanIn: fan, rng: &rng), decays: false) : nil
        return Convolution(weight: w, bias: b, kernel: (1, kernel), stride: (1, stride), padding: (0, padding), oneD: true)
    }

    /// Wraps loaded weights ([O, C, kh, kw] or [O, C, k]).
    public static func loaded(weight: Parameter, bias: Parameter?, stride: Int, padding: Int) -> Convolution {
        let s = weight.value.shape
        if s.count == 3 {
            return Convolution(weight: weight, bias: bias, kernel: (1, s[2]), stride: (1, stride), padding: (0, padding), oneD: true)
        }
        precondition(s.count == 4, "convolution weight must be rank 3 or 4, got \(s)")
        return Convolution(weight: weight, bias: bias, kernel: (s[2], s[3]), stride: (stride, stride), padding: (padding, padding), oneD: false)
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    private func geometry(for x: Tensor) -> ConvGeometry {
        let expectedRank = isOneDimensional ? 3 : 4
        precondition(x.rank == expectedRank && x.shape[1] == inChannels,
                     "convolution expects [N, \(inChannels), …] of rank \(expectedRank), got \(x.shape)")
        let (h, w) = isOneDimensional ? (1, x.shape[2]) : (x.shape[2], x.shape[3])
        return ConvGeometry(channels: inChannels, height: h, width: w, kernelH: kernelH, kernelW: kernelW,
                            strideH: stride.0, strideW: stride.1, padH: padding.0, padW: padding.1)
    }

    /// Floats of column matrix per product: 256 KB, so the columns im2col writes are still in
    /// the core's L2 cache when sgemm packs them. Images that fit share one sgemm (the 8×8 layers
    /// of SPAE); larger ones go one per product. At 4M floats (16 MB) SPAE's encode + decode ran
    /// at 1,235 images/s, at 64K at 1,568 (mean of five alternating rounds, `glossa spae eval
    /// --limit 5000`, same tokens and pixels).
    static let columnBudget = 65_536
    /// Backward multiplies over the columns (dW = dY·colᵀ), so few columns per product make
    /// many short sgemm calls: training keeps the budget SPAE was trained with (4M floats).
    static let backwardColumnBudget = 4 << 20

    /// Images per product: as many as keep the column matrix within `columnBudget`.
    private func imagesPerGroup(_ g: ConvGeometry, images: Int, budget: Int = columnBudget) -> Int {
        max(1, min(images, budget / max(1, g.patchSize * g.outPixels)))
    }

    public func forward(_ x: Tensor) -> Tensor {
        let g = geometry(for: x)
        precondition(g.outHeight > 0 && g.outWidth > 0, "input \(x.shape) is smaller than the kernel")
        let n = x.shape[0], o = outChannels
        let outShape = isOneDimensional ? [n, o, g.outWidth] : [n, o, g.outHeight, g.outWidth]
        let y = Tensor(uninitialized: outShape)
        // A batch of several images per thread: each thread runs its own im2col → sgemm → copy
        // pipeline with single-threaded BLAS, so the cores never wait on each other.
        let threads = Parallel.threadCount
        if threads > 1 && n >= 2 * threads && !Parallel.isInsideRegion {
            Parallel.forEachWithSerialBLAS(threads) { t in
                let lo = n * t / threads, hi = n * (t + 1) / threads
                self.forwardImages(x, y, g, range: lo..<hi)
            }
        } else {
            forwardImages(x, y, g, range: 0..<n)
        }
        saved = (x, g)
        return y
    }

    /// Images `range` of x into y, in groups that fit the column buffer.
    private func forwardImages(_ x: Tensor, _ y: Tensor, _ g: ConvGeometry, range: Range<Int>) {
        let o = outChannels, pixels = g.outPixels
        let group = imagesPerGroup(g, images: range.count), ld = group * pixels
        let col = Tensor(uninitialized: [g.patchSize, ld])
        let product = Tensor(uninitialized: [o, ld])
        let inSize = g.channels * g.height * g.width, outSize = o * pixels
        let bias = self.bias?.value
        for start in Swift.stride(from: range.lowerBound, to: range.upperBound, by: group) {
            let count = min(group, range.upperBound - start)
            for j in 0..<count { g.im2col(x.data + (start + j) * inSize, col.data + j * pixels, ld: ld) }
            BLAS.gemm(m: o, n: count * pixels, k: g.patchSize, a: weight.value.data, lda: g.patchSize,
                      b: col.data, ldb: ld, c: product.data, ldc: ld)
            for j in 0..<count {
                for c in 0..<o {
                    let dst = y.data + (start + j) * outSize + c * pixels, src = product.data + c * ld + j * pixels
                    if let bias {
                        let b = bias.data[c]
                        for p in 0..<pixels { dst[p] = src[p] + b }
                    } else {
                        dst.update(from: src, count: pixels)
                    }
                }
            }
        }
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    /// dW += dY·colᵀ, db += Σ dY, dcol = Wᵀ·dY scattered back by col2im.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let (x, g) = saved else { preconditionFailure("Convolution.backward before forward") }
        let n = x.shape[0], o = outChannels, pixels = g.outPixels
        let dx = Tensor(zeros: x.shape)
        let group = imagesPerGroup(g, images: n, budget: Self.backwardColumnBudget), ld = group * pixels
        let col = Tensor(uninitialized: [g.patchSize, ld])
        let dProduct = Tensor(uninitialized: [o, ld])
        let inSize = g.channels * g.height * g.width, outSize = o * pixels
        for start in Swift.stride(from: 0, to: n, by: group) {
            let count = min(group, n - start)
            Parallel.forEach(count) { j in
                g.im2col(x.data + (start + j) * inSize, col.data + j * pixels, ld: ld)
                for c in 0..<o { (dProduct.data + c * ld + j * pixels).update(from: dy.data + (start + j) * outSize + c * pixels, count: pixels) }
            }
            if let bias {
                for c in 0..<o { bias.grad.data[c] += Vec.sum(dProduct.data + c * ld, count * pixels) }
            }
            // dW += dY·colᵀ; dcol = Wᵀ·dY, scattered back by col2im.
            BLAS.gemm(transB: true, m: o, n: g.patchSize, k: count * pixels, a: dProduct.data, lda: ld,
                      b: col.data, ldb: ld, beta: 1, c: weight.grad.data, ldc: g.patchSize)
            BLAS.gemm(transA: true, m: g.patchSize, n: count * pixels, k: o, a: weight.value.data, lda: g.patchSize,
                      b: dProduct.data, ldb: ld, c: col.data, ldc: ld)
            Parallel.forEach(count) { j in g.col2imAdd(col.data + j * pixels, dx.data + (start + j) * inSize, ld: ld) }
        }
        return dx
    }

}
