import Dispatch
import GlossaTensor

/// Read bandwidth of main memory, measured the way decoding uses it: summing a buffer far
/// larger than the caches, split across the worker threads. The best of three timings is
/// kept, so the bandwidth bound that decoding is compared with is, if anything, generous.
enum MemoryBandwidth {
    static func measureReadGBps(megabytes: Int = 512, minSeconds: Double = 0.5) -> Double {
        let count = megabytes * 1_048_576 / 4
        let buffer = Tensor(repeating: 1, shape: [count])
        let chunks = Parallel.threadCount
        var sink: Float = 0
        let seconds = (0..<3).map { _ in GemmBenchmark.time(minSeconds: minSeconds / 3) {
            let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks)
            defer { partial.deallocate() }
            Parallel.forEach(chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                partial[c] = Vec.sum(buffer.data + lo, hi - lo)
            }
            for c in 0..<chunks { sink += partial[c] }
        } }.min()!
        precondition(sink > 0)
        return Double(count * 4) / seconds / 1e9
    }
}
