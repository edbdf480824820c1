import Foundation
import GlossaNN
import GlossaTensor

/// Chooses the layer-1 word of each image among the concept words: a linear head reads the
/// whole 8×8 latent grid into h, each concept word sits at c_a = map(its frozen LM embedding),
/// and the word is argmax_a −‖h − c_a‖². Trained by the cross-entropy of the image's label
/// words, L = −log Σ_{c ∈ label words} softmax_a(−‖h − c_a‖²), averaged over images.
///
/// Why a head and not the nearest word to the mean latent (SPAE's rule, glossa-spae-v1): a
/// reconstruction-trained encoder does not separate the classes in the 32-d mean of its grid
/// (v1: 27.7% precision), and every way tried of pulling the encoder's targets toward the label
/// words made the latent scale drift and broke the reconstruction. The head reads the latent
/// but sends no gradient back into it (a linear probe), so the reconstruction trains exactly as
/// without semantics; the chosen word then enters the streaming average like any code.
public final class SemanticHead: Module {
    /// Codebook rows of the concept words, in the order of the logits.
    public let rows: [Int32]
    let head: Linear
    let wordsMap: Linear
    private var saved: (h: Tensor, words: Tensor, dLogits: Tensor)?

    public init(latentDim d: Int, lmDim: Int, rows: [Int32], rng: inout RandomGenerator) {
        self.rows = rows
        head = Linear(64 * d, d, name: "semantic_head", rng: &rng)
        wordsMap = Linear(lmDim, d, bias: false, name: "semantic_head.words", rng: &rng)
    }

    public var parameters: [Parameter] { head.parameters + wordsMap.parameters }

    /// z: latent rows [N · 64, D]; conceptEmbeddings: the concept words' LM rows [A, D_lm];
    /// labelWords[n]: the codebook rows that count as right for image n (training only).
    /// Returns the chosen codebook row per image and the mean loss (0 without labels).
    public func forward(_ z: Tensor, conceptEmbeddings: Tensor, labelWords: [[Int32]]? = nil) -> (codes: [Int32], loss: Float) {
        let n = z.rowCount / 64, a = rows.count
        let h = head(z.reshaped([n, 64 * z.lastDim]))
        let words = wordsMap(conceptEmbeddings)
        // −‖h − c‖² = 2 h·c − ‖h‖² − ‖c‖², the cross term as one sgemm.
        let logits = matmul(h, words, transposeB: true)
        let d = h.lastDim
        let wordNorms = (0..<a).map { Vec.dot(words.data + $0 * d, words.data + $0 * d, d) }
        for r in 0..<n {
            let hn = Vec.dot(h.data + r * d, h.data + r * d, d)
            for j in 0..<a { logits.data[r * a + j] = 2 * logits.data[r * a + j] - hn - wordNorms[j] }
        }
        let codes = (0..<n).map { r in rows[(0..<a).max { logits.data[r * a + $0] < logits.data[r * a + $1] }!] }
        guard let labelWords else { saved = nil; return (codes, 0) }
        // dL/dlogit = (p − q)/N, p = softmax over all words, q = softmax over the label's words.
        let dLogits = Tensor(zeros: [n, a])
        var loss = 0.0
        for r in 0..<n {
            let inside = Set(labelWords[r])
            let row = logits.data + r * a
            let all = RowMath.logsumexpRow(row, a)
            let wanted = (0..<a).filter { inside.contains(rows[$0]) }.map { row[$0] }
            precondition(!wanted.isEmpty, "image \(r) has no label word among the concept words")
            let label = wanted.withUnsafeBufferPointer { RowMath.logsumexpRow($0.baseAddress!, wanted.count) }
            loss += Double(all - label)
            for j in 0..<a {
                let q = inside.contains(rows[j]) ? Foundation.exp(row[j] - label) : 0
                dLogits.data[r * a + j] = (Foundation.exp(row[j] - all) - q) / Float(n)
            }
        }
        saved = (h, words, dLogits)
        return (codes, Float(loss / Double(n)))
    }

    /// Accumulates the head's and the words map's gradients for `weight`·L. Nothing flows back
    /// into the latent (see the type's comment).
    public func backward(weight: Float) {
        guard let (h, words, g) = saved else { preconditionFailure("SemanticHead.backward without a labelled forward") }
        let (n, a, d) = (h.rowCount, words.rowCount, h.lastDim)
        // logit_ra = −‖h_r − c_a‖²: dh_r = 2 Σ_a g_ra (c_a − h_r) = 2 (G·C)_r, since Σ_a g_ra = 0;
        // dc_a = 2 Σ_r g_ra (h_r − c_a).
        let dh = matmul(g, words)
        dh.scale(by: 2 * weight)
        let dWords = matmul(g, h, transposeA: true)
        for j in 0..<a {
            var column: Float = 0
            for r in 0..<n { column += g.data[r * a + j] }
            for k in 0..<d { dWords.data[j * d + k] -= column * words.data[j * d + k] }
        }
        dWords.scale(by: 2 * weight)
        _ = head.backward(dh)
        _ = wordsMap.backward(dWords)
    }
}
