import GlossaLM
import GlossaNN
import GlossaTensor

/// Builds a WhisperModel from a Hugging Face `openai/whisper-*` folder (config.json +
/// safetensors), with transformers' names (`model.encoder.layers.N.self_attn.q_proj`, …,
/// `model.decoder.layers.N.encoder_attn.*`); keys have no bias, as in the reference.
extension WhisperModel {
    public static func load(huggingFace folder: String) throws -> WhisperModel {
        let config = try ConfigReader(path: folder + "/config.json")
        guard (config.architectureName ?? "").hasPrefix("Whisper") || (config.values["model_type"] as? String) == "whisper" else {
            throw ModelError.unknownArchitecture(path: config.path, name: config.architectureName ?? "(none)", supported: ["WhisperForConditionalGeneration"])
        }
        let store = try WeightStore(folder: folder)
        let width = try config.int("d_model"), mels = try config.int("num_mel_bins")
        let dims = Dimensions(melCount: mels, audioContext: try config.int("max_source_positions"),
                              textContext: try config.int("max_target_positions"), vocabulary: try config.int("vocab_size"), width: width,
                              encoderLayers: try config.int("encoder_layers"), decoderLayers: try config.int("decoder_layers"),
                              encoderHeads: try config.int("encoder_attention_heads"), decoderHeads: try config.int("decoder_attention_heads"))
        let encoderFFN = try config.int("encoder_ffn_dim"), decoderFFN = try config.int("decoder_ffn_dim")
        func linear(_ name: String, in i: Int, out o: Int, bias: Bool = true) throws -> Linear {
            Linear(weight: Parameter("\(name).weight", try store.tensor("\(name).weight", shape: [o, i])),
                   bias: bias ? Parameter("\(name).bias", try store.tensor("\(name).bias", shape: [o]), decays: false) : nil)
        }
        func norm(_ name: String) throws -> LayerNorm {
            LayerNorm(weight: Parameter("\(name).weight", try store.tensor("\(name).weight", shape: [width]), decays: false),
                      bias: Parameter("\(name).bias", try store.tensor("\(name).bias", shape: [width]), decays: false), eps: 1e-5)
        }
        func attention(_ p: String, heads: Int, causal: Bool) throws -> Attention {
            Attention(query: try linear("\(p).q_proj", in: width, out: width), key: try linear("\(p).k_proj", in: width, out: width, bias: false),
                      value: try linear("\(p).v_proj", in: width, out: width), out: try linear("\(p).out_proj", in: width, out: width),
                      heads: heads, causal: causal)
        }
        let encoderLayers = try (0..<dims.encoderLayers).map { n -> EncoderLayer in
            let p = "model.encoder.layers.\(n)"
            return EncoderLayer(attentionNorm: try norm("\(p).self_attn_layer_norm"),
                                attention: try attention("\(p).self_attn", heads: dims.encoderHeads, causal: false),
                                mlpNorm: try norm("\(p).final_layer_norm"),
                                fc1: try linear("\(p).fc1", in: width, out: encoderFFN), fc2: try linear("\(p).fc2", in: encoderFFN, out: width))
        }
        let decoderLayers = try (0..<dims.decoderLayers).map { n -> DecoderLayer in
            let p = "model.decoder.layers.\(n)"
            return DecoderLayer(selfNorm: try norm("\(p).self_attn_layer_norm"),
                                selfAttention: try attention("\(p).self_attn", heads: dims.decoderHeads, causal: true),
                                crossNorm: try norm("\(p).encoder_attn_layer_norm"),
                                crossAttention: try attention("\(p).encoder_attn", heads: dims.decoderHeads, causal: false),
                                mlpNorm: try norm("\(p).final_layer_norm"),
                                fc1: try linear("\(p).fc1", in: width, out: decoderFFN), fc2: try linear("\(p).fc2", in: decoderFFN, out: width))
        }
        func conv(_ name: String, inChannels: Int, stride: Int) throws -> Convolution {
            Convolution.loaded(weight: Parameter("\(name).weight", try store.tensor("\(name).weight", shape: [width, inChannels, 3])),
                               bias: Parameter("\(name).bias", try store.tensor("\(name).bias", shape: [width]), decays: false),
                               stride: stride, padding: 1)
        }
        return WhisperModel(
            dimensions: dims, conv1: try conv("model.encoder.conv1", inChannels: mels, stride: 1),
            conv2: try conv("model.encoder.conv2", inChannels: width, stride: 2),
            encoderPositions: try store.tensor("model.encoder.embed_positions.weight", shape: [dims.audioContext, width]),
            encoderLayers: encoderLayers, encoderNorm: try norm("model.encoder.layer_norm"),
            tokenEmbedding: Embedding(weight: Parameter("model.decoder.embed_tokens.weight",
                                                        try store.tensor("model.decoder.embed_tokens.weight", shape: [dims.vocabulary, width]))),
            decoderPositions: try store.tensor("model.decoder.embed_positions.weight", shape: [dims.textContext, width]),
            decoderLayers: decoderLayers, decoderNorm: try norm("model.decoder.layer_norm"))
    }
}
