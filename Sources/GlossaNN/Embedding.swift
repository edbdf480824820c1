import GlossaTensor

/// Row lookup in a [vocab, dim] table. Backward scatter-adds into the rows that were used,
/// so a table tied to an output head receives both gradients.
public final class Embedding: Module {
    public let weight: Parameter
    public var vocabularySize: Int { weight.value.shape[0] }
    public var dimension: Int { weight.value.shape[1] }
    private var savedIDs: [Int32] = []

    public init(weight: Parameter) {
        precondition(weight.value.rank == 2, "Embedding table must be [vocab, dim]")
        self.weight = weight
    }

    public convenience init(_ vocabularySize: Int, _ dimension: Int, name: String = "embedding", std: Float = 0.02,
                            rng: inout RandomGenerator) {
        self.init(weight: Parameter("\(name).weight", .randomNormal([vocabularySize, dimension], std: std, rng: &rng)))
    }

    public var parameters: [Parameter] { [weight] }

    /// ids: N token ids → [N, dim].
    public func forward(_ ids: [Int32]) -> Tensor {
        savedIDs = ids
        let d = dimension
        let out = Tensor(uninitialized: [ids.count, d])
        for (r, id) in ids.enumerated() {
            precondition(id >= 0 && Int(id) < vocabularySize, "token id \(id) outside vocabulary of \(vocabularySize)")
            (out.data + r * d).update(from: weight.value.data + Int(id) * d, count: d)
        }
        return out
    }

    public func callAsFunction(_ ids: [Int32]) -> Tensor { forward(ids) }

    public func backward(_ dy: Tensor) {
        let d = dimension
        for (r, id) in savedIDs.enumerated() {
            let row = weight.grad.data + Int(id) * d
            Vec.add(row, dy.data + r * d, row, d)
        }
    }
}
