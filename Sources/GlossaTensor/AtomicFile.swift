import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Atomic file replacement: write a sibling temp file, fsync it, rename it over the target.
/// rename(2) within one folder is atomic, so readers see the old file or the new one, never
/// a partial write. Used for models, checkpoints and every output file Glossa produces.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw SafetensorsError.cannotWrite(file: path, reason: "folder \(folder) does not exist")
        }
        let temp = folder + "/." + url.lastPathComponent + ".\(getpid()).tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw SafetensorsError.cannotWrite(file: path, reason: String(cString: strerror(errno)))
        }
        var failure: String?
        data.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
                if n <= 0 {
                    failure = String(cString: strerror(errno))
                    return
                }
                written += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        close(fd)
        if failure == nil && rename(temp, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(temp)
            throw SafetensorsError.cannotWrite(file: path, reason: failure)
        }
    }
}
