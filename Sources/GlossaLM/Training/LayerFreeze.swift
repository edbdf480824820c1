import GlossaNN
import GlossaTensor

/// Keeps the parameters of some decoder layers at their values when it was made, as
/// EmbeddingRowFreeze does for table rows: their gradient is zeroed before clipping (so the
/// norm counts only what trains) and their values are put back after the optimizer step
/// (AdamW's weight decay moves every decaying parameter, gradient or not).
final class LayerFreeze {
    let parameters: [Parameter]
    let saved: [[Float]]

    init(_ layers: ArraySlice<DecoderLayer>) {
        parameters = layers.flatMap(\.parameters)
        saved = parameters.map { Array(UnsafeBufferPointer(start: $0.value.data, count: $0.value.count)) }
    }

    func zeroGradient() {
        for p in parameters { p.grad.fill(0) }
    }

    func restore() {
        for (p, values) in zip(parameters, saved) {
            values.withUnsafeBufferPointer { p.value.data.update(from: $0.baseAddress!, count: values.count) }
        }
    }
}
