import ArgumentParser
import Foundation
import GlossaLM
import GlossaPrompt
import GlossaVision

struct Prompt: ParsableCommand {
    /// The LM for prompts: glossa-lm-v2 instruction-tuned with its embedding table frozen (so
    /// SPAE's codebook, v2's table, stays valid), which copies labels in context where v2 does not.
    static let defaultLM = "assets/lm/glossa-lm-v10"

    static let configuration = CommandConfiguration(
        abstract: "Few-shot classify an image with the frozen LM, the images written as its words.",
        discussion: """
        Each --support image is tokenized by SPAE (its first --layers pyramid layers) and written \
        into the template with its label; the query follows. Prints the prompt, then the LM's \
        answer and the probability of every label (scored as the continuation " label"), then \
        what the LM writes by greedy decoding up to the end of the line (`written:`, the labels \
        in the tokens it copies best; glossa eval fewshot --mode open scores this). \
        --print-only stops after the prompt, for use with any other LLM. Templates: frozen, \
        induction, options, zero-shot, or a .txt file of your own.

        Example:
          glossa prompt --support boot.png=boot --support sandal.png=sandal --query shoe.png \\
            --template induction --layers 2 --spae assets/spae/glossa-spae-v4 --lm assets/lm/glossa-lm-v10
        """)

    @Option(help: ArgumentHelp("A labelled example, IMAGE=label (repeatable).", valueName: "image=label")) var support: [String] = []
    @Option(help: ArgumentHelp("The image to classify.", valueName: "image")) var query: String
    @Option(help: "Template name or .txt file.") var template = "induction"
    @Option(help: "Pyramid layers per image (1 to the model's depth).") var layers = 1
    @Option(help: ArgumentHelp("SPAE model folder.", valueName: "dir")) var spae = SPAE.defaultModel
    @Option(help: ArgumentHelp("Frozen LM folder.", valueName: "dir")) var lm = Prompt.defaultLM
    @Flag(name: .customLong("print-only"), help: "Print the prompt and stop.") var printOnly = false
    @Option(help: ArgumentHelp("How labels are written in the prompt's tokens: tokenizer, or copied (the spelling the LM copies best, chosen without images; it helps the LM write a label more than score it).", valueName: "kind"))
    var spelling = LabelSpellingKind.tokenizer
    @Flag(help: "Subtract each label's score for a content-free query (\"N/A\"), removing the LM's label prior.") var calibrate = false

    func validate() throws {
        guard (1...StreamingAverageQuantizer.maxLayers).contains(layers) else { throw ValidationError("--layers must be 1 to \(StreamingAverageQuantizer.maxLayers)") }
    }

    func run() throws {
        guard !support.isEmpty else { throw CLIError("the support set is empty: give at least one --support IMAGE=label") }
        let pairs = try support.map { item -> (String, String) in
            guard let eq = item.lastIndex(of: "="), !item[item.index(after: eq)...].isEmpty, eq != item.startIndex else {
                throw CLIError("--support '\(item)' is not IMAGE=label")
            }
            return (String(item[..<eq]), String(item[item.index(after: eq)...]))
        }
        let template = try PromptTemplate.load(self.template)
        guard FileManager.default.fileExists(atPath: spae + "/config.json") else { throw CLIError("no SPAE model at \(spae): pass --spae DIR") }
        let (model, _) = try SPAEFile.load(spae)
        func words(_ path: String) throws -> String {
            let codes = model.tokenize(ImagePreprocessing.modelInput(try PNGFile.read(path), channels: model.config.channels), layers: layers)
            return FewShot.imageText(codes.map { $0.map { model.codebook.words[Int($0)] } }, layers: layers)
        }
        let examples = try pairs.map { (image: try words($0.0), label: $0.1) }
        var labels: [String] = []
        for (_, label) in pairs where !labels.contains(label) { labels.append(label) }
        let prompt = template.render(support: examples, query: try words(query), options: labels)
        print(prompt.text)
        if printOnly { return }
        let language = try LanguageModel(folder: lm)
        let spelling = try self.spelling.make(labels: labels, template: template, language: language)
        let prediction = calibrate
            ? FewShot.calibrated(prompt: prompt, contentFree: template.render(support: examples, query: "N/A", options: labels), labels: labels,
                                 model: language.model, spelling: spelling, endOfText: language.endOfText)
            : FewShot.constrained(prompt: prompt, labels: labels, model: language.model, spelling: spelling, endOfText: language.endOfText)
        let total = prediction.scores.values.map { exp($0) }.reduce(0, +)
        print("\nanswer: \(prediction.label)")
        for label in labels { print(String(format: "  %@  %.3f", label, exp(prediction.scores[label]!) / total)) }
        // What the LM writes on its own (open mode), with each label in the tokens it copies best.
        let copied = try LabelSpellingKind.copied.make(labels: labels, template: template, language: language)
        print("written: \(try FewShot.open(prompt: prompt, model: language, spelling: copied))")
    }
}
