import ArgumentParser
import Foundation
import GlossaLM
import GlossaSupport
import GlossaTensor

struct LMTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a DeepSeek-V3-layout LM (MLA, dense first layer, sigmoid-routed MoE) on the corpus.",
        discussion: """
        Writes into --out: checkpoint.safetensors (atomically, every --checkpoint-every steps), \
        log.jsonl (one JSON object per step: loss, learning rate, gradient norm, tokens/s, \
        max/mean expert load per MoE layer, validation loss when evaluated) and, at the end, a \
        Hugging Face folder `model/` (config.json, fp16 model.safetensors, tokenizer.json) that \
        transformers loads as DeepseekV3ForCausalLM. With --resume the run continues from \
        --out/checkpoint.safetensors with its stored options (only --steps may be raised) and \
        reproduces the uninterrupted run bit for bit. With --init the run starts from a trained \
        model's weights and MoE biases (architecture options are taken from it); use it to \
        fine-tune or to adapt the LM to a domain from text alone. A language folder may also hold \
        <split>.mask (one byte per token: bit 0 = a target, bit 1 = an episode start), as \
        scripts/make_instruction_corpus.py writes: windows then start at episodes and the loss \
        counts only the marked answers (Flan-style instruction tuning).

        Examples:
          glossa lm train --data data/corpus --out runs/moe --steps 2000
          glossa lm train --out runs/moe --resume --steps 3000
          glossa lm train --data data/corpus --out runs/dense --experts 0 --dense-intermediate 1152
          glossa lm train --init assets/lm/glossa-lm-v2 --data data/domain --languages en --out runs/domain --steps 200 --lr 1e-3
          glossa lm train --init assets/lm/glossa-lm-v2 --out runs/upper --trainable-embeddings none --frozen-layers 3 --steps 2000
        """)

    @Option(help: ArgumentHelp("Corpus folder from `make data`.", valueName: "dir")) var data = "data/corpus"
    @Option(help: ArgumentHelp("Run folder (checkpoint, log, exported model).", valueName: "dir")) var out: String
    @Flag(help: "Continue from <out>/checkpoint.safetensors.") var resume = false
    @Option(name: .customLong("init"), help: ArgumentHelp(
        "Start from this model folder's weights (fine-tuning, domain adaptation): its architecture, a fresh optimizer and schedule.",
        valueName: "dir"))
    var initFrom: String?
    @Option(help: ArgumentHelp("tokenizer.json copied into the exported model.", valueName: "file"))
    var tokenizer = "models/whisper-base/tokenizer.json"

    @Option(help: "Optimisation steps.") var steps: Int?
    @Option(help: "Sequences per step.") var batch: Int?
    @Option(help: "Tokens per sequence.") var length: Int?
    @Option(name: .customLong("lr"), help: "Peak learning rate.") var learningRate: Float?
    @Option(name: .customLong("warmup"), help: "Warmup steps.") var warmup: Int?
    @Option(help: "Random seed (weights and batches).") var seed: UInt64?
    @Option(name: .customLong("hidden"), help: "Model width.") var hidden: Int?
    @Option(name: .customLong("layers"), help: "Decoder layers.") var layers: Int?
    @Option(name: .customLong("dense-layers"), help: "Dense layers before the MoE layers.") var denseLayers: Int?
    @Option(name: .customLong("dense-intermediate"), help: "Dense MLP width.") var denseIntermediate: Int?
    @Option(help: "Routed experts per MoE layer (0: all layers dense).") var experts: Int?
    @Option(name: .customLong("top-k"), help: "Experts per token.") var topK: Int?
    @Option(name: .customLong("expert-intermediate"), help: "Expert MLP width.") var expertIntermediate: Int?
    @Option(name: .customLong("bias-rate"), help: "γ of the auxiliary-loss-free bias rule (0: off).") var biasRate: Float?
    @Option(name: .customLong("aux-loss"), help: "α of the Switch/GLaM balance loss (0: off).") var auxLoss: Float?
    @Option(name: .customLong("checkpoint-every"), help: "Steps between checkpoints.") var checkpointEvery: Int?
    @Option(name: .customLong("eval-every"), help: "Steps between validation evaluations.") var evalEvery: Int?
    @Option(help: "Comma-separated corpus languages.") var languages: String?
    @Option(name: .customLong("trainable-embeddings"), help: ArgumentHelp(
        "Embedding rows to train: all, none (frozen table, e.g. to keep SPAE's codebook valid), spelled:PREFIX "
            + "(rows whose vocabulary spelling starts with PREFIX, e.g. spelled:Ġt) or rows:FILE (token ids, "
            + "comma- or line-separated).", valueName: "rows"))
    var trainableEmbeddings = "all"
    @Flag(name: .customLong("embeddings-only"), help: ArgumentHelp(
        "Train only the --trainable-embeddings rows; every other weight stays as --init gave it (no weight decay, "
            + "no bias rule), e.g. to teach a tuned LM words its corpus lacked without changing what it does."))
    var embeddingsOnly = false
    @Option(name: .customLong("rescale-trainable-rows"), help: ArgumentHelp(
        "Start each --trainable-embeddings row from --init's value rescaled to this norm: for rows the --init model "
            + "never trained, whose random values are louder than a trained row (copy_probe.py prints the norms).",
        valueName: "norm"))
    var rescaleTrainableRows: Float?
    @Option(name: .customLong("frozen-layers"), help: ArgumentHelp(
        "Keep the first N decoder layers (and their MoE biases) as --init gave them and train the rest: with "
            + "--trainable-embeddings none, `lm export --share-embedding BASE` then stores only the trained layers.",
        valueName: "N"))
    var frozenLayers: Int?

    /// The --trainable-embeddings rows; nil for all.
    func trainableRows() throws -> [Int32]? {
        switch trainableEmbeddings {
        case "all": return nil
        case "none": return []
        case let spec where spec.hasPrefix("rows:"):
            let path = String(spec.dropFirst("rows:".count))
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CLIError("--trainable-embeddings: cannot read \(path)") }
            let fields = text.split(whereSeparator: { $0 == "," || $0.isWhitespace })
            let rows = try fields.map { field -> Int32 in
                guard let id = Int32(field), id >= 0 else { throw CLIError("--trainable-embeddings: '\(field)' in \(path) is not a token id") }
                return id
            }
            guard !rows.isEmpty else { throw CLIError("--trainable-embeddings: \(path) lists no token id") }
            return rows
        case let spec where spec.hasPrefix("spelled:") && spec.count > "spelled:".count:
            let prefix = String(spec.dropFirst("spelled:".count))
            let bpe = try ByteLevelBPETokenizer(path: tokenizer)
            let rows = (0..<Int32(bpe.vocabularySize)).filter { bpe.token(of: $0)?.hasPrefix(prefix) ?? false }
            guard !rows.isEmpty else { throw CLIError("--trainable-embeddings: no token of \(tokenizer) is spelled with the prefix '\(prefix)'") }
            return rows
        default:
            throw CLIError("--trainable-embeddings takes all, none, spelled:PREFIX or rows:FILE, not '\(trainableEmbeddings)'")
        }
    }

    func run() throws {
        let checkpoint = out + "/checkpoint.safetensors"
        var options: TrainingOptions
        if resume {
            guard FileManager.default.fileExists(atPath: checkpoint) else { throw CLIError("--resume: \(checkpoint) does not exist") }
            options = try TrainingCheckpoint.options(at: checkpoint)
            if let steps { options.steps = steps }
        } else {
            options = TrainingOptions()
            if let initFrom { try options.adoptArchitecture(of: try ModelLoader.config(folder: initFrom), path: initFrom) }
            if let v = steps { options.steps = v }
            if let v = batch { options.batch = v }
            if let v = length { options.length = v }
            if let v = learningRate { options.peakLearningRate = v; options.minLearningRate = v / 10 }
            if let v = warmup { options.warmupSteps = v }
            if let v = seed { options.seed = v }
            if let v = hidden { options.hidden = v }
            if let v = layers { options.layers = v }
            if let v = denseLayers { options.denseLayers = v }
            if let v = denseIntermediate { options.denseIntermediate = v }
            if let v = experts { options.experts = v }
            if let v = topK { options.topK = v }
            if let v = expertIntermediate { options.expertIntermediate = v }
            if let v = biasRate { options.biasUpdateRate = v }
            if let v = auxLoss { options.auxiliaryLossWeight = v }
            if let v = checkpointEvery { options.checkpointEvery = v }
            if let v = evalEvery { options.evaluateEvery = v }
            if let v = languages { options.languages = v.split(separator: ",").map(String.init) }
            options.trainableEmbeddingRows = try trainableRows()
            if let rows = options.trainableEmbeddingRows, let bad = rows.first(where: { Int($0) >= options.vocabulary }) {
                throw CLIError("--trainable-embeddings: token id \(bad) is outside the vocabulary (\(options.vocabulary))")
            }
            if rescaleTrainableRows != nil && ((options.trainableEmbeddingRows ?? []).isEmpty || initFrom == nil) {
                throw CLIError("--rescale-trainable-rows needs --init and --trainable-embeddings spelled:PREFIX or rows:FILE")
            }
            if embeddingsOnly {
                guard options.trainableEmbeddingRows != [] else { throw CLIError("--embeddings-only needs --trainable-embeddings other than none") }
                options.embeddingsOnly = true
            }
            if let frozenLayers {
                guard initFrom != nil else { throw CLIError("--frozen-layers needs --init: random layers would stay random") }
                guard (0..<options.layers).contains(frozenLayers) else {
                    throw CLIError("--frozen-layers must be 0 to \(options.layers - 1) (the model has \(options.layers) layers), not \(frozenLayers)")
                }
                options.frozenLayers = frozenLayers
            }
            // The default warmup (100 steps) shrinks to a tenth of a short run; an explicit one must fit.
            if warmup == nil { options.warmupSteps = min(options.warmupSteps, options.steps / 10) }
        }
        guard options.warmupSteps <= options.steps else {
            throw CLIError("--warmup (\(options.warmupSteps)) must not exceed --steps (\(options.steps))")
        }
        guard options.steps >= 1, options.batch >= 1, options.length >= 2, options.hidden % max(1, options.heads) == 0 else {
            throw CLIError("steps, batch and length must be positive and --hidden divisible by the heads")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let train = try TokenCorpus(root: data, split: "train", languages: options.languages)
        let valid = try TokenCorpus(root: data, split: "valid", languages: options.languages)
        let trainer = Trainer(options: options, corpus: train, validation: valid)
        if resume {
            try trainer.resume(from: checkpoint)
        } else if let initFrom {
            try trainer.initialize(from: try ModelLoader.load(folder: initFrom))
            if let norm = rescaleTrainableRows { trainer.rescaleTrainableEmbeddingRows(toNorm: norm) }
        }

        let log = try JSONLinesLog(path: out + "/log.jsonl")
        let peak = GemmBenchmark.measurePeak(minSeconds: 0.3).gflops
        let params = trainer.model.parameters.reduce(0) { $0 + $1.value.count }
        if let rows = options.trainableEmbeddingRows {
            let rest = options.embeddingsOnly == true ? "; every other weight frozen" : ""
            FileHandle.standardError.write(Data("train: embedding table frozen except \(rows.count) rows\(rest)\n".utf8))
        }
        if let frozen = options.frozenLayers, frozen > 0 {
            FileHandle.standardError.write(Data("train: layers 0–\(frozen - 1) frozen\n".utf8))
        }
        FileHandle.standardError.write(("train: \(params / 1000)k parameters, \(trainer.model.config.activeParametersPerToken / 1000)k active per token, "
            + "step \(trainer.step) → \(options.steps), \(options.batch)×\(options.length) tokens per step, sgemm peak \(Int(peak)) GFLOP/s\n").data(using: .utf8)!)
        let progress = ProgressReporter("train", total: options.steps - trainer.step, unit: "steps")
        try trainer.run(checkpoint: checkpoint) { record in
            try log.append(record)
            let gflops = trainer.flopsPerStep(targets: record.targets) * record.tokensPerSecond / Double(options.batch * options.length) / 1e9
            var status = String(format: "loss %.3f · %.0f tok/s · %.0f%% of peak", record.loss, record.tokensPerSecond, 100 * gflops / peak)
            if let v = record.validationLoss {
                status += " · valid " + v.keys.sorted().map { String(format: "%@ %.2f", $0, v[$0]!) }.joined(separator: " ")
            }
            progress.advance(status: status)
        }
        progress.finish()
        let eot = try ByteLevelBPETokenizer(path: tokenizer).id(of: "<|endoftext|>") ?? Int32(options.vocabulary - 1)
        try HuggingFaceExport.write(trainer.model, to: out + "/model", tokenizer: tokenizer, endOfText: eot,
                                    metadata: ["glossa.steps": String(trainer.step)])
        print("trained to step \(trainer.step); model written to \(out)/model")
    }
}
