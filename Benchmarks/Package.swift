// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so that `make test` never builds them.
// Run: `make bench` (= `swift run -c release fsmdecode-benchmarks` here).
let package = Package(
    name: "fsmdecode-benchmarks",
    // The root package is named by `name:` because a path dependency's identity is its folder name,
    // which depends on where the repository was cloned.
    dependencies: [.package(name: "fsmdecode", path: "..")],
    targets: [
        .executableTarget(
            name: "fsmdecode-benchmarks",
            dependencies: [.product(name: "FSMDecode", package: "fsmdecode")]),
    ]
)
