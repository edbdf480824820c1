import GlossaTensor

/// Nearest-neighbour upsampling of [N, C, H, W] by an integer factor. With a following
/// convolution it replaces transposed convolution in decoders (no checkerboard artefacts,
/// Odena et al. 2016). Backward sums each output block into its source pixel.
public final class UpsampleNearest {
    public let factor: Int
    private var inputShape: [Int] = []

    public init(factor: Int) {
        precondition(factor >= 1, "upsample factor must be ≥ 1")
        self.factor = factor
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "UpsampleNearest expects [N, C, H, W], got \(x.shape)")
        inputShape = x.shape
        let (planes, h, w, f) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3], factor)
        let y = Tensor(zeros: [x.shape[0], x.shape[1], h * f, w * f])
        for p in 0..<planes {
            let src = x.data + p * h * w, dst = y.data + p * h * w * f * f
            for oy in 0..<(h * f) {
                let row = dst + oy * w * f, srow = src + (oy / f) * w
                for ox in 0..<(w * f) { row[ox] = srow[ox / f] }
            }
        }
        return y
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { forward(x) }

    public func backward(_ dy: Tensor) -> Tensor {
        let dx = Tensor(zeros: inputShape)
        let (planes, h, w, f) = (inputShape[0] * inputShape[1], inputShape[2], inputShape[3], factor)
        for p in 0..<planes {
            let src = dy.data + p * h * w * f * f, dst = dx.data + p * h * w
            for oy in 0..<(h * f) {
                let row = src + oy * w * f, drow = dst + (oy / f) * w
                for ox in 0..<(w * f) { drow[ox / f] += row[ox] }
            }
        }
        return dx
    }
}
