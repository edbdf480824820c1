import Foundation
import GlossaLM
import GlossaTensor

/// A Whisper model folder (CTranslate2 model.bin + tokenizer.json) ready to transcribe, with
/// openai/whisper transcribe.py's long-form algorithm: 30 s windows advanced by the last
/// timestamp, the previous text as prompt, temperature fallback on repetition
/// (compression ratio > 2.4; under fusion also a repeated 4-word sequence, see
/// `ShallowFusion.repeatsWords`) or low confidence (mean log-prob < −1), keeping the surest
/// decoding when every temperature fails (faster-whisper's rule), and silence skipping.
public final class WhisperTranscriber {
    public struct Options {
        /// ISO code ("en", "de", …) or nil to detect from the first window (multilingual models).
        public var language: String?
        public var translate = false
        public var beamSize = 5
        public var temperatures: [Float] = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
        public var compressionRatioThreshold = 2.4
        public var logProbThreshold = -1.0
        public var noSpeechThreshold: Float = 0.6
        public var conditionOnPreviousText = true
        public var timestamps = true
        /// decoding.py sample_len: at most half the text context per window.
        public var sampleLength = 224
        public var seed: UInt64 = 0
        /// Shallow fusion with an external LM (nil: none).
        public var fusion: ShallowFusion?
        /// Whether a fused decoding whose every live hypothesis loops stops early
        /// (`WhisperWindowDecoder.decode(_:…abandoningLoopsAfter:)`); off only in tests.
        var abandonsLoops = true
        public init(language: String? = nil) { self.language = language }

        /// transcribe.py's no-speech rule: a window is silence when the no-speech probability is
        /// above its threshold and the decoding's mean log-probability below its own.
        func isSilence(_ result: WhisperWindowDecoder.Result) -> Bool {
            result.noSpeechProbability > noSpeechThreshold && result.averageLogProb < logProbThreshold
        }
    }

    /// Runs a window's beam steps. The encoder and `prime` are OpenBLAS's large products; the
    /// beam steps are Glossa's kernels on Glossa's threads, where an idle OpenBLAS worker would
    /// spin on a core they need, so OpenBLAS runs them at one thread (BLAS.withThreads).
    /// `bench whisper` times its steps through this too.
    public static func beamSteps<T>(_ body: () -> T) -> T { BLAS.withThreads(1, body) }

    public struct Segment: Codable, Equatable {
        public let start: Double, end: Double
        public let text: String
        /// Its token ids, timestamps included (as transcribe.py and faster-whisper keep them).
        public let tokens: [Int32]
        public let averageLogProb: Double
        public let noSpeechProbability: Float
        public let temperature: Float
        public let compressionRatio: Double

        enum CodingKeys: String, CodingKey {
            case start, end, text, tokens, temperature
            case averageLogProb = "avg_logprob", noSpeechProbability = "no_speech_prob", compressionRatio = "compression_ratio"
        }
    }

    public struct Transcript {
        public let language: String?
        public let segments: [Segment]
        public var text: String { segments.map(\.text).joined().trimmingCharacters(in: .whitespaces) }
    }

    public let model: WhisperModel
    public let vocabulary: WhisperVocabulary
    public let frontEnd: LogMelSpectrogram

    public init(folder: String) throws {
        let bin = folder + "/model.bin"
        guard FileManager.default.fileExists(atPath: bin) else {
            throw ModelFileError.unreadable(folder, "no model.bin (run `make models` for models/whisper-base and models/whisper-tiny.en)")
        }
        model = try WhisperModel.load(ctranslate2: bin)
        vocabulary = try WhisperVocabulary(tokenizer: try ByteLevelBPETokenizer(path: folder + "/tokenizer.json"), path: folder + "/tokenizer.json",
                                           multilingual: model.dimensions.vocabulary >= 51_865)
        frontEnd = LogMelSpectrogram(melCount: model.dimensions.melCount)
    }

    /// Whisper's detect_language: the most likely language token after <|startoftranscript|>.
    public func detectLanguage(audio: Tensor) -> (code: String, probability: Float)? {
        guard vocabulary.isMultilingual else { return nil }
        var state = model.makeDecoderState(audio: audio)
        let logits = model.decode([vocabulary.startOfTranscript], state: &state)
        let values = vocabulary.languages.map { logits.data[Int($0.id)] }
        let m = values.max()!
        let total = values.reduce(Float(0)) { $0 + Foundation.exp($1 - m) }
        return (vocabulary.languages[values.firstIndex(of: m)!].code, 1 / total)
    }

    /// <|startoftranscript|> <|lang|> <|task|> (+ <|notimestamps|>), after <|startofprev|> and
    /// the last 223 previous tokens when there are any.
    func prompt(previous: [Int32], language: String?, options: Options) throws -> [Int32] {
        var ids: [Int32] = []
        if !previous.isEmpty, let prev = vocabulary.tokenizer.id(of: "<|startofprev|>") {
            ids = [prev] + previous.suffix(model.dimensions.textContext / 2 - 1)
        }
        ids.append(vocabulary.startOfTranscript)
        if vocabulary.isMultilingual {
            guard let code = language, let token = vocabulary.languageToken(code) else {
                throw ModelError.invalidInput("unknown language '\(language ?? "")'")
            }
            ids.append(token)
            if let task = options.translate ? vocabulary.translate : vocabulary.transcribe { ids.append(task) }
        }
        if !options.timestamps { ids.append(vocabulary.noTimestamps) }
        return ids
    }

    /// `frames` mel frames from `start`, zero-filled to `width`: transcribe.py's
    /// `pad_or_trim(mel[:, seek : seek + segment_size], N_FRAMES)`. The zeros matter: a short
    /// window padded with the spectrogram's own log-silence frames instead decodes differently
    /// (e.g. "the" heard as "a" in espeak-ng speech).
    static func window(of mel: Tensor, from start: Int, frames: Int, width: Int) -> Tensor {
        let window = Tensor(zeros: [mel.shape[0], width])
        for m in 0..<mel.shape[0] {
            (window.data + m * width).update(from: mel.data + m * mel.shape[1] + start, count: frames)
        }
        return window
    }

    /// Transcribes 16 kHz mono samples; `onSegment` streams segments as they are decoded.
    public func transcribe(_ samples: [Float], options: Options = Options(), onSegment: ((Segment) -> Void)? = nil) throws -> Transcript {
        let windowFrames = 2 * model.dimensions.audioContext  // 3000 mel frames = 30 s
        let mel = frontEnd(samples, padding: windowFrames * LogMelSpectrogram.hop)
        let contentFrames = samples.count / LogMelSpectrogram.hop
        let secondsPerFrame = Double(LogMelSpectrogram.hop) / Double(LogMelSpectrogram.sampleRate)
        let decoder = WhisperWindowDecoder(model: model, vocabulary: vocabulary,
                                           filters: WhisperLogitFilters(vocabulary: vocabulary, timestamps: options.timestamps),
                                           sampleLength: options.sampleLength, fusion: options.fusion)
        // transcribe.py detects the language once, on the first 30 s of the padded spectrogram.
        // That window is the first decoding window too when the audio lasts 30 s or more.
        var language = options.language
        var firstWindow: Tensor?
        if language == nil, contentFrames > 0 {
            firstWindow = model.encode(Self.window(of: mel, from: 0, frames: windowFrames, width: windowFrames))
            language = detectLanguage(audio: firstWindow!)?.code
        }
        var segments: [Segment] = []
        var allTokens: [Int32] = []
        var promptResetSince = 0
        var previousText = ""  // the last window's text, for fusion's loop check
        var seek = 0
        while seek < contentFrames {
            let segmentSize = min(windowFrames, contentFrames - seek)
            let reusable = seek == 0 && segmentSize == windowFrames ? firstWindow : nil
            let audio = reusable ?? model.encode(Self.window(of: mel, from: seek, frames: segmentSize, width: windowFrames))
            let prefix = try prompt(previous: Array(allTokens[promptResetSince...]), language: language, options: options)

            let lmContext = allTokens.filter(vocabulary.isText)
            let (result, lastTemperature) = decodeWithFallback(decoder, audio: audio, prompt: prefix, lmContext: lmContext,
                                                               previousText: previousText, options: options)
            if options.isSilence(result) {
                seek += segmentSize  // silence
                continue
            }
            previousText = result.text
            let timeOffset = Double(seek) * secondsPerFrame
            let (windowSegments, advance) = split(result, offset: timeOffset, windowDuration: Double(segmentSize) * secondsPerFrame, options: options)
            // An instantaneous or empty segment is dropped, from the output and from the prompt
            // (faster-whisper's generate_segments; transcribe.py clears its text and tokens).
            for s in windowSegments where s.start != s.end && !s.text.trimmingCharacters(in: .whitespaces).isEmpty {
                segments.append(s)
                allTokens.append(contentsOf: s.tokens)
                onSegment?(s)
            }
            seek += advance.map { max(1, $0) } ?? segmentSize
            if !options.conditionOnPreviousText || lastTemperature > 0.5 { promptResetSince = allTokens.count }
        }
        return Transcript(language: language, segments: segments)
    }

    /// One window decoded with transcribe.py's temperature fallback: a decoding that repeats
    /// itself (compression ratio; under fusion also a repeated word sequence) or is unsure of
    /// itself (mean log-probability below the threshold), unless the window is silence, is followed
    /// by the next in `fallbackTemperatures`. When every one fails, the result is the surest of
    /// those that do not repeat themselves (of all, if each does), as faster-whisper's
    /// generate_with_fallback picks it (`max(below_cr_threshold_results or all_results)`), not the
    /// last, most random one that transcribe.py keeps. "Surest" is whisper's own mean
    /// log-probability, under fusion too: by the fused score the fused decoding, which failed
    /// whisper's check, would win almost always, and on espeak-ng's German that kept the
    /// fluent text the LM had steered whisper into (docs/asr.md). The fused score does rank the
    /// hypotheses of the first retry's beam search that pass every check (`decode(…rescoring:)`).
    /// Returns it with the last temperature tried, which decides the prompt reset (faster-whisper
    /// passes the same on).
    func decodeWithFallback(_ decoder: WhisperWindowDecoder, audio: Tensor, prompt: [Int32], lmContext: [Int32],
                            previousText: String, options: Options) -> (WhisperWindowDecoder.Result, Float) {
        let primed = decoder.prime(audio: audio, prompt: prompt)
        return Self.beamSteps {
            decodeAttempts(decoder, primed: primed, lmContext: lmContext, previousText: previousText, options: options)
        }
    }

    /// `decodeWithFallback`'s decodings of a primed window, in order, and its pick.
    private func decodeAttempts(_ decoder: WhisperWindowDecoder, primed: WhisperWindowDecoder.Primed, lmContext: [Int32],
                                previousText: String, options: Options) -> (WhisperWindowDecoder.Result, Float) {
        let retries = fallbackTemperatures(options)
        // A fused decoding stops once every live hypothesis loops (`abandoningLoopsAfter`), and
        // is then rejected.
        let abandoning = !retries.isEmpty && options.abandonsLoops
        func first(abandoning: Bool) -> WhisperWindowDecoder.Result {
            decoder.decode(primed, beamSize: options.beamSize, temperature: options.temperatures[0], seed: options.seed,
                           lmContext: lmContext, abandoningLoopsAfter: abandoning ? previousText : nil)
        }
        var result = first(abandoning: abandoning)
        guard !retries.isEmpty else { return (result, result.temperature) }  // --no-fallback: kept unchecked
        var tried: [(result: WhisperWindowDecoder.Result, repeats: Bool)] = []
        // A window the LM chose is also checked for the short loops the LM encourages.
        func repeats(_ result: WhisperWindowDecoder.Result, chosenByLM: Bool) -> Bool {
            result.compressionRatio > options.compressionRatioThreshold
                || (chosenByLM && options.fusion!.repeatsWords(result.text, after: previousText))
        }
        // Under fusion the first retry (temperature 0 without the LM) keeps, of its beam's
        // finished hypotheses that pass every check, the best by the fused score: whisper's
        // confident candidates, ranked by the LM (`decode(…rescoring:)`, docs/asr.md).
        let fusing = options.fusion?.isActive == true
        func passes(_ result: WhisperWindowDecoder.Result) -> Bool {
            !repeats(result, chosenByLM: true) && result.averageLogProb >= options.logProbThreshold
        }
        for attempt in 0...retries.count {
            if attempt > 0 {
                let t = retries[attempt - 1]
                result = decoder.decode(primed, beamSize: options.beamSize, temperature: t,
                                        seed: options.seed &+ UInt64(t * 10), lmContext: lmContext, fused: false,
                                        rescoring: fusing && attempt == 1 ? passes : nil)
            }
            let loops = repeats(result, chosenByLM: result.fused)
            let unsure = result.averageLogProb < options.logProbThreshold
            // Whether the window is silence is whisper's call: a fused decoding's mean
            // log-probability is whisper's score of words the LM helped choose, lower than that
            // of whisper's own decoding by construction, so its verdict waits for the unfused
            // decoding that follows (on espeak-ng's Spanish, a fused decoding made a spoken
            // window silence where the unfused one was sure of it; docs/asr.md).
            let silence = options.isSilence(result) && !result.fused
            if silence || !(loops || unsure) { return (result, result.temperature) }
            tried.append((result, loops))
        }
        // When every decoding repeats, the surest of all is kept, which may be the abandoned
        // one's whole decoding (a loop grows surer as it goes on): it is decoded to its end.
        if let k = tried.firstIndex(where: \.result.abandoned), tried.allSatisfy(\.repeats) {
            let whole = first(abandoning: false)
            tried[k] = (whole, repeats(whole, chosenByLM: whole.fused))
        }
        return (Self.surest(tried), result.temperature)
    }

    /// faster-whisper's pick when every temperature failed: the best mean log-probability among
    /// the decodings that do not repeat themselves, or among all when each does; the earliest of
    /// equals (`tried` is in the order decoded, never empty).
    static func surest(_ tried: [(result: WhisperWindowDecoder.Result, repeats: Bool)]) -> WhisperWindowDecoder.Result {
        let unrepeated = tried.filter { !$0.repeats }
        return (unrepeated.isEmpty ? tried : unrepeated).map(\.result).max { $0.averageLogProb < $1.averageLogProb }!
    }

    /// The decodings tried, in order, after the first (fused when fusion is on) fails the
    /// repetition or confidence check: transcribe.py's rising temperatures, without the LM. A
    /// transformer LM that has a loop in its context predicts the next repeat almost surely, so
    /// a window that failed with fusion is first decoded again at the same temperature without
    /// it, and only then sampled: fusion steers the windows whisper reads, and a window whisper
    /// cannot read falls back exactly as it would without fusion, at the unfused cost. With one
    /// temperature (`--no-fallback`) nothing is retried.
    func fallbackTemperatures(_ options: Options) -> [Float] {
        guard options.temperatures.count > 1 else { return [] }
        return (options.fusion?.isActive == true ? [options.temperatures[0]] : []) + options.temperatures.dropFirst()
    }

    /// Segments from the window's tokens (transcribe.py): consecutive timestamp pairs close a
    /// segment; returns the frames to advance, or nil to advance by the whole window.
    func split(_ result: WhisperWindowDecoder.Result, offset: Double, windowDuration: Double, options: Options) -> ([Segment], Int?) {
        let tokens = result.tokens
        let begin = vocabulary.firstTimestamp
        func isTimestamp(_ t: Int32) -> Bool { t >= begin }
        func segment(_ slice: ArraySlice<Int32>, start: Double, end: Double) -> Segment {
            let text = vocabulary.tokenizer.decode(slice.filter(vocabulary.isText))
            // Times in whole milliseconds: 0.02 s steps accumulate binary rounding noise.
            // The slice's tokens, timestamps included: they also become the next window's prompt
            // (transcribe.py and faster-whisper both prompt with the timestamps).
            return Segment(start: (start * 1000).rounded() / 1000, end: (end * 1000).rounded() / 1000, text: text, tokens: Array(slice),
                           averageLogProb: result.averageLogProb, noSpeechProbability: result.noSpeechProbability,
                           temperature: result.temperature, compressionRatio: result.compressionRatio)
        }
        guard options.timestamps else {
            return ([segment(tokens[...], start: offset, end: offset + windowDuration)], nil)
        }
        let singleTimestampEnding = tokens.count >= 2 && !isTimestamp(tokens[tokens.count - 2]) && isTimestamp(tokens[tokens.count - 1])
        var slices = (1..<max(1, tokens.count)).filter { tokens.count > 1 && isTimestamp(tokens[$0 - 1]) && isTimestamp(tokens[$0]) }
        if !slices.isEmpty {
            if singleTimestampEnding { slices.append(tokens.count) }
            var out: [Segment] = []
            var last = 0
            for current in slices {
                let sliced = tokens[last..<current]
                let start = Double(sliced.first! - begin) * 0.02, end = Double(sliced.last! - begin) * 0.02
                out.append(segment(sliced, start: offset + start, end: offset + end))
                last = current
            }
            if singleTimestampEnding { return (out, nil) }
            // Continue from the last timestamp: 0.02 s per timestamp step is 2 mel frames.
            return (out, Int(tokens[last - 1] - begin) * 2)
        }
        var duration = windowDuration
        if let lastTimestamp = tokens.last(where: isTimestamp), lastTimestamp != begin {
            duration = Double(lastTimestamp - begin) * 0.02
        }
        return ([segment(tokens[...], start: offset, end: offset + duration)], nil)
    }
}
