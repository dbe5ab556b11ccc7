// Issue 3 performance: eager compile of the regex-pattern corpus against a vocabulary (regex →
// DFA → mask store), and the cost of filling a caller mask from the store.
//
// Run: `swift run -c release fsmdecode-benchmarks regex [--every N]` (from Benchmarks/).
// outlines-core on the same patterns: `python3 Benchmarks/peers/outlines_patterns.py`.
// Release build only; not a timed test.
import Dispatch
import FSMDecode

enum MaskBenchmarks {
    struct PatternResult {
        var pattern: String
        var regexNanos: UInt64
        var storeNanos: UInt64
        var states: Int
        var distinctMasks: Int
        var storeBytes: Int
        var constraint: RegexConstraint
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }

    static func fmt(_ v: Double, _ digits: Int = 2) -> String {
        let p = (0..<digits).reduce(1.0) { a, _ in a * 10 }
        let r = (v * p).rounded() / p
        return "\(r)"
    }

    /// Compiles every line of `patternsPath` (eager) against the vocabulary at `vocabPath`, then
    /// times mask fills on up to `statesPerPattern` states of each. Returns a text report.
    /// `every` > 1 keeps every N-th pattern (the sample `outlines_patterns.py --every N` uses).
    static func run(vocabPath: String, patternsPath: String, every: Int = 1, statesPerPattern: Int = 8,
                    fillRounds: Int = 200) throws -> String {
        var report: [String] = []
        let t0 = now()
        let vocabulary = try Vocabulary.load(path: vocabPath)
        report.append("vocabulary \(vocabPath): \(vocabulary.size) ids, mask width \(vocabulary.maskWidth), loaded in \(fmt(Double(now() - t0) / 1e6, 0)) ms")
        let text = String(decoding: try readFile(patternsPath), as: UTF8.self)
        let patterns = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            .enumerated().filter { $0.offset % max(1, every) == 0 }.map(\.element)

        var results: [PatternResult] = []
        var rejected: [String: Int] = [:]
        let compileStart = now()
        for p in patterns {
            let a = now()
            let dfa: ByteDFA
            do {
                dfa = try RegexCompiler.compile(p)
            } catch let e as FSMDecodeError {
                rejected[e.kind.rawValue, default: 0] += 1
                continue
            }
            let b = now()
            let c = RegexConstraint(dfa: dfa, vocabulary: vocabulary, mode: .eager)
            let d = now()
            let st = c.store.statistics
            results.append(PatternResult(pattern: p, regexNanos: b - a, storeNanos: d - b, states: st.states,
                                         distinctMasks: st.distinctMasks, storeBytes: st.bytes, constraint: c))
        }
        let compileTotal = Double(now() - compileStart) / 1e9
        let perPattern = results.map { Double($0.regexNanos + $0.storeNanos) / 1e6 }.sorted()
        let storeOnly = results.map { Double($0.storeNanos) / 1e6 }.sorted()
        let regexOnly = results.map { Double($0.regexNanos) / 1e6 }.sorted()
        report.append("patterns \(patterns.count): compiled \(results.count), refused \(patterns.count - results.count) \(rejected.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        report.append("eager compile total \(fmt(compileTotal, 3)) s (regex→DFA \(fmt(regexOnly.reduce(0, +) / 1e3, 3)) s, mask stores \(fmt(storeOnly.reduce(0, +) / 1e3, 3)) s)")
        report.append("per pattern ms: p50 \(fmt(percentile(perPattern, 0.5), 3)) p99 \(fmt(percentile(perPattern, 0.99), 3)) max \(fmt(perPattern.last ?? 0, 3))"
            + "  (mask store p50 \(fmt(percentile(storeOnly, 0.5), 3)) p99 \(fmt(percentile(storeOnly, 0.99), 3)))")
        report.append("regex→DFA per pattern ms: p50 \(fmt(percentile(regexOnly, 0.5), 3)) p99 \(fmt(percentile(regexOnly, 0.99), 3)) max \(fmt(regexOnly.last ?? 0, 3))")
        let states = results.map(\.states), bytes = results.map(\.storeBytes), masks = results.map(\.distinctMasks)
        report.append("DFA states: total \(states.reduce(0, +)), p50 \(percentile(states.sorted().map(Double.init), 0.5)), max \(states.max() ?? 0)")
        report.append("distinct masks: total \(masks.reduce(0, +)) (\(fmt(Double(masks.reduce(0, +)) / Double(max(1, states.reduce(0, +))) * 100, 1))% of states)")
        report.append("mask-store bytes: total \(bytes.reduce(0, +)), p50 \(percentile(bytes.sorted().map(Double.init), 0.5)), max \(bytes.max() ?? 0)")
        if let slow = results.max(by: { $0.regexNanos + $0.storeNanos < $1.regexNanos + $1.storeNanos }) {
            report.append("slowest: \(fmt(Double(slow.regexNanos + slow.storeNanos) / 1e6, 1)) ms, \(slow.states) states: \(slow.pattern)")
        }

        // Fill latency, per encoding, against a plain copy of the same number of words.
        let words = TokenMask.wordCount(vocabulary.maskWidth)
        var buffer = [UInt32](repeating: 0, count: words)
        var perEncoding: [MaskEncoding: [Double]] = [:]
        var all: [Double] = []
        var sink: UInt32 = 0
        buffer.withUnsafeMutableBufferPointer { out in
            for r in results {
                let n = r.constraint.dfa.stateCount
                let step = max(1, n / statesPerPattern)
                for s in stride(from: 0, to: n, by: step) {
                    let state = Int32(s)
                    r.constraint.store.fill(state: state, into: out)  // warm
                    // Best of 3 batches: the mean of a batch, less the preemption noise of a shared machine.
                    var ns = Double.infinity
                    for _ in 0..<3 {
                        let a = now()
                        for _ in 0..<fillRounds { r.constraint.store.fill(state: state, into: out); sink &+= out[s % words] }
                        ns = min(ns, Double(now() - a) / Double(fillRounds))
                    }
                    perEncoding[r.constraint.store.encoding(of: state), default: []].append(ns)
                    all.append(ns)
                }
            }
        }
        let source = [UInt32](repeating: 0xA5A5_A5A5, count: words)
        let copyNs: Double = buffer.withUnsafeMutableBufferPointer { out in
            source.withUnsafeBufferPointer { src in
                let a = now()
                for _ in 0..<(fillRounds * 50) {
                    out.baseAddress!.update(from: src.baseAddress!, count: words)
                    sink &+= out[Int(sink) % words]
                }
                return Double(now() - a) / Double(fillRounds * 50)
            }
        }
        all.sort()
        report.append("mask fill (\(words) words, \(all.count) states, best of 3 × \(fillRounds)): p50 \(fmt(percentile(all, 0.5) / 1e3, 3)) µs, p99 \(fmt(percentile(all, 0.99) / 1e3, 3)) µs, max \(fmt((all.last ?? 0) / 1e3, 3)) µs; plain copy of the mask \(fmt(copyNs / 1e3, 3)) µs")
        for (e, v) in perEncoding.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let s = v.sorted()
            report.append("  \(e): \(s.count) states, p50 \(fmt(percentile(s, 0.5) / 1e3, 3)) µs, p99 \(fmt(percentile(s, 0.99) / 1e3, 3)) µs")
        }
        if sink == 0x1234_5678 { report.append("") }  // keeps the fills observable
        return report.joined(separator: "\n")
    }
}
