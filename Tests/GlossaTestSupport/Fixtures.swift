import Foundation

/// Path of a committed fixture in the `Fixtures` folder beside the calling test file.
/// Tests run from the source tree, so #filePath locates fixtures without resource bundles.
public func fixturePath(_ name: String, testFile: StaticString = #filePath) -> String {
    URL(fileURLWithPath: "\(testFile)").deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}

/// A fresh temporary folder, removed by the caller's `defer`.
public func makeTemporaryFolder() -> String {
    let path = NSTemporaryDirectory() + "glossa-test-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The repository root (three levels above Tests/<Target>/<File>.swift).
public func repositoryRoot(testFile: StaticString = #filePath) -> String {
    URL(fileURLWithPath: "\(testFile)").deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

/// A file under models/ (fetched by `make models`, which `make test` runs first).
public func modelFile(_ relative: String, testFile: StaticString = #filePath) throws -> String {
    let path = repositoryRoot(testFile: testFile) + "/models/" + relative
    guard FileManager.default.fileExists(atPath: path) else {
        throw NSError(domain: "glossa.tests", code: 1, userInfo: [NSLocalizedDescriptionKey:
            "missing \(path): run `make models` (make test does it for you)"])
    }
    return path
}
