@_spi(Benchmarks) import FSMDecode
#if canImport(Glibc)
import Glibc
#endif

/// `terminals`: the regex compiler (AST → NFA → minimal DFA) on the terminals our JSON Schema
/// compiler produces. Collects the ASTs `ParseTables` compiles for each maskbench-dev schema
/// (flexible whitespace, as `bench masks`), then times `RegexCompiler.compile` over all of them.
/// Prints a fingerprint of every resulting DFA, so a change to the compiler can be checked
/// to give bit-identical DFAs on the same sample.
///
/// `--every N` / `--limit N` pick schemas (sorted by name); `--once` compiles the set once with
/// no warm-up (for `valgrind --tool=callgrind --toggle-collect='*compileAllTerminals*'`).
enum TerminalCompileBenchmark {
    static func run(shared: String, every: Int, limit: Int?, repetitions: Int, once: Bool) -> Int32 {
        let dir = shared + "/corpora/maskbench-dev"
        var files = GrammarMaskBenchmark.listDirectory(dir).filter { $0.hasSuffix(".json") }.sorted()
        files = stride(from: 0, to: files.count, by: Swift.max(1, every)).map { files[$0] }
        if let limit { files = Array(files.prefix(limit)) }
        var asts: [RegexAST] = []
        var schemas = 0, refused = 0
        for f in files {
            do {
                let doc = try JSONDocument(contentsOfFile: dir + "/" + f)
                guard let schema = doc.value["schema"] else { refused += 1; continue }
                let c = try JSONSchemaCompiler.compile(schema, source: f, options: JSONSchemaOptions(whitespace: .flexible(maxRun: 20)))
                asts += try TerminalCorpus.compiledTerminalASTs(of: c.grammar)
                schemas += 1
            } catch {
                refused += 1
            }
        }
        print("terminals: \(asts.count) regex terminals from \(schemas) schemas (\(refused) refused) of \(files.count) files in \(dir)")
        var results: [ByteDFA?] = []
        if once {
            results = compileAllTerminals(asts)
        } else {
            let t = Timing.measure(warmup: 1, repetitions: repetitions) { results = compileAllTerminals(asts) }
            print(String(format: "compile all: min %.1f ms, median %.1f ms, p95 %.1f ms (%d repetitions)",
                         t.min * 1e3, t.median * 1e3, t.p95 * 1e3, repetitions))
            // Per-terminal spread (best of 3 each), to see where the time goes.
            var per: [(Double, Int)] = []
            for (i, a) in asts.enumerated() {
                var best = Double.infinity
                for _ in 0..<3 {
                    let s = monotonicNow()
                    _ = compileAllTerminals([a])
                    best = Swift.min(best, monotonicNow() - s)
                }
                per.append((best, i))
            }
            per.sort { $0.0 < $1.0 }
            let total = per.reduce(0) { $0 + $1.0 }
            func pct(_ q: Double) -> Double { per.isEmpty ? .nan : per[Swift.min(per.count - 1, Int(q * Double(per.count)))].0 * 1e3 }
            print(String(format: "per terminal (best of 3): sum %.1f ms, p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms",
                         total * 1e3, pct(0.5), pct(0.9), pct(0.99), (per.last?.0 ?? .nan) * 1e3))
        }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ v: Int) { h = (h ^ UInt64(UInt(bitPattern: v))) &* 0x100_0000_01B3 }
        var states = 0, failed = 0
        for r in results {
            guard let d = r else { mix(-7); failed += 1; continue }
            states += d.stateCount
            mix(d.stateCount); mix(Int(d.start)); mix(d.classCount)
            for b in d.byteClass { mix(Int(b)) }
            for t in d.table { mix(Int(t)) }
            for a in d.accepting { mix(a ? 1 : 0) }
        }
        print("DFAs: \(results.count) (\(failed) nil or failed), \(states) states in all, fingerprint \(String(h, radix: 16))")
        return 0
    }
}

/// One pass of `RegexCompiler.compile` over `asts` (a budget error counts as nil).
@inline(never)
func compileAllTerminals(_ asts: [RegexAST]) -> [ByteDFA?] {
    var out: [ByteDFA?] = []
    out.reserveCapacity(asts.count)
    for a in asts { out.append((try? RegexCompiler.compile(a, options: RegexOptions(), description: "terminal")) ?? nil) }
    return out
}
