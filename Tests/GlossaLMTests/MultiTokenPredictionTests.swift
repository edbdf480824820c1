import XCTest
import Foundation
import GlossaNN
import GlossaTensor
import GlossaTestSupport
@testable import GlossaLM

final class MultiTokenPredictionTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = makeTemporaryFolder()
        // A corpus with a learnable two-ahead structure: a repeating cycle with noise.
        var rng = RandomGenerator(seed: 5)
        try FileManager.default.createDirectory(atPath: "\(folder)/en", withIntermediateDirectories: true)
        for split in ["train", "valid"] {
            let ids = (0..<4000).map { i -> UInt16 in rng.int(below: 10) == 0 ? UInt16(rng.int(below: 48)) : UInt16((i * 5) % 48) }
            try ids.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: "\(folder)/en/\(split).tokens"))
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func tinyModel(experts: Int, seed: UInt64 = 1) throws -> TransformerLM {
        let cfg = TransformerConfig.deepseekStyle(vocabulary: 48, hidden: 16, layers: 2, heads: 2, denseLayers: 1, denseIntermediate: 24,
                                                  experts: experts, topK: 2, expertIntermediate: 8, kvRank: 8, ropeHeadDim: 4,
                                                  nopeHeadDim: 4, valueHeadDim: 4)
        let model = RandomInitialization.deepseekStyle(cfg, seed: seed, std: 0.3)
        model.multiTokenPrediction = try .initialized(for: model, seed: seed)
        return model
    }

    func options() -> MultiTokenPredictionTrainer.Options {
        var o = MultiTokenPredictionTrainer.Options()
        (o.steps, o.batch, o.length, o.warmupSteps, o.peakLearningRate, o.languages) = (6, 2, 12, 1, 1e-2, ["en"])
        return o
    }

    func testSelfSpeculativeDecodingEqualsGreedy() throws {
        let model = try tinyModel(experts: 4)
        var total = SpeculativeStatistics()
        var rng = RandomGenerator(seed: 9)
        for _ in 0..<12 {
            let prompt = (0..<(1 + rng.int(below: 6))).map { _ in Int32(rng.int(below: 48)) }
            let greedy = model.generateGreedily(prompt: prompt, maxTokens: 30, stop: 47)
            let (fast, stats) = model.generateSpeculatively(prompt: prompt, maxTokens: 30, stop: 47)
            XCTAssertEqual(fast, greedy, "prompt \(prompt)")
            total.drafted += stats.drafted
            total.accepted += stats.accepted
        }
        // Both branches ran: confirmed drafts (two tokens per pass) and rejected ones (truncation).
        XCTAssertGreaterThan(total.accepted, 0)
        XCTAssertLessThan(total.accepted, total.drafted)
    }

    func testTruncatedCacheContinuesLikeAFreshOne() {
        var cache = LayerKVCache(keyWidth: 2, valueWidth: 1)
        let rows = (0..<70).map { Float($0) }
        cache.append(keys: Tensor(rows.flatMap { [$0, -$0] }, shape: [70, 2]), values: Tensor(rows, shape: [70, 1]))
        let fork = cache
        cache.truncate(to: 64)
        cache.append(keys: Tensor([7, 7], shape: [1, 2]), values: Tensor([7], shape: [1, 1]))
        XCTAssertEqual(cache.count, 65)
        XCTAssertEqual(cache.contiguous().values.array, Array(rows.prefix(64)) + [7])
        XCTAssertEqual(fork.contiguous().values.array, rows, "a fork is untouched by truncation")
    }

    func testModuleGradientsByFiniteDifferences() throws {
        let model = try tinyModel(experts: 0, seed: 3)
        let corpus = try TokenCorpus(root: folder, split: "train", languages: ["en"])
        let trainer = try MultiTokenPredictionTrainer(model: model, options: options(), corpus: corpus)
        let windows = corpus.batch(seed: 1, step: 0, batch: 2, length: 8)
        trainer.module.zeroGrad()
        _ = trainer.loss(windows: windows, batch: 2, length: 8)
        trainer.module.backward(matmul(trainer.crossEntropy.backward(), model.head.weight.value))
        let targets = trainer.module.parameters.map { GradientCheck.Target($0.name, value: $0.value, gradient: $0.grad.copy()) }
        let report = GradientCheck.check(targets, eps: 1e-2, atol: 2e-3, rtol: 1e-2) {
            Double(trainer.loss(windows: windows, batch: 2, length: 8))
        }
        XCTAssertTrue(report.passed, "\(report)")
        XCTAssertTrue(model.embedding.weight.grad.array.allSatisfy { $0 == 0 }, "the trunk stays frozen")
    }

    func testTrainingResumesBitIdenticallyAndExportReloads() throws {
        let corpus = try TokenCorpus(root: folder, split: "train", languages: ["en"])
        let valid = try TokenCorpus(root: folder, split: "valid", languages: ["en"])
        let straight = try MultiTokenPredictionTrainer(model: try tinyModel(experts: 4), options: options(), corpus: corpus)
        let before = straight.evaluate(valid, windows: 8)
        for _ in 0..<6 { _ = straight.trainStep() }
        XCTAssertLessThan(straight.evaluate(valid, windows: 8), before, "the module learns")

        let first = try MultiTokenPredictionTrainer(model: try tinyModel(experts: 4), options: options(), corpus: corpus)
        for _ in 0..<3 { _ = first.trainStep() }
        try first.saveCheckpoint(to: folder + "/mtp.safetensors")
        let resumed = try MultiTokenPredictionTrainer(model: try tinyModel(experts: 4), options: options(), corpus: corpus)
        try resumed.resume(from: folder + "/mtp.safetensors")
        for _ in 0..<3 { _ = resumed.trainStep() }
        for (a, b) in zip(straight.module.parameters, resumed.module.parameters) {
            XCTAssertEqual(a.value.array, b.value.array, "\(a.name) differs after resume")
        }

        try HuggingFaceExport.write(straight.model, to: folder + "/model", tokenizer: nil, endOfText: 47)
        let reloaded = try ModelLoader.load(folder: folder + "/model")
        let module = try XCTUnwrap(reloaded.multiTokenPrediction)
        for (a, b) in zip(straight.module.parameters, module.parameters) {
            XCTAssertEqual(a.name, b.name)
            for (x, y) in zip(a.value.array, b.value.array) { XCTAssertEqual(x, y, accuracy: 1e-3 * max(1, abs(x)), a.name) }  // fp16 file
        }
        let prompt: [Int32] = [3, 8, 13]
        XCTAssertEqual(reloaded.generateSpeculatively(prompt: prompt, maxTokens: 12, stop: nil).tokens,
                       reloaded.generateGreedily(prompt: prompt, maxTokens: 12, stop: nil))
    }
}
