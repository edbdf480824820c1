import Foundation
import GlossaNN
import GlossaTensor

/// The Semantic Pyramid AutoEncoder (DESIGN §6): a convolutional encoder from a 32×32 image to
/// an 8×8 latent grid, the streaming average quantizer onto the LM's frozen lexical codebook
/// (seen through a trainable linear map, V2L-style, so the emitted tokens stay the LM's words),
/// and a convolutional decoder (nearest upsampling + 3×3 convolutions) back to pixels.
public final class SPAEModel: Module {
    public struct Config: Codable, Equatable {
        public var channels = 1
        public var imageSize = 32
        /// 32, not 64: the nearest-code search (85 targets × 8,192 codes per image) costs in
        /// proportion to it, and it is half the image's encode + decode FLOPs at 64.
        public var latentDim = 32
        public var width = 64
        /// 1×1, 2×2, 4×4 and 8×8 (up to two more 8×8 layers are possible; glossa-spae-v1's
        /// fifth added 0.01 dB for 43% more nearest-code search).
        public var layers = 4
        /// The concept words layer 1 chooses among, by `SemanticHead` (nil: layer 1 is the
        /// nearest code to the mean latent, like every other layer), so that the one token that
        /// summarises an image is a word about what it shows.
        public var layerOneRows: [Int32]?
        /// Units of the semantic head's hidden layer (nil: a linear head, as glossa-spae-v2's).
        public var semanticHidden: Int?
        /// The semantic head reads the encoder's last hidden features (width × 8 × 8) instead
        /// of the latent (nil or false: the latent). They hold more than their 32-d projection:
        /// the same head, fitted to glossa-spae-v2's encoder, names the class of 88.8% of test
        /// images from them and 87.7% from the latent (docs/spae.md).
        public var semanticReadsFeatures: Bool?
        /// `PointwiseResidualBlock`s at 8×8 after the encoder's last 3×3 convolution and after
        /// the decoder's first (nil: none; glossa-spae-v4 has 2 in the decoder). Each block costs
        /// 64 · 8 · width² multiply-adds per image, 8/9 of one 3×3 convolution at that width.
        public var encoderBlocks: Int?
        public var decoderBlocks: Int?
        /// Hidden units of `CodebookMap`'s GELU MLP (nil: one linear map, as glossa-spae-v3 and v4).
        public var codebookMapHidden: Int?
        /// After every training step the linear map's singular values are set equal
        /// (`CodebookMap.orthogonalize`), so the codes cannot collapse onto a line (nil: free).
        public var codebookMapOrthogonal: Bool?
        public init() {}
    }

    public let config: Config
    public let codebook: LexicalCodebook
    let encoder: [Convolution]
    let decoder: [Convolution]
    let upsample = [UpsampleNearest(factor: 2), UpsampleNearest(factor: 2)]
    let encoderBlocks: [PointwiseResidualBlock]
    let decoderBlocks: [PointwiseResidualBlock]
    let encoderActivations: [Activation]
    let decoderActivations: [Activation]
    /// Maps LM embeddings [K, D_lm] to the latent space [K, latentDim].
    public let codebookMap: CodebookMap
    /// Maps the concept words (`config.layerOneRows`) on their own, so the codebook loss can
    /// place each where the mean latents of the images given it lie without moving the other codes.
    public let layerOneMap: CodebookMap?
    public let semanticHead: SemanticHead?
    /// The concept words' frozen LM rows [A, D_lm] (`config.layerOneRows`), gathered once.
    let conceptEmbeddings: Tensor?
    /// The encoder's last hidden features [N, width, 8, 8] from the latest `encode`.
    private var lastFeatures: Tensor?
    private var cachedCodebook: Tensor?
    public let quantizer: StreamingAverageQuantizer

    public init(config: Config, codebook: LexicalCodebook, seed: UInt64) {
        precondition(config.imageSize == 32, "the pyramid assumes 32×32 inputs and an 8×8 latent")
        self.config = config
        self.codebook = codebook
        var rng = RandomGenerator(seed: seed)
        let (c, w, d) = (config.channels, config.width, config.latentDim)
        encoder = [Convolution.conv2d(c, w / 2, kernel: 3, padding: 1, name: "encoder.0", rng: &rng),
                   Convolution.conv2d(w / 2, w, kernel: 3, stride: 2, padding: 1, name: "encoder.1", rng: &rng),
                   Convolution.conv2d(w, w, kernel: 3, stride: 2, padding: 1, name: "encoder.2", rng: &rng),
                   Convolution.conv2d(w, d, kernel: 1, name: "encoder.3", rng: &rng)]
        decoder = [Convolution.conv2d(d, w, kernel: 3, padding: 1, name: "decoder.0", rng: &rng),
                   Convolution.conv2d(w, w, kernel: 3, padding: 1, name: "decoder.1", rng: &rng),
                   // w/4 channels at full resolution: this layer was 45% of the decoder's FLOPs at w/2.
                   Convolution.conv2d(w, w / 4, kernel: 3, padding: 1, name: "decoder.2", rng: &rng),
                   Convolution.conv2d(w / 4, c, kernel: 3, padding: 1, name: "decoder.3", rng: &rng)]
        encoderBlocks = (0..<(config.encoderBlocks ?? 0)).map { PointwiseResidualBlock(channels: w, name: "encoder.block.\($0)", rng: &rng) }
        decoderBlocks = (0..<(config.decoderBlocks ?? 0)).map { PointwiseResidualBlock(channels: w, name: "decoder.block.\($0)", rng: &rng) }
        encoderActivations = (0..<3).map { _ in Activation(.geluTanh) }
        decoderActivations = (0..<3).map { _ in Activation(.geluTanh) }
        let map = CodebookMap(lmDim: codebook.embeddings.lastDim, latentDim: d, hidden: config.codebookMapHidden, name: "codebook_map", rng: &rng)
        if config.codebookMapOrthogonal == true { map.orthogonalize() }
        codebookMap = map
        layerOneMap = config.layerOneRows == nil ? nil : CodebookMap(copying: map, name: "codebook_map_layer_one")
        conceptEmbeddings = config.layerOneRows.map { rows in
            let e = Tensor(uninitialized: [rows.count, codebook.embeddings.lastDim])
            for (i, r) in rows.enumerated() { e.row(i).assign(codebook.embeddings.row(Int(r))) }
            return e
        }
        semanticHead = config.layerOneRows.map {
            SemanticHead(latentDim: d, lmDim: codebook.embeddings.lastDim, rows: $0, hidden: config.semanticHidden,
                         inputs: config.semanticReadsFeatures == true ? 64 * w : 64 * d, rng: &rng)
        }
        quantizer = StreamingAverageQuantizer(layers: config.layers)
    }

    public var parameters: [Parameter] {
        (encoder + decoder).flatMap(\.parameters) + (encoderBlocks + decoderBlocks).flatMap(\.parameters) + codebookMap.parameters + (layerOneMap?.parameters ?? [])
            + (semanticHead?.parameters ?? [])
    }

    /// The pyramid's codes for latent rows z: layer 1 from the semantic head (when the model
    /// has one), the rest by the quantizer's search. With `labelWords` (training), also the
    /// head's loss, whose gradients `semanticHead.backward` then accumulates.
    public func quantize(_ z: Tensor, codebook: Tensor, labelWords: [[Int32]]? = nil)
        -> (output: StreamingAverageQuantizer.Output, semanticLoss: Float) {
        guard let (codes, loss) = layerOneWords(z, labelWords: labelWords) else { return (quantizer.forward(z, codebook: codebook), 0) }
        return (quantizer.forward(z, codebook: codebook, given: [1: codes]), loss)
    }

    /// The semantic head's layer-1 word per image for latent rows z (nil without a head), and
    /// with `labelWords` its loss, whose gradients `semanticHead.backward` then accumulates.
    func layerOneWords(_ z: Tensor, labelWords: [[Int32]]?) -> (codes: [Int32], loss: Float)? {
        guard let semanticHead, let conceptEmbeddings else { return nil }
        return semanticHead.forward(semanticInput(z), conceptEmbeddings: conceptEmbeddings, labelWords: labelWords)
    }

    /// What the semantic head reads for latent rows z: z itself, or the features of the
    /// `encode` call that produced z.
    func semanticInput(_ z: Tensor) -> Tensor {
        guard config.semanticReadsFeatures == true else { return z }
        guard let lastFeatures, lastFeatures.shape[0] * 64 == z.rowCount else { preconditionFailure("semantic head: no features for this latent") }
        return lastFeatures
    }

    /// Centers the semantic head's input on its mean over `images` [N, C, 32, 32] (the first
    /// `limit` of them), for a head about to be trained.
    public func centerSemanticHead(images: Tensor, limit: Int = 10_000) {
        guard let semanticHead else { return }
        let n = min(limit, images.shape[0]), width = semanticHead.inputs
        let mean = Tensor(zeros: [width])
        for start in stride(from: 0, to: n, by: 500) {
            let x = semanticInput(encode(images.rows(start..<min(start + 500, n)).copy()))
            for r in 0..<(x.count / width) { Vec.axpy(1 / Float(n), x.data + r * width, mean.data, width) }
        }
        semanticHead.setCenter(mean: mean)
    }

    /// images [N, C, 32, 32] → latent rows [N · 64, latentDim].
    public func encode(_ images: Tensor) -> Tensor {
        var x = encoderActivations[0](encoder[0](images))
        x = encoderActivations[1](encoder[1](x))
        x = encoderActivations[2](Self.applying(encoderBlocks, to: encoder[2](x)))
        lastFeatures = x
        return Self.channelsLast(encoder[3](x))
    }

    public func encodeBackward(_ dRows: Tensor) {
        var g = encoderActivations[2].backward(encoder[3].backward(Self.channelsFirst(dRows, channels: config.latentDim)))
        g = encoderActivations[1].backward(encoder[2].backward(Self.applyingBackward(encoderBlocks, to: g)))
        _ = encoder[0].backward(encoderActivations[0].backward(encoder[1].backward(g)))
    }

    /// The decoder's 8×8 stage: first convolution, blocks, activation.
    private func decodeEightByEight(_ rows: Tensor) -> Tensor {
        decoderActivations[0](Self.applying(decoderBlocks, to: decoder[0](Self.channelsFirst(rows, channels: config.latentDim))))
    }

    private static func applying(_ blocks: [PointwiseResidualBlock], to x: Tensor) -> Tensor {
        blocks.reduce(x) { $1($0) }
    }

    private static func applyingBackward(_ blocks: [PointwiseResidualBlock], to g: Tensor) -> Tensor {
        blocks.reversed().reduce(g) { $1.backward($0) }
    }

    /// The codebook in latent space: codebookMap(LM rows).
    /// The concept words' rows come from `layerOneMap`.
    public func mappedCodebook() -> Tensor {
        let mapped = codebookMap(codebook.embeddings)
        if let layerOneMap, let rows = config.layerOneRows, let conceptEmbeddings {
            let own = layerOneMap(conceptEmbeddings)
            for (i, r) in rows.enumerated() { mapped.row(Int(r)).assign(own.row(i)) }
        }
        return mapped
    }

    /// `mappedCodebook()` for tokenize and render, computed once per model rather than per
    /// image (the MLP map's is 2 GFLOP); a training step's backward drops it.
    func inferenceCodebook() -> Tensor {
        if let cachedCodebook { return cachedCodebook }
        let mapped = mappedCodebook()
        cachedCodebook = mapped
        return mapped
    }

    /// Backward of `mappedCodebook()`: concept rows to `layerOneMap`, the rest to `codebookMap`.
    public func mappedCodebookBackward(_ dCodebook: Tensor) {
        cachedCodebook = nil
        if let layerOneMap, let rows = config.layerOneRows {
            let own = Tensor(uninitialized: [rows.count, dCodebook.lastDim])
            for (i, r) in rows.enumerated() {
                own.row(i).assign(dCodebook.row(Int(r)))
                dCodebook.row(Int(r)).fill(0)
            }
            layerOneMap.backward(own)
        }
        codebookMap.backward(dCodebook)
    }


    /// latent rows [N · 64, latentDim] → images [N, C, 32, 32], for inference: each nearest
    /// upsample + 3×3 convolution runs as its sub-pixel equivalent (`UpsampledConvolution`),
    /// 2.25× fewer multiply-adds; the folded weights are rebuilt per call (a few hundred
    /// thousand additions), so they always follow the current weights.
    public func decode(_ rows: Tensor) -> Tensor {
        var x = decodeEightByEight(rows)
        x = decoderActivations[1](UpsampledConvolution(decoder[1])(x))
        x = decoderActivations[2](UpsampledConvolution(decoder[2])(x))
        return decoder[3](x)
    }

    /// `decode` layer by layer, each keeping what `decodeBackward` needs (training).
    public func decodeForTraining(_ rows: Tensor) -> Tensor {
        var x = decodeEightByEight(rows)
        x = decoderActivations[1](decoder[1](upsample[0](x)))
        x = decoderActivations[2](decoder[2](upsample[1](x)))
        return decoder[3](x)
    }

    /// dL/d(latent rows) from dL/d(images) after `decodeForTraining`, accumulating the decoder's gradients.
    public func decodeBackward(_ dImages: Tensor) -> Tensor {
        var g = decoder[3].backward(dImages)
        g = upsample[1].backward(decoder[2].backward(decoderActivations[2].backward(g)))
        g = upsample[0].backward(decoder[1].backward(decoderActivations[1].backward(g)))
        g = Self.applyingBackward(decoderBlocks, to: decoderActivations[0].backward(g))
        return Self.channelsLast(decoder[0].backward(g))
    }

    /// [N, D, 8, 8] → [N · 64, D].
    static func channelsLast(_ x: Tensor) -> Tensor {
        let (n, d) = (x.shape[0], x.shape[1])
        let out = Tensor(uninitialized: [n * 64, d])
        for i in 0..<n { for c in 0..<d { for p in 0..<64 { out.data[(i * 64 + p) * d + c] = x.data[(i * d + c) * 64 + p] } } }
        return out
    }

    /// [N · 64, D] → [N, D, 8, 8].
    static func channelsFirst(_ rows: Tensor, channels d: Int) -> Tensor {
        let n = rows.rowCount / 64
        let out = Tensor(uninitialized: [n, d, 8, 8])
        for i in 0..<n { for c in 0..<d { for p in 0..<64 { out.data[(i * d + c) * 64 + p] = rows.data[(i * 64 + p) * d + c] } } }
        return out
    }
}

extension SPAEModel {
    /// A model of `config` that continues from `base`'s trained weights: each parameter whose
    /// name and shape match is copied, the rest (a new semantic head, added pointwise blocks) are
    /// new and returned by name. An added block's output projection starts at zero, so the block
    /// is the identity and the grown model renders exactly what `base` did.
    public static func continuing(_ base: SPAEModel, config: Config) -> (model: SPAEModel, fresh: [String]) {
        let model = SPAEModel(config: config, codebook: base.codebook, seed: 1)
        let trained = Dictionary(uniqueKeysWithValues: base.parameters.map { ($0.name, $0.value) })
        var fresh: [String] = []
        for p in model.parameters {
            if let t = trained[p.name], t.shape == p.value.shape {
                p.value.assign(t)
            } else {
                fresh.append(p.name)
            }
        }
        model.encoderBlocks.dropFirst(base.encoderBlocks.count).forEach { $0.startAsIdentity() }
        model.decoderBlocks.dropFirst(base.decoderBlocks.count).forEach { $0.startAsIdentity() }
        return (model, fresh)
    }
}
