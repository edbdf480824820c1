import XCTest
import Foundation
import GlossaLM
import GlossaNN
import GlossaTensor
import GlossaTestSupport
@testable import GlossaVision

final class SPAETests: XCTestCase {
    /// A small codebook over Whisper's real vocabulary: the LM embedding is random here, the
    /// selection of lexical tokens is the real one.
    func whisperCodebook(size: Int) throws -> (LexicalCodebook, ByteLevelBPETokenizer) {
        let tokenizer = try ByteLevelBPETokenizer(path: modelFile("whisper-base/tokenizer.json"))
        var rng = RandomGenerator(seed: 5)
        let embedding = Tensor.randomNormal([50_258, 12], rng: &rng)
        return (LexicalCodebook.build(embedding: embedding, tokenizer: tokenizer, counts: nil, size: size), tokenizer)
    }

    func testEveryCodebookTokenDecodesToAWholeWord() throws {
        let (codebook, tokenizer) = try whisperCodebook(size: 4096)
        XCTAssertEqual(codebook.count, 4096)
        for (id, word) in zip(codebook.tokenIDs, codebook.words) {
            let text = tokenizer.decode([id])
            XCTAssertEqual(text, " " + word)
            XCTAssertTrue(word.count >= 2 && word.allSatisfy(\.isLetter), word)
            XCTAssertEqual(tokenizer.encode(text), [id], "the word round-trips as one token")
        }
        XCTAssertFalse(codebook.rows(for: ["shirt", "dress", "bag"]).isEmpty)
    }

    /// The shipped SPAE's codebook rows are the shipped LM's input embeddings, bit for bit, and
    /// each of its words is one token of the LM's tokenizer.
    func testShippedCodebookIsTheShippedLMsEmbedding() throws {
        let root = repositoryRoot()
        let (spae, _) = try SPAEFile.load(root + "/assets/spae/glossa-spae-v4")
        let lm = try SafetensorsFile(path: root + "/assets/lm/glossa-lm-v2/model.safetensors")
        let table = try lm.tensor("model.embed_tokens.weight")
        let tokenizer = try ByteLevelBPETokenizer(path: root + "/assets/lm/glossa-lm-v2/tokenizer.json")
        let width = table.shape[1]
        XCTAssertEqual(spae.codebook.embeddings.shape, [spae.codebook.count, width])
        for (row, id) in spae.codebook.tokenIDs.enumerated() {
            let lmRow = Array(UnsafeBufferPointer(start: table.data + Int(id) * width, count: width))
            let codeRow = Array(UnsafeBufferPointer(start: spae.codebook.embeddings.data + row * width, count: width))
            XCTAssertEqual(codeRow, lmRow, "codebook row \(row) (token \(id))")
            XCTAssertEqual(tokenizer.encode(" " + spae.codebook.words[row]), [id])
        }
    }

    /// The prompting LM (glossa-lm-v10, tuned with the table frozen) reads its input embedding
    /// from glossa-lm-v2's file, so SPAE's codebook is its embedding too, and its own file holds
    /// no second copy that could drift.
    func testPromptingLMSharesTheCodebooksEmbedding() throws {
        let root = repositoryRoot()
        let prompting = root + "/assets/lm/glossa-lm-v10"
        XCTAssertFalse(try SafetensorsFile(path: prompting + "/model.safetensors").names.contains("model.embed_tokens.weight"))
        let config = try ModelLoader.config(folder: prompting)
        let shape = [config.vocabularySize, config.hiddenSize]
        XCTAssertEqual(try WeightStore(folder: prompting).tensor("model.embed_tokens.weight", shape: shape).array,
                       try WeightStore(folder: root + "/assets/lm/glossa-lm-v2").tensor("model.embed_tokens.weight", shape: shape).array)
        XCTAssertNoThrow(try ModelLoader.load(folder: prompting))
    }

    func tinySet(count: Int, seed: UInt64) -> (Tensor, [Int]) {
        var rng = RandomGenerator(seed: seed)
        let images = Tensor(zeros: [count, 1, 32, 32])
        var labels: [Int] = []
        for i in 0..<count {
            let label = rng.int(below: 2)
            labels.append(label)
            // Class 0: a bright square; class 1: a vertical bar; both with noise.
            for y in 2..<30 { for x in 2..<30 {
                let on = label == 0 ? (x > 8 && x < 24 && y > 8 && y < 24) : (x > 13 && x < 19)
                images.data[(i * 32 + y) * 32 + x] = (on ? 0.9 : 0.1) + 0.05 * rng.normal()
            } }
        }
        return (images, labels)
    }

    /// The encoder and decoder with pointwise residual blocks at 8×8, end to end (the quantizer
    /// has its own checks): every weight's gradient against finite differences.
    func testEncoderAndDecoderGradientsWithBlocks() {
        var rng = RandomGenerator(seed: 12)
        let codebook = LexicalCodebook(tokenIDs: [0, 1], words: ["a", "b"], embeddings: .randomNormal([2, 6], rng: &rng))
        var config = SPAEModel.Config()
        (config.latentDim, config.width, config.encoderBlocks, config.decoderBlocks) = (2, 4, 1, 1)
        let model = SPAEModel(config: config, codebook: codebook, seed: 5)
        let x = Tensor.randomUniform([1, 1, 32, 32], low: 0, high: 1, rng: &rng)
        let weights = model.parameters.filter { $0.name != "codebook_map.weight" }
        XCTAssertEqual(weights.filter { $0.name.contains(".block.") }.count, 2 * 4)
        assertGradientsMatch(inputs: [], parameters: weights, forward: { model.decodeForTraining(model.encode(x)) },
                             backward: { model.encodeBackward(model.decodeBackward($0)); return [] })
        // Inference's sub-pixel decoder gives the training decoder's pixels.
        let z = model.encode(x)
        XCTAssertLessThan(model.decode(z).maxAbsDifference(model.decodeForTraining(z)), 1e-4)
        // The blocks travel through the model folder (f32, so exactly).
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        XCTAssertNoThrow(try SPAEFile.save(model, to: folder, languageModel: "test", steps: 0, dtype: .f32))
        guard let (loaded, _) = try? SPAEFile.load(folder) else { return XCTFail("the model folder does not load") }
        XCTAssertEqual(loaded.config.decoderBlocks, 1)
        XCTAssertEqual(loaded.decode(loaded.encode(x)).maxAbsDifference(model.decode(z)), 0)
    }

    /// `glossa spae train --from DIR --decoder-blocks N`: the grown model keeps every trained
    /// weight, and its new blocks start as the identity, so it renders what the base did, until
    /// training moves the blocks' zeroed output projections.
    func testContinuingWithAddedBlocksRendersWhatTheBaseDid() {
        var rng = RandomGenerator(seed: 13)
        let codebook = LexicalCodebook(tokenIDs: [0, 1], words: ["a", "b"], embeddings: .randomNormal([2, 6], rng: &rng))
        var config = SPAEModel.Config()
        (config.latentDim, config.width) = (2, 4)
        let base = SPAEModel(config: config, codebook: codebook, seed: 5)
        (config.encoderBlocks, config.decoderBlocks) = (1, 2)
        let (grown, fresh) = SPAEModel.continuing(base, config: config)
        XCTAssertEqual(fresh.count, 3 * 4, "each block's two convolutions' weight and bias")
        XCTAssertTrue(fresh.allSatisfy { $0.contains(".block.") })
        let x = Tensor.randomUniform([2, 1, 32, 32], low: 0, high: 1, rng: &rng)
        XCTAssertEqual(grown.decode(grown.encode(x)).maxAbsDifference(base.decode(base.encode(x))), 0)
    }

    /// `--codebook-map-hidden`: the MLP from the frozen rows to the latent (shared, and layer 1's
    /// own copy for the concept words): its gradients against finite differences, the rows left
    /// frozen, the cached inference codebook dropped by a training step, and the folder round trip.
    func testMLPCodebookMapGradientsAndFolder() throws {
        var rng = RandomGenerator(seed: 21)
        let rows = Tensor.randomNormal([6, 5], rng: &rng)
        let codebook = LexicalCodebook(tokenIDs: (0..<6).map(Int32.init), words: (0..<6).map { "w\($0)" }, embeddings: rows.copy())
        var config = SPAEModel.Config()
        (config.latentDim, config.width, config.codebookMapHidden, config.layerOneRows) = (3, 4, 7, [1, 4])
        let model = SPAEModel(config: config, codebook: codebook, seed: 2)
        let maps = model.parameters.filter { $0.name.hasPrefix("codebook_map") }
        XCTAssertEqual(Set(maps.map(\.name)), ["codebook_map.0.weight", "codebook_map.0.bias", "codebook_map.1.weight", "codebook_map.1.bias",
                                                "codebook_map_layer_one.0.weight", "codebook_map_layer_one.0.bias",
                                                "codebook_map_layer_one.1.weight", "codebook_map_layer_one.1.bias"])
        // Layer 1's map starts as a copy: both give the concept words the same place.
        XCTAssertEqual(model.codebookMap(rows).row(4).array, model.mappedCodebook().row(4).array)
        assertGradientsMatch(inputs: [], parameters: maps, forward: { model.mappedCodebook() },
                             backward: { model.mappedCodebookBackward($0.copy()); return [] })
        XCTAssertEqual(model.codebook.embeddings.array, rows.array, "the LM rows stay frozen")

        let cached = model.inferenceCodebook()
        XCTAssertTrue(cached.data == model.inferenceCodebook().data, "computed once for tokenize and render")
        model.mappedCodebookBackward(Tensor(zeros: cached.shape))
        XCTAssertFalse(cached.data == model.inferenceCodebook().data, "a training step's backward drops the cache")

        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SPAEFile.save(model, to: folder, languageModel: "test", steps: 0, dtype: .f32)
        let (loaded, _) = try SPAEFile.load(folder)
        XCTAssertEqual(loaded.config.codebookMapHidden, 7)
        XCTAssertEqual(loaded.mappedCodebook().array, model.mappedCodebook().array)
    }

    /// `--orthogonal-codebook-map`: after every training step the map's singular values are all
    /// equal (W·Wᵀ = σ²·I), σ their root mean square before, so the codes cannot collapse onto a
    /// line; the setting travels through the model folder.
    func testOrthogonalCodebookMapKeepsEqualSingularValues() throws {
        var rng = RandomGenerator(seed: 23)
        let codebook = LexicalCodebook(tokenIDs: (0..<40).map(Int32.init), words: (0..<40).map { "w\($0)" },
                                       embeddings: .randomNormal([40, 12], rng: &rng))
        var config = SPAEModel.Config()
        (config.latentDim, config.width, config.layerOneRows, config.codebookMapOrthogonal) = (4, 8, [0, 1, 5, 6], true)
        let model = SPAEModel(config: config, codebook: codebook, seed: 3)
        func gram() -> [Float] { matmul(model.codebookMap.layers[0].weight.value, model.codebookMap.layers[0].weight.value, transposeB: true).array }
        func assertScaledIdentity(_ g: [Float], file: StaticString = #filePath, line: UInt = #line) {
            let sigma2 = g[0]
            XCTAssertGreaterThan(sigma2, 0, file: file, line: line)
            for i in 0..<4 { for j in 0..<4 { XCTAssertEqual(g[i * 4 + j], i == j ? sigma2 : 0, accuracy: 1e-4 * sigma2, "W·Wᵀ[\(i),\(j)]", file: file, line: line) } }
        }
        assertScaledIdentity(gram())
        // Stretch one direction 30× (what the unconstrained map did) and orthogonalize: equal values, same RMS.
        let w = model.codebookMap.layers[0].weight.value
        for j in 0..<12 { w.data[j] *= 30 }
        let rms = (Vec.dot(w.data, w.data, w.count) / 4).squareRoot()
        model.codebookMap.orthogonalize()
        assertScaledIdentity(gram())
        XCTAssertEqual(gram()[0].squareRoot(), rms, accuracy: 1e-3 * rms)

        let (images, labels) = tinySet(count: 32, seed: 4)
        var options = SPAETrainer.Options()
        (options.steps, options.batch, options.warmupSteps) = (3, 8, 1)
        let trainer = SPAETrainer(model: model, options: options, images: images, labels: labels, layerOneTargets: [[0, 1], [5, 6]])
        let before = gram()
        for _ in 0..<3 { _ = trainer.trainStep() }
        XCTAssertNotEqual(gram(), before, "the map still trains")
        assertScaledIdentity(gram())

        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SPAEFile.save(model, to: folder, languageModel: "test", steps: 0, dtype: .f32)
        XCTAssertEqual(try SPAEFile.load(folder).0.config.codebookMapOrthogonal, true)
    }

    /// `--shallow-weight`: the step's loss is (MSE_L + w·MSE_l)/(1 + w) for one random shallower
    /// depth l; at w = 0 it is the full depth's MSE alone (one image, so the batch is known).
    func testShallowWeightZeroTrainsOnTheFullDepthAlone() {
        var rng = RandomGenerator(seed: 29)
        let codebook = LexicalCodebook(tokenIDs: (0..<40).map(Int32.init), words: (0..<40).map { "w\($0)" },
                                       embeddings: .randomNormal([40, 12], rng: &rng))
        var config = SPAEModel.Config()
        (config.latentDim, config.width, config.layerOneRows) = (4, 8, [0, 1, 5, 6])
        let (image, label) = tinySet(count: 1, seed: 4)
        var losses: [Float] = []
        var fullDepth: Float = 0
        for weight: Float in [0, 1] {
            let model = SPAEModel(config: config, codebook: codebook, seed: 3)
            let x = Tensor(uninitialized: [4, 1, 32, 32])
            for i in 0..<4 { (x.data + i * 1024).update(from: image.data, count: 1024) }
            let (out, _) = model.quantize(model.encode(x), codebook: model.mappedCodebook())
            let dy = model.decode(out.reconstructions[3]) - x
            fullDepth = Vec.dot(dy.data, dy.data, dy.count) / Float(dy.count)
            var options = SPAETrainer.Options()
            (options.steps, options.batch, options.warmupSteps, options.shallowWeight) = (2, 4, 1, weight)
            let trainer = SPAETrainer(model: model, options: options, images: image, labels: label, layerOneTargets: [[0, 1], [5, 6]])
            losses.append(trainer.trainStep().reconstruction)
        }
        XCTAssertEqual(losses[0], fullDepth, accuracy: 1e-5 * fullDepth)
        XCTAssertGreaterThan(abs(losses[1] - fullDepth), 1e-4 * fullDepth, "w = 1 averages in a shallower depth")
    }

    func testTrainingLowersTheLossAndTheModelRoundTripsThroughItsFolder() throws {
        var rng = RandomGenerator(seed: 9)
        let words = (0..<40).map { "w\($0)" }
        let codebook = LexicalCodebook(tokenIDs: (0..<40).map(Int32.init), words: words, embeddings: .randomNormal([40, 12], rng: &rng))
        var config = SPAEModel.Config()
        (config.latentDim, config.width, config.layerOneRows) = (8, 8, [0, 1, 5, 6, 9])
        let model = SPAEModel(config: config, codebook: codebook, seed: 3)
        let (images, labels) = tinySet(count: 64, seed: 4)
        let candidates: [[Int32]] = [[0, 1], [5, 6]]
        var options = SPAETrainer.Options()
        (options.steps, options.batch, options.learningRate, options.warmupSteps) = (60, 16, 5e-3, 5)
        let trainer = SPAETrainer(model: model, options: options, images: images, labels: labels, layerOneTargets: candidates)
        let first = trainer.trainStep()
        var last = first
        while trainer.step < options.steps { last = trainer.trainStep() }
        XCTAssertLessThan(last.reconstruction, first.reconstruction * 0.5, "reconstruction should improve: \(first) → \(last)")
        XCTAssertLessThan(last.semantic, first.semantic * 0.8, "the semantic head should learn the two classes: \(first) → \(last)")

        let report = SPAEEvaluation.run(model: model, images: images, labels: labels, candidates: candidates, batch: 32)
        XCTAssertEqual(report.psnr.count, 4)
        XCTAssertEqual(report.images, 64)
        XCTAssertGreaterThan(report.codebookUsage, 0)

        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SPAEFile.save(model, to: folder, languageModel: "test", steps: trainer.step)
        let (loaded, lm) = try SPAEFile.load(folder)
        XCTAssertEqual(lm, "test")
        let input = images.row(0)
        let codes = model.tokenize(input)
        XCTAssertEqual(codes.map(\.count), [1, 4, 16, 64])
        XCTAssertTrue([0, 1, 5, 6, 9].contains(codes[0][0]), "layer 1 speaks only concept words")
        XCTAssertEqual(loaded.config.layerOneRows, [0, 1, 5, 6, 9])
        // fp16 weights keep the tokens; a near-tie in the deepest layers may flip one or two.
        let again = loaded.tokenize(input)
        XCTAssertEqual(Array(again.prefix(3)), Array(codes.prefix(3)))
        XCTAssertLessThanOrEqual(zip(again.joined(), codes.joined()).filter { $0 != $1 }.count, 2)
        let rendered = loaded.render(codes)
        XCTAssertEqual(rendered.shape, [1, 32, 32])
    }

    /// `glossa spae train --head-only`: a new semantic head (a hidden layer, reading the
    /// encoder's features) learns the classes while every other weight, and so the
    /// reconstruction, stays exactly as it was.
    func testHeadOnlyTrainingFitsTheHeadAndLeavesTheRestUntouched() {
        var rng = RandomGenerator(seed: 9)
        let codebook = LexicalCodebook(tokenIDs: (0..<40).map(Int32.init), words: (0..<40).map { "w\($0)" },
                                       embeddings: .randomNormal([40, 12], rng: &rng))
        var config = SPAEModel.Config()
        (config.latentDim, config.width, config.layerOneRows, config.semanticHidden) = (8, 8, [0, 1, 5, 6, 9], 6)
        config.semanticReadsFeatures = true
        let model = SPAEModel(config: config, codebook: codebook, seed: 3)
        XCTAssertEqual(model.semanticHead!.inputs, 64 * config.width)
        let head = Set(model.semanticHead!.parameters.map(\.name))
        XCTAssertTrue(head.contains("semantic_head.hidden.weight"))
        let (images, labels) = tinySet(count: 64, seed: 4)
        model.centerSemanticHead(images: images)
        let center = model.parameters.first { $0.name == "semantic_head.center" }!
        XCTAssertGreaterThan(center.value.array.map(abs).max()!, 0, "centered on the images' mean latent")
        let before = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.value.array) })
        var options = SPAETrainer.Options()
        (options.steps, options.batch, options.learningRate, options.warmupSteps, options.headOnly) = (60, 16, 5e-3, 5, true)
        let trainer = SPAETrainer(model: model, options: options, images: images, labels: labels, layerOneTargets: [[0], [9]])
        XCTAssertEqual(trainer.optimizer.parameters.count, model.semanticHead!.parameters.count)
        let first = trainer.trainStep()
        var last = first
        while trainer.step < options.steps { last = trainer.trainStep() }
        XCTAssertLessThan(last.semantic, first.semantic * 0.5, "the head should learn the two classes: \(first) → \(last)")
        for p in model.parameters {
            let changed = p.value.array != before[p.name]
            XCTAssertEqual(changed, head.contains(p.name) && p !== center, p.name)
        }
    }

    /// The evaluation's render → tokenize round trip stands for the real one: a 28×28 8-bit PNG
    /// written by `glossa render` and read back through the preprocessing rule.
    func testRoundTripEmulationEqualsThePNGPath() throws {
        var rng = RandomGenerator(seed: 12)
        let decoded = Tensor.randomNormal([1, 1, 32, 32], mean: 0.5, std: 0.4, rng: &rng)
        var pixels: [Float] = []
        for y in 2..<30 { for x in 2..<30 { pixels.append(min(max(decoded.data[y * 32 + x], 0), 1)) } }
        let folder = makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try PNGFile.write(Image(width: 28, height: 28, channels: 1, pixels: pixels), to: folder + "/r.png")
        let viaPNG = ImagePreprocessing.modelInput(try PNGFile.read(folder + "/r.png"), channels: 1)
        let emulated = SPAEEvaluation.asRendered(decoded, channels: 1).array
        XCTAssertEqual(emulated.count, viaPNG.count)
        XCTAssertLessThan(zip(emulated, viaPNG.array).map { abs($0 - $1) }.max()!, 1e-6)
    }

    func testPreprocessingPadsFashionSizeAndScalesOthers() {
        let small = Image(width: 28, height: 28, channels: 1, pixels: (0..<784).map { Float($0 % 28) / 27 })
        let t = ImagePreprocessing.modelInput(small, channels: 1)
        XCTAssertEqual(t.shape, [1, 32, 32])
        XCTAssertEqual(t.data[2 * 32 + 2], 0)           // first content pixel
        XCTAssertEqual(t.data[2 * 32 + 29], 1)          // last content pixel of the first row
        XCTAssertEqual(t.data[0], 0)                    // border
        let wide = Image(width: 56, height: 28, channels: 4, pixels: [Float](repeating: 1, count: 56 * 28 * 4))
        let w = ImagePreprocessing.modelInput(wide, channels: 3)
        XCTAssertEqual(w.shape, [3, 32, 32])
        XCTAssertEqual(w.data[(0 * 32 + 16) * 32 + 16], 1, accuracy: 1e-6)  // inside the 28×14 content
        XCTAssertEqual(w.data[(0 * 32 + 2) * 32 + 16], 0)                   // above it: black padding
    }
}
