import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Data-parallel loops over the machine's cores.
///
/// Rule that keeps the two thread pools apart: a parallelFor body never calls BLAS
/// (OpenBLAS already runs its own threads), and a parallelFor inside a parallelFor body runs
/// serially. `BLAS.gemm` checks `Parallel.isInsideRegion` and traps if the rule is broken.
public enum Parallel {
    /// Number of worker threads parallelFor uses: $GLOSSA_THREADS, else the online processor
    /// count. Set it (with OPENBLAS_NUM_THREADS) to 1 to run two jobs side by side on two cores
    /// without four spinning threads fighting over them.
    nonisolated(unsafe) public static var threadCount: Int = {
        if let value = getenv("GLOSSA_THREADS"), let n = Int(String(cString: value)), n > 0 { return n }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }()

    /// One pthread key whose value is non-nil on threads currently running a parallelFor body.
    private static let regionKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    public static var isInsideRegion: Bool { pthread_getspecific(regionKey) != nil }

    /// Set on threads of a `forEachWithSerialBLAS` region, where each body may call BLAS
    /// because OpenBLAS runs single-threaded for the region's duration.
    private static let serialBLASKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    static var mayCallBLAS: Bool { !isInsideRegion || pthread_getspecific(serialBLASKey) != nil }

    /// Runs `body(i)` for i in 0..<count in parallel with OpenBLAS set to one thread, so each
    /// body may call BLAS: for many independent mid-sized products (attention heads), one
    /// product per core beats threading each product.
    public static func forEachWithSerialBLAS(_ count: Int, _ body: (Int) -> Void) {
        BLAS.withThreads(1) {
            forEach(count) { i in
                pthread_setspecific(serialBLASKey, UnsafeRawPointer(bitPattern: 1))
                body(i)
                pthread_setspecific(serialBLASKey, nil)
            }
        }
    }

    /// Calls `body(range)` on disjoint chunks that cover `0..<count`, in parallel.
    /// Chunks hold at least `minChunk` items so tiny loops do not pay for thread hand-off.
    public static func forEachChunk(_ count: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(threadCount, max(1, count / max(1, minChunk)))
        if chunks == 1 || isInsideRegion {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks
                let hi = count * (c + 1) / chunks
                let previous = pthread_getspecific(regionKey)
                pthread_setspecific(regionKey, UnsafeRawPointer(bitPattern: 1))
                shared.value(lo..<hi)
                pthread_setspecific(regionKey, previous)
            }
        }
    }

    /// Calls `body(i)` for every i in `0..<count`, in parallel chunks.
    public static func forEach(_ count: Int, minChunk: Int = 1, _ body: (Int) -> Void) {
        forEachChunk(count, minChunk: minChunk) { range in
            for i in range { body(i) }
        }
    }
}

/// Carries a non-Sendable value into concurrentPerform. Sound here because concurrentPerform
/// returns only after every iteration ends, and iterations touch disjoint chunks.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
