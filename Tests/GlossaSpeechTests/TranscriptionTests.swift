import XCTest
import Foundation
import GlossaTestSupport
@testable import GlossaSpeech

/// End to end on real speech (a LibriVox clip) with the real Whisper weights from `make models`.
final class TranscriptionTests: XCTestCase {
    let sample = repositoryRoot() + "/assets/samples/librivox-0880.wav"

    func normalized(_ s: String) -> String {
        String(s.lowercased().map { $0.isLetter ? $0 : " " }).split(separator: " ").joined(separator: " ")
    }

    func testWhisperBaseTranscribesLibriVox() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-base"))
        XCTAssertEqual(transcriber.model.dimensions.width, 512)
        XCTAssertEqual(transcriber.model.dimensions.encoderLayers, 6)
        XCTAssertTrue(transcriber.vocabulary.isMultilingual)
        XCTAssertEqual(transcriber.vocabulary.languages.count, 99)
        XCTAssertEqual(transcriber.model.decoderWeightBytes, 2, "CTranslate2's fp16 weights: beam steps read the fp16 copies")
        var options = WhisperTranscriber.Options()
        options.beamSize = 1
        let transcript = try transcriber.transcribe(try AudioFile.read(sample), options: options)
        XCTAssertEqual(transcript.language, "en", "language detection")
        XCTAssertEqual(normalized(transcript.text), "he was not an ill disposed young man")
        XCTAssertEqual(transcript.segments.count, 1)
        XCTAssertEqual(transcript.segments[0].start, 0)
        XCTAssertEqual(transcript.segments[0].end, 3.0, accuracy: 0.5, "the clip is 3.0 s long")

        // Beam search (batched decoder steps) agrees on this clear recording.
        options.beamSize = 3
        let beam = try transcriber.transcribe(try AudioFile.read(sample), options: options)
        XCTAssertEqual(normalized(beam.text), "he was not an ill disposed young man")
    }

    /// When every temperature fails its checks, the window keeps its surest decoding: the best
    /// mean log-probability among those that do not repeat themselves (among all when each
    /// does), the earliest of equals; faster-whisper's rule, where transcribe.py keeps the last.
    func testWhenEveryTemperatureFailsTheSurestDecodingIsKept() {
        func decoding(_ temperature: Float, meanLogProb: Double) -> WhisperWindowDecoder.Result {
            // 3 tokens + end-of-text: the mean is over 4.
            WhisperWindowDecoder.Result(tokens: [1, 2, 3], sumLogProb: 4 * meanLogProb, noSpeechProbability: 0, temperature: temperature,
                                        fused: false, text: "", compressionRatio: 1)
        }
        let greedy = decoding(0, meanLogProb: -1.5), loop = decoding(0.2, meanLogProb: -0.3)
        let unsure = decoding(0.4, meanLogProb: -1.2), tie = decoding(0.6, meanLogProb: -1.2), last = decoding(1, meanLogProb: -2.5)
        func pick(_ tried: [(WhisperWindowDecoder.Result, Bool)]) -> Float {
            WhisperTranscriber.surest(tried.map { (result: $0.0, repeats: $0.1) }).temperature
        }
        XCTAssertEqual(pick([(greedy, false), (loop, true), (unsure, false), (tie, false), (last, false)]), 0.4,
                       "the surest that does not repeat, the earliest of equals; not the loop, not the last")
        XCTAssertEqual(pick([(greedy, true), (loop, true), (last, true)]), 0.2, "all repeat: the surest of all")
        XCTAssertEqual(pick([(last, false)]), 1)
    }

    /// The fallback loop keeps that pick: with a confidence threshold no decoding meets, the
    /// window's result is whichever of its decodings (greedy, then sampled at 1.0 with the
    /// fallback's seed) has the better mean log-probability, not the last one.
    func testTheFallbackKeepsTheSurestDecodingOfTheWindow() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-tiny.en"))
        var options = WhisperTranscriber.Options()
        options.beamSize = 1
        options.temperatures = [0, 1]
        options.logProbThreshold = 0  // every mean log-probability is below 0: every decoding fails
        let samples = try AudioFile.read(sample)
        let frames = samples.count / LogMelSpectrogram.hop
        let mel = transcriber.frontEnd(samples, padding: 3000 * LogMelSpectrogram.hop)
        let audio = transcriber.model.encode(WhisperTranscriber.window(of: mel, from: 0, frames: frames, width: 3000))
        let decoder = WhisperWindowDecoder(model: transcriber.model, vocabulary: transcriber.vocabulary,
                                           filters: WhisperLogitFilters(vocabulary: transcriber.vocabulary, timestamps: true),
                                           sampleLength: options.sampleLength)
        let prompt = try transcriber.prompt(previous: [], language: nil, options: options)
        let greedy = decoder.decode(audio: audio, prompt: prompt, beamSize: 1, temperature: 0, seed: 0)
        let sampled = decoder.decode(audio: audio, prompt: prompt, beamSize: 1, temperature: 1, seed: 10)
        XCTAssertNotEqual(normalized(greedy.text), normalized(sampled.text), "the two decodings must differ for the pick to show")
        XCTAssertLessThan(max(greedy.compressionRatio, sampled.compressionRatio), options.compressionRatioThreshold)
        let (surest, other) = greedy.averageLogProb >= sampled.averageLogProb ? (greedy, sampled) : (sampled, greedy)
        let (kept, lastTemperature) = transcriber.decodeWithFallback(decoder, audio: audio, prompt: prompt, lmContext: [], previousText: "",
                                                                      options: options)
        XCTAssertEqual(kept.tokens, surest.tokens)
        XCTAssertNotEqual(kept.tokens, other.tokens)
        XCTAssertEqual(lastTemperature, 1, "the last temperature tried decides the prompt reset")
    }

    /// transcribe.py's segment split: a timestamp pair closes a segment, the segment keeps its
    /// timestamp tokens (they prompt the next window), and an unclosed tail means "continue
    /// from the last timestamp".
    func testSegmentsKeepTheirTimestampsAndAnOpenTailSeeksBack() throws {
        let transcriber = try WhisperTranscriber(folder: modelFile("whisper-base"))
        let begin = transcriber.vocabulary.firstTimestamp
        let words = transcriber.vocabulary.tokenizer.encode(" Hello there. And")
        let tokens = [begin] + words.prefix(3) + [begin + 140, begin + 140] + words.suffix(1)
        let result = WhisperWindowDecoder.Result(tokens: tokens, sumLogProb: -1, noSpeechProbability: 0, temperature: 0, fused: false,
                                                 text: "", compressionRatio: 1)
        let (segments, advance) = transcriber.split(result, offset: 10, windowDuration: 30, options: .init())
        XCTAssertEqual(segments.count, 1)
        XCTAssertEqual(segments[0].tokens, [begin] + words.prefix(3) + [begin + 140])
        XCTAssertEqual(segments[0].start, 10)
        XCTAssertEqual(segments[0].end, 12.8, accuracy: 1e-9)
        XCTAssertEqual(segments[0].text, " Hello there.")
        XCTAssertEqual(advance, 280, "2.8 s = 280 mel frames: the open segment is decoded again")
    }

    func testCorruptModelFileGivesAClearError() throws {
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/model.bin", contents: Data([6, 0, 0, 0, 200, 0, 65])))
        XCTAssertThrowsError(try WhisperModel.load(ctranslate2: folder + "/model.bin")) {
            XCTAssertTrue("\($0)".contains("invalid model file: truncated"), "\($0)")
        }
        XCTAssertThrowsError(try WhisperTranscriber(folder: folder + "/nothing")) {
            XCTAssertTrue("\($0)".contains("no model.bin"), "\($0)")
        }
    }
}

final class TranscriptFormatTests: XCTestCase {
    let transcript = WhisperTranscriber.Transcript(language: "en", segments: [
        .init(start: 0, end: 2.8, text: " Hello there.", tokens: [1, 2], averageLogProb: -0.2, noSpeechProbability: 0.01, temperature: 0, compressionRatio: 1.1),
        .init(start: 2.8, end: 3661.5, text: " Second line.", tokens: [3], averageLogProb: -0.3, noSpeechProbability: 0.02, temperature: 0.2, compressionRatio: 1.0),
    ])

    func testSRTAndVTTAreWellFormedAndMonotonic() throws {
        XCTAssertEqual(try TranscriptFormat.srt.render(transcript),
                       "1\n00:00:00,000 --> 00:00:02,800\nHello there.\n\n2\n00:00:02,800 --> 01:01:01,500\nSecond line.\n")
        XCTAssertEqual(try TranscriptFormat.vtt.render(transcript),
                       "WEBVTT\n\n00:00:00.000 --> 00:00:02.800\nHello there.\n\n00:00:02.800 --> 01:01:01.500\nSecond line.\n")
    }

    func testJSONHasSegmentsWithTheDocumentedFields() throws {
        let json = try TranscriptFormat.json.render(transcript)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        XCTAssertEqual(object["text"] as? String, "Hello there. Second line.")
        let segments = object["segments"] as! [[String: Any]]
        XCTAssertEqual(segments.count, 2)
        for key in ["start", "end", "text", "avg_logprob", "tokens", "no_speech_prob", "temperature", "compression_ratio"] {
            XCTAssertNotNil(segments[0][key], key)
        }
    }

    func testCompressionRatioFlagsRepetition() {
        XCTAssertLessThan(WhisperWindowDecoder.compressionRatio("He was not an ill-disposed young man."), 1.5)
        XCTAssertGreaterThan(WhisperWindowDecoder.compressionRatio(String(repeating: "the same words again and again ", count: 20)), 2.4)
    }
}
