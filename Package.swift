// swift-tools-version:6.0
import PackageDescription

// Release builds: whole-module, -Ounchecked is NOT used (bounds checks stay on);
// numeric hot loops run on unsafe buffers instead.
let optimize: [SwiftSetting] = [.unsafeFlags(["-O", "-wmo"], .when(configuration: .release))]

let package = Package(
    name: "dl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dl-compress", targets: ["dl-compress"]),
        .executable(name: "dl-data", targets: ["dl-data"]),
        .executable(name: "dl-fit", targets: ["dl-fit"]),
        .executable(name: "dl-kfilter", targets: ["dl-kfilter"]),
        .executable(name: "dl-layerwise", targets: ["dl-layerwise"]),
        .executable(name: "dl-measure", targets: ["dl-measure"]),
        .executable(name: "dl-neurashed", targets: ["dl-neurashed"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian (libopenblas-dev, liblapacke-dev, libhdf5-dev, zlib1g-dev).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACKE", pkgConfig: "lapacke", providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // glibc's libmvec (vector tanh/exp/expm1), part of libc6-dev.
        .systemLibrary(name: "CVecMath"),
        .target(
            name: "Shared",
            dependencies: [
                "CBLAS", "CLAPACKE", "CHDF5", "CZlib", "CVecMath",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimize
        ),
        .executableTarget(name: "dl-compress", dependencies: ["Shared"], swiftSettings: optimize),
        .executableTarget(name: "dl-data", dependencies: ["Shared"], swiftSettings: optimize),
        .executableTarget(name: "dl-fit", dependencies: ["Shared"], swiftSettings: optimize),
        .executableTarget(name: "dl-kfilter", dependencies: ["Shared"], swiftSettings: optimize),
        .executableTarget(name: "dl-layerwise", dependencies: ["Shared"], swiftSettings: optimize),
        .executableTarget(name: "dl-measure", dependencies: ["Shared"], swiftSettings: optimize),
        .executableTarget(name: "dl-neurashed", dependencies: ["Shared"], swiftSettings: optimize),
        // The decoder's fuzz target: replays Fuzz/corpus in normal builds; `make fuzz` builds it for libFuzzer.
        .executableTarget(name: "fuzz-decoder", dependencies: ["Shared"], path: "Fuzz/Decoder", swiftSettings: optimize),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
        // The help snapshots are read from the source tree, not bundled.
        .testTarget(name: "EndToEndTests", dependencies: ["Shared"], exclude: ["Snapshots"]),
    ],
    swiftLanguageModes: [.v5]
)
