import ArgumentParser
import Foundation
import GlossaSupport
import GlossaTensor

struct BenchBLAS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blas",
        abstract: "Matrix-multiply GFLOP/s for the shapes Glossa's models use, against this machine's sgemm peak.",
        discussion: """
        The peak is the best plain cblas_sgemm rate on square 512, 1024 and 2048 matrices, \
        measured first in the same run. Every model shape then goes through Glossa's \
        `matmul` (sgemv for one row, Glossa's skinny kernel for 2–10 rows against a \
        transposed weight, sgemm otherwise) and is reported as a ratio of that peak; rows \
        marked fp16 read the weight as the exact fp16 copy Whisper's decoding steps use, \
        through Glossa's panel kernel (AVX-512 where the CPU has it, so it can pass the \
        peak of OpenBLAS's AVX2 Haswell kernels). sgemv, \
        and the skinny kernel on a large weight (Whisper's head), are bound by reading the \
        weights, so their bandwidth (GB/s) is the figure to read there; on the decoder's small \
        matrices, which stay in cache, the skinny kernel is bound by arithmetic. The header \
        names OpenBLAS's kernel set: a CPU model the installed OpenBLAS does not know gets its \
        generic Prescott kernels (OPENBLAS_CORETYPE overrides the choice).

        Target: ≥ 80% of peak on shapes of 512 and more on every side.

        Examples:
          glossa bench blas
          glossa bench blas --threads 1 --seconds 1
          glossa bench blas --quick --json
        """)

    @Option(help: "Threads for OpenBLAS (default: all cores).")
    var threads: Int = Parallel.threadCount

    @Option(help: "Minimum seconds to time each shape.")
    var seconds: Double = 0.5

    @Flag(help: "Shorter timing (0.05 s per shape) for smoke tests.")
    var quick = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    struct Report: Codable {
        let threads: Int
        let openblasCore: String
        let peakGflops: Double
        let peakSize: Int
        let results: [GemmResult]
        let minimumLargeShapeRatio: Double
        let meetsTarget: Bool
    }

    func run() throws {
        BLAS.setThreads(threads)
        let minSeconds = quick ? 0.05 : seconds
        let shapes = GemmBenchmark.modelShapes
        let progress = ProgressReporter("bench blas", total: shapes.count + 1, unit: "shapes")
        let peak = GemmBenchmark.measurePeak(minSeconds: minSeconds)
        progress.advance(status: String(format: "peak %.1f GFLOP/s", peak.gflops))
        var results: [GemmResult] = []
        for shape in shapes {
            results.append(GemmBenchmark.measure(shape, peak: peak.gflops, minSeconds: minSeconds))
            progress.advance(status: shape.name)
        }
        progress.finish()
        let large = results.filter { $0.shape.isLarge }.map(\.ratioToPeak)
        let minLarge = large.min() ?? 0
        let report = Report(threads: threads, openblasCore: BLAS.coreName, peakGflops: peak.gflops, peakSize: peak.size, results: results,
                            minimumLargeShapeRatio: minLarge, meetsTarget: minLarge >= 0.8)
        if json {
            try printJSON(report)
        } else {
            printTable(report)
        }
    }

    private func printTable(_ r: Report) {
        print(String(format: "sgemm peak: %.1f GFLOP/s (best plain cblas_sgemm, %d³, %d threads, OpenBLAS kernels: %@)",
                     r.peakGflops, r.peakSize, r.threads, r.openblasCore))
        print("")
        let header = "shape".padding(toLength: 44, withPad: " ", startingAt: 0) + "   m ×     n ×    k  kernel   GFLOP/s  of peak   GB/s"
        print(header)
        print(String(repeating: "-", count: header.count))
        for res in r.results {
            let s = res.shape
            let name = s.name.padding(toLength: 44, withPad: " ", startingAt: 0)
            let bandwidth = res.kernel != "sgemm" ? String(format: "%6.1f", res.gigabytesPerSecond) : "     -"
            print(name + String(format: "%5d × %5d × %4d  %@  %8.1f  %6.1f%%  ", s.m, s.n, s.k, res.kernel,
                                res.gflops, 100 * res.ratioToPeak) + bandwidth)
        }
        print("")
        print(String(format: "shapes ≥ 512 on every side: worst %.1f%% of peak (target ≥ 80%%): %@",
                     100 * r.minimumLargeShapeRatio, r.meetsTarget ? "met" : "NOT met"))
    }
}
