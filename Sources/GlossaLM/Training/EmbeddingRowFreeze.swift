import GlossaNN
import GlossaTensor

/// Keeps all but some rows of an embedding table fixed during training. With tied embeddings
/// the table is also the output head, so a frozen row fixes both a token's input vector and
/// its output direction.
final class EmbeddingRowFreeze {
    let parameter: Parameter
    let frozenRows: [Int]
    /// The frozen rows' values, row after row.
    let saved: [Float]

    init(_ parameter: Parameter, trainable: [Int32]) {
        self.parameter = parameter
        let open = Set(trainable.map(Int.init))
        frozenRows = (0..<parameter.value.shape[0]).filter { !open.contains($0) }
        let width = parameter.value.shape[1]
        var saved = [Float]()
        saved.reserveCapacity(frozenRows.count * width)
        for row in frozenRows { saved.append(contentsOf: UnsafeBufferPointer(start: parameter.value.data + row * width, count: width)) }
        self.saved = saved
    }

    /// Before clipping, so that the gradient norm counts only what is trained.
    func zeroGradient() {
        let width = parameter.value.shape[1]
        for row in frozenRows { (parameter.grad.data + row * width).update(repeating: 0, count: width) }
    }

    /// After the optimizer step (AdamW's weight decay moves every row).
    func restore() {
        let width = parameter.value.shape[1]
        saved.withUnsafeBufferPointer { source in
            for (k, row) in frozenRows.enumerated() {
                (parameter.value.data + row * width).update(from: source.baseAddress! + k * width, count: width)
            }
        }
    }
}
