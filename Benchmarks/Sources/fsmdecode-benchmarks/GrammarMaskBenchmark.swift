import FSMDecode
#if canImport(Glibc)
import Glibc
#endif

/// Per-token mask time under Grammars/json.gbnf (and Grammars/c-like.lark over the programs
/// of data/c-like, Grammars/python.lark over those of data/python) on Llama-3 while feeding real JSON documents
/// (the 1–20 KB files of ../shared/corpora/maskbench-dev, as found and compacted) token by
/// token, single thread; grammar compile time; lexers built. Writes results/grammar-masks.json
/// and the token sequences (results/grammar-masks-tokens.json) for the peer script.
enum GrammarMaskBenchmark {
    static func run(shared: String, resultsDir: String, repetitions: Int, documents maxDocs: Int = 12) -> Int32 {
        let vocabPath = "\(shared)/vocab/llama3/tokenizer.json"
        let corpus = "\(shared)/corpora/maskbench-dev"
        let grammarPath = access("../Grammars/json.gbnf", R_OK) == 0 ? "../Grammars/json.gbnf" : "Grammars/json.gbnf"
        guard access(vocabPath, R_OK) == 0, access(corpus, R_OK) == 0 else { print("skipping: \(vocabPath) or \(corpus) not found"); return 0 }
        do {
            let v = try Vocabulary.load(path: vocabPath)
            let encoder = try TokenEncoder(vocabulary: v)
            var docs: [(String, [UInt8])] = []
            var names = listDirectory(corpus).filter { $0.hasSuffix(".json") }.sorted()
            names = names.filter { n in
                let size = fileSize("\(corpus)/\(n)")
                return size >= 1024 && size <= 20 * 1024
            }
            for n in names.prefix(maxDocs / 2) {
                let pretty = try readFile("\(corpus)/\(n)")
                docs.append((n + " (as is)", pretty))
                docs.append((n + " (compact)", JSONText.compact(pretty)))
            }
            // C-like programs (Benchmarks/data/c-like, 2-3 KB each) under Grammars/c-like.lark.
            let dataDir = access("data/c-like", R_OK) == 0 ? "data/c-like" : "Benchmarks/data/c-like"
            var programs: [(String, [UInt8])] = []
            for n in listDirectory(dataDir).filter({ $0.hasSuffix(".c") }).sorted() {
                programs.append((n, try readFile("\(dataDir)/\(n)")))
            }
            // Python programs (Benchmarks/data/python, 2-3 KB each) under Grammars/python.lark
            // (indentation-defined blocks; no peer constrains them).
            let pythonDir = access("data/python", R_OK) == 0 ? "data/python" : "Benchmarks/data/python"
            var pythonPrograms: [(String, [UInt8])] = []
            for n in listDirectory(pythonDir).filter({ $0.hasSuffix(".py") }).sorted() {
                pythonPrograms.append((n, try readFile("\(pythonDir)/\(n)")))
            }
            let grammarsDir = String(grammarPath.dropLast("json.gbnf".count))
            let suites: [(grammar: String, path: String, docs: [(String, [UInt8])], results: String)] = [
                ("json.gbnf", grammarPath, docs, "grammar-masks"),
                ("c-like.lark", grammarsDir + "c-like.lark", programs, "grammar-masks-c-like"),
                ("python.lark", grammarsDir + "python.lark", pythonPrograms, "grammar-masks-python"),
            ]
            // FSMDECODE_BENCH_GRAMMAR=NAME runs only that suite (profiling aid).
            let only = getenv("FSMDECODE_BENCH_GRAMMAR").map { String(cString: $0) }
            for (grammarName, path, docs, resultsName) in suites where only == nil || only == grammarName {
            let t0 = monotonicNow()
            let g = try Grammar.load(path: path)
            let c = try GrammarConstraint(grammar: g, vocabulary: v)
            let compileSeconds = monotonicNow() - t0
            // Warm passes never replay a document on the constraint that saw it: the mask memo
            // (parse context → lexeme-end walks) would hand back that document's own masks. Even
            // documents run first on `c`, odd ones on `other`; warm passes swap them, so every
            // warm mask comes from caches filled by the other half of the documents (see
            // `measure` for the second split the JSON suite also reports).
            let other = try GrammarConstraint(grammar: g, vocabulary: v)
            print("grammar masks: \(grammarName) on llama3 (release, single thread), \(docs.count) documents")
            print("machine: \(machineDescription())")
            print("compile \(ms(compileSeconds)) ms")
            var tokenDump: [String] = []
            var mask = TokenMask(width: v.maskWidth)
            // FSMDECODE_BENCH_MIN_OF=N: warm passes time each mask as the least of N fills
            // (profiling aid: drops preemption noise of a shared machine; not for reports, and
            // the repeats after the first hit the mask memo).
            let minOf = max(1, Int(String(cString: getenv("FSMDECODE_BENCH_MIN_OF") ?? strdup("1"))) ?? 1)
            // FSMDECODE_BENCH_SLOWEST=N: print the N slowest warm masks (default 5).
            let slowCount = max(1, Int(String(cString: getenv("FSMDECODE_BENCH_SLOWEST") ?? strdup("5"))) ?? 5)
            let encoded = docs.map { encoder.encode(bytes: $0.1) }
            for (name, tokens) in zip(docs.map(\.0), encoded) {
                tokenDump.append("{\"name\":\"\(name)\",\"tokens\":[\(tokens.map { "\($0)" }.joined(separator: ","))]}")
            }
            // Two passes at most: a third would replay each document on a constraint that saw it.
            let passes = min(2, max(1, repetitions))
            // FSMDECODE_BENCH_DUMP=FILE: each headline warm mask's time (µs) and place, one per line
            // in token order (Benchmarks/min_of_runs.py takes the per-mask least over several runs:
            // a p99 of 27 masks in 2,690 moves with the machine's noise).
            let dumpPath = getenv("FSMDECODE_BENCH_DUMP").map { String(cString: $0) }
            var warmWhere: [String] = []
            // FSMDECODE_BENCH_BAND=I,J,...: the headline's warm masks at these indices (the dump's
            // line numbers from 0) are filled through `bandFill`, so callgrind can count them alone
            // (`--toggle-collect='*bandFill*'`) and perf can pick their samples (profiling aid).
            let bandSet = Set((getenv("FSMDECODE_BENCH_BAND").map { String(cString: $0) } ?? "").split(separator: ",").compactMap { Int($0) })
            /// Documents in groups of `groupSize` (consecutive) alternate between `a` and `b` in
            /// the first pass and swap in the warm pass. Returns (first-pass, warm, slowest warm)
            /// times, or nil when a token was refused.
            func measure(groupSize: Int, _ a: GrammarConstraint, _ b: GrammarConstraint) -> ([Double], [Double], [(Double, String)])? {
                var first: [Double] = [], warm: [Double] = [], slowest: [(Double, String)] = []
                for rep in 0..<passes {
                    for (index, (name, bytes)) in docs.enumerated() {
                        let tokens = encoded[index]
                        var m = ((index / groupSize + rep) % 2 == 0 ? a : b).makeMatcher()
                        for t in tokens {
                            var e = Double.infinity
                            // Decided outside the timed fill (a set lookup per mask otherwise).
                            let band = rep == 1 && groupSize == 1 && bandSet.contains(warm.count)
                            for _ in 0..<(rep == 0 ? 1 : minOf) {
                                let s = monotonicNow()
                                if rep == 0 { m.fillNextTokenMask(into: &mask) } else if band { bandFill(&m, &mask) } else { warmFill(&m, &mask) }
                                e = min(e, monotonicNow() - s)
                            }
                            if rep == 0 { first.append(e) } else { warm.append(e) }
                            if dumpPath != nil && rep == 1 && groupSize == 1 { let at = m.position; warmWhere.append("\(name) @\(at) \(String(decoding: bytes[max(0, at - 30)..<at], as: UTF8.self).debugDescription)") }
                            if rep == passes - 1 && (slowest.count < slowCount || e > slowest[slowCount - 1].0) {
                                let at = m.position
                                let context = String(decoding: bytes[max(0, at - 24)..<at], as: UTF8.self)
                                slowest.append((e, "\(name) @\(at) after \(context.debugDescription)"))
                                slowest.sort { $0.0 > $1.0 }
                                if slowest.count > slowCount { slowest.removeLast() }
                            }
                            guard mask.contains(t), m.accept(token: t) else {
                                print("error: \(name): token \(t) rejected"); return nil
                            }
                        }
                        guard m.isAccepting else { print("error: \(name): not complete"); return nil }
                    }
                }
                return (first, warm, slowest)
            }
            // The headline split alternates single documents; the JSON documents come in pairs
            // (a file as is, then compacted), so it puts every pretty-printed document on one
            // constraint and every compact one on the other, and a warm pretty document meets
            // whitespace contexts its constraint has never seen. `byDocument` (JSON only) keeps
            // both forms of a file on one constraint instead, on fresh constraints.
            guard let headline = measure(groupSize: 1, c, other) else { return 1 }
            var (firstPass, all) = (headline.0, headline.1)
            if let dumpPath {
                _ = writeText(zip(all, warmWhere).map { String(format: "%.3f", $0.0 * 1e6) + "\t" + $0.1 }.joined(separator: "\n") + "\n", to: dumpPath)
            }
            // FSMDECODE_BENCH_LOOP=N: the headline split N more times on fresh constraint pairs,
            // after the dump is written, results dropped (profiling aid: enough first visits for
            // `perf record` to sample).
            let loops = Int(String(cString: getenv("FSMDECODE_BENCH_LOOP") ?? strdup("0"))) ?? 0
            for _ in 0..<max(0, loops) {
                _ = measure(groupSize: 1, try GrammarConstraint(grammar: g, vocabulary: v), try GrammarConstraint(grammar: g, vocabulary: v))
            }
            let slowest = headline.2
            var byDocument: [Double]? = nil
            if docs.count > 1 && docs.allSatisfy({ $0.0.hasSuffix(" (as is)") || $0.0.hasSuffix(" (compact)") }) {
                guard let r = measure(groupSize: 2, try GrammarConstraint(grammar: g, vocabulary: v),
                                      try GrammarConstraint(grammar: g, vocabulary: v)) else { return 1 }
                byDocument = (r.1.isEmpty ? r.0 : r.1).sorted()
            }
            if all.isEmpty { all = firstPass }
            all.sort(); firstPass.sort()
            func pct(_ xs: [Double], _ q: Double) -> Double { xs[min(xs.count - 1, Int(q * Double(xs.count)))] }
            let mean = all.reduce(0, +) / Double(all.count)
            let us = { (x: Double) in String(format: "%.1f", x * 1e6) }
            print("per-token mask (warm caches): n=\(all.count) mean \(us(mean)) µs  p50 \(us(pct(all, 0.5))) µs  p99 \(us(pct(all, 0.99))) µs  max \(us(all.last!)) µs")
            print("first pass (cold caches):     n=\(firstPass.count) mean \(us(firstPass.reduce(0, +) / Double(firstPass.count))) µs  p50 \(us(pct(firstPass, 0.5))) µs  p99 \(us(pct(firstPass, 0.99))) µs  max \(us(firstPass.last!)) µs")
            for (e, w) in slowest { print("  slow: \(us(e)) µs  \(w)") }
            var byDocumentJSON = ""
            if let d = byDocument {
                let dm = d.reduce(0, +) / Double(d.count)
                print("warm, split by document:      n=\(d.count) mean \(us(dm)) µs  p50 \(us(pct(d, 0.5))) µs  p99 \(us(pct(d, 0.99))) µs  max \(us(d.last!)) µs")
                byDocumentJSON = ",\"by_document_mean_us\":\(us(dm)),\"by_document_p50_us\":\(us(pct(d, 0.5))),"
                    + "\"by_document_p99_us\":\(us(pct(d, 0.99))),\"by_document_max_us\":\(us(d.last!))"
            }
            print("lexers built: \(c.lexerCount); peak RSS \((peakRSSBytes() ?? 0) >> 20) MiB")
            let json = "{\"benchmark\":\"grammar-masks\",\"grammar\":\"\(grammarName)\",\"vocab\":\"llama3\",\"machine\":\"\(machineDescription())\","
                + "\"compile_ms\":\(ms(compileSeconds)),\"tokens\":\(all.count),\"mean_us\":\(us(mean)),\"p50_us\":\(us(pct(all, 0.5))),"
                + "\"p99_us\":\(us(pct(all, 0.99))),\"max_us\":\(us(all.last!)),\"cold_p50_us\":\(us(pct(firstPass, 0.5))),"
                + "\"cold_p99_us\":\(us(pct(firstPass, 0.99))),\"lexers\":\(c.lexerCount)\(byDocumentJSON)}\n"
            _ = writeText(json, to: "\(resultsDir)/\(resultsName).json")
            _ = writeText("[\n" + tokenDump.joined(separator: ",\n") + "\n]\n", to: "\(resultsDir)/\(resultsName)-tokens.json")
            print("wrote \(resultsDir)/\(resultsName).json")
            }
            return 0
        } catch {
            print("error: \(error)")
            return 1
        }
    }

    static func listDirectory(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if !name.hasPrefix(".") { out.append(name) }
        }
        return out
    }

    static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }
}

/// A warm-pass fill, out of line so that a profiler can select the warm masks alone
/// (`valgrind --tool=callgrind --toggle-collect='*warmFill*'`).
@inline(never)
func warmFill(_ m: inout GrammarMatcher, _ mask: inout TokenMask) {
    m.fillNextTokenMask(into: &mask)
}

/// A warm fill of a mask `FSMDECODE_BENCH_BAND` names, out of line for callgrind and perf. The
/// count keeps its body unlike `warmFill`'s: the linker merged two identical ones, and the
/// toggle then counted every warm mask.
@inline(never)
func bandFill(_ m: inout GrammarMatcher, _ mask: inout TokenMask) {
    m.fillNextTokenMask(into: &mask)
    bandFills += 1
}
nonisolated(unsafe) var bandFills = 0
