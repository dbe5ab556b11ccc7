import FSMDecode
#if canImport(Glibc)
import Glibc
#endif

/// JSON Schema → Grammar compile time (issue 5): the "schema" member of every `every`-th
/// maskbench-dev file (sorted by name), `JSONSchemaCompiler.compile` under flexible whitespace
/// (the CLI's default, maxRun 20), timed apart from any DFA / mask work. Per schema the time is
/// the least of `repetitions` runs after one warm-up (the shared machine's preemption spikes
/// would otherwise dominate the tail); the report gives p50 / p95 / max over schemas.
/// `--runtime` also times `Constraint.compile(mode: .lazy)` on Llama-3 (lowering terminals to
/// regex ASTs, lexer setup) as a second column.
/// `--dump FILE` writes one line per schema with a fingerprint of the whole grammar (listing,
/// every terminal's and regular rule's pattern) to check that an optimisation left every
/// grammar identical (`diff` two dumps).
enum SchemaCompileBenchmark {
    static func run(shared: String, resultsDir: String, repetitions: Int, every: Int, runtime: Bool, dump: String?) -> Int32 {
        let corpus = "\(shared)/corpora/maskbench-dev"
        guard access(corpus, R_OK) == 0 else { print("skipping: \(corpus) not found"); return 0 }
        let names = GrammarMaskBenchmark.listDirectory(corpus).filter { $0.hasSuffix(".json") }.sorted()
        var sample = stride(from: 0, to: names.count, by: max(1, every)).map { names[$0] }
        // FSMDECODE_BENCH_SCHEMA=NAME: that file only, with its terminals' sizes listed.
        let only = getenv("FSMDECODE_BENCH_SCHEMA").map { String(cString: $0) }
        if let only { sample = [only] }
        let options = JSONSchemaOptions(whitespace: .flexible(maxRun: 20))
        var vocabulary: Vocabulary? = nil
        if runtime {
            do { vocabulary = try Vocabulary.load(path: "\(shared)/vocab/llama3/tokenizer.json") } catch { print("error: \(error)"); return 1 }
        }
        print("schema → grammar: every \(every)th of \(names.count) maskbench-dev schemas (\(sample.count)), flexible whitespace, "
              + "least of \(repetitions) runs after 1 warm-up, release")
        print("machine: \(machineDescription())")
        var times: [Double] = [], runtimeTimes: [Double] = []
        var slowest: [(Double, String)] = []
        var failed = 0
        var dumpLines: [String] = []
        let start = monotonicNow()
        for name in sample {
            let doc: JSONDocument
            do { doc = try JSONDocument(contentsOfFile: "\(corpus)/\(name)") } catch { failed += 1; continue }
            guard let schema = doc.value["schema"] else { failed += 1; continue }
            var result: JSONSchemaCompilation? = nil
            var failure: String? = nil
            // Results are kept until all runs are done: freeing the previous grammar is not
            // part of compiling the next one.
            var kept: [JSONSchemaCompilation] = []
            kept.reserveCapacity(repetitions + 1)
            let timing = Timing.measure(repetitions: repetitions) {
                do { kept.append(try JSONSchemaCompiler.compile(schema, source: name, options: options)) } catch { failure = "\(error)" }
            }
            result = kept.last
            kept.removeAll()
            guard let c = result else {
                failed += 1
                if dump != nil { dumpLines.append("\(name) error \(fingerprint(failure ?? ""))") }
                continue
            }
            if only != nil {
                for (i, t) in c.grammar.terminals.enumerated() {
                    print("terminal \(i): \(t.pattern.nodeCount) nodes, \(t.pattern.description.utf8.count) bytes as text")
                }
            }
            times.append(timing.min)
            slowest.append((timing.min, name))
            if let v = vocabulary {
                let rt = Timing.measure(repetitions: max(1, repetitions / 2)) { _ = try? Constraint.compile(grammar: c.grammar, vocabulary: v, mode: .lazy) }
                runtimeTimes.append(rt.min)
            }
            if dump != nil {
                let g = c.grammar
                var text = g.listing
                for t in g.terminals { text += t.pattern.description + "\n" }
                for p in g.regularPatterns { text += (p?.description ?? "-") + "\n" }
                dumpLines.append("\(name) ok \(g.rules.count) \(g.terminals.count) \(g.productionCount) \(fingerprint(text))")
            }
        }
        let wall = monotonicNow() - start
        let t = Timing(samples: times.sorted())
        slowest.sort { $0.0 > $1.0 }
        var report = "compiled \(times.count), failed \(failed) (compile errors: refused schemas)\n"
        report += "schema→grammar per schema: p50 \(ms(t.median)) ms, p95 \(ms(t.p95)) ms, max \(ms(t.samples.last ?? .nan)) ms, "
            + "sum \(ms(times.reduce(0, +))) ms\n"
        if !runtimeTimes.isEmpty {
            let r = Timing(samples: runtimeTimes.sorted())
            report += "Constraint.compile (lazy) per schema: p50 \(ms(r.median)) ms, p95 \(ms(r.p95)) ms, max \(ms(r.samples.last ?? .nan)) ms\n"
        }
        report += "slowest: " + slowest.prefix(5).map { "\($0.1) \(ms($0.0)) ms" }.joined(separator: ", ") + "\n"
        report += "wall \(String(Int(wall))) s\n"
        print(report, terminator: "")
        if let dump {
            if writeText(dumpLines.joined(separator: "\n") + "\n", to: dump) { print("wrote \(dump)") } else { print("warning: cannot write \(dump)") }
        }
        let out = "\(resultsDir)/schema-compile.txt"
        if writeText(report, to: out) { print("wrote \(out)") }
        return 0
    }

    /// FNV-1a (64 bit) of the text, in hex: stable across processes, unlike `hashValue`.
    static func fingerprint(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }
}
