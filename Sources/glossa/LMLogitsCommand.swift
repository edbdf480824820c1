import ArgumentParser
import GlossaLM
import GlossaTensor

struct LMLogits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write the logits of a token sequence to a safetensors file.",
        discussion: """
        Writes one F32 tensor `logits` of shape [T, V] (and the I64 `input_ids`), computed in one \
        full-sequence pass. The file is written atomically.

        Example:
          glossa lm logits --model Tests/GlossaLMTests/Fixtures/llama --ids 1,2,3 --out logits.safetensors
        """)

    @OptionGroup var options: ModelOption

    @Option(help: ArgumentHelp("Comma-separated token ids.", valueName: "ids"))
    var ids: String

    @Option(help: ArgumentHelp("Output .safetensors file.", valueName: "file"))
    var out: String

    func run() throws {
        let parsed = try ids.split(separator: ",", omittingEmptySubsequences: false).map { part -> Int32 in
            guard let v = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                throw CLIError("--ids must be comma-separated integers, got '\(part)'")
            }
            return v
        }
        let lm = try LanguageModel(folder: options.model)
        try lm.validate(parsed)
        let logits = lm.model.forward(batch: parsed, batch: 1)
        var writer = SafetensorsWriter(metadata: ["format": "pt", "model": options.model])
        writer.add("logits", logits)
        writer.add("input_ids", int64: parsed.map(Int64.init), shape: [parsed.count])
        try writer.write(to: out)
        print("wrote logits [\(logits.shape[0]), \(logits.shape[1])] to \(out)")
    }
}
