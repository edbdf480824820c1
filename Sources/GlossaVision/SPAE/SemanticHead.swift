import Foundation
import GlossaNN
import GlossaTensor

/// Chooses the layer-1 word of each image among the concept words: a head reads the whole 8×8
/// latent grid (or the encoder's last hidden features) into h, linearly or through one GELU
/// layer; each concept word sits at c_a = map(its frozen LM embedding), and the word is
/// argmax_a −‖h − c_a‖². Trained by the cross-entropy of the image's label words,
/// L = −log Σ_{c ∈ label words} softmax_a(−‖h − c_a‖²), averaged over images.
///
/// Why a head and not the nearest word to the mean latent (SPAE's rule, glossa-spae-v1): a
/// reconstruction-trained encoder does not separate the classes in the 32-d mean of its grid
/// (v1: 27.7% precision), and every way tried of pulling the encoder's targets toward the label
/// words made the latent scale drift and broke the reconstruction. The head sends no gradient
/// back into the encoder (a probe), so the reconstruction trains exactly as without semantics;
/// the chosen word then enters the streaming average like any code.
///
/// The hidden layer is glossa-spae-v3's (docs/spae.md, heads fitted alone to glossa-spae-v2's
/// encoder): it raised the layer-1 word's precision from 80.9% (linear on the latent) to 87.7%
/// on the latent and 88.8% on the last hidden features, and in 1-shot prompting every misnamed
/// image costs a support or a query its match. The hidden layer reads its input minus a fixed
/// center (the training images' mean): some latent values sit near 4 with a spread of 10⁻⁴,
/// which would otherwise dominate its pre-activations.
public final class SemanticHead: Module {
    /// Codebook rows of the concept words, in the order of the logits.
    public let rows: [Int32]
    let hidden: Linear?
    /// Subtracted from the flattened input before `hidden`. A parameter so that it is saved
    /// with the model, but it never receives a gradient, so AdamW leaves it where
    /// `SPAEModel.centerSemanticHead` put it.
    let center: Parameter?
    let activation = Activation(.geluTanh)
    let head: Linear
    let wordsMap: Linear
    private var saved: (h: Tensor, words: Tensor, dLogits: Tensor)?

    /// Values the head reads per image (64 · D for the latent grid).
    public let inputs: Int

    /// hidden: units of the GELU layer between the input and h (nil: h is linear in the input);
    /// inputs: values per image (default: the 8×8 latent grid, 64 · latentDim).
    public init(latentDim d: Int, lmDim: Int, rows: [Int32], hidden units: Int? = nil, inputs: Int? = nil, rng: inout RandomGenerator) {
        self.rows = rows
        let inputs = inputs ?? 64 * d
        self.inputs = inputs
        hidden = units.map { Linear(inputs, $0, name: "semantic_head.hidden", rng: &rng) }
        center = units.map { _ in Parameter("semantic_head.center", Tensor(zeros: [inputs]), decays: false) }
        head = Linear(units ?? inputs, d, name: "semantic_head", rng: &rng)
        wordsMap = Linear(lmDim, d, bias: false, name: "semantic_head.words", rng: &rng)
    }

    public var parameters: [Parameter] { (center.map { [$0] } ?? []) + (hidden?.parameters ?? []) + head.parameters + wordsMap.parameters }

    /// Sets the center to the mean input [inputs] (no-op for a linear head).
    public func setCenter(mean: Tensor) { center?.value.assign(mean) }

    /// x: `inputs` values per image (latent rows [N · 64, D], or encoder features
    /// [N, C, 8, 8]); conceptEmbeddings: the concept words' LM rows [A, D_lm]; labelWords[n]:
    /// the codebook rows that count as right for image n (training only). Returns the chosen
    /// codebook row per image and the mean loss (0 without labels).
    public func forward(_ x: Tensor, conceptEmbeddings: Tensor, labelWords: [[Int32]]? = nil) -> (codes: [Int32], loss: Float) {
        precondition(x.count % inputs == 0, "semantic head reads \(inputs) values per image, got \(x.shape)")
        let n = x.count / inputs, a = rows.count
        var flat = x.reshaped([n, inputs])
        if let center {
            flat = flat.copy()
            for r in 0..<n { Vec.sub(flat.data + r * flat.lastDim, center.value.data, flat.data + r * flat.lastDim, flat.lastDim) }
        }
        let h = head(hidden.map { activation($0(flat)) } ?? flat)
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
        let dHidden = head.backward(dh)
        if let hidden { _ = hidden.backward(activation.backward(dHidden)) }
        _ = wordsMap.backward(dWords)
    }
}
