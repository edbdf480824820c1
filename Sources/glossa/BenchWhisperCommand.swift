import ArgumentParser
import Foundation
import GlossaSpeech
import GlossaSupport
import GlossaTensor

struct BenchWhisper: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whisper",
        abstract: "Whisper encoder and beam-decoder speed on real weights, as ratios of this machine's limits.",
        discussion: """
        Loads --model (default models/whisper-base, from `make models`) and measures, in the same \
        run as the machine's sgemm peak and memory read bandwidth:
          encode   one 30 s window (the cost every window pays, however short the audio), and \
                   its GFLOP/s (stem convolutions, projections, MLP and attention) against the peak;
          decode   --steps beam steps with --beam hypotheses (the cross-attention, projections and \
                   the tied vocabulary head run once for all beams; OpenBLAS at one thread, as \
                   transcription runs beam steps), against the slower of two \
                   bounds: reading the bytes each step must read (decoder weights and head, in \
                   fp16 where the model file stores fp16; cross-attention keys/values), and \
                   its arithmetic at the sgemm peak.

        Example: glossa bench whisper --threads 2
        """)

    @Option(help: "A CTranslate2 Whisper folder (model.bin + tokenizer.json).")
    var model = "models/whisper-base"

    @Option(help: "Threads for OpenBLAS and Glossa's kernels (default: all cores).")
    var threads: Int = Parallel.threadCount

    @Option(help: "Hypotheses per decoding step.")
    var beam = 5

    @Option(help: "Decoding steps to time.")
    var steps = 50

    @Option(help: "Encoder passes to time (the best is reported).")
    var repeats = 3

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard threads >= 1, beam >= 1, steps >= 1, repeats >= 1 else {
            throw ValidationError("--threads, --beam, --steps and --repeats must be at least 1")
        }
    }

    struct Report: Codable {
        let threads: Int
        let sgemmPeakGflops: Double
        let memoryReadGBps: Double
        let encodeSeconds: Double
        let encodeGflops: Double
        let encodeRatioToPeak: Double
        let decodeMillisecondsPerStep: Double
        let decodeBoundMillisecondsPerStep: Double
        let decodeRatioToBound: Double
    }

    func run() throws {
        BLAS.setThreads(threads)
        Parallel.threadCount = threads
        let transcriber = try WhisperTranscriber(folder: model)
        let whisper = transcriber.model, d = whisper.dimensions
        let progress = ProgressReporter("bench whisper", total: 3, unit: "steps")
        let peak = GemmBenchmark.measurePeak(minSeconds: 0.5).gflops
        let bandwidth = MemoryBandwidth.measureReadGBps()
        progress.advance(status: String(format: "peak %.0f GFLOP/s, memory %.1f GB/s", peak, bandwidth))

        // Log-mel of low-level noise: the encoder's cost does not depend on the content.
        var rng = RandomGenerator(seed: 1)
        let mel = Tensor(uninitialized: [d.melCount, 2 * d.audioContext])
        for i in 0..<mel.count { mel.data[i] = rng.uniform() * 0.1 - 0.5 }
        var audio = whisper.encode(mel)  // warm-up: page in the weights
        var encodeSeconds = Double.infinity
        for _ in 0..<repeats {
            let t0 = DispatchTime.now().uptimeNanoseconds
            audio = whisper.encode(mel)
            encodeSeconds = min(encodeSeconds, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        progress.advance(status: String(format: "encode %.3f s", encodeSeconds))

        let (w, t) = (Double(d.width), Double(d.audioContext))
        // openai/whisper AudioEncoder: conv1 (mel → w, k 3) over 2t frames, conv2 (w → w, k 3, stride 2),
        // then per block q, k, v, out (4w²) and the MLP (2 · 4w²) per frame, plus q·kᵀ and p·v (2 · t² · w).
        let stem = 2 * 2 * t * Double(d.melCount) * 3 * w + 2 * t * w * 3 * w
        let block = 2 * t * 12 * w * w + 2 * 2 * t * t * w
        let encodeFlops = stem + Double(d.encoderLayers) * block

        var states = [WhisperModel.DecoderState](repeating: whisper.makeDecoderState(audio: audio), count: beam)
        let start = transcriber.vocabulary.startOfTranscript
        _ = whisper.decodeStep([Int32](repeating: start, count: beam), states: &states)
        let decodeSeconds = WhisperTranscriber.beamSteps {  // as transcription runs them
            let t0 = DispatchTime.now().uptimeNanoseconds
            for i in 0..<steps {
                _ = whisper.decodeStep((0..<beam).map { Int32(($0 * 97 + i * 31) % 50_000) }, states: &states)
            }
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(steps)
        }
        // Per step: each decoder block's self-attention (4w²), cross q and out (2w²) and MLP
        // (8w²) weights and the tied head (vocabulary × w), in fp16 where the model keeps fp16
        // copies for beam steps, and the cached cross keys and values (2tw, fp32), which each
        // row multiplies twice (q·kᵀ, p·v). The step is bound by the slower of reading those
        // bytes and doing that arithmetic at the sgemm peak.
        let parameters = Double(d.decoderLayers) * 14 * w * w + Double(d.vocabulary) * w
        let crossCache = Double(d.decoderLayers) * 2 * t * w
        let bytes = parameters * Double(whisper.decoderWeightBytes) + crossCache * 4
        let flops = 2 * Double(beam) * (parameters + crossCache)
        let boundSeconds = max(bytes / (bandwidth * 1e9), flops / (peak * 1e9))
        progress.advance(status: String(format: "decode %.1f ms/step", decodeSeconds * 1e3))
        progress.finish()

        let report = Report(threads: threads, sgemmPeakGflops: peak, memoryReadGBps: bandwidth, encodeSeconds: encodeSeconds,
                            encodeGflops: encodeFlops / encodeSeconds / 1e9, encodeRatioToPeak: encodeFlops / encodeSeconds / 1e9 / peak,
                            decodeMillisecondsPerStep: decodeSeconds * 1e3, decodeBoundMillisecondsPerStep: boundSeconds * 1e3,
                            decodeRatioToBound: boundSeconds / decodeSeconds)
        if json {
            try printJSON(report)
            return
        }
        print(String(format: "sgemm peak %.1f GFLOP/s · memory read %.1f GB/s · %d threads · %@", peak, bandwidth, threads, model))
        print(String(format: "encode  one 30 s window: %.3f s, %.1f GFLOP → %.1f GFLOP/s, %.1f%% of peak",
                     encodeSeconds, encodeFlops / 1e9, report.encodeGflops, 100 * report.encodeRatioToPeak))
        print(String(format: "decode  beam %d: %.2f ms/step, bound %.2f ms/step (%.0f MB read: %.2f ms; %.2f GFLOP: %.2f ms), %.1f%% of bound",
                     beam, decodeSeconds * 1e3, boundSeconds * 1e3, bytes / 1e6, bytes / (bandwidth * 1e6),
                     flops / 1e9, flops / (peak * 1e6), 100 * report.decodeRatioToBound))
    }
}
