import XCTest
import CFFTW
import CPNG
import CSndFile

/// The system-library targets link and answer; later modules build on them.
final class SystemLibraryTests: XCTestCase {
    func testFFTWSinglePrecisionTransformsAnImpulse() {
        let n: Int32 = 8
        let input = fftwf_alloc_real(Int(n))!
        let output = fftwf_alloc_complex(Int(n / 2 + 1))!
        defer { fftwf_free(input); fftwf_free(output) }
        let plan = fftwf_plan_dft_r2c_1d(n, input, output, UInt32(FFTW_ESTIMATE))
        defer { fftwf_destroy_plan(plan) }
        for i in 0..<Int(n) { input[i] = i == 0 ? 1 : 0 }
        fftwf_execute(plan)
        let bins = UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self)
        for k in 0...Int(n / 2) {
            XCTAssertEqual(bins[2 * k], 1, accuracy: 1e-6)
            XCTAssertEqual(bins[2 * k + 1], 0, accuracy: 1e-6)
        }
    }

    func testLibPNGAndLibSndFileReportVersions() {
        XCTAssertTrue(String(cString: png_get_libpng_ver(nil)).hasPrefix("1.6"))
        XCTAssertTrue(String(cString: sf_version_string()).hasPrefix("libsndfile"))
    }
}
