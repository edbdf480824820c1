import ArgumentParser
import Foundation
import GlossaLM
import GlossaSupport
import GlossaTensor

struct BenchLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Prefill and decode speed of a realistic-size LM, as ratios of this machine's limits.",
        discussion: """
        Builds random-weight models in memory (d 512, 8 layers, 8 heads, vocabulary 50,258, tied \
        head): a dense one (SwiGLU 1,408) and a Mixtral-style MoE (8 experts of 1,408, top-2). \
        For each it measures, in the same run as the machine's limits:
          prefill  tokens/s of one --prefill-token prompt (logits for the last token), and its \
                   GFLOP/s (2 × active weights × tokens + attention) as a share of the sgemm peak;
          decode   tokens/s of --decode-tokens cached steps, against the bound set by the weight \
                   bytes each step must read divided by the measured memory read bandwidth.

        Targets: prefill ≥ 50% of peak, decode ≥ 60% of the bandwidth bound.
        """)

    @Option(help: "Threads for OpenBLAS and Glossa's kernels (default: all cores).")
    var threads: Int = Parallel.threadCount

    @Option(name: .customLong("prefill-tokens"), help: "Prompt length for prefill.")
    var prefillTokens = 512

    @Option(name: .customLong("decode-tokens"), help: "Cached decoding steps to time.")
    var decodeTokens = 64

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard threads >= 1, prefillTokens >= 1, decodeTokens >= 1 else {
            throw ValidationError("--threads, --prefill-tokens and --decode-tokens must be at least 1")
        }
    }

    struct ModelReport: Codable {
        let name: String
        let activeParameters: Int
        let prefillTokensPerSecond: Double
        let prefillGflops: Double
        let prefillRatioToPeak: Double
        let decodeTokensPerSecond: Double
        let decodeBoundTokensPerSecond: Double
        let decodeRatioToBound: Double
    }

    struct Report: Codable {
        let threads: Int
        let sgemmPeakGflops: Double
        let memoryReadGBps: Double
        let models: [ModelReport]
    }

    func run() throws {
        BLAS.setThreads(threads)
        Parallel.threadCount = threads
        let progress = ProgressReporter("bench lm", total: 4, unit: "steps")
        let peak = GemmBenchmark.measurePeak(minSeconds: 0.5).gflops
        let bandwidth = MemoryBandwidth.measureReadGBps()
        progress.advance(status: String(format: "peak %.0f GFLOP/s, memory %.1f GB/s", peak, bandwidth))
        let variants: [(String, TransformerConfig)] = [
            ("dense", .llamaStyle(vocabulary: 50_258, hidden: 512, layers: 8, heads: 8, kvHeads: 8, intermediate: 1408)),
            ("MoE 8×top-2", .llamaStyle(vocabulary: 50_258, hidden: 512, layers: 8, heads: 8, kvHeads: 8, intermediate: 1408, experts: 8)),
        ]
        var reports: [ModelReport] = []
        for (name, cfg) in variants {
            let model = RandomInitialization.llamaStyle(cfg, seed: 1)
            reports.append(measure(name, model, peak: peak, bandwidth: bandwidth))
            progress.advance(status: name)
        }
        progress.finish()
        let report = Report(threads: threads, sgemmPeakGflops: peak, memoryReadGBps: bandwidth, models: reports)
        if json {
            try printJSON(report)
            return
        }
        print(String(format: "sgemm peak %.1f GFLOP/s · memory read %.1f GB/s · %d threads", peak, bandwidth, threads))
        print(String(format: "prefill: %d-token prompt; decode: %d cached steps after it\n", prefillTokens, decodeTokens))
        print("model          active params   prefill tok/s  GFLOP/s  of peak   decode tok/s  bound tok/s  of bound")
        for m in reports {
            print(m.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                  + String(format: "%12.1fM  %14.0f  %7.1f  %6.1f%%  %13.1f  %11.1f  %7.1f%%",
                           Double(m.activeParameters) / 1e6, m.prefillTokensPerSecond, m.prefillGflops, 100 * m.prefillRatioToPeak,
                           m.decodeTokensPerSecond, m.decodeBoundTokensPerSecond, 100 * m.decodeRatioToBound))
        }
    }

    private func measure(_ name: String, _ model: TransformerLM, peak: Double, bandwidth: Double) -> ModelReport {
        var rng = RandomGenerator(seed: 2)
        let prompt = (0..<prefillTokens).map { _ in Int32(rng.int(below: model.vocabularySize)) }
        let cfg = model.config
        // FLOPs: 2 per active weight per token, without the head except for the last token,
        // plus causal attention (q·k and p·v over on average T/2 keys, per layer).
        let headParams = cfg.vocabularySize * cfg.hiddenSize
        let perToken = Double(cfg.activeParametersPerToken - headParams)
        let attention = Double(cfg.layerCount) * 2 * 2 * Double(prefillTokens) * Double(prefillTokens) / 2 * Double(cfg.heads * cfg.headDim)
        let prefillFlops = 2 * perToken * Double(prefillTokens) + 2 * Double(headParams) + attention

        var state = model.makeState()
        _ = model.forward(prompt, state: &state, allLogits: false)  // warm-up
        var best = Double.infinity
        for _ in 0..<2 {
            var s = model.makeState()
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = model.forward(prompt, state: &s, allLogits: false)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            state = s
        }
        var next: Int32 = 1
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<decodeTokens {
            let logits = model.forward([next], state: &state, allLogits: false)
            next = Sampler.argmax(logits.data, logits.lastDim)
        }
        let decodeSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let decodeRate = Double(decodeTokens) / decodeSeconds
        let bound = bandwidth * 1e9 / Double(cfg.activeParametersPerToken * 4)
        return ModelReport(name: name, activeParameters: cfg.activeParametersPerToken,
                           prefillTokensPerSecond: Double(prefillTokens) / best, prefillGflops: prefillFlops / best / 1e9,
                           prefillRatioToPeak: prefillFlops / best / 1e9 / peak, decodeTokensPerSecond: decodeRate,
                           decodeBoundTokensPerSecond: bound, decodeRatioToBound: decodeRate / bound)
    }
}
