import CSndFile
import CSoxr
import Foundation

/// Audio in: any format libsndfile reads (WAV, FLAC, Ogg/Vorbis, AIFF, …), mixed down to mono
/// and resampled to the rate a model needs with libsoxr's band-limited high-quality resampler.
public enum AudioFile {
    /// Mono samples in [-1, 1] at `sampleRate` Hz.
    public static func read(_ path: String, sampleRate: Int = 16_000) throws -> [Float] {
        var info = SF_INFO()
        guard FileManager.default.fileExists(atPath: path) else {
            throw AudioError.cannotOpen(file: path, reason: "no such file")
        }
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioError.cannotOpen(file: path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(file) }
        let frames = Int(info.frames), channels = Int(info.channels)
        guard frames > 0, channels > 0 else { throw AudioError.empty(file: path) }
        var interleaved = [Float](repeating: 0, count: frames * channels)
        let got = Int(interleaved.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, sf_count_t(frames)) })
        guard got > 0 else { throw AudioError.empty(file: path) }
        var mono = [Float](repeating: 0, count: got)
        if channels == 1 {
            mono = Array(interleaved[0..<got])
        } else {
            let scale = 1 / Float(channels)
            for f in 0..<got {
                var s: Float = 0
                for c in 0..<channels { s += interleaved[f * channels + c] }
                mono[f] = s * scale
            }
        }
        if Int(info.samplerate) == sampleRate { return mono }
        return try resample(mono, from: Int(info.samplerate), to: sampleRate, file: path)
    }

    /// Band-limited resampling with soxr (high quality: flat to 0.95 of Nyquist, 100+ dB
    /// stop-band), in one shot.
    public static func resample(_ samples: [Float], from inRate: Int, to outRate: Int, file: String = "audio") throws -> [Float] {
        guard inRate > 0 else { throw AudioError.cannotOpen(file: file, reason: "invalid sample rate \(inRate)") }
        let outCount = Int((Double(samples.count) * Double(outRate) / Double(inRate)).rounded(.up)) + 16
        var out = [Float](repeating: 0, count: outCount)
        var done = 0
        var ioSpec = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(UInt(SOXR_HQ), 0)
        let error = samples.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                soxr_oneshot(Double(inRate), Double(outRate), 1, input.baseAddress, input.count, nil,
                             output.baseAddress, output.count, &done, &ioSpec, &quality, nil)
            }
        }
        if let error { throw AudioError.resampling(file: file, reason: String(cString: error)) }
        return Array(out[0..<done])
    }
}
