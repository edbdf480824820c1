import Foundation
import GlossaTensor

/// SPAE's Streaming Average Quantization over a pyramid of token grids (DESIGN §6).
///
/// The latent is an 8×8 grid of D-dim vectors per image. Layer l (1…L) has a 2^(l−1) ×
/// 2^(l−1) grid of tokens; each token covers a square block of latent positions. With
/// z₁ = z, layer l quantizes each token's target t_l = mean over its block of z_l to the
/// nearest codebook row e_k, broadcasts e_k over the block, and sets
/// z_{l+1} = z_l + (z − e_k) there; the reconstruction after l layers is the running average
/// ẑ_l = (1/l)·Σ_{i≤l} e_{k_i} at every position, so later layers correct what the earlier
/// averages miss. Block means stand in for SPAE's dilated subsampling because each code
/// is broadcast over its whole block.
///
/// Backward: straight-through (dL/dz += dL/dẑ_l), plus, per layer, the commitment loss
/// β·‖t_l − sg(e_k)‖² and the codebook loss ‖sg(t_l) − e_k‖² (trains the map that produces the
/// codebook; the LM's embeddings themselves stay frozen). As z_l = l·z − Σ sg(e), a target's
/// gradient reaches z multiplied by l. A layer's codes may be given instead of searched
/// (SPAE's layer 1, chosen by `SemanticHead`); the losses then apply to the given codes.
public final class StreamingAverageQuantizer {
    public static let gridSide = 8
    public let layers: Int
    public var commitment: Float = 0.25

    public struct Output {
        /// codes[l][n · tokens_l + b]: codebook row chosen for token b of image n at layer l+1.
        public let codes: [[Int32]]
        /// reconstructions[l]: ẑ_{l+1} as [N · 64, D].
        public let reconstructions: [Tensor]
        public let commitmentLoss: Float
        public let codebookLoss: Float
    }

    private var saved: (z: Tensor, codebook: Tensor, targets: [Tensor], codes: [[Int32]])?

    public init(layers: Int = 4) {
        precondition((1...Self.maxLayers).contains(layers), "the 8×8 pyramid has 1 to \(Self.maxLayers) layers")
        self.layers = layers
    }

    /// Layers 1–4 are the 1×1, 2×2, 4×4 and 8×8 grids; layers 5 and 6 are further 8×8 layers,
    /// as SPAE's finer layers repeat the full resolution, each refining the running average.
    public static let maxLayers = 6
    public static func side(layer l: Int) -> Int { min(gridSide, 1 << (l - 1)) }
    public static func tokens(layer l: Int) -> Int { side(layer: l) * side(layer: l) }

    /// Token index of latent position p (0..<64) at layer l.
    @inline(__always)
    static func token(of p: Int, layer l: Int) -> Int {
        let s = gridSide / side(layer: l)
        return (p / gridSide / s) * side(layer: l) + (p % gridSide) / s
    }

    /// z: [N · 64, D] latent rows; codebook: [K, D]. `given[l]`: the codes of layer l, one per
    /// token, used instead of the nearest-code search.
    public func forward(_ z: Tensor, codebook: Tensor, given: [Int: [Int32]] = [:]) -> Output {
        let d = z.lastDim, images = z.rowCount / 64
        precondition(codebook.lastDim == d, "codebook width \(codebook.lastDim) ≠ latent width \(d)")
        let search = NearestCodeSearch(codebook: codebook)
        let residual = z.copy()
        let sum = Tensor(zeros: z.shape)
        var targets: [Tensor] = [], codes: [[Int32]] = [], reconstructions: [Tensor] = []
        var commit: Double = 0
        for l in 1...layers {
            let perImage = Self.tokens(layer: l), block = 64 / perImage
            let t = Tensor(zeros: [images * perImage, d])
            for n in 0..<images {
                for p in 0..<64 {
                    let row = t.data + (n * perImage + Self.token(of: p, layer: l)) * d
                    Vec.axpy(1 / Float(block), residual.data + (n * 64 + p) * d, row, d)
                }
            }
            let chosen: [Int32]
            if let codes = given[l] {
                precondition(codes.count == t.rowCount, "layer \(l): \(codes.count) given codes for \(t.rowCount) tokens")
                chosen = codes
            } else {
                chosen = search.nearest(t.data, rows: t.rowCount)
            }
            for r in 0..<t.rowCount {
                var diff: Float = 0
                for j in 0..<d { let v = t.data[r * d + j] - codebook.data[Int(chosen[r]) * d + j]; diff += v * v }
                commit += Double(diff)
            }
            targets.append(t)
            codes.append(chosen)
            for n in 0..<images {
                for p in 0..<64 {
                    let e = codebook.data + Int(chosen[n * perImage + Self.token(of: p, layer: l)]) * d
                    let at = (n * 64 + p) * d
                    Vec.add(sum.data + at, e, sum.data + at, d)
                    // z_{l+1} = z_l + (z − e)
                    for j in 0..<d { residual.data[at + j] += z.data[at + j] - e[j] }
                }
            }
            reconstructions.append(sum * (1 / Float(l)))
        }
        // The commitment and codebook losses share ‖t − e‖²; they differ in what they train.
        let tokensTotal = Double(targets.reduce(0) { $0 + $1.rowCount })
        saved = (z, codebook, targets, codes)
        return Output(codes: codes, reconstructions: reconstructions, commitmentLoss: Float(Double(commitment) * commit / tokensTotal),
                      codebookLoss: Float(commit / tokensTotal))
    }

    /// dL/dz and dL/dcodebook, given dL/dẑ_l for each reconstruction (nil where unused) and
    /// the internal losses with the weights used in forward.
    public func backward(_ dReconstructions: [Tensor?]) -> (z: Tensor, codebook: Tensor) {
        guard let (z, codebook, targets, codes) = saved else { preconditionFailure("SAQ backward before forward") }
        let d = z.lastDim, images = z.rowCount / 64
        let dz = Tensor(zeros: z.shape), dCodebook = Tensor(zeros: codebook.shape)
        for case let g? in dReconstructions { dz.add(g) }  // straight-through
        let tokensTotal = Float(targets.reduce(0) { $0 + $1.rowCount })
        for l in 1...layers {
            let t = targets[l - 1], perImage = Self.tokens(layer: l), block = 64 / perImage
            let dt = Tensor(zeros: t.shape)
            for r in 0..<t.rowCount {
                let e = codebook.data + Int(codes[l - 1][r]) * d
                for j in 0..<d {
                    let diff = t.data[r * d + j] - e[j]
                    dt.data[r * d + j] += 2 * commitment * diff / tokensTotal
                    dCodebook.data[Int(codes[l - 1][r]) * d + j] -= 2 * diff / tokensTotal
                }
            }
            // t_l = mean over the block of z_l, and z_l = l·z − Σ sg(e): each position gets l/block.
            for n in 0..<images {
                for p in 0..<64 {
                    Vec.axpy(Float(l) / Float(block), dt.data + (n * perImage + Self.token(of: p, layer: l)) * d, dz.data + (n * 64 + p) * d, d)
                }
            }
        }
        return (dz, dCodebook)
    }
}
