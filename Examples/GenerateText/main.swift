// Loads a Hugging Face model folder and continues a prompt through the library API.
//
//   swift run -c release GenerateText <model-folder> "<prompt>" [max-tokens]
//
// The folder needs config.json, model.safetensors (or shards) and tokenizer.json.
import Foundation
import GlossaLM

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write("usage: GenerateText <model-folder> <prompt> [max-tokens]\n".data(using: .utf8)!)
    exit(2)
}
do {
    let lm = try LanguageModel(folder: arguments[1])
    let maxTokens = arguments.count > 3 ? Int(arguments[3]) ?? 32 : 32
    FileHandle.standardOutput.write(arguments[2].data(using: .utf8)!)
    // Greedy decoding; pass SamplingOptions(temperature:topK:topP:seed:) to sample instead.
    let result = try lm.generate(prompt: arguments[2], maxTokens: maxTokens, sampling: .greedy) { piece in
        FileHandle.standardOutput.write(piece.data(using: .utf8)!)
    }
    print("\n[\(result.tokens.count) tokens, stopped: \(result.stopReason.rawValue)]")
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
