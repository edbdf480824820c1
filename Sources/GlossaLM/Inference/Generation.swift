import GlossaTensor

/// Text generation: prefill the prompt once, then one cached decoding step per token.
public struct GenerationResult {
    public enum StopReason: String, Codable { case endOfText, stopString, maxTokens, contextFull }
    public let tokens: [Int32]
    public let text: String
    public let stopReason: StopReason
}

extension LanguageModel {
    /// Continues `prompt` until end-of-text, a stop string, `maxTokens` or the context limit.
    /// With a stop string, the returned text ends just before it.
    public func generate(prompt: String, maxTokens: Int, sampling: SamplingOptions = .greedy,
                         stopStrings: [String] = [], onToken: ((String) -> Void)? = nil) throws -> GenerationResult {
        try generate(promptIDs: try requireTokenizer().encode(prompt), maxTokens: maxTokens, sampling: sampling,
                     stopStrings: stopStrings, onToken: onToken)
    }

    /// The same from prompt ids, for a prompt whose tokens are chosen otherwise than by encoding
    /// its text (GlossaPrompt's label spellings). An empty prompt starts from end-of-text.
    public func generate(promptIDs given: [Int32], maxTokens: Int, sampling: SamplingOptions = .greedy,
                         stopStrings: [String] = [], onToken: ((String) -> Void)? = nil) throws -> GenerationResult {
        let tokenizer = try requireTokenizer()
        var promptIDs = given
        if promptIDs.isEmpty, let eos = endOfText { promptIDs = [eos] }
        try validate(promptIDs)
        var state = model.makeState()
        var sampler = Sampler(sampling)
        var logits = model.forward(promptIDs, state: &state, allLogits: false)
        var generated: [Int32] = []
        var emittedBytes = 0
        var reason = GenerationResult.StopReason.maxTokens
        while generated.count < maxTokens {
            let next = sampler.next(logits.data, logits.lastDim)
            if next == endOfText { reason = .endOfText; break }
            generated.append(next)
            var text = tokenizer.decode(generated)
            if let stop = stopStrings.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                text = String(text[..<stop.lowerBound])
                reason = .stopString
                return GenerationResult(tokens: generated, text: text, stopReason: reason)
            }
            // Stream only complete UTF-8: hold back bytes of a character split across tokens.
            let bytes = tokenizer.decodeBytes(generated)
            let complete = Self.completeUTF8Prefix(bytes)
            if complete > emittedBytes {
                onToken?(String(decoding: bytes[emittedBytes..<complete], as: UTF8.self))
                emittedBytes = complete
            }
            if let limit = model.maxPositions, state.length >= limit { reason = .contextFull; break }
            logits = model.forward([next], state: &state, allLogits: false)
        }
        let bytes = tokenizer.decodeBytes(generated)
        if bytes.count > emittedBytes { onToken?(String(decoding: bytes[emittedBytes...], as: UTF8.self)) }
        return GenerationResult(tokens: generated, text: tokenizer.decode(generated), stopReason: reason)
    }

    /// Length of the longest prefix that does not end inside a UTF-8 sequence.
    static func completeUTF8Prefix(_ bytes: [UInt8]) -> Int {
        var i = bytes.count
        var continuation = 0
        while i > 0 && bytes[i - 1] & 0xC0 == 0x80 && continuation < 3 { i -= 1; continuation += 1 }
        guard i > 0 else { return bytes.count }
        let lead = bytes[i - 1]
        let need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0
        return need > continuation ? i - 1 : bytes.count
    }
}
