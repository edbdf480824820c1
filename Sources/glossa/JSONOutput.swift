import Foundation

/// A training run's log.jsonl: one JSON object per line, appended, so a resumed run continues
/// the same file.
struct JSONLinesLog {
    private let handle: FileHandle
    private let encoder = JSONEncoder()

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }  // a failure is caught just below
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CLIError("cannot write \(path)") }
        handle.seekToEndOfFile()
        self.handle = handle
        encoder.outputFormatting = [.sortedKeys]
    }

    func append(_ record: some Encodable) throws {
        handle.write(try encoder.encode(record) + Data("\n".utf8))
    }
}

/// Prints `value` as pretty, key-sorted JSON on stdout (every command's --json).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(data: try encoder.encode(value), encoding: .utf8)!)
}
