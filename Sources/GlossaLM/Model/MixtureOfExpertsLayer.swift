import Foundation
import GlossaNN
import GlossaTensor

/// A sparse mixture of experts: a router picks top-k experts per token and the layer returns
/// Σ w·E(x) over them (+ an always-on shared expert, DeepSeek). No capacity limit and no
/// dropped tokens. Experts run on the gathered rows routed to them, one sgemm each.
///
/// Backward: gradients flow into the chosen experts (rows scaled by their weights), into the
/// routing weights (dL/dw = dy·E(x)) and from there through the renormalised softmax or the
/// sigmoid scores into the router. Selection itself (top-k, the correction bias) has no
/// gradient, as in the reference implementations.
public final class MixtureOfExpertsLayer: FeedForwardLayer {
    public let router: Linear
    public let experts: [GatedMLP]
    public let shared: GatedMLP?
    public let config: TransformerConfig.MixtureOfExperts
    /// DeepSeek's `e_score_correction_bias`: shifts selection only, never the weights. Trained
    /// by the auxiliary-loss-free rule (`updateSelectionBias`), not by gradients.
    public let selectionBias: Tensor?
    /// Switch/GLaM load-balancing loss weight α (0: off). Its value is in `lastAuxiliaryLoss`.
    public var auxiliaryLossWeight: Float = 0

    /// Experts chosen for each row in the last forward, and their weights (row-major [rows, k]).
    public private(set) var lastSelection: [Int32] = []
    public private(set) var lastWeights: [Float] = []
    /// Tokens routed to each expert in the last forward.
    public private(set) var lastLoad: [Int] = []
    /// Tokens routed to each expert over every forward since the last `resetLoadCount()`
    /// (how `glossa lm eval` measures balance over a whole validation set).
    public private(set) var cumulativeLoad: [Int] = []
    public private(set) var lastAuxiliaryLoss: Float = 0

    /// What backward needs from forward.
    private var saved: (x: Tensor, probabilities: [Float], rowsFor: [[Int]], slotsFor: [[Int]], outputs: [Tensor?])?

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
        let probabilities = route(router(x))
        let out = shared?.forward(x) ?? Tensor(zeros: x.shape)
        var rowsFor = [[Int]](repeating: [], count: config.experts)
        var slotsFor = [[Int]](repeating: [], count: config.experts)
        for r in 0..<rows {
            for j in 0..<k {
                let e = Int(lastSelection[r * k + j])
                rowsFor[e].append(r)
                slotsFor[e].append(r * k + j)
            }
        }
        var outputs = [Tensor?](repeating: nil, count: config.experts)
        for e in 0..<config.experts where !rowsFor[e].isEmpty {
            let input = Tensor(uninitialized: [rowsFor[e].count, d])
            for (i, r) in rowsFor[e].enumerated() { (input.data + i * d).update(from: x.data + r * d, count: d) }
            let y = experts[e].forward(input)
            for (i, r) in rowsFor[e].enumerated() { Vec.axpy(lastWeights[slotsFor[e][i]], y.data + i * d, out.data + r * d, d) }
            outputs[e] = y
        }
        lastLoad = rowsFor.map(\.count)
        if cumulativeLoad.isEmpty { cumulativeLoad = lastLoad } else { for e in lastLoad.indices { cumulativeLoad[e] += lastLoad[e] } }
        lastAuxiliaryLoss = auxiliaryLoss(probabilities, rows: rows)
        saved = (x, probabilities, rowsFor, slotsFor, outputs)
        return out
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let (x, probabilities, rowsFor, slotsFor, outputs) = saved else { preconditionFailure("MoE backward before forward") }
        let rows = x.rowCount, d = x.lastDim, k = config.topK, n = config.experts
        let dx = shared?.backward(dy) ?? Tensor(zeros: x.shape)
        var dWeights = [Float](repeating: 0, count: rows * k)
        for e in 0..<n {
            guard let y = outputs[e] else { continue }
            let dExpert = Tensor(uninitialized: y.shape)
            for (i, r) in rowsFor[e].enumerated() {
                let slot = slotsFor[e][i]
                dWeights[slot] = Vec.dot(dy.data + r * d, y.data + i * d, d)
                Vec.scale(dy.data + r * d, lastWeights[slot], dExpert.data + i * d, d)
            }
            let dInput = experts[e].backward(dExpert)
            for (i, r) in rowsFor[e].enumerated() { Vec.add(dx.data + r * d, dInput.data + i * d, dx.data + r * d, d) }
        }
        let dLogits = Tensor(zeros: [rows, n])
        for r in 0..<rows {
            let dl = dLogits.data + r * n, p = probabilities.withUnsafeBufferPointer { $0.baseAddress! + r * n }
            let chosen = (0..<k).map { Int(lastSelection[r * k + $0]) }
            let w = (0..<k).map { lastWeights[r * k + $0] }
            let g = (0..<k).map { dWeights[r * k + $0] }
            switch config.routing {
            case .softmaxTopK:
                // w = softmax of the logits restricted to the chosen set: dl_i = w_i (g_i − Σ w_j g_j).
                let mean = zip(w, g).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                for j in 0..<k { dl[chosen[j]] += w[j] * (g[j] - mean) }
            case let .sigmoidGrouped(_, _, normalize, scaling):
                // w_j = c·s_j / Σ s (normalised) or c·s_j; then ds → dl through the sigmoid.
                var ds = [Float](repeating: 0, count: k)
                if normalize {
                    let total = chosen.reduce(Float(0)) { $0 + p[$1] } + 1e-20
                    let mean = (0..<k).reduce(Float(0)) { $0 + g[$1] * p[chosen[$1]] } / total
                    for j in 0..<k { ds[j] = scaling / total * (g[j] - mean) }
                } else {
                    for j in 0..<k { ds[j] = scaling * g[j] }
                }
                for j in 0..<k { dl[chosen[j]] += ds[j] * p[chosen[j]] * (1 - p[chosen[j]]) }
            }
        }
        if auxiliaryLossWeight > 0 { addAuxiliaryLossGradient(dLogits, probabilities, rows: rows) }
        dx.add(router.backward(dLogits))
        return dx
    }

    /// Routes every row: fills lastSelection / lastWeights and returns the per-expert scores
    /// (softmax probabilities or sigmoid scores, [rows, experts]).
    @discardableResult
    func route(_ logits: Tensor) -> [Float] {
        let rows = logits.rowCount, n = config.experts, k = config.topK
        lastSelection = [Int32](repeating: 0, count: rows * k)
        lastWeights = [Float](repeating: 0, count: rows * k)
        var all = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let l = logits.data + r * n
            var scores = [Float](repeating: 0, count: n)
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
            for e in 0..<n { all[r * n + e] = scores[e] }
        }
        return all
    }

    /// Switch/GLaM balance loss α·E·Σ_e f_e·P_e: f_e the share of routed slots that went to
    /// expert e (no gradient), P_e the mean routing probability of e (softmax, or the sigmoid
    /// scores normalised per token).
    private func auxiliaryLoss(_ probabilities: [Float], rows: Int) -> Float {
        guard auxiliaryLossWeight > 0, rows > 0 else { return 0 }
        let n = config.experts
        let f = lastLoad.map { Float($0) / Float(rows * config.topK) }
        var loss: Float = 0
        for e in 0..<n {
            var p: Float = 0
            for r in 0..<rows { p += normalizedProbability(probabilities, r, e) }
            loss += f[e] * p / Float(rows)
        }
        return auxiliaryLossWeight * Float(n) * loss
    }

    private func normalizedProbability(_ probabilities: [Float], _ r: Int, _ e: Int) -> Float {
        let n = config.experts
        if case .softmaxTopK = config.routing { return probabilities[r * n + e] }
        let total = (0..<n).reduce(Float(0)) { $0 + probabilities[r * n + $1] }
        return probabilities[r * n + e] / total
    }

    private func addAuxiliaryLossGradient(_ dLogits: Tensor, _ probabilities: [Float], rows: Int) {
        let n = config.experts
        let f = lastLoad.map { Float($0) / Float(rows * config.topK) }
        let c = auxiliaryLossWeight * Float(n) / Float(rows)
        for r in 0..<rows {
            let dl = dLogits.data + r * n
            // dL/dP_{r,e} = c·f_e, through the softmax or the per-token normalisation and sigmoid.
            var q = [Float](repeating: 0, count: n)
            for e in 0..<n { q[e] = normalizedProbability(probabilities, r, e) }
            let mean = (0..<n).reduce(Float(0)) { $0 + c * f[$1] * q[$1] }
            switch config.routing {
            case .softmaxTopK:
                for e in 0..<n { dl[e] += q[e] * (c * f[e] - mean) }
            case .sigmoidGrouped:
                let total = (0..<n).reduce(Float(0)) { $0 + probabilities[r * n + $1] }
                for e in 0..<n {
                    let s = probabilities[r * n + e]
                    dl[e] += (c * f[e] - mean) / total * s * (1 - s)
                }
            }
        }
    }

    public func resetLoadCount() { cumulativeLoad = [] }

    /// max/mean of `cumulativeLoad` (1 is perfect balance; all top-k of E on k experts is E/k).
    public var cumulativeMaxLoadRatio: Float { Self.maxLoadRatio(cumulativeLoad) }
    /// max/mean of `lastLoad`.
    public var lastMaxLoadRatio: Float { Self.maxLoadRatio(lastLoad) }

    static func maxLoadRatio(_ load: [Int]) -> Float {
        let mean = Float(load.reduce(0, +)) / Float(max(1, load.count))
        return Float(load.max() ?? 0) / max(mean, 1e-9)
    }

    /// DeepSeek-V3's auxiliary-loss-free balancing: b_e −= γ·sign(load_e − mean load), from the
    /// loads of the last forward.
    public func updateSelectionBias(rate gamma: Float) {
        guard let bias = selectionBias, !lastLoad.isEmpty else { return }
        let mean = Float(lastLoad.reduce(0, +)) / Float(lastLoad.count)
        for e in 0..<lastLoad.count {
            let diff = Float(lastLoad[e]) - mean
            bias.data[e] -= gamma * (diff > 0 ? 1 : diff < 0 ? -1 : 0)
        }
    }

    static func topK(_ values: [Float], _ k: Int) -> [Int] {
        values.withUnsafeBufferPointer { Vec.topIndices($0.baseAddress!, values.count, k) }
    }
}
