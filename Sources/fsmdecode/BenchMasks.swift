import ArgumentParser
import FSMDecode
import Foundation

/// `fsmdecode bench …`: the benchmark runner.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: MaskBench-style mask latency (masks) and syntax-error rates (errors).",
        subcommands: [BenchMasksCommand.self, BenchErrorsCommand.self, BenchWorkerCommand.self])
}

/// Percentiles (nearest rank) of a sample; zeros for an empty one.
struct Percentiles {
    let sorted: [Double]
    init(_ xs: [Double]) { sorted = xs.sorted() }
    func p(_ q: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
    }
    var avg: Double { sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count) }
    var maximum: Double { sorted.last ?? 0 }
}

func fmt(_ x: Double) -> String { String(format: x >= 100 ? "%.0f" : "%.2f", x) }

struct BenchMasksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "masks",
        abstract: "MaskBench's method: time to first mask per schema, time per mask over valid instances, and exactness.",
        discussion: """
            Per unit (a MaskBench file, or one entry of a pairs manifest): TTFM = compile + fresh matcher + \
            first mask. Then every instance is tokenised and fed token by token: fill the mask (timed, TBM over \
            valid instances), check the token's bit, accept; then the stop token. A valid instance must be \
            accepted to the end, an invalid one rejected at some token (the stop token counts).
            MaskBench instances are serialised compactly in their own key order; a valid instance rejected \
            in that order is retried with object members in schema order (the compiler's representation) and \
            counted under `reordered`. An invalid instance must be rejected in both orders.
            Units run in worker processes (`--jobs`), so a crash or a unit past `--timeout` is recorded \
            (crash/timeout) and the run goes on.
            Pairs manifest (--format pairs): {"pairs": [{"id", "kind": regex|gbnf|lark|json_schema, \
            "constraint": TEXT | "file": PATH (relative to the manifest) | "schema": {...}, \
            "valid": [TEXT…], "invalid": [TEXT…]}]}; documents are fed as raw text.
            """)

    @OptionGroup var vocabulary: VocabularyFlags
    @Option(name: .long, help: "maskbench | pairs") var format: String = "maskbench"
    @Argument(help: "MaskBench files or directories of them (maskbench), or pairs manifests (pairs).") var paths: [String]
    @Option(name: .long, help: "Write one JSON line per unit to this file.") var records: String?
    @Option(name: .customLong("dump-work"), help: "Write the work set (schemas, instance texts, token ids) and our per-token records in the peers' work-set format to this directory.") var dumpWork: String?
    @Flag(name: .long, help: "Print the summary as one JSON object.") var json = false
    @Option(name: .long, help: "Seconds per unit before its worker is killed (recorded as timeout).") var timeout: Double = 60
    @Option(name: .long, help: "Parallel worker processes (each times single-threaded).") var jobs: Int = 1
    @Option(name: .long, help: "JSON whitespace policy of compiled schemas (instances are compact).") var whitespace: String = "compact"
    @Option(name: .long, help: "Only every Nth unit (sorted by path; the 1st, N+1st, …), for a quick sample of a corpus.") var every: Int = 1
    @Option(name: .long, help: "Only the first N units (sorted by path; after --every).") var limit: Int?
    @Flag(name: .long, help: "Empty the caches shared across constraints (terminal DFAs) before each unit, so every compile is cold (the DFAs of format strings, engine constants, are kept). Default: kept, as in a server.") var cold = false
    @Option(name: .customLong("repeat"), help: "Run each unit N times, each a cold compile (needs --cold), and keep per mask and per TTFM the least time: drops a shared machine's preemptions from the percentiles (Benchmarks/peers/run_peers.py --repeat does the same for the peers). --timeout is per run.") var repeats: Int = 1
    @Option(name: .customLong("inject-fault"), help: .hidden) var faults: [String] = []

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            guard jobs >= 1 else { throw FSMDecodeError(.usage, "--jobs must be at least 1") }
            guard every >= 1 else { throw FSMDecodeError(.usage, "--every must be at least 1") }
            guard repeats >= 1 else { throw FSMDecodeError(.usage, "--repeat must be at least 1") }
            guard repeats == 1 || cold else {
                throw FSMDecodeError(.usage, "--repeat needs --cold: a repeated unit would find the caches its first run filled")
            }
            guard format == "maskbench" || format == "pairs" else { throw FSMDecodeError(.usage, "--format must be maskbench or pairs") }
            _ = try ConstraintFlags.parse(["--any-json", "--whitespace", whitespace]).whitespacePolicy()
            var units = try collectUnits()
            if every > 1 { units = units.enumerated().filter { $0.offset % every == 0 }.map(\.element) }
            if let limit { units = Array(units.prefix(limit)) }
            guard !units.isEmpty else { throw FSMDecodeError(.usage, "no input files in \(paths.joined(separator: " "))") }
            if let dumpWork {
                for d in [dumpWork, dumpWork + "/grammars", dumpWork + "/cases"] {
                    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
                }
            }
            var workerArgs = ["bench", "worker", "--vocab", vocabulary.vocab, "--whitespace", whitespace, "--format", format]
            if let w = vocabulary.maskWidth { workerArgs += ["--mask-width", "\(w)"] }
            if let b = vocabulary.bos { workerArgs += ["--bos", b] }
            for e in vocabulary.eos { workerArgs += ["--eos", e] }
            if let dumpWork { workerArgs += ["--dump-work", dumpWork] }
            if cold { workerArgs.append("--cold") }
            if repeats > 1 { workerArgs += ["--repeat", "\(repeats)"] }
            signal(SIGPIPE, SIG_IGN)
            let pool = BenchPool(arguments: workerArgs + faults.flatMap { ["--inject-fault", $0] }, jobs: jobs,
                                 timeout: timeout * Double(repeats))
            let progress = Progress(total: units.count, label: "units")
            let started = now()
            var done = 0
            var replies = try pool.run(units) {
                progress.advance()
                // A log line now and then where no terminal shows the counter (scripted full runs).
                done += 1
                if !progress.interactive && units.count >= 100 && (done % 100 == 0 || done == units.count) {
                    printError(String(format: "bench masks: %d/%d units, %.0f s", done, units.count, (now() - started) / 1e9))
                }
            }
            progress.finish()
            // Units lost to a timeout or crash still go into the work set, so peers run them too.
            let lost = replies.indices.filter { replies[$0].grammar == nil }
            if dumpWork != nil && !lost.isEmpty {
                let dumper = BenchPool(arguments: workerArgs + ["--dump-only"], jobs: 1, timeout: timeout)
                let dumped = try dumper.run(lost.map { units[$0] }) {}
                for (i, d) in zip(lost, dumped) {
                    replies[i].grammar = d.grammar
                    replies[i].manifestCases = d.manifestCases
                }
            }
            try report(units, replies)
        }
    }

    func collectUnits() throws -> [BenchUnit] {
        var units: [BenchUnit] = []
        for p in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { throw FSMDecodeError(.io, "\(p): not found") }
            let files = isDir.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: p).filter { $0.hasSuffix(".json") && $0 != "manifest.json" }.sorted().map { p + "/" + $0 }
                : [p]
            for f in files {
                if format == "pairs" {
                    let doc = try JSONInstance.parse(try readFile(f), source: f)
                    guard let pairs = doc["pairs"]?.arrayValue else { throw FSMDecodeError(.usage, "\(f): a pairs manifest needs \"pairs\": [...]") }
                    units += pairs.indices.map { BenchUnit(path: f, index: $0) }
                } else {
                    units.append(BenchUnit(path: f, index: nil))
                }
            }
        }
        return units
    }

    func report(_ units: [BenchUnit], _ replies: [BenchPool.Reply]) throws {
        var counts: [String: Int] = [:]
        var ttfm: [Double] = [], tbm: [Double] = []
        var tokens = 0, reordered = 0, valid = 0, invalid = 0, rss = peakRSSKiB()
        var lines: [String] = []
        var dumpCases: [String] = [], manifestCases: [String] = [], grammars: [String] = []
        for (u, r) in zip(units, replies) {
            counts[r.status, default: 0] += 1
            if let t = r.ttfmUs { ttfm.append(t) }
            tbm += r.tbmUs
            tokens += r.tokens; reordered += r.reordered; valid += r.valid; invalid += r.invalid
            rss = Swift.max(rss, r.rssKiB)
            let s = Percentiles(r.tbmUs)
            lines.append(JSONOut.object([
                ("file", JSONOut.string(u.name)), ("status", JSONOut.string(r.status)),
                ("ttfm_us", r.ttfmUs.map { String(format: "%.1f", $0) } ?? "null"),
                ("tbm_us", r.tbmUs.isEmpty ? "null" : JSONOut.object([("count", "\(r.tbmUs.count)"), ("p50", fmt(s.p(0.5))), ("p90", fmt(s.p(0.9))),
                                                                      ("p99", fmt(s.p(0.99))), ("avg", fmt(s.avg)), ("max", fmt(s.maximum))])),
                ("tokens", "\(r.tokens)"), ("reordered", "\(r.reordered)"),
                ("error", r.error.map(JSONOut.string) ?? "null"),
            ]))
            dumpCases += r.dumpCases; manifestCases += r.manifestCases
            if let g = r.grammar { grammars.append(g) }
        }
        if let records { try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: records)) }
        if let dumpWork { try writeWorkSet(dumpWork, grammars: grammars, cases: manifestCases, records: dumpCases) }
        let t = Percentiles(ttfm), b = Percentiles(tbm)
        let c = { (k: String) in counts[k] ?? 0 }
        if json {
            print(JSONOut.object([
                ("files", "\(units.count)"), ("passing", "\(c("ok"))"), ("compile_error", "\(c("compile_error"))"),
                ("validation_error", "\(c("validation_error"))"), ("invalidation_error", "\(c("invalidation_error"))"),
                ("timeout", "\(c("timeout"))"), ("crash", "\(c("crash"))"), ("reordered", "\(reordered)"),
                ("valid_instances", "\(valid)"), ("invalid_instances", "\(invalid)"), ("tokens", "\(tokens)"),
                ("ttfm_us", JSONOut.object([("p50", fmt(t.p(0.5))), ("p95", fmt(t.p(0.95))), ("max", fmt(t.maximum))])),
                ("tbm_us", JSONOut.object([("p50", fmt(b.p(0.5))), ("p90", fmt(b.p(0.9))), ("p99", fmt(b.p(0.99))), ("avg", fmt(b.avg)), ("max", fmt(b.maximum))])),
                ("peak_rss_mb", String(format: "%.1f", Double(rss) / 1024)), ("repeat", "\(repeats)"),
            ]))
            return
        }
        print("units \(units.count): passing \(c("ok")), compile_error \(c("compile_error")), validation_error \(c("validation_error")), invalidation_error \(c("invalidation_error")), timeout \(c("timeout")), crash \(c("crash"))")
        print("instances: \(valid) valid, \(invalid) invalid; \(reordered) valid instances accepted only in schema key order; \(humanCount(tokens)) tokens")
        print("TTFM µs: p50 \(fmt(t.p(0.5)))  p95 \(fmt(t.p(0.95)))  max \(fmt(t.maximum))   (\(ttfm.count) compiled)")
        if repeats > 1 { print("times: the least of \(repeats) cold runs per unit, per mask and per TTFM") }
        print("TBM  µs: p50 \(fmt(b.p(0.5)))  p90 \(fmt(b.p(0.9)))  p99 \(fmt(b.p(0.99)))  avg \(fmt(b.avg))  max \(fmt(b.maximum))   (\(tbm.count) masks)")
        print(String(format: "peak RSS %.1f MB (largest worker)", Double(rss) / 1024))
        for (u, r) in zip(units, replies) where r.status != "ok" && r.status != "compile_error" {
            print("  \(r.status): \(u.name): \(r.error ?? "")")
        }
    }

    /// The peers' work-set layout (../shared/tools/peers/FORMAT.md), plus "valid" per case
    /// (invalid instances are included so peers' invalidation errors can be counted), and
    /// our own per-token records as fsmdecode.jsonl.
    func writeWorkSet(_ dir: String, grammars: [String], cases: [String], records: [String]) throws {
        let v = try vocabulary.load()
        let manifest = JSONOut.object([
            ("format", JSONOut.string("peers-bench-work/1")),
            ("tokenizer", JSONOut.object([
                ("name", JSONOut.string(((vocabulary.vocab as NSString).deletingLastPathComponent as NSString).lastPathComponent)),
                ("tokenizer_json", JSONOut.string(URL(fileURLWithPath: vocabulary.vocab).standardizedFileURL.path)),
                ("vocab_size", "\(v.maskWidth)"), ("eos_token_id", "\(v.eosIDs.first ?? -1)"),
                ("stop_token_ids", JSONOut.array(v.eosIDs.map { "\($0)" })),
            ])),
            ("serialization", JSONOut.string(format == "pairs" ? "raw document text" : "compact (no whitespace), the instance's own key order; schema key order where only that was accepted")),
            ("whitespace", JSONOut.string(whitespace)),
            ("grammars", JSONOut.array(grammars)), ("cases", JSONOut.array(cases)),
        ])
        try Data((manifest + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        try Data((records.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/fsmdecode.jsonl"))
    }
}

/// Worker processes (this binary's hidden `bench worker`) fed one unit at a time over a pipe.
/// A worker past the timeout is killed (unit: timeout); one that dies mid-unit is recorded as
/// crash; either way a fresh worker takes the next unit.
final class BenchPool: @unchecked Sendable {
    struct Reply {
        var status: String
        var ttfmUs: Double?
        var tbmUs: [Double] = []
        var tokens = 0, reordered = 0, valid = 0, invalid = 0, rssKiB = 0
        var error: String?
        var dumpCases: [String] = [], manifestCases: [String] = []
        var grammar: String?
    }

    let arguments: [String]
    let jobs: Int
    let timeout: Double
    private let lock = NSLock()

    init(arguments: [String], jobs: Int, timeout: Double) {
        self.arguments = arguments
        self.jobs = jobs
        self.timeout = timeout
    }

    private var replies: [Reply?] = []
    private var next = 0
    private var failure: Error?
    private var onDone: () -> Void = {}

    /// Runs every unit; replies in unit order. Throws only when a worker cannot be started.
    func run(_ units: [BenchUnit], onDone: @escaping () -> Void) throws -> [Reply] {
        replies = [Reply?](repeating: nil, count: units.count)
        next = 0
        self.onDone = onDone
        DispatchQueue.concurrentPerform(iterations: min(jobs, units.count)) { _ in self.serve(units) }
        if let failure { throw failure }
        return replies.map { $0! }
    }

    private func serve(_ units: [BenchUnit]) {
        var worker: Worker?
        while true {
            lock.lock()
            let i = next
            next += 1
            let stop = failure != nil
            lock.unlock()
            guard i < units.count, !stop else { break }
            do {
                if worker == nil { worker = try Worker(arguments: arguments) }
                let (reply, alive) = worker!.run(units[i], timeout: timeout)
                if !alive { worker!.kill(); worker = nil }
                lock.lock(); replies[i] = reply; onDone(); lock.unlock()
            } catch {
                lock.lock(); failure = error; lock.unlock()
            }
        }
        worker?.finish()
    }

    /// One worker process and its line-oriented pipes. It loads the vocabulary once and then
    /// serves units until its input closes (or it is killed).
    final class Worker {
        let process = Process()
        let input = Pipe(), output = Pipe(), errors = Pipe()
        var buffer: [UInt8] = []
        /// Set when the worker's stdout reached end of file (it exited or crashed).
        var ended = false
        /// What the worker wrote to stderr during the current unit (drained continuously so a
        /// chatty worker never blocks); a crash report quotes its first line.
        let stderrText = StderrCapture()

        final class StderrCapture: @unchecked Sendable {
            private let lock = NSLock()
            private var bytes: [UInt8] = []
            func append(_ d: Data) {
                lock.lock(); defer { lock.unlock() }
                if bytes.count < 4096 { bytes += d.prefix(4096 - bytes.count) }
            }
            func reset() { lock.lock(); bytes = []; lock.unlock() }
            /// The first non-empty line (a crash's message comes before its backtrace).
            var firstLine: String {
                lock.lock(); defer { lock.unlock() }
                let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first { !$0.allSatisfy(\.isWhitespace) }
                return line.map { String($0.prefix(300)) } ?? ""
            }
        }

        init(arguments: [String]) throws {
            let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            guard !exe.path.hasSuffix(" (deleted)") else {
                throw FSMDecodeError(.io, "\(exe.path): the fsmdecode binary was replaced during the run; workers cannot be restarted")
            }
            process.executableURL = exe
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            let capture = stderrText
            errors.fileHandleForReading.readabilityHandler = { h in capture.append(h.availableData) }
            guard let first = readLine(deadline: now() + 120e9), first == "ready" else {
                kill()
                throw FSMDecodeError(.io, "bench worker did not start (\(arguments.joined(separator: " "))): \(stderrText.firstLine)")
            }
        }

        /// Sends `unit`, waits for its reply line; `alive` false when the worker must be replaced.
        func run(_ unit: BenchUnit, timeout: Double) -> (Reply, alive: Bool) {
            stderrText.reset()
            try? input.fileHandleForWriting.write(contentsOf: Data((unit.line + "\n").utf8))
            guard let line = readLine(deadline: now() + timeout * 1e9) else {
                if !ended { return (Reply(status: "timeout", error: "no result within \(timeout) s"), false) }
                process.waitUntilExit()
                Thread.sleep(forTimeInterval: 0.05)  // let the stderr drain catch the last words
                let how = process.terminationReason == .uncaughtSignal ? "signal \(process.terminationStatus)" : "status \(process.terminationStatus)"
                let said = stderrText.firstLine
                return (Reply(status: "crash", error: "worker exited (\(how))" + (said.isEmpty ? "" : ": \(said)")), false)
            }
            guard let doc = try? JSONInstance.parse(Array(line.utf8), source: "worker") else {
                return (Reply(status: "crash", error: "unreadable worker reply"), false)
            }
            var r = Reply(status: doc["status"]?.stringValue ?? "crash")
            if case .number(let d, _, _)? = doc["ttfm_us"] { r.ttfmUs = d }
            r.tbmUs = (doc["tbm_us"]?.arrayValue ?? []).compactMap { if case .number(let d, _, _) = $0 { return d }; return nil }
            func int(_ k: String) -> Int { if case .number(let d, _, _)? = doc[k] { return Int(d) }; return 0 }
            r.tokens = int("tokens"); r.reordered = int("reordered"); r.valid = int("valid"); r.invalid = int("invalid"); r.rssKiB = int("rss_kb")
            r.error = doc["error"]?.stringValue
            r.dumpCases = (doc["dump_cases"]?.arrayValue ?? []).map(\.compactText)
            r.manifestCases = (doc["manifest_cases"]?.arrayValue ?? []).map(\.compactText)
            r.grammar = doc["grammar"]?.compactText
            return (r, true)
        }

        /// The next line from the worker, or nil at end of file (`ended`) or past `deadline`
        /// (ns, monotonic).
        func readLine(deadline: Double) -> String? {
            let fd = output.fileHandleForReading.fileDescriptor
            while true {
                if let nl = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[..<nl], as: UTF8.self)
                    buffer.removeSubrange(...nl)
                    return line
                }
                if ended { return nil }
                let left = (deadline - now()) / 1e6
                if left <= 0 { return nil }
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let r = poll(&p, 1, Int32(min(left, 1000)))
                if r < 0 && errno != EINTR { ended = true; return nil }
                if r <= 0 { continue }
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { ended = true; return nil }
                buffer += chunk[..<n]
            }
        }

        func kill() {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            errors.fileHandleForReading.readabilityHandler = nil
        }

        func finish() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            errors.fileHandleForReading.readabilityHandler = nil
        }
    }
}
