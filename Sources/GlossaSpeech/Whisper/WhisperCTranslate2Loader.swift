import GlossaNN
import GlossaTensor

/// Builds a WhisperModel from a CTranslate2 `WhisperSpec` model.bin; the names are
/// CTranslate2's (`encoder/layer_N/self_attention/linear_0` is the fused q, k, v with a zero
/// key bias; cross-attention has `linear_0` = q, `linear_1` = fused k, v, `linear_2` = out).
extension WhisperModel {
    public static func load(ctranslate2 path: String) throws -> WhisperModel {
        let file = try CTranslate2File(path: path)
        guard file.spec == "WhisperSpec" else { throw ModelFileError.invalid(path, "spec '\(file.spec)', expected WhisperSpec") }
        func count(_ prefix: String) -> Int {
            var n = 0
            while file.variables["\(prefix)/layer_\(n)/ffn/linear_0/weight"] != nil { n += 1 }
            return n
        }
        guard let embeddings = file.variables["decoder/embeddings/weight"], embeddings.shape.count == 2,
              let conv1 = file.variables["encoder/conv1/weight"], conv1.shape.count == 3,
              let audioPositions = file.variables["encoder/position_encodings/encodings"],
              let textPositions = file.variables["decoder/position_encodings/encodings"] else {
            throw ModelFileError.invalid(path, "not a Whisper model (embeddings, conv1 or position encodings missing)")
        }
        let width = embeddings.shape[1]
        let dims = Dimensions(melCount: conv1.shape[1], audioContext: audioPositions.shape[0], textContext: textPositions.shape[0],
                              vocabulary: embeddings.shape[0], width: width, encoderLayers: count("encoder"), decoderLayers: count("decoder"),
                              encoderHeads: try file.integer("encoder/num_heads"), decoderHeads: try file.integer("decoder/num_heads"))

        func linear(_ name: String, in i: Int, out o: Int) throws -> Linear {
            Linear(weight: Parameter("\(name)/weight", try file.tensor("\(name)/weight", shape: [o, i])),
                   bias: Parameter("\(name)/bias", try file.tensor("\(name)/bias", shape: [o]), decays: false))
        }
        /// Rows [from, from + count) of a fused projection as its own Linear; `bias: false` for
        /// Whisper's key projections, whose slice of the fused bias is zero.
        func slice(_ name: String, in i: Int, rows: Range<Int>, fusedRows: Int, bias: Bool = true) throws -> Linear {
            let w = try file.tensor("\(name)/weight", shape: [fusedRows, i]).rows(rows).copy()
            let b = try file.tensor("\(name)/bias", shape: [fusedRows]).rows(rows).copy()
            return Linear(weight: Parameter("\(name)/weight[\(rows)]", w), bias: bias ? Parameter("\(name)/bias[\(rows)]", b, decays: false) : nil)
        }
        func norm(_ name: String) throws -> LayerNorm {
            LayerNorm(weight: Parameter("\(name)/gamma", try file.tensor("\(name)/gamma", shape: [width]), decays: false),
                      bias: Parameter("\(name)/beta", try file.tensor("\(name)/beta", shape: [width]), decays: false), eps: 1e-5)
        }
        func selfAttention(_ p: String, heads: Int, causal: Bool) throws -> Attention {
            let f = "\(p)/self_attention/linear_0"
            return Attention(query: try slice(f, in: width, rows: 0..<width, fusedRows: 3 * width),
                             key: try slice(f, in: width, rows: width..<(2 * width), fusedRows: 3 * width, bias: false),
                             value: try slice(f, in: width, rows: (2 * width)..<(3 * width), fusedRows: 3 * width),
                             out: try linear("\(p)/self_attention/linear_1", in: width, out: width), heads: heads, causal: causal)
        }
        let encoderLayers = try (0..<dims.encoderLayers).map { n -> EncoderLayer in
            let p = "encoder/layer_\(n)"
            return EncoderLayer(attentionNorm: try norm("\(p)/self_attention/layer_norm"),
                                attention: try selfAttention(p, heads: dims.encoderHeads, causal: false),
                                mlpNorm: try norm("\(p)/ffn/layer_norm"),
                                fc1: try linear("\(p)/ffn/linear_0", in: width, out: 4 * width),
                                fc2: try linear("\(p)/ffn/linear_1", in: 4 * width, out: width))
        }
        let decoderLayers = try (0..<dims.decoderLayers).map { n -> DecoderLayer in
            let p = "decoder/layer_\(n)"
            let kv = "\(p)/attention/linear_1"
            let cross = Attention(query: try linear("\(p)/attention/linear_0", in: width, out: width),
                                  key: try slice(kv, in: width, rows: 0..<width, fusedRows: 2 * width, bias: false),
                                  value: try slice(kv, in: width, rows: width..<(2 * width), fusedRows: 2 * width),
                                  out: try linear("\(p)/attention/linear_2", in: width, out: width), heads: dims.decoderHeads, causal: false)
            return DecoderLayer(selfNorm: try norm("\(p)/self_attention/layer_norm"),
                                selfAttention: try selfAttention(p, heads: dims.decoderHeads, causal: true),
                                crossNorm: try norm("\(p)/attention/layer_norm"), crossAttention: cross,
                                mlpNorm: try norm("\(p)/ffn/layer_norm"),
                                fc1: try linear("\(p)/ffn/linear_0", in: width, out: 4 * width),
                                fc2: try linear("\(p)/ffn/linear_1", in: 4 * width, out: width))
        }
        func conv(_ name: String, inChannels: Int, stride: Int) throws -> Convolution {
            Convolution.loaded(weight: Parameter("\(name)/weight", try file.tensor("\(name)/weight", shape: [width, inChannels, 3])),
                               bias: Parameter("\(name)/bias", try file.tensor("\(name)/bias", shape: [width]), decays: false),
                               stride: stride, padding: 1)
        }
        return WhisperModel(
            dimensions: dims, conv1: try conv("encoder/conv1", inChannels: dims.melCount, stride: 1),
            conv2: try conv("encoder/conv2", inChannels: width, stride: 2),
            encoderPositions: try file.tensor("encoder/position_encodings/encodings", shape: [dims.audioContext, width]),
            encoderLayers: encoderLayers, encoderNorm: try norm("encoder/layer_norm"),
            tokenEmbedding: Embedding(weight: Parameter("decoder/embeddings/weight", try file.tensor("decoder/embeddings/weight", shape: [dims.vocabulary, width]))),
            decoderPositions: try file.tensor("decoder/position_encodings/encodings", shape: [dims.textContext, width]),
            decoderLayers: decoderLayers, decoderNorm: try norm("decoder/layer_norm"))
    }
}
