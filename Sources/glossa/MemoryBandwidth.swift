import Dispatch
import GlossaTensor

/// Read bandwidth of main memory, measured the way decoding uses it: summing a buffer far
/// larger than the caches (512 MB against a 32 MB L3 here), split across the worker threads.
/// Shared cloud hosts are noisy, so the median of five passes is reported.
enum MemoryBandwidth {
    static func measureReadGBps(megabytes: Int = 512, passes: Int = 5) -> Double {
        let count = megabytes * 1_048_576 / 4
        let buffer = Tensor(repeating: 1, shape: [count])
        let chunks = Parallel.threadCount
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks)
        defer { partial.deallocate() }
        var rates: [Double] = []
        for _ in 0..<passes {
            let start = DispatchTime.now().uptimeNanoseconds
            Parallel.forEach(chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                partial[c] = Vec.sum(buffer.data + lo, hi - lo)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            precondition(partial[0] > 0)
            rates.append(Double(count * 4) / seconds / 1e9)
        }
        return rates.sorted()[passes / 2]
    }
}
