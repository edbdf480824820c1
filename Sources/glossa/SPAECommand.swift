import ArgumentParser
import Foundation
import GlossaLM
import GlossaNN
import GlossaSupport
import GlossaTensor
import GlossaVision

struct SPAE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spae",
        abstract: "Train and evaluate the Semantic Pyramid AutoEncoder (images → the LM's words).",
        subcommands: [SPAETrain.self, SPAEEval.self])

    static let defaultFashionMNIST = "data/raw/usr/share/datasets/fashion-mnist"
    /// The shipped SPAE, the default of every command that reads images as words.
    static let defaultModel = "assets/spae/glossa-spae-v4"
}

struct SPAETrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train SPAE on Fashion-MNIST against a frozen LM's lexical codebook.",
        discussion: """
        The codebook is the --lm model's input embeddings of its --codebook-size most frequent \
        whole-word tokens (counted in --corpus). Writes into --out: checkpoint/ (f32, every \
        --checkpoint-every steps, atomically), log.jsonl (one JSON object per step) and, at the \
        end, model/ (fp16), a self-contained SPAE folder for `glossa tokenize`. --resume continues from checkpoint/.

        --from starts from a trained SPAE folder instead (its codebook and architecture, and every \
        tensor whose name and shape still match); --encoder-blocks/--decoder-blocks above the \
        folder's own count grow it by blocks that start as the identity; with --semantic-hidden, \
        --semantic-input and --head-only it fits a new semantic head to a trained model without \
        changing its reconstruction. `make spae-v4` runs the three examples below, which made \
        the shipped glossa-spae-v4.

        Examples:
          glossa spae train --lm assets/lm/glossa-lm-v2 --out runs/spae-v4/base --steps 3000 --latent-dim 8 --layers 6 --orthogonal-codebook-map --shallow-weight 0.03
          glossa spae train --from runs/spae-v4/base/model --decoder-blocks 2 --out runs/spae-v4/longer --steps 3000 --lr 1e-3 --shallow-weight 0.03
          glossa spae train --from runs/spae-v4/longer/model --head-only --out runs/spae-v4/head --steps 6000 --batch 128
        """)

    @Option(help: ArgumentHelp("Frozen LM folder (its embeddings are the codebook); not needed with --from or --resume.", valueName: "dir")) var lm: String?
    @Option(help: ArgumentHelp("Start from this trained SPAE folder instead of a new model.", valueName: "dir")) var from: String?
    @Option(name: .customLong("semantic-hidden"), help: "Units of the semantic head's hidden layer (0: a linear head; default: 256 for a new model, the --from model's otherwise).") var semanticHidden: Int?
    @Option(name: .customLong("semantic-input"), help: "What the semantic head reads: latent or features (the encoder's last hidden layer; default: features for a new model, the --from model's otherwise).") var semanticInput: String?
    @Flag(name: .customLong("head-only"), help: "Train only the semantic head (pass it again with --resume).") var headOnly = false
    @Option(help: ArgumentHelp("Fashion-MNIST folder (make data).", valueName: "dir")) var data = SPAE.defaultFashionMNIST
    @Option(help: ArgumentHelp("LM corpus, for token frequencies.", valueName: "dir")) var corpus = "data/corpus"
    @Option(help: ArgumentHelp("Run folder.", valueName: "dir")) var out: String
    @Option(name: .customLong("codebook-size"), help: "Lexical tokens in the codebook.") var codebookSize = 8192
    @Option(help: "Optimisation steps.") var steps = 3000
    @Option(help: "Images per step.") var batch = 64
    @Option(name: .customLong("lr"), help: "Peak learning rate.") var learningRate: Float = 2e-3
    @Option(name: .customLong("checkpoint-every"), help: "Steps between checkpoints.") var checkpointEvery = 200
    @Option(help: "Pyramid layers (1×1, 2×2, 4×4, 8×8, then further 8×8 layers; up to 6).") var layers = SPAEModel.Config().layers
    @Option(name: .customLong("latent-dim"), help: "Width of the latent and of the mapped codebook (new model).") var latentDim = SPAEModel.Config().latentDim
    @Option(help: "Channels of the encoder's and decoder's 8×8 and 16×16 stages (new model).") var width = SPAEModel.Config().width
    @Option(name: .customLong("encoder-blocks"), help: "Pointwise residual blocks at the encoder's 8×8 stage (new model, or more than the --from model has: the new ones start as the identity).") var encoderBlocks = 0
    @Option(name: .customLong("decoder-blocks"), help: "Pointwise residual blocks at the decoder's 8×8 stage (new model, or more than the --from model has: the new ones start as the identity).") var decoderBlocks = 0
    @Option(name: .customLong("codebook-map-hidden"), help: "Hidden units of a GELU MLP from the frozen LM rows to the latent (new model; 0: one linear map, as the shipped glossa-spae-v4).") var codebookMapHidden = 0
    @Flag(name: .customLong("orthogonal-codebook-map"), help: "Keep the linear map from the LM rows to the latent a scaled orthogonal projection (equal singular values) after every step (new model; unconstrained, it puts the codes near a line).") var orthogonalCodebookMap = false
    @Option(name: .customLong("semantic-weight"), help: "Weight of the semantic head's label-word loss (it trains only the head; see SPAETrainer).") var semanticWeight: Float = SPAETrainer.Options().semanticWeight
    @Option(help: "Commitment loss weight β.") var commitment: Float = SPAETrainer.Options().commitment
    @Option(name: .customLong("shallow-weight"), help: "Weight of the random shallower depth's reconstruction loss against the full depth's (0: full depth only; pass it again with --resume).") var shallowWeight: Float = SPAETrainer.Options().shallowWeight
    @Flag(help: "Continue from <out>/checkpoint.") var resume = false

    /// --semantic-hidden's value as the config's: 0 means a linear head.
    func hiddenUnits(_ units: Int) -> Int? { units > 0 ? units : nil }

    func validate() throws {
        if let semanticInput, !["latent", "features"].contains(semanticInput) { throw ValidationError("--semantic-input must be latent or features") }
        if latentDim < 1 || width < 4 || width % 4 != 0 { throw ValidationError("--latent-dim must be positive and --width a positive multiple of 4") }
        if encoderBlocks < 0 || decoderBlocks < 0 { throw ValidationError("--encoder-blocks and --decoder-blocks must be 0 or more") }
        if !(shallowWeight >= 0) { throw ValidationError("--shallow-weight must be 0 or more") }
        if codebookMapHidden < 0 { throw ValidationError("--codebook-map-hidden must be 0 or more") }
        if orthogonalCodebookMap && codebookMapHidden > 0 { throw ValidationError("--orthogonal-codebook-map needs the linear map (--codebook-map-hidden 0)") }
    }

    func run() throws {
        let fashion = try FashionMNIST(folder: data, split: "train")
        var model: SPAEModel
        var startStep = 0
        let checkpoint = out + "/checkpoint"
        var languageModel = lm ?? ""
        if resume {
            (model, languageModel) = try SPAEFile.load(checkpoint)
            guard let stepText = try? String(contentsOfFile: checkpoint + "/step", encoding: .utf8), let step = Int(stepText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw CLIError("--resume: \(checkpoint) has no step file")
            }
            startStep = step
        } else if let from {
            let (base, baseLanguageModel) = try SPAEFile.load(from)
            languageModel = lm ?? baseLanguageModel
            var config = base.config
            if let semanticHidden { config.semanticHidden = hiddenUnits(semanticHidden) }
            if let semanticInput { config.semanticReadsFeatures = semanticInput == "features" }
            // Growing a trained model: more pointwise blocks than it has (never fewer).
            for (option, asked, has) in [("--encoder-blocks", encoderBlocks, config.encoderBlocks ?? 0), ("--decoder-blocks", decoderBlocks, config.decoderBlocks ?? 0)]
            where asked > 0 && asked < has {
                throw CLIError("\(option) \(asked): \(from) has \(has) (blocks can be added to a trained model, not removed)")
            }
            if encoderBlocks > (config.encoderBlocks ?? 0) { config.encoderBlocks = encoderBlocks }
            if decoderBlocks > (config.decoderBlocks ?? 0) { config.decoderBlocks = decoderBlocks }
            let fresh: [String]
            (model, fresh) = SPAEModel.continuing(base, config: config)
            FileHandle.standardError.write("spae: from \(from); new: \(fresh.isEmpty ? "none" : fresh.joined(separator: ", "))\n".data(using: .utf8)!)
            if fresh.contains("semantic_head.center") { model.centerSemanticHead(images: fashion.modelInputs()) }
        } else {
            guard let lm else { throw CLIError("--lm is required for a new model (or pass --from or --resume)") }
            let language = try LanguageModel(folder: lm)
            let tokenizer = try language.requireTokenizer()
            let counts = try? LexicalCodebook.corpusCounts(root: corpus, languages: CorpusBuilder.languages, vocabulary: language.model.vocabularySize)
            let codebook = LexicalCodebook.build(embedding: language.model.embedding.weight.value, tokenizer: tokenizer, counts: counts, size: codebookSize,
                                                 including: FashionWords.allWords)
            guard (1...StreamingAverageQuantizer.maxLayers).contains(layers) else { throw CLIError("--layers must be 1 to \(StreamingAverageQuantizer.maxLayers)") }
            var config = SPAEModel.Config()
            config.layers = layers
            (config.latentDim, config.width) = (latentDim, width)
            (config.encoderBlocks, config.decoderBlocks) = (encoderBlocks > 0 ? encoderBlocks : nil, decoderBlocks > 0 ? decoderBlocks : nil)
            config.codebookMapHidden = codebookMapHidden > 0 ? codebookMapHidden : nil
            config.codebookMapOrthogonal = orthogonalCodebookMap ? true : nil
            // Layer 1 speaks in concept words: the union of every class's layer-1 candidates.
            config.layerOneRows = Array(Set(FashionWords.candidates(in: codebook).joined())).sorted()
            config.semanticHidden = hiddenUnits(semanticHidden ?? 256)
            config.semanticReadsFeatures = (semanticInput ?? "features") == "features"
            model = SPAEModel(config: config, codebook: codebook, seed: 1)
            model.centerSemanticHead(images: fashion.modelInputs())
        }
        let names = FashionWords.names(in: model.codebook)
        var options = SPAETrainer.Options()
        (options.steps, options.batch, options.learningRate) = (steps, batch, learningRate)
        (options.semanticWeight, options.commitment, options.headOnly) = (semanticWeight, commitment, headOnly)
        options.shallowWeight = shallowWeight
        if headOnly && model.semanticHead == nil { throw CLIError("--head-only: this model has no semantic head") }
        let trainer = SPAETrainer(model: model, options: options, images: fashion.modelInputs(), labels: fashion.labels.map(Int.init), layerOneTargets: names)
        if resume {
            let moments = try SafetensorsFile(path: checkpoint + "/optimizer.safetensors")
            for (i, p) in trainer.optimizer.parameters.enumerated() {
                trainer.optimizer.firstMoments[i].assign(try moments.tensor("m/" + p.name))
                trainer.optimizer.secondMoments[i].assign(try moments.tensor("v/" + p.name))
            }
            trainer.resume(step: startStep)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        FileHandle.standardError.write("spae: codebook of \(model.codebook.count) words, \(model.parameters.reduce(0) { $0 + $1.value.count }) parameters, step \(trainer.step) → \(steps)\n".data(using: .utf8)!)
        let progress = ProgressReporter("spae train", total: steps - trainer.step, unit: "steps")
        func saveCheckpoint() throws {
            try SPAEFile.save(model, to: checkpoint, languageModel: languageModel, steps: trainer.step, dtype: .f32)
            var writer = SafetensorsWriter()
            for (i, p) in trainer.optimizer.parameters.enumerated() {
                writer.add("m/" + p.name, trainer.optimizer.firstMoments[i])
                writer.add("v/" + p.name, trainer.optimizer.secondMoments[i])
            }
            try writer.write(to: checkpoint + "/optimizer.safetensors")
            try AtomicFile.write(Data("\(trainer.step)\n".utf8), to: checkpoint + "/step")
        }
        let log = try JSONLinesLog(path: out + "/log.jsonl")
        while trainer.step < steps {
            let r = trainer.trainStep()
            try log.append(r)
            progress.advance(status: String(format: "mse %.4f · commit %.3f · semantic %.3f · %d codes · %.0f img/s",
                                            r.reconstruction, r.commitment, r.semantic, r.distinctCodes, r.imagesPerSecond))
            if trainer.step % checkpointEvery == 0 || trainer.step == steps { try saveCheckpoint() }
        }
        progress.finish()
        try SPAEFile.save(model, to: out + "/model", languageModel: languageModel, steps: trainer.step)
        print("trained to step \(trainer.step); model written to \(out)/model")
    }
}

struct SPAEEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "PSNR/SSIM by depth, semantic precision, codebook usage and speed on Fashion-MNIST's test split.",
        discussion: """
        Example:
          glossa spae eval --spae runs/spae-v1/model --json
        """)

    @Option(help: ArgumentHelp("SPAE model folder.", valueName: "dir")) var spae = SPAE.defaultModel
    @Option(help: ArgumentHelp("Fashion-MNIST folder (make data).", valueName: "dir")) var data = SPAE.defaultFashionMNIST
    @Option(help: "Test images to use (default: all 10,000).") var limit = 10_000
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let (model, _) = try SPAEFile.load(spae)
        let test = try FashionMNIST(folder: data, split: "t10k")
        let n = min(limit, test.count)
        let images = test.modelInputs().rows(0..<n).copy()
        let report = SPAEEvaluation.run(model: model, images: images, labels: test.labels.prefix(n).map(Int.init),
                                        candidates: FashionWords.candidates(in: model.codebook))
        if json {
            try printJSON(report)
            return
        }
        print("Fashion-MNIST test, \(report.images) images")
        for (l, (p, s)) in zip(report.psnr, report.ssim).enumerated() { print(String(format: "  %d layer%@: PSNR %.2f dB, SSIM %.3f", l + 1, l == 0 ? " " : "s", p, s)) }
        print(String(format: "  layer-1 semantic precision %.1f%%, render → tokenize keeps the layer-1 word %.1f%%",
                     100 * report.semanticPrecision, 100 * report.roundTrip))
        print(String(format: "  codebook usage %.1f%%, perplexity %.1f, %.0f images/s (encode + decode)",
                     100 * report.codebookUsage, report.codebookPerplexity, report.imagesPerSecond))
        for (label, words) in report.layerOneWords.enumerated() {
            let total = words.values.reduce(0, +), top = words.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(4)
            print("  class \(label) layer-1 words: " + top.map { String(format: "%@ %.0f%%", $0.key.trimmingCharacters(in: .whitespaces), 100 * Double($0.value) / Double(total)) }.joined(separator: ", "))
        }
        print(String(format: "  without quantization: PSNR %.2f dB; latent error left by 1…%d layers: %@", report.unquantizedPSNR, report.latentError.count,
                     report.latentError.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
    }
}
