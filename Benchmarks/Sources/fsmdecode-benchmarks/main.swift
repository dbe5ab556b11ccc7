import Foundation
#if canImport(Glibc)
import Glibc
#endif

// fsmdecode-benchmarks [SUITE...] [--repetitions N] [--shared DIR]
// Suites: vocab, regex, grammar-masks, terminals, schema-compile (default: the first three). A new suite
// adds a file and a case here.
// regex: --every N keeps every N-th corpus pattern (the sample peers/outlines_patterns.py --every N uses).
// terminals: --every N / --limit N pick maskbench-dev schemas; --once compiles once, untimed (for callgrind).
// schema-compile: --every N (default 10) keeps every N-th maskbench-dev schema; --runtime also times
// Constraint.compile (lazy); --dump FILE writes a fingerprint per grammar (diff two runs).
let suites = ["vocab", "regex", "grammar-masks", "terminals", "schema-compile"]
var selected: [String] = []
var repetitions = 10
var shared = "../../shared"
var every: Int? = nil
var limit: Int? = nil
var once = false
var runtime = false
var dump: String? = nil
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--repetitions": repetitions = args.popFirst().flatMap { Int($0) } ?? repetitions
    case "--shared": shared = args.popFirst() ?? shared
    case "--every": every = args.popFirst().flatMap { Int($0) } ?? every
    case "--limit": limit = args.popFirst().flatMap { Int($0) }
    case "--once": once = true
    case "--runtime": runtime = true
    case "--dump": dump = args.popFirst()
    case "-h", "--help":
        print("usage: fsmdecode-benchmarks [\(suites.joined(separator: "|"))...] [--repetitions N] [--shared DIR]")
        exit(0)
    default:
        guard suites.contains(a) else { print("unknown suite \(a) (known: \(suites.joined(separator: ", ")))"); exit(2) }
        selected.append(a)
    }
}
if selected.isEmpty { selected = suites.filter { $0 != "terminals" && $0 != "schema-compile" } }
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
                                                patternsPath: shared + "/corpora/regex/patterns.txt", every: every ?? 1)
            print(report)
            try? report.write(toFile: resultsDir + "/regex-masks.txt", atomically: true, encoding: .utf8)
        } catch {
            print("regex: \(error)"); status |= 1
        }
    case "schema-compile":
        status |= SchemaCompileBenchmark.run(shared: shared, resultsDir: resultsDir, repetitions: repetitions, every: every ?? 10,
                                             runtime: runtime, dump: dump)
    case "grammar-masks": status |= GrammarMaskBenchmark.run(shared: shared, resultsDir: resultsDir, repetitions: min(repetitions, 3))
    case "terminals": status |= TerminalCompileBenchmark.run(shared: shared, every: every ?? 1, limit: limit, repetitions: repetitions, once: once)
    default: break
    }
}
exit(status)
