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
/// β·‖t_l − sg(e_k)‖², the codebook loss ‖sg(t_l) − e_k‖² (trains the map that produces the
/// codebook; the LM's embeddings themselves stay frozen) and, on semantic layers (those with
/// `allowedRows`), the label-word loss −log Σ_{c∈candidates} softmax_a(−‖sg(t_l) − e_a‖²)_c
/// over the allowed words a, which moves the words only. As z_l = l·z − Σ sg(e),
/// a target's gradient reaches z multiplied by l.
public final class StreamingAverageQuantizer {
    public static let gridSide = 8
    public let layers: Int
    public var commitment: Float = 0.25
    public var semanticWeight: Float = 1
    /// Per layer, the codebook rows it may choose from (absent: all rows).
    public var allowedRows: [Int: [Int32]] = [:]

    public struct Output {
        /// codes[l][n · tokens_l + b]: codebook row chosen for token b of image n at layer l+1.
        public let codes: [[Int32]]
        /// reconstructions[l]: ẑ_{l+1} as [N · 64, D].
        public let reconstructions: [Tensor]
        public let commitmentLoss: Float
        public let codebookLoss: Float
        public let semanticLoss: Float
    }

    private var saved: (z: Tensor, codebook: Tensor, targets: [Tensor], codes: [[Int32]], semantic: [Int: Tensor])?

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

    /// z: [N · 64, D] latent rows; codebook: [K, D]. `candidates[n][l]` lists the codebook rows
    /// that count as words of image n's label at layer l (semantic layers only; nil: none).
    public func forward(_ z: Tensor, codebook: Tensor, candidates: [[Int: [Int32]]]? = nil) -> Output {
        let d = z.lastDim, images = z.rowCount / 64, k = codebook.rowCount
        precondition(codebook.lastDim == d, "codebook width \(codebook.lastDim) ≠ latent width \(d)")
        let codeNorms = (0..<k).map { Vec.dot(codebook.data + $0 * d, codebook.data + $0 * d, d) }
        var residual = z.copy()
        let sum = Tensor(zeros: z.shape)
        var targets: [Tensor] = [], codes: [[Int32]] = [], reconstructions: [Tensor] = []
        var semanticGrads: [Int: Tensor] = [:]
        var commit: Double = 0, semantic: Double = 0
        for l in 1...layers {
            let perImage = Self.tokens(layer: l), block = 64 / perImage
            let t = Tensor(zeros: [images * perImage, d])
            for n in 0..<images {
                for p in 0..<64 {
                    let row = t.data + (n * perImage + Self.token(of: p, layer: l)) * d
                    Vec.axpy(1 / Float(block), residual.data + (n * 64 + p) * d, row, d)
                }
            }
            // ‖t − e‖² = ‖t‖² − 2 t·e + ‖e‖², the cross term as one sgemm.
            let cross = matmul(t, codebook, transposeB: true)
            var chosen = [Int32](repeating: 0, count: t.rowCount)
            for r in 0..<t.rowCount {
                let row = cross.data + r * k
                if let allowed = allowedRows[l] {
                    // Only the allowed rows are candidates, so only their distances are needed.
                    for a in allowed { row[Int(a)] = codeNorms[Int(a)] - 2 * row[Int(a)] }
                    chosen[r] = allowed.min { row[Int($0)] < row[Int($1)] }!
                } else {
                    chosen[r] = Int32(codeNorms.withUnsafeBufferPointer { Vec.shiftedArgmin(row, offsets: $0.baseAddress!, k) })
                }
                var diff: Float = 0
                for j in 0..<d { let v = t.data[r * d + j] - codebook.data[Int(chosen[r]) * d + j]; diff += v * v }
                commit += Double(diff)
            }
            if let candidates, let allowed = allowedRows[l] {
                // Semantic layers choose among the allowed (concept) words only; the loss is the
                // cross-entropy of the label's words under softmax(−‖t − e‖²) over them.
                let grads = Tensor(zeros: [t.rowCount, allowed.count])
                for n in 0..<images {
                    guard let words = candidates[n][l], !words.isEmpty else { continue }
                    let inside = Set(words)
                    for b in 0..<perImage {
                        let r = n * perImage + b
                        let tn = Vec.dot(t.data + r * d, t.data + r * d, d)
                        let logits = allowed.map { -(cross.data[r * k + Int($0)] + tn) }
                        let all = logits.withUnsafeBufferPointer { RowMath.logsumexpRow($0.baseAddress!, logits.count) }
                        let wanted = allowed.indices.filter { inside.contains(allowed[$0]) }.map { logits[$0] }
                        let label = wanted.withUnsafeBufferPointer { RowMath.logsumexpRow($0.baseAddress!, wanted.count) }
                        semantic += Double(all - label)
                        // dL/dlogit_a = p_a − q_a
                        for (a, row) in allowed.enumerated() {
                            grads.data[r * allowed.count + a] = Foundation.exp(logits[a] - all)
                                - (inside.contains(row) ? Foundation.exp(logits[a] - label) : 0)
                        }
                    }
                }
                semanticGrads[l] = grads
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
        saved = (z, codebook, targets, codes, semanticGrads)
        return Output(codes: codes, reconstructions: reconstructions, commitmentLoss: Float(Double(commitment) * commit / tokensTotal),
                      codebookLoss: Float(commit / tokensTotal), semanticLoss: Float(Double(semanticWeight) * semantic / Double(max(1, images))))
    }

    /// dL/dz and dL/dcodebook, given dL/dẑ_l for each reconstruction (nil where unused) and
    /// the internal losses with the weights used in forward.
    public func backward(_ dReconstructions: [Tensor?]) -> (z: Tensor, codebook: Tensor) {
        guard let (z, codebook, targets, codes, semanticGrads) = saved else { preconditionFailure("SAQ backward before forward") }
        let d = z.lastDim, images = z.rowCount / 64, k = codebook.rowCount
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
            if let g = semanticGrads[l], let allowed = allowedRows[l] {
                // logit_a = −‖t − e_a‖², so dL/de_a = (p_a − q_a)·2(t − e_a). Only the words move
                // (SPAE's model trains its own map for them): pulling the encoder's targets
                // instead, in every form tried, made the latent scale drift and the
                // reconstruction collapse (usage down to 60–200 codes per batch, 11–12 dB).
                let scale = semanticWeight / Float(images)
                for r in 0..<t.rowCount {
                    for (a, row) in allowed.enumerated() {
                        let w = 2 * scale * g.data[r * allowed.count + a]
                        guard w != 0 else { continue }
                        let e = Int(row) * d
                        for j in 0..<d { dCodebook.data[e + j] += w * (t.data[r * d + j] - codebook.data[e + j]) }
                    }
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
