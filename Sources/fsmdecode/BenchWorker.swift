import ArgumentParser
import FSMDecode
import Foundation

/// One unit of `bench masks` work: a MaskBench file, or entry `index` of a pairs manifest.
struct BenchUnit: Sendable {
    var path: String
    var index: Int?

    var line: String { "\(index.map(String.init) ?? "-")\t\(path)" }
    var name: String { index.map { "\(path)#\($0)" } ?? path }

    init(path: String, index: Int?) { self.path = path; self.index = index }
    init?(line: String) {
        let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        self.path = parts[1]
        self.index = parts[0] == "-" ? nil : Int(parts[0])
    }
}

/// A document to run through a matcher: its text and whether the constraint must accept it.
struct BenchCase {
    var id: String
    var text: [UInt8]
    var valid: Bool
    /// For JSON instances: the value (to retry in schema key order) and the schema.
    var instance: JSONInstance?
}

/// The per-unit measurement, done inside a worker process. Single-threaded; times with the
/// monotonic clock around each single call. Costs: one compile, one mask fill per token.
struct BenchMeasure {
    let vocabulary: Vocabulary
    let encoder: TokenEncoder
    let whitespace: JSONSchemaOptions.Whitespace
    let format: String
    let dumpDir: String?
    let eos: Int32
    /// Dump the work set only (for units whose measuring worker timed out or crashed).
    var dumpOnly = false

    struct Outcome {
        var status = "ok"
        var ttfmUs: Double?
        var tbmUs: [Double] = []
        var tokens = 0
        var error: String?
        var reordered = 0
        var validCount = 0
        var invalidCount = 0
        /// FORMAT.md "case" records (dump mode) and the case list for the manifest.
        var dumpCases: [String] = []
        var manifestCases: [String] = []
        var grammar: String?
        /// Every case's mask times (valid and invalid, in case order): what a repetition of the
        /// unit takes the least with.
        var caseTimes: [[Double]] = []
        /// This run's own TTFM (`ttfmUs` is the least over the runs so far).
        var ownTtfmUs: Double?
    }

    /// Measures `unit` once. `least`: an earlier run of the same unit (`--repeat`); each time
    /// (TTFM and every mask) is then the least of that run's and this one's, so a preemption
    /// in one run does not count. `writeDump`: write the work-set files (once per unit).
    func run(_ unit: BenchUnit, least prior: Outcome? = nil, writeDump: Bool = true) -> Outcome {
        var out = Outcome()
        let loaded: (kind: String, source: [UInt8], schema: JSONInstance?, cases: [BenchCase], id: String)
        // A file our JSON reader refuses (e.g. a member name with U+0000, which json-c cannot
        // hold) is the engine failing to take the schema: a compile error, not a crash.
        do { loaded = try load(unit) } catch {
            out.status = "compile_error"; out.error = "cannot read: \(error)"; return out
        }
        // Filled through its pointer: a closure around the timed fill copied the matcher
        // (~1.5 k instructions a fill, about a third of a memo hit).
        let mask = TokenMask.allocateWords(width: vocabulary.maskWidth)
        defer { mask.deallocate() }
        var fresh: Matcher?
        let t0 = now()
        if dumpOnly { out.status = "dump_only" } else { do {
            let constraint = try compile(kind: loaded.kind, source: loaded.source, name: unit.name)
            let matcher = constraint.makeMatcher()
            matcher.fillNextTokenMask(into: mask)
            let own = (now() - t0) / 1000
            out.ownTtfmUs = own
            out.ttfmUs = min(own, prior?.ttfmUs ?? .infinity)
            fresh = matcher
        } catch {
            out.status = "compile_error"
            out.error = (error as? FSMDecodeError)?.message ?? "\(error)"
        } }
        // Work-set files are rendered and written once the unit's masks are all timed: writes
        // between cases cost the next case's first masks (TBM p99 +5 to +10 % over
        // maskbench-dev, measured).
        var dumpFiles: [(path: String, bytes: () -> [UInt8])] = []
        defer { for f in dumpFiles { try? Data(f.bytes()).write(to: URL(fileURLWithPath: f.path)) } }
        var grammarFile: String?
        if let dumpDir {
            grammarFile = "grammars/\(loaded.id).\(loaded.kind == "json_schema" ? "schema.json" : loaded.kind)"
            if writeDump { dumpFiles.append((dumpDir + "/" + grammarFile!, { loaded.source })) }
            // `unit`: the worker's request line for this grammar, so a runner can have it timed
            // again (run_peers.py --interleave) without listing the inputs a second time.
            out.grammar = JSONOut.object([("id", JSONOut.string(loaded.id)), ("kind", JSONOut.string(loaded.kind)),
                                          ("schema", JSONOut.string(grammarFile!)), ("unit", JSONOut.string(unit.line))])
        }
        let compiled = out.ttfmUs != nil
        for (n, c) in loaded.cases.enumerated() {
            if c.valid { out.validCount += 1 } else { out.invalidCount += 1 }
            var text = c.text
            var ids = encoder.encode(bytes: text)
            var times: [Double] = []
            var result = compiled ? runCase(&fresh!, ids, mask, times: &times) : Walk(rejectedAt: nil, accepted: false)
            if compiled, !(c.valid && result.accepted), let inst = c.instance, let schema = loaded.schema {
                // Written in another key order than the compiler's: retry in schema key
                // order(s) — a valid instance until accepted (counted under `reordered`), an
                // invalid one in every order (it must be rejected in all).
                for variant in SchemaKeyOrder.variants(inst, schema: schema) where !(c.valid && result.accepted) {
                    var t2: [Double] = []
                    let text2 = Array(variant.compactText.utf8)
                    let ids2 = encoder.encode(bytes: text2)
                    let r2 = runCase(&fresh!, ids2, mask, times: &t2)
                    if r2.accepted {
                        if c.valid { out.reordered += 1; times = t2 }
                        result = r2; ids = ids2; text = text2
                        if !c.valid { break }
                    }
                }
            }
            if let prior, n < prior.caseTimes.count, prior.caseTimes[n].count == times.count {
                for i in times.indices { times[i] = min(times[i], prior.caseTimes[n][i]) }
            }
            out.caseTimes.append(times)
            if c.valid {
                out.tbmUs += times
                // Tokens of the valid instances masked (with the stop token), as the peers count them.
                if compiled { out.tokens += ids.count + 1 }
                if compiled && !result.accepted && out.status == "ok" {
                    out.status = "validation_error"
                    out.error = "\(c.id): valid instance rejected at token \(result.rejectedAt ?? -1) of \(ids.count) (\(ids.count == result.rejectedAt ? "stop token" : "byte \(byteOffset(ids, result.rejectedAt ?? 0))"))"
                }
            } else if compiled && result.accepted && out.status == "ok" {
                out.status = "invalidation_error"
                out.error = "\(c.id): invalid instance accepted: \(String(decoding: text.prefix(200), as: UTF8.self))"
            }
            if let dumpDir {
                let caseID = n == 0 ? loaded.id : "\(loaded.id)#\(n + 1)"
                let base = "cases/\(loaded.id).\(n + 1)"
                if writeDump {
                    dumpFiles.append(("\(dumpDir)/\(base).text", { [text] in text }))
                    dumpFiles.append(("\(dumpDir)/\(base).tokens", { [ids] in Array(ids.map(String.init).joined(separator: " ").utf8) }))
                }
                out.manifestCases.append(JSONOut.object([
                    ("id", JSONOut.string(caseID)), ("grammar", JSONOut.string(loaded.id)),
                    ("text", JSONOut.string(base + ".text")), ("tokens", JSONOut.string(base + ".tokens")),
                    ("n_tokens", "\(ids.count)"), ("n_bytes", "\(text.count)"), ("valid", "\(c.valid)"),
                ]))
                out.dumpCases.append(JSONOut.object([
                    ("type", JSONOut.string("case")), ("engine", JSONOut.string("fsmdecode")),
                    ("case", JSONOut.string(caseID)), ("grammar", JSONOut.string(loaded.id)), ("valid", "\(c.valid)"),
                    ("n_tokens", "\(ids.count)"), ("compile_us", out.ttfmUs.map { String(format: "%.1f", $0) } ?? "null"),
                    ("mask_us", JSONOut.array(times.map { String(format: "%.2f", $0) })),
                    ("accepted_all", "\(result.accepted)"),
                    ("error", out.ttfmUs == nil ? JSONOut.string("compile: " + (out.error ?? "")) : "null"),
                ]))
            }
        }
        return out
    }

    struct Walk { var rejectedAt: Int?; var accepted: Bool }

    /// Feeds `ids` then the stop token through a fresh matcher: per step fill the mask (timed),
    /// test the token's bit, accept. Accepted iff every token and the stop token pass.
    func runCase(_ matcher: inout Matcher, _ ids: [Int32], _ mask: UnsafeMutableBufferPointer<UInt32>, times: inout [Double]) -> Walk {
        matcher.reset()
        for i in 0...ids.count {
            let id = i == ids.count ? eos : ids[i]
            let t = now()
            matcher.fillNextTokenMask(into: mask)
            times.append((now() - t) / 1000)
            let allowed = (mask[Int(id) >> 5] >> (UInt32(id) & 31)) & 1 == 1
            guard allowed, matcher.accept(token: id) else { return Walk(rejectedAt: i, accepted: false) }
        }
        return Walk(rejectedAt: nil, accepted: matcher.isTerminated)
    }

    func byteOffset(_ ids: [Int32], _ n: Int) -> Int { encoder.decode(Array(ids.prefix(n))).count }

    func compile(kind: String, source: [UInt8], name: String) throws -> Constraint {
        switch kind {
        case "json_schema":
            let doc = try JSONDocument(bytes: source, source: name)
            let c = try JSONSchemaCompiler.compile(doc.value, source: name, options: JSONSchemaOptions(whitespace: whitespace))
            return try Constraint.compile(grammar: c.grammar, vocabulary: vocabulary)
        case "gbnf": return try Constraint.compile(grammar: try Grammar.gbnf(bytes: source, file: name), vocabulary: vocabulary)
        case "lark": return try Constraint.compile(grammar: try Grammar.lark(bytes: source, file: name), vocabulary: vocabulary)
        case "regex":
            let dfa = try RegexCompiler.compile(String(decoding: source, as: UTF8.self), options: RegexOptions())
            return .regular(RegexConstraint(dfa: dfa, vocabulary: vocabulary, mode: .lazy))
        default: throw FSMDecodeError(.usage, "\(name): unknown constraint kind '\(kind)' (json_schema, regex, gbnf, lark)")
        }
    }

    func load(_ unit: BenchUnit) throws -> (kind: String, source: [UInt8], schema: JSONInstance?, cases: [BenchCase], id: String) {
        let base = (unit.path as NSString).lastPathComponent
        if let index = unit.index {
            let doc = try JSONInstance.parse(try readFile(unit.path), source: unit.path)
            guard let entries = doc["pairs"]?.arrayValue, index < entries.count else {
                throw FSMDecodeError(.usage, "\(unit.path): no pairs[\(index)]")
            }
            let e = entries[index]
            let kind = e["kind"]?.stringValue ?? "regex"
            let id = e["id"]?.stringValue ?? "\(base)-\(index)"
            var source: [UInt8]
            if let inline = e["constraint"]?.stringValue { source = Array(inline.utf8) }
            else if let file = e["file"]?.stringValue {
                let dir = (unit.path as NSString).deletingLastPathComponent
                source = try readFile(file.hasPrefix("/") ? file : dir + "/" + file)
            } else if let schema = e["schema"] { source = Array(schema.compactText.utf8) }
            else { throw FSMDecodeError(.usage, "\(unit.path): pairs[\(index)] has no constraint, file or schema") }
            var cases: [BenchCase] = []
            for (i, d) in (e["valid"]?.arrayValue ?? []).enumerated() {
                cases.append(BenchCase(id: "\(id) valid[\(i)]", text: Array((d.stringValue ?? d.compactText).utf8), valid: true, instance: nil))
            }
            for (i, d) in (e["invalid"]?.arrayValue ?? []).enumerated() {
                cases.append(BenchCase(id: "\(id) invalid[\(i)]", text: Array((d.stringValue ?? d.compactText).utf8), valid: false, instance: nil))
            }
            if kind == "json_schema" { source = Array(try JSONInstance.parse(source, source: id).compactText.utf8) }
            return (kind, source, nil, cases, id)
        }
        let doc = try JSONInstance.parse(try readFile(unit.path), source: unit.path)
        guard let schema = doc["schema"] else { throw FSMDecodeError(.usage, "\(unit.path): no \"schema\" (MaskBench format)") }
        var cases: [BenchCase] = []
        for (i, t) in (doc["tests"]?.arrayValue ?? []).enumerated() {
            guard let data = t["data"] else { continue }
            let valid: Bool
            if case .bool(let b)? = t["valid"] { valid = b } else { continue }
            cases.append(BenchCase(id: "tests[\(i)]", text: Array(data.compactText.utf8), valid: valid, instance: data))
        }
        let id = base.hasSuffix(".json") ? String(base.dropLast(5)) : base
        return ("json_schema", Array(schema.compactText.utf8), schema, cases, id)
    }
}

@inline(__always) func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec)
}

/// Peak resident set size of this process (VmHWM), in KiB; 0 where /proc is missing.
func peakRSSKiB() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// `fsmdecode bench worker`: reads units (one line each) on stdin, answers one JSON line per
/// unit on stdout. Started by `bench masks`; not for direct use.
struct BenchWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Internal: one bench masks worker process.",
                                                    shouldDisplay: false)
    @OptionGroup var vocabulary: VocabularyFlags
    @Option(name: .long) var whitespace: String = "compact"
    @Option(name: .long) var format: String = "maskbench"
    @Option(name: .customLong("dump-work")) var dumpWork: String?
    @Flag(name: .customLong("dump-only")) var dumpOnly = false
    @Flag(name: .long) var cold = false
    /// Runs per unit (`bench masks --repeat`); the caches are emptied before each.
    @Option(name: .customLong("repeat")) var repeats: Int = 1
    /// Fault injection for the runner's own tests: `crash:TEXT` / `hang:TEXT` makes the worker
    /// abort / hang on units whose name contains TEXT.
    @Option(name: .customLong("inject-fault")) var faults: [String] = []

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let v = try vocabulary.load()
            guard let eos = v.eosIDs.first else { throw FSMDecodeError(.vocabulary, "\(vocabulary.vocab): no EOS token (give --eos)") }
            let ws = try ConstraintFlags.parse(["--any-json", "--whitespace", whitespace]).whitespacePolicy()
            let m = BenchMeasure(vocabulary: v, encoder: try TokenEncoder(vocabulary: v), whitespace: ws, format: format,
                                 dumpDir: dumpWork, eos: eos, dumpOnly: dumpOnly)
            v.prepareMaskWalks()
            print("ready"); fflush(nil)
            while let line = readLine() {
                guard let unit = BenchUnit(line: line) else { continue }
                for f in faults {
                    let parts = f.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2, unit.name.contains(parts[1]) else { continue }
                    if parts[0] == "crash" { printError("bench worker: injected crash on \(unit.name)"); abort() }
                    if parts[0] == "hang" { while true { sleep(3600) } }
                }
                if cold { SharedCaches.clear() }
                var o = m.run(unit, writeDump: repeats <= 1)
                var ttfmRuns = [o.ownTtfmUs]
                for r in 1..<max(repeats, 1) {
                    SharedCaches.clear()
                    o = m.run(unit, least: o, writeDump: r == repeats - 1)
                    ttfmRuns.append(o.ownTtfmUs)
                }
                var fields: [(String, String)] = [
                    ("status", JSONOut.string(o.status)),
                    ("ttfm_us", o.ttfmUs.map { String(format: "%.1f", $0) } ?? "null"),
                    ("tbm_us", JSONOut.array(o.tbmUs.map { String(format: "%.2f", $0) })),
                    ("tokens", "\(o.tokens)"), ("reordered", "\(o.reordered)"),
                    ("valid", "\(o.validCount)"), ("invalid", "\(o.invalidCount)"),
                    ("rss_kb", "\(peakRSSKiB())"),
                    ("error", o.error.map(JSONOut.string) ?? "null"),
                    ("dump_cases", JSONOut.array(o.dumpCases)), ("manifest_cases", JSONOut.array(o.manifestCases)),
                ]
                if let g = o.grammar { fields.append(("grammar", g)) }
                // Each run's own TTFM: later runs much faster than the first would mean a cache
                // the repetition met (each run is meant to be cold).
                if repeats > 1 { fields.append(("ttfm_runs_us", JSONOut.array(ttfmRuns.map { $0.map { String(format: "%.1f", $0) } ?? "null" }))) }
                print(JSONOut.object(fields)); fflush(nil)
            }
        }
    }
}
