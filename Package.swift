// swift-tools-version:6.0
import PackageDescription

/// Swift settings shared by every Glossa target: release builds drop bounds checks in hot
/// kernels only where the code uses unsafe pointers explicitly, so no global -Ounchecked.
let glossaSettings: [SwiftSetting] = []

let package = Package(
    name: "Glossa",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "GlossaTensor", targets: ["GlossaTensor"]),
        .library(name: "GlossaNN", targets: ["GlossaNN"]),
        .library(name: "GlossaSupport", targets: ["GlossaSupport"]),
        .library(name: "GlossaLM", targets: ["GlossaLM"]),
        .library(name: "GlossaSpeech", targets: ["GlossaSpeech"]),
        .library(name: "GlossaVision", targets: ["GlossaVision"]),
        .library(name: "GlossaPrompt", targets: ["GlossaPrompt"]),
        .executable(name: "glossa", targets: ["glossa"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries: each is a module map over one Debian -dev package.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        // glibc's malloc tuning (mallopt), which the Glibc module does not export.
        .systemLibrary(name: "CMalloc"),
        // __builtin_prefetch, which Swift has no spelling for (SkinnyGemm).
        .systemLibrary(name: "CPrefetch"),
        // The fp16-weight product of decoding steps (ExactHalfMatrix): C kernels.
        .target(name: "CHalfGemm"),

        .target(name: "GlossaSupport", swiftSettings: glossaSettings),
        .target(name: "GlossaTensor", dependencies: ["CBLAS", "CMalloc", "CPrefetch", "CHalfGemm"], swiftSettings: glossaSettings),
        .target(name: "GlossaNN", dependencies: ["GlossaTensor"], swiftSettings: glossaSettings),
        .target(name: "GlossaLM", dependencies: ["GlossaTensor", "GlossaNN"], swiftSettings: glossaSettings),
        .target(name: "GlossaSpeech", dependencies: ["GlossaTensor", "GlossaNN", "GlossaLM", "CSndFile", "CFFTW", "CSoxr", "CZlib"],
                swiftSettings: glossaSettings),
        .target(name: "GlossaVision", dependencies: ["GlossaTensor", "GlossaNN", "GlossaLM", "CPNG", "CZlib"],
                swiftSettings: glossaSettings),
        .target(name: "GlossaPrompt", dependencies: ["GlossaTensor", "GlossaLM", "GlossaVision"],
                resources: [.copy("Templates")], swiftSettings: glossaSettings),
        .executableTarget(
            name: "glossa",
            dependencies: [
                "GlossaTensor", "GlossaNN", "GlossaLM", "GlossaSpeech", "GlossaVision", "GlossaPrompt", "GlossaSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: glossaSettings),

        .executableTarget(name: "GenerateText", dependencies: ["GlossaLM"], path: "Examples/GenerateText"),
        .executableTarget(name: "TranscribeFile", dependencies: ["GlossaSpeech"], path: "Examples/TranscribeFile"),
        .executableTarget(name: "ImageToWords", dependencies: ["GlossaVision"], path: "Examples/ImageToWords"),
        .executableTarget(name: "FewShotClassify", dependencies: ["GlossaLM", "GlossaVision", "GlossaPrompt"], path: "Examples/FewShotClassify"),

        .target(name: "GlossaTestSupport", dependencies: ["GlossaTensor", "GlossaNN"], path: "Tests/GlossaTestSupport"),
        .testTarget(name: "GlossaTensorTests", dependencies: ["GlossaTensor", "GlossaTestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "GlossaNNTests", dependencies: ["GlossaNN", "GlossaTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "GlossaLMTests", dependencies: ["GlossaLM", "GlossaTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "GlossaSpeechTests", dependencies: ["GlossaSpeech", "GlossaTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "GlossaVisionTests", dependencies: ["GlossaVision", "GlossaTestSupport"]),
        .testTarget(name: "GlossaPromptTests", dependencies: ["GlossaPrompt", "GlossaTestSupport"], exclude: ["Golden"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["CFFTW", "CPNG", "CSndFile"]),
        .testTarget(name: "GlossaCLITests", dependencies: ["glossa", "GlossaSupport", "GlossaVision", "GlossaTestSupport"]),
    ]
)
