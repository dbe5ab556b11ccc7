import Foundation
#if canImport(Glibc)
import Glibc
#endif

// fsmdecode-benchmarks [SUITE...] [--repetitions N] [--shared DIR]
// Suites: vocab, regex, grammar-masks (default: all). A new suite adds a file and a case here.
// regex: --every N keeps every N-th corpus pattern (the sample peers/outlines_patterns.py --every N uses).
// terminals: --every N / --limit N pick maskbench-dev schemas; --once compiles once, untimed (for callgrind).
let suites = ["vocab", "regex", "grammar-masks", "terminals"]
var selected: [String] = []
var repetitions = 10
var shared = "../../shared"
var every = 1
var limit: Int? = nil
var once = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--repetitions": repetitions = args.popFirst().flatMap { Int($0) } ?? repetitions
    case "--shared": shared = args.popFirst() ?? shared
    case "--every": every = args.popFirst().flatMap { Int($0) } ?? every
    case "--limit": limit = args.popFirst().flatMap { Int($0) }
    case "--once": once = true
    case "-h", "--help":
        print("usage: fsmdecode-benchmarks [\(suites.joined(separator: "|"))...] [--repetitions N] [--shared DIR]")
        exit(0)
    default:
        guard suites.contains(a) else { print("unknown suite \(a) (known: \(suites.joined(separator: ", ")))"); exit(2) }
        selected.append(a)
    }
}
if selected.isEmpty { selected = suites.filter { $0 != "terminals" } }
// Run from Benchmarks/ (make bench) or the repository root.
if access(shared + "/vocab", R_OK) != 0, access("../shared/vocab", R_OK) == 0 { shared = "../shared" }
let resultsDir = access("results", W_OK) == 0 ? "results" : "Benchmarks/results"

var status: Int32 = 0
for suite in selected {
    switch suite {
    case "vocab": status |= VocabularyBenchmark.run(shared: shared, resultsDir: resultsDir, repetitions: repetitions)
    case "regex":
        do {
            let report = try MaskBenchmarks.run(vocabPath: shared + "/vocab/llama3/tokenizer.json",
                                                patternsPath: shared + "/corpora/regex/patterns.txt", every: every)
            print(report)
            try? report.write(toFile: resultsDir + "/regex-masks.txt", atomically: true, encoding: .utf8)
        } catch {
            print("regex: \(error)"); status |= 1
        }
    case "grammar-masks": status |= GrammarMaskBenchmark.run(shared: shared, resultsDir: resultsDir, repetitions: min(repetitions, 3))
    case "terminals": status |= TerminalCompileBenchmark.run(shared: shared, every: every, limit: limit, repetitions: repetitions, once: once)
    default: break
    }
}
exit(status)
