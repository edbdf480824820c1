import GlossaTensor

/// The logit rules of openai/whisper decoding.py, applied before every decoding step:
/// SuppressBlank (no space or end-of-text as the first token), SuppressTokens (special tokens
/// and the default "-1" set of non-speech symbols) and ApplyTimestampRules (timestamps come in
/// pairs, never go below the last one, the first one is at most 1 s, and a timestamp is forced when the
/// timestamps' total probability beats every text token). Without timestamps, every token
/// from <|notimestamps|> on is suppressed.
struct WhisperLogitFilters {
    let vocabulary: WhisperVocabulary
    let timestamps: Bool
    let suppressed: [Int32]
    let blank: [Int32]
    /// max_initial_timestamp = 1.0 s in 0.02 s steps.
    let maxInitialTimestampIndex: Int32 = 50

    init(vocabulary: WhisperVocabulary, timestamps: Bool) {
        self.vocabulary = vocabulary
        self.timestamps = timestamps
        let tokenizer = vocabulary.tokenizer
        // tokenizer.py non_speech_tokens: these symbols alone or after a space when they are one
        // token, the first token of the musical signs, and of " -" and " '".
        let symbols = "\"#()*+/:;<=>@[\\]^_`{|}~「」『』".map(String.init)
            + "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪".split(separator: " ").map(String.init)
        let miscellaneous = "♩♪♫♬♭♮♯".map(String.init)
        var ids = Set<Int32>([tokenizer.encode(" -").first, tokenizer.encode(" '").first].compactMap { $0 })
        for symbol in symbols + miscellaneous {
            for encoded in [tokenizer.encode(symbol), tokenizer.encode(" " + symbol)] {
                if encoded.count == 1 || miscellaneous.contains(symbol), let first = encoded.first { ids.insert(first) }
            }
        }
        // decoding.py _get_suppress_tokens adds the task and context tokens and <|nospeech|>.
        for special in [vocabulary.transcribe, vocabulary.translate, vocabulary.startOfTranscript, vocabulary.noSpeech,
                        tokenizer.id(of: "<|startofprev|>"), tokenizer.id(of: "<|startoflm|>")] {
            if let special { ids.insert(special) }
        }
        suppressed = ids.sorted()
        blank = [tokenizer.encode(" ").first, vocabulary.endOfText].compactMap { $0 }
    }

    /// Applies every rule to one row of logits, given the tokens sampled so far in this window.
    func apply(_ logits: UnsafeMutablePointer<Float>, count v: Int, sampled: [Int32]) {
        for id in suppressed where Int(id) < v { logits[Int(id)] = -.infinity }
        if sampled.isEmpty { for id in blank { logits[Int(id)] = -.infinity } }
        let noTimestamps = Int(vocabulary.noTimestamps), begin = Int(vocabulary.firstTimestamp), eot = Int(vocabulary.endOfText)
        guard timestamps else {
            for i in noTimestamps..<v { logits[i] = -.infinity }
            return
        }
        logits[noTimestamps] = -.infinity
        let lastWasTimestamp = sampled.count >= 1 && Int(sampled[sampled.count - 1]) >= begin
        let penultimateWasTimestamp = sampled.count < 2 || Int(sampled[sampled.count - 2]) >= begin
        if lastWasTimestamp {
            if penultimateWasTimestamp {
                for i in begin..<v { logits[i] = -.infinity }
            } else {
                for i in 0..<eot { logits[i] = -.infinity }
            }
        }
        // Timestamps never decrease. CTranslate2 (whisper.cc ApplyTimestampRules) forbids only
        // those below the last; openai's newer rule also forbids repeating it outside a pair.
        // Glossa takes CTranslate2's, so that its transcripts equal faster-whisper's.
        if let last = sampled.last(where: { Int($0) >= begin }) {
            for i in begin..<min(Int(last), v) { logits[i] = -.infinity }
        }
        if sampled.isEmpty {
            for i in 0..<begin { logits[i] = -.infinity }
            let lastAllowed = begin + Int(maxInitialTimestampIndex)
            if lastAllowed + 1 < v { for i in (lastAllowed + 1)..<v { logits[i] = -.infinity } }
        }
        // If the timestamps together are likelier than any single text token, emit a timestamp.
        let lse = RowMath.logsumexpRow(logits, v)
        let timestampMass = RowMath.logsumexpRow(logits + begin, v - begin) - lse
        var bestText = -Float.infinity
        for i in 0..<begin where logits[i] > bestText { bestText = logits[i] }
        if timestampMass > bestText - lse {
            for i in 0..<begin { logits[i] = -.infinity }
        }
    }
}
