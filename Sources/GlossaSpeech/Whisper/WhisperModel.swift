import GlossaLM
import GlossaNN
import GlossaTensor

/// The Whisper architecture (openai/whisper model.py) on Glossa's engine: a conv stem
/// (2 × conv1d + GELU, the second with stride 2), sinusoidal positions and pre-LN encoder
/// blocks; a decoder with learned positions, causal self-attention, cross-attention to the
/// encoder output, and an output head tied to the token embedding. Attention scales q·k by
/// 1/√d_head, which equals the reference's (q·d^-¼)(k·d^-¼).
public final class WhisperModel {
    public struct Dimensions: Equatable {
        public let melCount: Int, audioContext: Int, textContext: Int, vocabulary: Int
        public let width: Int, encoderLayers: Int, decoderLayers: Int, encoderHeads: Int, decoderHeads: Int
    }

    final class Attention {
        let query: Linear, key: Linear, value: Linear, out: Linear
        let core: ScaledDotProductAttention

        init(query: Linear, key: Linear, value: Linear, out: Linear, heads: Int, causal: Bool) {
            (self.query, self.key, self.value, self.out) = (query, key, value, out)
            let headDim = query.outFeatures / heads
            core = ScaledDotProductAttention(queryHeads: heads, keyValueHeads: heads, headDim: headDim, causal: causal)
            core.keepsProbabilitiesForBackward = false
        }
    }

    final class EncoderLayer {
        let attentionNorm: LayerNorm, attention: Attention, mlpNorm: LayerNorm, fc1: Linear, fc2: Linear
        let gelu = Activation(.geluErf)
        init(attentionNorm: LayerNorm, attention: Attention, mlpNorm: LayerNorm, fc1: Linear, fc2: Linear) {
            (self.attentionNorm, self.attention, self.mlpNorm, self.fc1, self.fc2) = (attentionNorm, attention, mlpNorm, fc1, fc2)
        }
    }

    final class DecoderLayer {
        let selfNorm: LayerNorm, selfAttention: Attention
        let crossNorm: LayerNorm, crossAttention: Attention
        let mlpNorm: LayerNorm, fc1: Linear, fc2: Linear
        let gelu = Activation(.geluErf)
        init(selfNorm: LayerNorm, selfAttention: Attention, crossNorm: LayerNorm, crossAttention: Attention,
             mlpNorm: LayerNorm, fc1: Linear, fc2: Linear) {
            (self.selfNorm, self.selfAttention, self.crossNorm, self.crossAttention) = (selfNorm, selfAttention, crossNorm, crossAttention)
            (self.mlpNorm, self.fc1, self.fc2) = (mlpNorm, fc1, fc2)
        }
    }

    public let dimensions: Dimensions
    let conv1: Convolution, conv2: Convolution
    let encoderPositions: Tensor
    let encoderLayers: [EncoderLayer]
    let encoderNorm: LayerNorm
    let tokenEmbedding: Embedding
    let decoderPositions: Tensor
    let decoderLayers: [DecoderLayer]
    let decoderNorm: LayerNorm
    let head: Linear
    let geluStem1 = Activation(.geluErf), geluStem2 = Activation(.geluErf)

    init(dimensions: Dimensions, conv1: Convolution, conv2: Convolution, encoderPositions: Tensor, encoderLayers: [EncoderLayer],
         encoderNorm: LayerNorm, tokenEmbedding: Embedding, decoderPositions: Tensor, decoderLayers: [DecoderLayer], decoderNorm: LayerNorm) {
        self.dimensions = dimensions
        (self.conv1, self.conv2, self.encoderPositions, self.encoderLayers, self.encoderNorm) = (conv1, conv2, encoderPositions, encoderLayers, encoderNorm)
        (self.tokenEmbedding, self.decoderPositions, self.decoderLayers, self.decoderNorm) = (tokenEmbedding, decoderPositions, decoderLayers, decoderNorm)
        head = Linear(weight: tokenEmbedding.weight, bias: nil)
        // Decoding steps read every decoder weight and the head once per token; with the weights
        // in fp16, as CTranslate2 stores them, a step reads half the bytes, through a kernel
        // without horizontal sums (ExactHalfMatrix; logits within rounding of fp32 products).
        for linear in stepLinears { linear.keepExactHalfCopy() }
    }

    /// Bytes per decoder weight a decoding step reads: 2 where every decoder weight matrix kept its
    /// exact fp16 copy (CTranslate2's fp16 files), 4 otherwise.
    public var decoderWeightBytes: Int { stepLinears.allSatisfy { $0.halfWeight != nil } ? 2 : 4 }

    /// The weight matrices every beam step multiplies (cross-attention keys and values are
    /// computed once per window, not per step).
    private var stepLinears: [Linear] {
        decoderLayers.flatMap { l in
            [l.selfAttention.query, l.selfAttention.key, l.selfAttention.value, l.selfAttention.out,
             l.crossAttention.query, l.crossAttention.out, l.fc1, l.fc2]
        } + [head]
    }

    /// Encoder output [audioContext, width] for a mel window [melCount, 2 · audioContext].
    public func encode(_ mel: Tensor) -> Tensor {
        let d = dimensions
        precondition(mel.shape == [d.melCount, 2 * d.audioContext], "encoder expects mel [\(d.melCount), \(2 * d.audioContext)], got \(mel.shape)")
        let stem = geluStem2(conv2(geluStem1(conv1(mel.reshaped([1, d.melCount, 2 * d.audioContext])))))  // [1, width, ctx]
        var x = stem.reshaped([d.width, d.audioContext]).transposed()
        x.add(encoderPositions)
        for layer in encoderLayers {
            let h = layer.attentionNorm(x)
            let a = layer.attention
            let attended = a.out(a.core.forward(q: a.query(h), k: a.key(h), v: a.value(h), batch: 1))
            x = x + attended
            x = x + layer.fc2(layer.gelu(layer.fc1(layer.mlpNorm(x))))
        }
        return encoderNorm(x)
    }

    /// Per-audio decoder state: cross-attention keys/values (computed once) and self-attention caches.
    public struct DecoderState {
        let crossKeys: [Tensor], crossValues: [Tensor]
        var caches: [LayerKVCache]
        public var length: Int { caches.first?.count ?? 0 }
    }

    /// With `audio` nil the state skips cross-attention: the decoder then reads text alone,
    /// the estimate of its internal LM (Meng et al. 2021, ILME: the context vector removed).
    public func makeDecoderState(audio: Tensor?) -> DecoderState {
        let keys = audio.map { a in decoderLayers.map { $0.crossAttention.key(a) } } ?? []
        let values = audio.map { a in decoderLayers.map { $0.crossAttention.value(a) } } ?? []
        let caches = decoderLayers.map { LayerKVCache(keyWidth: $0.selfAttention.key.outFeatures, valueWidth: $0.selfAttention.value.outFeatures) }
        return DecoderState(crossKeys: keys, crossValues: values, caches: caches)
    }

    /// Logits [tokens.count, vocabulary] (or [1, vocabulary] for the last token) after the
    /// tokens already in `state`.
    public func decode(_ tokens: [Int32], state: inout DecoderState, allLogits: Bool = false) -> Tensor {
        decode(tokens, state: &state, logitRows: allLogits ? Array(tokens.indices) : [tokens.count - 1])
    }

    /// `decode`, with the logits of the listed positions of `tokens` only, in that order.
    public func decode(_ tokens: [Int32], state: inout DecoderState, logitRows: [Int]) -> Tensor {
        let start = state.length
        precondition(start + tokens.count <= dimensions.textContext, "decoder context of \(dimensions.textContext) tokens exceeded")
        var x = tokenEmbedding(tokens)
        x.add(decoderPositions.rows(start..<(start + tokens.count)))
        for (i, layer) in decoderLayers.enumerated() {
            let h = layer.selfNorm(x)
            let a = layer.selfAttention
            var cache = state.caches[i]
            state.caches[i] = LayerKVCache(keyWidth: 0, valueWidth: 0)
            cache.append(keys: a.key(h), values: a.value(h))
            let (k, v) = cache.contiguous()
            state.caches[i] = cache
            x = x + a.out(a.core.forward(q: a.query(h), k: k, v: v, batch: 1))
            if !state.crossKeys.isEmpty {
                let c = layer.crossAttention
                let hc = layer.crossNorm(x)
                x = x + c.out(c.core.forward(q: c.query(hc), k: state.crossKeys[i], v: state.crossValues[i], batch: 1))
            }
            x = x + layer.fc2(layer.gelu(layer.fc1(layer.mlpNorm(x))))
        }
        return head(decoderNorm(x.gatheringRows(logitRows)))
    }

    /// One decoding step for several hypotheses of the same audio (beam search): row b of the
    /// result is the next-token logits after `tokens[b]` appended to `states[b]`. The
    /// projections, cross-attention and head run once for all rows (one sgemm each instead of
    /// one sgemv per beam); only self-attention reads each beam's own cache. States without
    /// audio (the internal-LM estimate) skip cross-attention. They may share the call, after
    /// the states with audio: the beams and their internal LMs then read the weights once per
    /// step, not twice, and each row's arithmetic is the same as in a call of its own kind.
    public func decodeStep(_ tokens: [Int32], states: inout [DecoderState]) -> Tensor {
        precondition(tokens.count == states.count && !tokens.isEmpty, "one token per state")
        let rows = tokens.count, width = dimensions.width
        let heardRows = states.prefix { !$0.crossKeys.isEmpty }.count
        var x = tokenEmbedding(tokens)
        for b in 0..<rows {
            precondition(states[b].length < dimensions.textContext, "decoder context of \(dimensions.textContext) tokens exceeded")
            precondition(b < heardRows ? states[b].crossKeys[0].storage === states[0].crossKeys[0].storage : states[b].crossKeys.isEmpty,
                         "decodeStep needs states of one audio, then states without audio")
            Vec.add(x.data + b * width, decoderPositions.data + states[b].length * width, x.data + b * width, width)
        }
        for (i, layer) in decoderLayers.enumerated() {
            let h = layer.selfNorm(x)
            let a = layer.selfAttention
            let (q, k, v) = (a.query(h), a.key(h), a.value(h))
            let attended = Tensor(uninitialized: [rows, width])
            for b in 0..<rows {
                var cache = states[b].caches[i]
                states[b].caches[i] = LayerKVCache(keyWidth: 0, valueWidth: 0)
                cache.append(keys: k.rows(b..<(b + 1)), values: v.rows(b..<(b + 1)))
                cache.attendOne(query: q.data + b * width, core: a.core, into: attended.data + b * width)
                states[b].caches[i] = cache
            }
            x = x + a.out(attended)
            if heardRows > 0 {
                let c = layer.crossAttention
                // All rows with audio attend to the same encoder output: they act as queries of one sequence.
                let heard = x.rows(0..<heardRows)
                let crossed = c.out(c.core.forward(q: c.query(layer.crossNorm(heard)), k: states[0].crossKeys[i], v: states[0].crossValues[i], batch: 1))
                Vec.add(heard.data, crossed.data, heard.data, heardRows * width)
            }
            x = x + layer.fc2(layer.gelu(layer.fc1(layer.mlpNorm(x))))
        }
        return head(decoderNorm(x))
    }
}
