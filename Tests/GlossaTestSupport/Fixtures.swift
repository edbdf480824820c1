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
