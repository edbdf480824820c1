import Foundation
import GlossaNN
import GlossaTensor

/// A sparse mixture of experts: a router picks top-k experts per token and the layer returns
/// Σ w·E(x) over them (+ an always-on shared expert, DeepSeek). No capacity limit and no
/// dropped tokens. Experts run on the gathered rows routed to them, one sgemm each.
public final class MixtureOfExpertsLayer: FeedForwardLayer {
    public let router: Linear
    public let experts: [GatedMLP]
    public let shared: GatedMLP?
    public let config: TransformerConfig.MixtureOfExperts
    /// DeepSeek's `e_score_correction_bias`: shifts selection only, never the weights.
    public let selectionBias: Tensor?

    /// Experts chosen for each row in the last forward, and their weights (row-major [rows, k]).
    public private(set) var lastSelection: [Int32] = []
    public private(set) var lastWeights: [Float] = []

    public init(router: Linear, experts: [GatedMLP], shared: GatedMLP?, config: TransformerConfig.MixtureOfExperts,
                selectionBias: Tensor?) {
        self.router = router
        self.experts = experts
        self.shared = shared
        self.config = config
        self.selectionBias = selectionBias
    }

    public var parameters: [Parameter] {
        router.parameters + experts.flatMap(\.parameters) + (shared?.parameters ?? [])
    }

    public func forward(_ x: Tensor) -> Tensor {
        let rows = x.rowCount, d = x.lastDim, k = config.topK
        let logits = router(x)
        route(logits)
        let out = shared?.forward(x) ?? Tensor(zeros: x.shape)
        var rowsFor = [[Int]](repeating: [], count: config.experts)
        var weightsFor = [[Float]](repeating: [], count: config.experts)
        for r in 0..<rows {
            for j in 0..<k {
                let e = Int(lastSelection[r * k + j])
                rowsFor[e].append(r)
                weightsFor[e].append(lastWeights[r * k + j])
            }
        }
        for e in 0..<config.experts where !rowsFor[e].isEmpty {
            let picked = rowsFor[e]
            let input = Tensor(uninitialized: [picked.count, d])
            for (i, r) in picked.enumerated() { (input.data + i * d).update(from: x.data + r * d, count: d) }
            let y = experts[e].forward(input)
            for (i, r) in picked.enumerated() { Vec.axpy(weightsFor[e][i], y.data + i * d, out.data + r * d, d) }
        }
        return out
    }

    /// Fills lastSelection / lastWeights from router logits [rows, experts].
    func route(_ logits: Tensor) {
        let rows = logits.rowCount, n = config.experts, k = config.topK
        lastSelection = [Int32](repeating: 0, count: rows * k)
        lastWeights = [Float](repeating: 0, count: rows * k)
        var scores = [Float](repeating: 0, count: n)
        for r in 0..<rows {
            let l = logits.data + r * n
            switch config.routing {
            case .softmaxTopK:
                // transformers MixtralTopKRouter: softmax in fp32, top-k, renormalise.
                RowMath.softmax(l, &scores, rows: 1, cols: n)
                let chosen = Self.topK(scores, k)
                let total = chosen.reduce(Float(0)) { $0 + scores[$1] }
                for (j, e) in chosen.enumerated() {
                    lastSelection[r * k + j] = Int32(e)
                    lastWeights[r * k + j] = scores[e] / total
                }
            case let .sigmoidGrouped(groups, topKGroups, normalize, scaling):
                // transformers DeepseekV3TopkRouter.
                for e in 0..<n { scores[e] = 1 / (1 + Foundation.exp(-l[e])) }
                var choice = scores
                if let bias = selectionBias { for e in 0..<n { choice[e] += bias.data[e] } }
                let perGroup = n / groups
                let groupScores = (0..<groups).map { g -> Float in
                    let top = Self.topK(Array(choice[(g * perGroup)..<((g + 1) * perGroup)]), min(2, perGroup))
                    return top.reduce(Float(0)) { $0 + choice[g * perGroup + $1] }
                }
                let keptGroups = Set(Self.topK(groupScores, topKGroups))
                for e in 0..<n where !keptGroups.contains(e / perGroup) { choice[e] = -.infinity }
                let chosen = Self.topK(choice, k)
                let total = chosen.reduce(Float(0)) { $0 + scores[$1] } + 1e-20
                for (j, e) in chosen.enumerated() {
                    lastSelection[r * k + j] = Int32(e)
                    lastWeights[r * k + j] = (normalize ? scores[e] / total : scores[e]) * scaling
                }
            }
        }
    }

    /// Indices of the k largest values, largest first; ties go to the lower index (as torch.topk).
    static func topK(_ values: [Float], _ k: Int) -> [Int] {
        var best: [Int] = []
        for i in values.indices {
            var pos = best.count
            while pos > 0 && values[best[pos - 1]] < values[i] { pos -= 1 }
            if pos < k {
                best.insert(i, at: pos)
                if best.count > k { best.removeLast() }
            }
        }
        return best
    }
}
