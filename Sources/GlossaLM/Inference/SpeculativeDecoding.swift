import GlossaTensor

/// Self-speculative greedy decoding with the model's multi-token-prediction module
/// (DeepSeek-V3 §2.2 / DESIGN §4): the MTP module drafts x_{t+2} while the trunk emits
/// x_{t+1}; one trunk pass over [x_{t+1}, draft] then both verifies the draft and yields the
/// token after it. A rejected draft's cache row is truncated away. Every emitted token is the
/// trunk's own argmax given the emitted prefix, so the output equals plain greedy decoding.
public struct SpeculativeStatistics: Codable {
    /// Drafts proposed and drafts the trunk confirmed.
    public var drafted = 0
    public var accepted = 0
    /// Trunk passes after the prompt (plain greedy needs one per token).
    public var trunkPasses = 0
    public var acceptanceRate: Double { drafted == 0 ? 0 : Double(accepted) / Double(drafted) }
    public init() {}
}

extension TransformerLM {
    /// Greedy continuation of `prompt` (at least one token) for up to `maxTokens` tokens,
    /// stopping after `stop` when given. Needs `multiTokenPrediction`.
    public func generateSpeculatively(prompt: [Int32], maxTokens: Int, stop: Int32?) -> (tokens: [Int32], statistics: SpeculativeStatistics) {
        guard let mtp = multiTokenPrediction else { preconditionFailure("self-speculative decoding needs a multi-token-prediction module") }
        precondition(!prompt.isEmpty, "the prompt needs at least one token")
        var stats = SpeculativeStatistics()
        var state = makeState()
        var draftCache: LayerKVCache? = mtp.makeCache()
        var output: [Int32] = []
        guard maxTokens > 0 else { return (output, stats) }

        // Appends verified tokens; false once generation must stop.
        func emit(_ token: Int32) -> Bool {
            output.append(token)
            return token != stop && output.count < maxTokens
        }
        // MTP rows for trunk positions `start…`: (h_i, x_{i+1}) → the draft after the last.
        func draft(hidden: Tensor, next: [Int32], start: Int) -> Int32 {
            let states = mtp.forward(hidden: hidden, nextEmbeddings: embedding(next), batch: 1,
                                     positions: Array(start..<(start + next.count)), cache: &draftCache)
            let logits = head(states.rows((states.rowCount - 1)..<states.rowCount))
            return Sampler.argmax(logits.data, logits.lastDim)
        }
        func argmax(_ logits: Tensor, row: Int) -> Int32 { Sampler.argmax(logits.data + row * logits.lastDim, logits.lastDim) }

        let promptHidden = hiddenStates(prompt, state: &state)
        var current = argmax(head(promptHidden.rows((prompt.count - 1)..<prompt.count)), row: 0)
        guard emit(current) else { return (output, stats) }
        var proposal = draft(hidden: promptHidden, next: Array(prompt.dropFirst()) + [current], start: 0)
        while true {
            let position = state.length
            let verified = hiddenStates([current, proposal], state: &state)
            let logits = head(verified)
            stats.trunkPasses += 1
            stats.drafted += 1
            let next = argmax(logits, row: 0)
            if next == proposal {
                stats.accepted += 1
                let after = argmax(logits, row: 1)
                guard emit(proposal), emit(after) else { break }
                proposal = draft(hidden: verified, next: [proposal, after], start: position)
                current = after
            } else {
                state.truncate(to: position + 1)
                guard emit(next) else { break }
                proposal = draft(hidden: verified.rows(0..<1), next: [next], start: position)
                current = next
            }
        }
        return (output, stats)
    }
}

extension TransformerLM {
    /// Plain greedy continuation, one cached trunk pass per token: the reference that
    /// `generateSpeculatively` must equal, and its speed baseline.
    public func generateGreedily(prompt: [Int32], maxTokens: Int, stop: Int32?) -> [Int32] {
        precondition(!prompt.isEmpty, "the prompt needs at least one token")
        var state = makeState()
        var logits = forward(prompt, state: &state, allLogits: false)
        var output: [Int32] = []
        while output.count < maxTokens {
            let next = Sampler.argmax(logits.data, logits.lastDim)
            output.append(next)
            if next == stop || output.count == maxTokens { break }
            logits = forward([next], state: &state, allLogits: false)
        }
        return output
    }
}
