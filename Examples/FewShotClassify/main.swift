// Tokenizes two labelled images and classifies a third with the frozen LM, in context.
//
//   swift run -c release FewShotClassify <a.png> <label-a> <b.png> <label-b> <query.png> <spae-folder> <lm-folder>
import Foundation
import GlossaLM
import GlossaPrompt
import GlossaVision

let a = CommandLine.arguments
guard a.count == 8 else {
    FileHandle.standardError.write("usage: FewShotClassify <a.png> <label-a> <b.png> <label-b> <query.png> <spae-folder> <lm-folder>\n".data(using: .utf8)!)
    exit(2)
}
do {
    let (spae, _) = try SPAEFile.load(a[6])
    let lm = try LanguageModel(folder: a[7])
    // An image as text: its layer-1 and layer-2 words.
    func words(_ path: String) throws -> String {
        let codes = spae.tokenize(ImagePreprocessing.modelInput(try PNGFile.read(path), channels: spae.config.channels), layers: 2)
        return FewShot.imageText(codes.map { $0.map { spae.codebook.words[Int($0)] } }, layers: 2)
    }
    let labels = [a[2], a[4]]
    let prompt = try PromptTemplate.load("induction").render(
        support: [(image: try words(a[1]), label: a[2]), (image: try words(a[3]), label: a[4])],
        query: try words(a[5]), options: labels)
    print(prompt.text)
    // Labels as the tokenizer spells them: scoring needs no spelling the LM can write
    // (LabelSpelling.copied is for generating the answer).
    let spelling = LabelSpelling(tokenizer: try lm.requireTokenizer())
    let answer = FewShot.constrained(prompt: prompt, labels: labels, model: lm.model, spelling: spelling, endOfText: lm.endOfText)
    print("→", answer.label, answer.scores)
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
