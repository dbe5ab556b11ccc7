// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "fsmdecode",
    products: [
        .library(name: "FSMDecode", targets: ["FSMDecode"]),
        .executable(name: "fsmdecode", targets: ["fsmdecode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(
            name: "CJSONC", path: "Sources/CJSONC", pkgConfig: "json-c",
            providers: [.apt(["libjson-c-dev"])]),
        .target(
            name: "FSMDecode", dependencies: ["CPCRE2", "CJSONC"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .executableTarget(
            name: "fsmdecode",
            dependencies: ["FSMDecode", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Test fixtures are read from the source tree (FSMDECODE_UPDATE_RATCHET=1 rewrites the
        // schema ratchet there), not bundled as resources.
        .testTarget(name: "FSMDecodeTests", dependencies: ["FSMDecode", "CPCRE2", "CJSONC"], exclude: ["Fixtures"]),
    ]
)
