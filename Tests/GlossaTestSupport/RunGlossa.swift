import Foundation

public struct ProcessResult {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// The `glossa` executable built beside the tests (.build/<config>/glossa). On Linux the test
/// runner is itself an executable in that folder; on macOS it is an .xctest bundle there.
public func glossaExecutablePath() -> String {
    if let override = ProcessInfo.processInfo.environment["GLOSSA_BIN"] { return override }
    var folder = Bundle.main.bundleURL
    if let xctest = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
        folder = xctest.bundleURL.deletingLastPathComponent()
    }
    return folder.appendingPathComponent("glossa").path
}

/// Runs `glossa` with `arguments` and captures both streams.
public func runGlossa(_ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: glossaExecutablePath())
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    if let stdin {
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    } else {
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }
    // Read both pipes to the end before waiting, so a chatty child cannot block on a full pipe.
    let errData = UncheckedReader(err.fileHandleForReading)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData.result(), as: UTF8.self))
}

/// Drains a pipe on a background thread.
private final class UncheckedReader: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }
    func result() -> Data {
        done.wait()
        return data
    }
}
