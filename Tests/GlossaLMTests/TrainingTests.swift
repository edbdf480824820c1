import XCTest
import Foundation
import GlossaNN
import GlossaTensor
import GlossaTestSupport
@testable import GlossaLM

final class TrainingTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = makeTemporaryFolder()
        // A synthetic two-language corpus of token files with some structure to learn.
        var rng = RandomGenerator(seed: 3)
        for lang in ["en", "de"] {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(lang)", withIntermediateDirectories: true)
            for split in ["train", "valid"] {
                var ids: [UInt16] = []
                for i in 0..<6000 { ids.append(UInt16(i % 7 == 0 ? 63 : rng.int(below: 16) + (lang == "en" ? 0 : 16))) }
                try ids.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: "\(folder)/\(lang)/\(split).tokens"))
            }
        }
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func tinyOptions() -> TrainingOptions {
        var o = TrainingOptions()
        (o.vocabulary, o.hidden, o.layers, o.heads, o.denseLayers, o.denseIntermediate) = (64, 16, 3, 2, 1, 32)
        (o.experts, o.topK, o.expertIntermediate, o.kvRank, o.ropeHeadDim, o.nopeHeadDim, o.valueHeadDim) = (4, 2, 8, 8, 4, 4, 4)
        (o.steps, o.batch, o.length, o.warmupSteps, o.peakLearningRate) = (6, 2, 12, 2, 1e-2)
        o.languages = ["en", "de"]
        o.auxiliaryLossWeight = 0.01
        return o
    }

    func testResumingContinuesBitIdentically() throws {
        let options = tinyOptions()
        let corpus = try TokenCorpus(root: folder, split: "train", languages: options.languages)
        let straight = Trainer(options: options, corpus: corpus, validation: nil)
        for _ in 0..<6 { _ = straight.trainStep() }

        let first = Trainer(options: options, corpus: corpus, validation: nil)
        for _ in 0..<3 { _ = first.trainStep() }
        let checkpoint = folder + "/checkpoint.safetensors"
        try first.saveCheckpoint(to: checkpoint)
        XCTAssertEqual(try TrainingCheckpoint.options(at: checkpoint), options)
        let resumed = Trainer(options: options, corpus: corpus, validation: nil)
        try resumed.resume(from: checkpoint)
        XCTAssertEqual(resumed.step, 3)
        for _ in 0..<3 { _ = resumed.trainStep() }

        for (a, b) in zip(straight.model.parameters, resumed.model.parameters) {
            XCTAssertEqual(a.value.array, b.value.array, "\(a.name) differs after resume")
        }
        for (a, b) in zip(straight.moeLayers, resumed.moeLayers) {
            XCTAssertEqual(a.selectionBias!.array, b.selectionBias!.array)
        }
        XCTAssertNotEqual(straight.moeLayers[0].selectionBias!.array, [Float](repeating: 0, count: 4), "the bias rule ran")
    }

    func testLossFallsAndExportLoadsWithTheSameLogits() throws {
        var options = tinyOptions()
        options.steps = 40
        let corpus = try TokenCorpus(root: folder, split: "train", languages: options.languages)
        let trainer = Trainer(options: options, corpus: corpus, validation: nil)
        var losses: [Float] = []
        while trainer.step < options.steps { losses.append(trainer.trainStep().loss) }
        let late = losses.suffix(10).reduce(0, +) / 10
        XCTAssertEqual(losses[0], Foundation.log(64), accuracy: 0.1, "an untrained model is near uniform")
        XCTAssertLessThan(late, losses[0] - 0.6, "training should learn the synthetic corpus")

        let export = folder + "/model"
        try HuggingFaceExport.write(trainer.model, to: export, tokenizer: nil, endOfText: 63)
        let loaded = try ModelLoader.load(folder: export)
        XCTAssertEqual(loaded.config.family, .deepseekV3)
        let ids: [Int32] = [63, 1, 2, 3, 63, 5, 9, 4]
        let a = trainer.model.forward(batch: ids, batch: 1), b = loaded.forward(batch: ids, batch: 1)
        XCTAssertLessThan(a.maxAbsDifference(b), 2e-2 * a.max(), "fp16 export changes logits only by rounding")
    }

    /// `lm export --share-embedding`: the tuned folder refers to the base's embedding table by a
    /// relative path (counted from where the folder really is, also through a symbolic link) and
    /// loads to the same logits as a full export; a model whose table differs from the base's is
    /// refused.
    func testExportSharingTheBaseEmbeddingLoadsTheSameModel() throws {
        let options = tinyOptions()
        let corpus = try TokenCorpus(root: folder, split: "train", languages: options.languages)
        let trainer = Trainer(options: options, corpus: corpus, validation: nil)
        _ = trainer.trainStep()
        let (base, tuned) = (folder + "/base", folder + "/tuned")
        try HuggingFaceExport.write(trainer.model, to: base, tokenizer: nil, endOfText: 63)
        try HuggingFaceExport.write(trainer.model, to: tuned, tokenizer: nil, endOfText: 63, sharedEmbedding: base)
        let index = try String(contentsOfFile: tuned + "/model.safetensors.index.json", encoding: .utf8)
        XCTAssertTrue(index.contains("\"../base/model.safetensors\""), index)
        XCTAssertFalse(try SafetensorsFile(path: tuned + "/model.safetensors").names.contains(HuggingFaceExport.embeddingName))
        let ids: [Int32] = [63, 1, 2, 3, 63, 5, 9, 4]
        XCTAssertEqual(try ModelLoader.load(folder: tuned).forward(batch: ids, batch: 1).array,
                       try ModelLoader.load(folder: base).forward(batch: ids, batch: 1).array)

        // Written out standalone again (`lm export --model`, for transformers), the same model.
        let standalone = folder + "/standalone"
        try HuggingFaceExport.write(try ModelLoader.load(folder: tuned), to: standalone, tokenizer: nil, endOfText: 63)
        XCTAssertTrue(try SafetensorsFile(path: standalone + "/model.safetensors").names.contains(HuggingFaceExport.embeddingName))
        XCTAssertEqual(try ModelLoader.load(folder: standalone).forward(batch: ids, batch: 1).array,
                       try ModelLoader.load(folder: base).forward(batch: ids, batch: 1).array)

        // Exported through a symbolic link to another folder, the path counts from where the
        // export really lies.
        let elsewhere = folder + "/elsewhere/runs", link = folder + "/runs"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: elsewhere)
        try HuggingFaceExport.write(trainer.model, to: link + "/tuned", tokenizer: nil, endOfText: 63, sharedEmbedding: base)
        XCTAssertEqual(try ModelLoader.load(folder: link + "/tuned").forward(batch: ids, batch: 1).array,
                       try ModelLoader.load(folder: base).forward(batch: ids, batch: 1).array)

        _ = trainer.trainStep()  // the embedding trains too here, so it no longer matches the base
        XCTAssertThrowsError(try HuggingFaceExport.write(trainer.model, to: folder + "/other", tokenizer: nil, endOfText: 63,
                                                         sharedEmbedding: base))
    }

    /// The training corpus and a one-step model exported as `folder/base`, the model a tune starts from.
    func exportedBase() throws -> (TokenCorpus, String) {
        let corpus = try TokenCorpus(root: folder, split: "train", languages: tinyOptions().languages)
        let source = Trainer(options: tinyOptions(), corpus: corpus, validation: nil)
        _ = source.trainStep()
        let base = folder + "/base"
        try HuggingFaceExport.write(source.model, to: base, tokenizer: nil, endOfText: 63)
        return (corpus, base)
    }

    /// `lm train --trainable-embeddings rows:FILE --embeddings-only --rescale-trainable-rows 1.1`:
    /// the chosen rows start at that norm and only they move,
    /// every other weight stays bit for bit, and an export sharing the base's table writes just
    /// those rows as a patch that loads back to the trained model.
    func testEmbeddingsOnlyTrainsTheChosenRowsAndExportsThemAsAPatch() throws {
        let (corpus, base) = try exportedBase()

        var options = tinyOptions()
        options.trainableEmbeddingRows = [3, 5, 17]
        (options.embeddingsOnly, options.weightDecay, options.biasUpdateRate) = (true, 0, 0)
        let trainer = Trainer(options: options, corpus: corpus, validation: nil)
        try trainer.initialize(from: try ModelLoader.load(folder: base))
        trainer.rescaleTrainableEmbeddingRows(toNorm: 1.1)
        let width = options.hidden
        let table = trainer.model.embedding.weight.value.array
        for row in [3, 5, 17] {
            XCTAssertEqual(table[row * width..<(row + 1) * width].reduce(0) { $0 + $1 * $1 }.squareRoot(), 1.1, accuracy: 1e-5)
        }
        let before = trainer.model.parameters.map(\.value.array)
        for _ in 0..<3 { _ = trainer.trainStep() }
        for (p, old) in zip(trainer.model.parameters, before) {
            guard p.name == HuggingFaceExport.embeddingName else {
                XCTAssertEqual(p.value.array, old, "\(p.name) must not train")
                continue
            }
            let moved = (0..<options.vocabulary).filter { r in p.value.array[r * width..<(r + 1) * width] != old[r * width..<(r + 1) * width] }
            XCTAssertEqual(moved, [3, 5, 17])
        }

        let tuned = folder + "/tuned"
        try HuggingFaceExport.write(trainer.model, to: tuned, tokenizer: nil, endOfText: 63, sharedEmbedding: base)
        let file = try SafetensorsFile(path: tuned + "/model.safetensors")
        XCTAssertFalse(file.names.contains(HuggingFaceExport.embeddingName))
        XCTAssertEqual(try file.int64s(WeightStore.rowPatchNames(of: HuggingFaceExport.embeddingName).ids), [3, 5, 17])
        let full = folder + "/full"
        try HuggingFaceExport.write(trainer.model, to: full, tokenizer: nil, endOfText: 63)
        let ids: [Int32] = [63, 3, 2, 5, 63, 17, 9, 4]
        XCTAssertEqual(try ModelLoader.load(folder: tuned).forward(batch: ids, batch: 1).array,
                       try ModelLoader.load(folder: full).forward(batch: ids, batch: 1).array)
    }

    /// `lm train --init`: the architecture and every weight and MoE bias come from the model folder.
    func testInitializingFromAnExportedModel() throws {
        var options = tinyOptions()
        options.seed = 9
        let corpus = try TokenCorpus(root: folder, split: "train", languages: options.languages)
        let source = Trainer(options: options, corpus: corpus, validation: nil)
        for _ in 0..<2 { _ = source.trainStep() }
        let export = folder + "/model"
        try HuggingFaceExport.write(source.model, to: export, tokenizer: nil, endOfText: 63)
        let loaded = try ModelLoader.load(folder: export)

        var adopted = TrainingOptions()
        try adopted.adoptArchitecture(of: loaded.config, path: export)
        adopted.languages = options.languages
        XCTAssertEqual(adopted.modelConfig.feedForward, options.modelConfig.feedForward)
        XCTAssertEqual(adopted.modelConfig.latentAttention, options.modelConfig.latentAttention)
        XCTAssertEqual([adopted.vocabulary, adopted.hidden, adopted.heads], [options.vocabulary, options.hidden, options.heads])

        let tuned = Trainer(options: adopted, corpus: corpus, validation: nil)
        try tuned.initialize(from: loaded)
        let ids: [Int32] = [63, 1, 2, 3, 63, 5, 9, 4]
        XCTAssertEqual(tuned.model.forward(batch: ids, batch: 1).array, loaded.forward(batch: ids, batch: 1).array)
        XCTAssertEqual(tuned.moeLayers[0].selectionBias!.array, source.moeLayers[0].selectionBias!.array)

        var wider = options
        wider.hidden = 32
        XCTAssertThrowsError(try Trainer(options: wider, corpus: corpus, validation: nil).initialize(from: loaded))
    }

    /// --trainable-embeddings: frozen rows keep their values bit for bit, open rows train.
    func testFrozenEmbeddingRowsStayFixed() throws {
        var options = tinyOptions()
        options.trainableEmbeddingRows = [1, 2, 63]
        let corpus = try TokenCorpus(root: folder, split: "train", languages: options.languages)
        let trainer = Trainer(options: options, corpus: corpus, validation: nil)
        let before = trainer.model.embedding.weight.value.array
        let attention = trainer.model.layers[0].parameters[0].value.array
        for _ in 0..<3 { _ = trainer.trainStep() }
        let after = trainer.model.embedding.weight.value.array
        let width = options.hidden
        for row in 0..<options.vocabulary {
            let same = Array(before[row * width..<(row + 1) * width]) == Array(after[row * width..<(row + 1) * width])
            XCTAssertEqual(same, ![1, 2, 63].contains(row), "row \(row)")
        }
        XCTAssertNotEqual(trainer.model.layers[0].parameters[0].value.array, attention, "the rest of the model trains")
    }

    /// `lm train --frozen-layers 2 --trainable-embeddings none`: the backward stops above layer
    /// 2 with the same gradients there as a full backward, layers 0–1 and their MoE bias keep
    /// --init's values bit for bit while layer 2 trains, and an export sharing the base stores
    /// only what changed and loads back to the trained model.
    func testFrozenLayersStayFixedAndExportOnlyTheTrainedLayers() throws {
        let (corpus, base) = try exportedBase()

        func tuner(frozen: Int?) throws -> Trainer {
            var options = tinyOptions()
            (options.trainableEmbeddingRows, options.frozenLayers) = ([], frozen)
            let trainer = Trainer(options: options, corpus: corpus, validation: nil)
            try trainer.initialize(from: try ModelLoader.load(folder: base))
            return trainer
        }
        let (partial, full) = (try tuner(frozen: 2), try tuner(frozen: nil))
        XCTAssertEqual(partial.lowestTrainedLayer, 2)
        XCTAssertLessThan(partial.flopsPerStep(targets: 24), full.flopsPerStep(targets: 24))
        let ids: [Int32] = [63, 1, 2, 3, 63, 5, 9, 4, 7, 63, 2, 2, 8]
        for trainer in [partial, full] {
            trainer.model.zeroGrad()
            _ = trainer.lossAndGradient(inputs: Array(ids.dropLast()), targets: Array(ids.dropFirst()), batch: 1)
        }
        for (a, b) in zip(partial.model.layers[2].parameters, full.model.layers[2].parameters) {
            XCTAssertEqual(a.grad.array, b.grad.array, "\(a.name): the trained layer's gradient")
        }
        XCTAssertEqual(partial.model.layers[0].parameters[0].grad.array.max(), 0, "no backward below the frozen layers")

        let before = partial.model.parameters.map(\.value.array)
        let frozenBias = partial.moeLayers[0].selectionBias!.array, trainedBias = partial.moeLayers[1].selectionBias!.array
        for _ in 0..<3 { _ = partial.trainStep() }
        for (p, old) in zip(partial.model.parameters, before) {
            let frozen = p.name.hasPrefix("model.layers.0.") || p.name.hasPrefix("model.layers.1.") || p.name == HuggingFaceExport.embeddingName
            XCTAssertEqual(p.value.array == old, frozen, "\(p.name)")
        }
        XCTAssertEqual(partial.moeLayers[0].selectionBias!.array, frozenBias, "layer 1 is frozen: its bias too")
        XCTAssertNotEqual(partial.moeLayers[1].selectionBias!.array, trainedBias, "the bias rule runs on layer 2")

        let tuned = folder + "/tuned"
        try HuggingFaceExport.write(partial.model, to: tuned, tokenizer: nil, endOfText: 63, sharedEmbedding: base)
        let stored = try SafetensorsFile(path: tuned + "/model.safetensors").names
        XCTAssertFalse(stored.contains { $0.hasPrefix("model.layers.0.") || $0.hasPrefix("model.layers.1.") }, "\(stored)")
        XCTAssertTrue(stored.contains("model.layers.2.mlp.gate.e_score_correction_bias"))
        XCTAssertTrue(stored.contains("model.norm.weight"))
        let whole = folder + "/whole"
        try HuggingFaceExport.write(partial.model, to: whole, tokenizer: nil, endOfText: 63)
        XCTAssertEqual(try ModelLoader.load(folder: tuned).forward(batch: ids, batch: 1).array,
                       try ModelLoader.load(folder: whole).forward(batch: ids, batch: 1).array)
    }

    /// Writes an instruction-style language "qa": episodes [63, prompt…, answer] with a mask
    /// marking each episode's start (bit 1) and its answer (bit 0).
    func writeMaskedLanguage() throws -> [UInt8] {
        try FileManager.default.createDirectory(atPath: "\(folder)/qa", withIntermediateDirectories: true)
        var rng = RandomGenerator(seed: 4)
        var ids: [UInt16] = [], mask: [UInt8] = []
        while ids.count < 5000 {
            let key = UInt16(rng.int(below: 8))
            ids += [63, key, 40, 41]
            mask += [2, 0, 0, 0]
            ids.append(key + 10)  // the answer: predictable from the prompt
            mask.append(1)
        }
        for split in ["train", "valid"] {
            try ids.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: "\(folder)/qa/\(split).tokens"))
            try Data(mask).write(to: URL(fileURLWithPath: "\(folder)/qa/\(split).mask"))
        }
        return mask
    }

    /// A language with a target mask: windows start at episode starts, only answers whose
    /// episode began inside the window are targets; other languages keep every target.
    func testMaskedLanguageWindowsAndTargets() throws {
        let mask = try writeMaskedLanguage()
        let corpus = try TokenCorpus(root: folder, split: "train", languages: ["en", "qa"])
        XCTAssertTrue(corpus.hasTargetMasks)
        var sawMasked = false
        for step in 0..<20 {
            let windows = corpus.sampleWindows(seed: 1, step: step, batch: 4, length: 12)
            let targets = corpus.targetMask(of: windows, length: 12)!
            for (k, w) in windows.enumerated() {
                let row = Array(targets[(k * 12)..<((k + 1) * 12)])
                if w.language == 0 { XCTAssertEqual(row, Array(repeating: true, count: 12)); continue }
                sawMasked = true
                XCTAssertEqual(mask[w.start], 2, "a masked language's window starts at an episode")
                XCTAssertEqual(row, (0..<12).map { mask[w.start + $0 + 1] == 1 })
            }
        }
        XCTAssertTrue(sawMasked)
        // An evaluation window that starts mid-episode drops that episode's answer.
        let w = TokenCorpus.Window(language: 1, start: 2)
        XCTAssertEqual(corpus.targetMask(of: [w], length: 12)!, (0..<12).map { $0 >= 3 && mask[2 + $0 + 1] == 1 })

        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(folder)/qa/train.mask"))
        XCTAssertThrowsError(try TokenCorpus(root: folder, split: "train", languages: ["qa"]), "a mask of the wrong length")
    }

    /// The head on answer rows only (and without its weight gradient when the table is
    /// frozen) gives the same loss and gradients as the full head with ignored targets.
    func testAnswerOnlyHeadMatchesTheFullHead() throws {
        _ = try writeMaskedLanguage()
        var options = tinyOptions()
        options.languages = ["qa"]
        options.trainableEmbeddingRows = []
        let corpus = try TokenCorpus(root: folder, split: "train", languages: options.languages)
        let trainer = Trainer(options: options, corpus: corpus, validation: nil)
        let windows = corpus.sampleWindows(seed: 1, step: 0, batch: 2, length: 12)
        let (inputs, raw) = Trainer.inputsAndTargets(corpus.tokens(of: windows, length: 12), batch: 2, length: 12)
        let targets = trainer.masked(raw, corpus.targetMask(of: windows, length: 12))
        XCTAssertTrue(targets.contains(-100) && targets.contains { $0 != -100 })

        trainer.model.zeroGrad()
        let sparse = trainer.lossAndGradient(inputs: inputs, targets: targets, batch: 2).loss
        let sparseGradients = trainer.model.parameters.map { $0.grad.array }
        trainer.model.zeroGrad()
        let loss = CrossEntropy()
        let full = loss.forward(logits: trainer.model.forward(batch: inputs, batch: 2), targets: targets)
        trainer.model.backward(loss.backward())
        XCTAssertEqual(sparse, full, accuracy: 1e-5)
        for (p, g) in zip(trainer.model.parameters, sparseGradients) where p !== trainer.model.embedding.weight {
            XCTAssertEqual(p.grad.maxAbsDifference(Tensor(g, shape: p.grad.shape)), 0, accuracy: 1e-6, p.name)
        }
        let step = trainer.trainStep()
        XCTAssertTrue(step.loss.isFinite && step.loss > 0)
        let valid = trainer.evaluate(corpus, windows: 4, length: 12)["qa"]!
        XCTAssertTrue(valid.isFinite && valid > 0)
    }

    func testBiasRuleMovesTowardBalance() {
        var rng = RandomGenerator(seed: 5)
        let cfg = TransformerConfig.deepseekStyle(vocabulary: 16, hidden: 8, layers: 2, heads: 2, denseLayers: 1, denseIntermediate: 8,
                                                  experts: 4, topK: 1, expertIntermediate: 4, kvRank: 4, ropeHeadDim: 2,
                                                  nopeHeadDim: 2, valueHeadDim: 2)
        let model = RandomInitialization.deepseekStyle(cfg, seed: 1)
        let moe = model.layers[1].feedForward as! MixtureOfExpertsLayer
        moe.router.weight.value[0, 0] += 5  // expert 0 wins every token with x₀ = 1
        let x = Tensor.randomNormal([64, 8], rng: &rng)
        for r in 0..<64 { x[r, 0] = 1 }
        _ = moe.forward(x)
        XCTAssertEqual(moe.lastLoad[0], 64)
        moe.updateSelectionBias(rate: 0.1)
        XCTAssertEqual(moe.selectionBias!.array, [-0.1, 0.1, 0.1, 0.1], "overloaded down, idle up")
        for _ in 0..<40 { _ = moe.forward(x); moe.updateSelectionBias(rate: 0.1) }
        XCTAssertLessThan(moe.lastLoad.max()!, 64, "the bias spreads the load")
    }

    func testMixtureOfExpertsBackwardWithAuxiliaryLossByFiniteDifferences() {
        for routing in [TransformerConfig.Routing.softmaxTopK, .sigmoidGrouped(groups: 2, topKGroups: 1, normalize: true, scaling: 2)] {
            var rng = RandomGenerator(seed: 11)
            let moeConfig = TransformerConfig.MixtureOfExperts(experts: 4, topK: 2, intermediateSize: 6, routing: routing, sharedIntermediateSize: 6)
            func mlp(_ p: String) -> GatedMLP {
                GatedMLP(gate: Linear(5, 6, bias: false, name: "\(p).g", rng: &rng), up: Linear(5, 6, bias: false, name: "\(p).u", rng: &rng),
                         down: Linear(6, 5, bias: false, name: "\(p).d", rng: &rng))
            }
            let router = Linear(5, 4, bias: false, name: "router", rng: &rng)
            router.weight.value.scale(by: 4)
            let moe = MixtureOfExpertsLayer(router: router, experts: (0..<4).map { mlp("e\($0)") }, shared: mlp("s"),
                                            config: moeConfig, selectionBias: Tensor([0.1, -0.2, 0, 0.05], shape: [4]))
            moe.auxiliaryLossWeight = 0.5
            let x = Tensor.randomNormal([6, 5], rng: &rng)
            // L = Σ y ⊙ R + auxiliary loss; routing choices must not flip under ±ε (checked below).
            let projection = Tensor.randomNormal([6, 5], rng: &rng)
            _ = moe.forward(x)
            let selection = moe.lastSelection
            moe.zeroGrad()
            let dx = moe.backward(projection)
            let targets = [GradientCheck.Target("x", value: x, gradient: dx)]
                + moe.parameters.map { GradientCheck.Target($0.name, value: $0.value, gradient: $0.grad.copy()) }
            var flipped = false
            let report = GradientCheck.check(targets, eps: 1e-3, atol: 2e-3, rtol: 2e-2) {
                let y = moe.forward(x)
                if moe.lastSelection != selection { flipped = true }
                var total = Double(moe.lastAuxiliaryLoss)
                for i in 0..<y.count { total += Double(y.data[i]) * Double(projection.data[i]) }
                return total
            }
            XCTAssertFalse(flipped, "a perturbation changed the routing; pick another seed")
            XCTAssertTrue(report.passed, "\(routing): \(report)")
        }
    }
}
