// Transcribes an audio file through the library API, printing segments as they are decoded.
//
//   swift run -c release TranscribeFile <audio> [whisper-model-folder]
//
// The model folder holds a CTranslate2 model.bin and tokenizer.json (`make models` provides
// models/whisper-base and models/whisper-tiny.en).
import Foundation
import GlossaSpeech

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write("usage: TranscribeFile <audio> [model-folder]\n".data(using: .utf8)!)
    exit(2)
}
do {
    let transcriber = try WhisperTranscriber(folder: arguments.count > 2 ? arguments[2] : "models/whisper-base")
    let samples = try AudioFile.read(arguments[1])  // any rate and channel count → 16 kHz mono
    var options = WhisperTranscriber.Options()       // beam 5, timestamps, language detection
    options.beamSize = 5
    let transcript = try transcriber.transcribe(samples, options: options) { segment in
        print(String(format: "[%7.2f → %7.2f]", segment.start, segment.end) + segment.text)
    }
    print("language: \(transcript.language ?? "-"), \(transcript.segments.count) segments")
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
