import Foundation

/// Transcript writers: plain text, JSON (segments with start, end, text, avg_logprob, tokens …),
/// SubRip (.srt) and WebVTT (.vtt).
public enum TranscriptFormat: String, CaseIterable, Sendable {
    case txt, json, srt, vtt

    public func render(_ transcript: WhisperTranscriber.Transcript) throws -> String {
        switch self {
        case .txt:
            return transcript.text + "\n"
        case .json:
            struct Document: Encodable {
                let language: String?
                let text: String
                let segments: [WhisperTranscriber.Segment]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Document(language: transcript.language, text: transcript.text, segments: transcript.segments))
            return String(decoding: data, as: UTF8.self) + "\n"
        case .srt:
            return transcript.segments.enumerated().map { i, s in
                "\(i + 1)\n\(Self.timestamp(s.start, separator: ",")) --> \(Self.timestamp(s.end, separator: ","))\n\(s.text.trimmingCharacters(in: .whitespaces))\n"
            }.joined(separator: "\n")
        case .vtt:
            return "WEBVTT\n\n" + transcript.segments.map { s in
                "\(Self.timestamp(s.start, separator: ".")) --> \(Self.timestamp(s.end, separator: "."))\n\(s.text.trimmingCharacters(in: .whitespaces))\n"
            }.joined(separator: "\n")
        }
    }

    /// HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT).
    public static func timestamp(_ seconds: Double, separator: String) -> String {
        let ms = Int((max(0, seconds) * 1000).rounded())
        return String(format: "%02d:%02d:%02d%@%03d", ms / 3_600_000, (ms / 60_000) % 60, (ms / 1000) % 60, separator, ms % 1000)
    }
}
