import ArgumentParser
import Foundation
import GlossaLM
import GlossaSupport

struct Corpus: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the multilingual LM corpus from unpacked Debian packages.",
        discussion: """
        Reads the packages scripts/fetch_corpus.sh unpacked into --raw (LibreOffice help, the \
        Debian handbook, GNOME help, fortunes), strips markup, drops lines already seen in the \
        same language, splits documents 90/5/5 by a stable hash of their path, and writes \
        <out>/<lang>/{train,valid,test}.txt plus .tokens (UInt16 ids of the tokenizer, documents \
        separated by <|endoftext|>). Prints documents and tokens per language and split. \
        `make data` runs both steps.

        With --text, the corpus is one UTF-8 text file of one language instead (your domain \
        text, to adapt the LM with `glossa lm train --init`): paragraphs separated by blank \
        lines are the documents, split and written the same way.

        Examples:
          glossa corpus --raw data/raw --out data/corpus --tokenizer models/whisper-base/tokenizer.json
          glossa corpus --text notes.txt --languages en --out data/domain
        """)

    @Option(help: ArgumentHelp("Folder the Debian packages were unpacked into.", valueName: "dir"))
    var raw = "data/raw"

    @Option(help: ArgumentHelp("Output folder.", valueName: "dir"))
    var out = "data/corpus"

    @Option(help: ArgumentHelp("tokenizer.json used for the token files and counts.", valueName: "file"))
    var tokenizer = "models/whisper-base/tokenizer.json"

    @Option(help: "Comma-separated languages (with --text: the text's one language).")
    var languages = CorpusBuilder.languages.joined(separator: ",")

    @Option(help: ArgumentHelp("Build the corpus from this one plain-text file instead of --raw.", valueName: "file"))
    var text: String?

    func run() throws {
        let langs = languages.split(separator: ",").map(String.init)
        var sources: [CorpusBuilder.Source]?
        if let text {
            guard langs.count == 1 else { throw CLIError("--text needs exactly one language in --languages") }
            guard let data = FileManager.default.contents(atPath: text) else { throw CLIError("cannot read \(text)") }
            guard !String(decoding: data, as: UTF8.self).allSatisfy(\.isWhitespace) else { throw CLIError("\(text) holds no text") }
            sources = [CorpusBuilder.Source(kind: .paragraphs, folder: text)]
        } else {
            guard FileManager.default.fileExists(atPath: raw + "/usr/share") else {
                throw CLIError("\(raw) holds no unpacked packages: run scripts/fetch_corpus.sh (or make data)")
            }
            if let bad = langs.first(where: { !CorpusBuilder.languages.contains($0) }) {
                throw CLIError("unknown language '\(bad)'; available: \(CorpusBuilder.languages.joined(separator: ", "))")
            }
        }
        let bpe = try ByteLevelBPETokenizer(path: tokenizer)
        guard let eot = bpe.id(of: "<|endoftext|>") else { throw CLIError("\(tokenizer) has no <|endoftext|> token") }
        let progress = ProgressReporter("corpus", total: langs.count, unit: "languages")
        var all: [String: CorpusBuilder.LanguageStats] = [:]
        for lang in langs {
            all[lang] = try CorpusBuilder.build(language: lang, raw: text == nil ? raw : "", out: out, tokenizer: bpe,
                                                endOfText: eot, sources: sources)
            progress.advance(status: lang)
        }
        progress.finish()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(all).write(to: URL(fileURLWithPath: out + "/stats.json"), options: .atomic)
        print("lang   documents train/valid/test        tokens train / valid / test   (tokenizer: \(tokenizer))")
        for lang in langs {
            let s = all[lang]!
            func d(_ k: String) -> Int { s.documents[k] ?? 0 }
            func t(_ k: String) -> Int { s.tokens[k] ?? 0 }
            print(lang.padding(toLength: 5, withPad: " ", startingAt: 0)
                  + String(format: "%9d / %5d / %5d   %12d / %9d / %9d", d("train"), d("valid"), d("test"), t("train"), t("valid"), t("test")))
        }
        let total = all.values.reduce(0) { $0 + ($1.tokens["train"] ?? 0) }
        print("total training tokens: \(total)")
    }
}
