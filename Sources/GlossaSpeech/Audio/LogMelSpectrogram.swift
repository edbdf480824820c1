import CFFTW
import Foundation
import GlossaTensor

/// Whisper's log-mel front end (openai/whisper audio.py `log_mel_spectrogram`):
/// 400-point periodic Hann window, hop 160, centred frames with reflect padding (torch.stft's
/// defaults), power spectrum through FFTW's r2c, a Slaney mel filterbank computed as librosa
/// does, log10(max(x, 1e-10)), clamped to max − 8, then (x + 4) / 4. The last STFT frame is
/// dropped, as in the reference (`stft[..., :-1]`).
///
/// Invariant behind `@unchecked Sendable`: the FFTW plan is created once in init (plans must
/// be made on one thread) and only ever used through `fftwf_execute_dft_r2c` on buffers
/// allocated per call, which FFTW documents as thread-safe.
public final class LogMelSpectrogram: @unchecked Sendable {
    public static let sampleRate = 16_000
    public static let fftSize = 400
    public static let hop = 160
    public let melCount: Int
    /// [melCount, fftSize/2 + 1], Slaney-normalised triangles.
    public let filters: Tensor
    private let window: [Float]
    private let plan: fftwf_plan

    private static let planLock = NSLock()

    public init(melCount: Int = 80) {
        self.melCount = melCount
        filters = Self.melFilters(melCount: melCount)
        let n = Self.fftSize
        // torch.hann_window(400) is periodic: 0.5 − 0.5·cos(2πi/N).
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        let input = fftwf_alloc_real(n)!, output = fftwf_alloc_complex(n / 2 + 1)!
        Self.planLock.lock()
        plan = fftwf_plan_dft_r2c_1d(Int32(n), input, output, UInt32(FFTW_ESTIMATE))!
        Self.planLock.unlock()
        fftwf_free(input)
        fftwf_free(output)
    }

    deinit {
        Self.planLock.lock()
        fftwf_destroy_plan(plan)
        Self.planLock.unlock()
    }

    /// librosa.filters.mel(sr=16000, n_fft=400, n_mels, htk=False, norm="slaney").
    public static func melFilters(melCount: Int) -> Tensor {
        let bins = fftSize / 2 + 1
        let fMax = Double(sampleRate) / 2
        // Slaney's mel scale: linear below 1 kHz, logarithmic above.
        let fSp = 200.0 / 3, minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27
        func hzToMel(_ f: Double) -> Double { f >= minLogHz ? minLogMel + log(f / minLogHz) / logStep : f / fSp }
        func melToHz(_ m: Double) -> Double { m >= minLogMel ? minLogHz * exp(logStep * (m - minLogMel)) : fSp * m }
        let maxMel = hzToMel(fMax)
        let melHz = (0..<(melCount + 2)).map { melToHz(maxMel * Double($0) / Double(melCount + 1)) }
        let fftHz = (0..<bins).map { fMax * Double($0) / Double(bins - 1) }
        let t = Tensor(zeros: [melCount, bins])
        for m in 0..<melCount {
            let lowerWidth = melHz[m + 1] - melHz[m], upperWidth = melHz[m + 2] - melHz[m + 1]
            let norm = 2 / (melHz[m + 2] - melHz[m])
            for k in 0..<bins {
                let lower = (fftHz[k] - melHz[m]) / lowerWidth
                let upper = (melHz[m + 2] - fftHz[k]) / upperWidth
                t[m, k] = Float(max(0, min(lower, upper)) * norm)
            }
        }
        return t
    }

    /// [melCount, frames] with frames = ⌊(samples + padding)/160⌋; `padding` zeros are appended
    /// first (transcription appends 30 s, as whisper's transcribe() does).
    public func callAsFunction(_ samples: [Float], padding: Int = 0) -> Tensor {
        let n = Self.fftSize, hop = Self.hop, half = n / 2
        var audio = samples
        audio.append(contentsOf: repeatElement(0, count: padding))
        if audio.count <= half { audio.append(contentsOf: repeatElement(0, count: half + 1 - audio.count)) }
        let length = audio.count
        let frames = length / hop
        // Reflect padding by n/2 on both sides, excluding the edge sample (torch "reflect").
        var padded = [Float](repeating: 0, count: length + n)
        for i in 0..<half { padded[i] = audio[half - i] }
        for i in 0..<length { padded[half + i] = audio[i] }
        for j in 0..<half { padded[half + length + j] = audio[length - 2 - j] }

        let bins = n / 2 + 1
        let power = Tensor(uninitialized: [frames, bins])
        Parallel.forEachChunk(frames, minChunk: 64) { range in
            let input = fftwf_alloc_real(n)!, output = fftwf_alloc_complex(bins)!
            defer { fftwf_free(input); fftwf_free(output) }
            let spectrum = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
            for f in range {
                let start = f * hop
                for i in 0..<n { input[i] = padded[start + i] * window[i] }
                fftwf_execute_dft_r2c(plan, input, output)
                let row = power.data + f * bins
                for k in 0..<bins {
                    let re = spectrum[2 * k], im = spectrum[2 * k + 1]
                    row[k] = re * re + im * im
                }
            }
        }
        // mel[m, f] = Σ_k filters[m, k] · power[f, k]
        let mel = matmul(filters, power, transposeB: true)
        var maximum = -Float.infinity
        for i in 0..<mel.count {
            let v = log10(max(mel.data[i], 1e-10))
            mel.data[i] = v
            maximum = max(maximum, v)
        }
        for i in 0..<mel.count { mel.data[i] = (max(mel.data[i], maximum - 8) + 4) / 4 }
        return mel
    }
}
