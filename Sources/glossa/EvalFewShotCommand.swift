import ArgumentParser
import Foundation
import GlossaLM
import GlossaPrompt
import GlossaSupport
import GlossaTensor
import GlossaVision

struct EvalFewShot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fewshot",
        abstract: "N-way K-shot in-context classification of Fashion-MNIST images (the test split) by the frozen LM.",
        discussion: """
        Episodes are fixed by --seed: N classes, K support images each and one query, all from the \
        test split (--split train draws development episodes instead). Constrained mode scores \
        each class name as the continuation; open mode needs the generated answer to equal the \
        class name, and writes the labels in the prompt with the tokens the LM copies best \
        (--spelling). Prints accuracy with a 95% Wilson interval, next to chance and a \
        nearest-neighbour classifier over the same token bags.

        Examples:
          glossa eval fewshot --way 2 --shot 1 --induction --spae assets/spae/glossa-spae-v4 --lm assets/lm/glossa-lm-v10
          glossa eval fewshot --way 5 --shot 1 --induction --mode open --episodes 300 --show 3
        """)

    static let labelNames = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]

    @Option(help: "Classes per episode.") var way = 2
    @Option(help: "Support images per class.") var shot = 1
    @Option(help: "Episodes.") var episodes = 1000
    @Option(help: "Seed fixing the episodes.") var seed: UInt64 = 0
    @Option(help: "constrained or open.") var mode = "constrained"
    @Flag(help: "Name the classes first (task induction).") var induction = false
    @Flag(help: "Constrained mode: subtract each label's score for a content-free query (\"N/A\"), removing the LM's label prior.")
    var calibrate = false
    @Option(help: "Pyramid layers per image (1 to the model's depth).") var layers = 1
    @Option(help: ArgumentHelp("How labels are written in the prompt's tokens: tokenizer, or copied (the spelling the LM copies best, chosen once per label without images). Default: copied in open mode, where the LM must write the label; tokenizer in constrained mode, where it only scores it.", valueName: "kind"))
    var spelling: LabelSpellingKind?
    @Option(help: ArgumentHelp("With --spelling copied: the most tokens one of the tokenizer's tokens of a label may become.", valueName: "n"))
    var spellingPieces = 2
    @Option(help: "Template name or file (default: induction with --induction, else frozen).") var template: String?
    @Option(help: ArgumentHelp("SPAE model folder.", valueName: "dir")) var spae = SPAE.defaultModel
    @Option(help: ArgumentHelp("Frozen LM folder.", valueName: "dir")) var lm = Prompt.defaultLM
    @Option(help: ArgumentHelp("Fashion-MNIST folder (make data).", valueName: "dir")) var data = SPAE.defaultFashionMNIST
    @Option(help: ArgumentHelp("test, or train for development episodes that leave the test split unseen.", valueName: "split"))
    var split = "test"
    @Option(help: "Print the first N episodes (prompt, answer, truth) to stderr, to see what the LM does.") var show = 0
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (2...10).contains(way) else { throw ValidationError("--way must be 2 to 10") }
        guard shot >= 1, episodes >= 1 else { throw ValidationError("--shot and --episodes must be at least 1") }
        guard ["constrained", "open"].contains(mode) else { throw ValidationError("--mode must be constrained or open") }
        guard ["test", "train"].contains(split) else { throw ValidationError("--split must be test or train") }
        guard spellingPieces >= 1 else { throw ValidationError("--spelling-pieces must be at least 1") }
        guard (1...StreamingAverageQuantizer.maxLayers).contains(layers) else { throw ValidationError("--layers must be 1 to \(StreamingAverageQuantizer.maxLayers)") }
    }

    struct Report: Codable {
        let way: Int, shot: Int, episodes: Int, layers: Int, mode: String, template: String, split: String, seed: UInt64, calibrated: Bool
        /// Labels written otherwise than the tokenizer would: label → the tokens, as text.
        let respelt: [String: [String]]
        let accuracy: Double, low: Double, high: Double
        let nearestNeighbour: Double, chance: Double
        /// Per true class: [right, episodes], so a label the LM never produces stands out.
        let byClass: [String: [Int]]
        /// Answers that are none of the episode's labels (open mode: the LM failed to write a
        /// label at all, as opposed to choosing the wrong one).
        let offLabel: Int
    }

    func run() throws {
        let template = try PromptTemplate.load(self.template ?? (induction ? "induction" : "frozen"))
        let (model, _) = try SPAEFile.load(spae)
        let language = try LanguageModel(folder: lm)
        let spellingKind = self.spelling ?? (mode == "open" ? .copied : .tokenizer)
        let spelling = try spellingKind.make(labels: Self.labelNames, template: template, language: language, maxPieces: spellingPieces)
        let images = try FashionMNIST(folder: data, split: split == "test" ? "t10k" : "train")
        let inputs = images.modelInputs()
        let labels = images.labels.map(Int.init)
        let byClass = Dictionary(grouping: labels.indices, by: { labels[$0] })
        var cache: [Int: [[Int32]]] = [:]
        func codes(_ i: Int) -> [[Int32]] {
            if let c = cache[i] { return c }
            let c = model.tokenize(inputs.row(i), layers: layers)
            cache[i] = c
            return c
        }
        func text(_ i: Int) -> String { FewShot.imageText(codes(i).map { $0.map { model.codebook.words[Int($0)] } }, layers: layers) }
        var rng = RandomGenerator(seed: seed)
        var (correct, nearest, offLabel) = (0, 0, 0)
        var perClass: [String: [Int]] = [:]
        let progress = ProgressReporter("eval fewshot", total: episodes, unit: "episodes")
        for _ in 0..<episodes {
            let e = FewShot.episode(labels: labels, byClass: byClass, way: way, shot: shot, rng: &rng)
            let names = e.classes.map { Self.labelNames[$0] }
            let support = e.support.map { (image: text($0), label: Self.labelNames[labels[$0]]) }
            let prompt = template.render(support: support, query: text(e.query), options: names)
            let truth = Self.labelNames[labels[e.query]]
            let answer: String
            if mode == "open" {
                answer = try FewShot.open(prompt: prompt, model: language, spelling: spelling)
            } else if calibrate {
                let contentFree = template.render(support: support, query: "N/A", options: names)
                answer = FewShot.calibrated(prompt: prompt, contentFree: contentFree, labels: names, model: language.model,
                                            spelling: spelling, endOfText: language.endOfText).label
            } else {
                answer = FewShot.constrained(prompt: prompt, labels: names, model: language.model, spelling: spelling,
                                             endOfText: language.endOfText).label
            }
            perClass[truth, default: [0, 0]][1] += 1
            if answer == truth {
                correct += 1
                perClass[truth]![0] += 1
            } else if !names.contains(answer) {
                offLabel += 1
            }
            if progress.done < show {
                FileHandle.standardError.write(Data("\(prompt.text)\n→ \(answer) (truth: \(truth))\n\n".utf8))
            }
            let pick = FewShot.nearestNeighbour(query: codes(e.query).flatMap { $0 }, support: e.support.map { codes($0).flatMap { $0 } })
            if labels[e.support[pick]] == labels[e.query] { nearest += 1 }
            progress.advance(status: String(format: "accuracy %.1f%%", 100 * Double(correct) / Double(progress.done + 1)))
        }
        progress.finish()
        let (accuracy, low, high) = FewShot.interval(correct: correct, total: episodes)
        let report = Report(way: way, shot: shot, episodes: episodes, layers: layers, mode: mode, template: template.name, split: split, seed: seed,
                            calibrated: calibrate && mode == "constrained", respelt: spelling.readable,
                            accuracy: accuracy, low: low, high: high, nearestNeighbour: Double(nearest) / Double(episodes), chance: 1 / Double(way),
                            byClass: perClass, offLabel: offLabel)
        if json {
            try printJSON(report)
        } else {
            print(String(format: "%d-way %d-shot, %d layer%@, %@%@, template %@, %d %@ episodes (seed %llu): accuracy %.1f%% [%.1f, %.1f]; nearest neighbour %.1f%%; chance %.1f%%",
                         way, shot, layers, layers == 1 ? "" : "s", mode, report.calibrated ? " (calibrated)" : "", template.name, episodes, split, seed,
                         100 * accuracy, 100 * low, 100 * high,
                         100 * report.nearestNeighbour, 100 * report.chance))
            print("  by class (right/episodes): " + Self.labelNames.compactMap { name in perClass[name].map { "\(name) \($0[0])/\($0[1])" } }.joined(separator: ", ")
                  + "; answers that are no label of the episode: \(offLabel)")
            if !report.respelt.isEmpty {
                print("  labels respelt: " + report.respelt.keys.sorted().map { "\($0) = \(report.respelt[$0]!.map { "\"\($0)\"" }.joined(separator: " + "))" }
                    .joined(separator: ", "))
            }
        }
    }
}
