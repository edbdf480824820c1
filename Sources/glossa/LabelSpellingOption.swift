import ArgumentParser
import GlossaLM
import GlossaPrompt

/// `--spelling`: how labels are written in a prompt's tokens (GlossaPrompt.LabelSpelling).
enum LabelSpellingKind: String, ExpressibleByArgument, CaseIterable {
    case copied, tokenizer

    func make(labels: [String], template: PromptTemplate, language: LanguageModel, maxPieces: Int = 2) throws -> LabelSpelling {
        let tokenizer = try language.requireTokenizer()
        switch self {
        case .tokenizer: return LabelSpelling(tokenizer: tokenizer)
        case .copied: return LabelSpelling.copied(labels: labels, template: template, model: language.model, tokenizer: tokenizer,
                                                  endOfText: language.endOfText, maxPieces: maxPieces)
        }
    }
}
