#if canImport(Glibc)
import Glibc
#endif

// fsmdecode-benchmarks [SUITE...] [--repetitions N] [--shared DIR]
// Suites: vocab (default: all). Later suites (regex compile, masks) add a file and a case here.
let suites = ["vocab", "grammar-masks"]
var selected: [String] = []
var repetitions = 10
var shared = "../../shared"
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--repetitions": repetitions = args.popFirst().flatMap { Int($0) } ?? repetitions
    case "--shared": shared = args.popFirst() ?? shared
    case "-h", "--help":
        print("usage: fsmdecode-benchmarks [\(suites.joined(separator: "|"))...] [--repetitions N] [--shared DIR]")
        exit(0)
    default:
        guard suites.contains(a) else { print("unknown suite \(a) (known: \(suites.joined(separator: ", ")))"); exit(2) }
        selected.append(a)
    }
}
if selected.isEmpty { selected = suites }
// Run from Benchmarks/ (make bench) or the repository root.
if access(shared + "/vocab", R_OK) != 0, access("../shared/vocab", R_OK) == 0 { shared = "../shared" }
let resultsDir = access("results", W_OK) == 0 ? "results" : "Benchmarks/results"

var status: Int32 = 0
for suite in selected {
    switch suite {
    case "vocab": status |= VocabularyBenchmark.run(shared: shared, resultsDir: resultsDir, repetitions: repetitions)
    case "grammar-masks": status |= GrammarMaskBenchmark.run(shared: shared, resultsDir: resultsDir, repetitions: min(repetitions, 3))
    default: break
    }
}
exit(status)
