import ArgumentParser
import FSMDecode
import Foundation

/// A benchmark suite: `suite.json` in a directory (paths inside are relative to it).
///
///     {"name": "json-schema", "check": "json" | "schema" | "tools" | "regex" | "c-syntax",
///      "corpus": "corpus.txt", "order": 3, "max_tokens": 200, "samples": 4,
///      "whitespace": "compact",
///      "tasks": [{"id": "person", "prompt": "",
///                 "schema": {...} | "regex": "..." | "grammar": "c.gbnf" | "tools": [...]}]}
///
/// `check` names the independent validator: json-c (json), `SchemaValidator` (schema),
/// `ToolCallValidator` (tools), PCRE2 whole match (regex), `cc -fsyntax-only` (c-syntax).
struct BenchSuite {
    struct Task { var id: String; var prompt: String; var spec: JSONInstance }
    var name: String
    var dir: String
    var check: String
    var corpus: String?
    var order: Int
    var maxTokens: Int
    var samples: Int
    var whitespace: String
    var tasks: [Task]

    init(path: String) throws {
        var isDir: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue ? path + "/suite.json" : path
        let base = (file as NSString).deletingLastPathComponent
        dir = base
        let doc = try JSONInstance.parse(try readFile(file), source: file)
        let int = { (k: String, d: Int) -> Int in if case .number(let x, _, _)? = doc[k] { return Int(x) }; return d }
        name = doc["name"]?.stringValue ?? (base as NSString).lastPathComponent
        guard let c = doc["check"]?.stringValue, ["json", "schema", "tools", "regex", "c-syntax"].contains(c) else {
            throw FSMDecodeError(.usage, "\(file): \"check\" must be json, schema, tools, regex or c-syntax")
        }
        check = c
        corpus = doc["corpus"]?.stringValue.map { base + "/" + $0 }
        order = int("order", 3); maxTokens = int("max_tokens", 200); samples = int("samples", 4)
        whitespace = doc["whitespace"]?.stringValue ?? "compact"
        tasks = (doc["tasks"]?.arrayValue ?? []).enumerated().map { i, t in
            Task(id: t["id"]?.stringValue ?? "task\(i)", prompt: t["prompt"]?.stringValue ?? "", spec: t)
        }
        guard !tasks.isEmpty else { throw FSMDecodeError(.usage, "\(file): no tasks") }
    }

    /// The constraint of a task and the judge of its outputs (nil: correct, else why not).
    func prepare(_ task: Task, vocabulary: Vocabulary) throws -> (Constraint, (([UInt8]) -> String?)) {
        let ws = try ConstraintFlags.parse(["--any-json", "--whitespace", whitespace]).whitespacePolicy()
        let where_ = "\(name)/\(task.id)"
        func schemaConstraint(_ s: JSONInstance) throws -> Constraint {
            let doc = try JSONDocument(bytes: Array(s.compactText.utf8), source: where_)
            let c = try JSONSchemaCompiler.compile(doc.value, source: where_, options: JSONSchemaOptions(whitespace: ws))
            return try Constraint.compile(grammar: c.grammar, vocabulary: vocabulary)
        }
        switch check {
        case "json":
            return (try schemaConstraint(.object([])), { out in
                do { _ = try JSONInstance.parse(out, source: "output"); return nil } catch { return "\(error)" }
            })
        case "schema":
            guard let schema = task.spec["schema"] else { throw FSMDecodeError(.usage, "\(where_): no \"schema\"") }
            let v = SchemaValidator(schema: schema)
            return (try schemaConstraint(schema), { out in
                do { return v.firstError(try JSONInstance.parse(out, source: "output")) } catch { return "not JSON: \(error)" }
            })
        case "tools":
            guard let list = task.spec["tools"] else { throw FSMDecodeError(.usage, "\(where_): no \"tools\"") }
            let v = try ToolCallValidator(tools: list, source: where_)
            return (try schemaConstraint(v.callSchema), { v.firstError($0) })
        case "regex":
            guard let rx = task.spec["regex"]?.stringValue else { throw FSMDecodeError(.usage, "\(where_): no \"regex\"") }
            let re = try PCRE2Pattern(rx)
            let dfa = try RegexCompiler.compile(rx, options: RegexOptions())
            return (.regular(RegexConstraint(dfa: dfa, vocabulary: vocabulary, mode: .lazy)),
                    { re.matchesWhole($0) ? nil : "no whole match of /\(rx)/" })
        default: // c-syntax
            guard let g = task.spec["grammar"]?.stringValue else { throw FSMDecodeError(.usage, "\(where_): no \"grammar\"") }
            let path = dir + "/" + g
            let grammar = try Grammar.gbnf(bytes: try readFile(path), file: path)
            return (try Constraint.compile(grammar: grammar, vocabulary: vocabulary), { CSyntaxCheck.firstError($0) })
        }
    }
}

/// `cc -fsyntax-only` as the independent judge of C-like output. Only syntax errors count:
/// diagnostics about undeclared names, implicit declarations, types or redefinitions are
/// semantic (the grammar does not model scopes) and are ignored.
enum CSyntaxCheck {
    static let semantic = ["undeclared", "implicit", "redefinition", "conflicting types", "incompatible", "lvalue",
                           "too few arguments", "too many arguments", "called object", "void value", "redeclaration",
                           "previous definition", "invalid operands", "not a function"]

    static func firstError(_ source: [UInt8]) -> String? {
        let path = NSTemporaryDirectory() + "fsmdecode-bench-\(getpid())-\(UInt64(now())).c"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { try Data(source).write(to: URL(fileURLWithPath: path)) } catch { return "cannot write \(path)" }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["cc", "-fsyntax-only", "-std=gnu99", "-w", "-fmax-errors=20", "-x", "c", path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch { return "cannot run cc: \(error)" }
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        for line in text.split(separator: "\n") where line.contains("error:") {
            if !semantic.contains(where: { line.contains($0) }) {
                return String(line.split(separator: ":", maxSplits: 1).last ?? line).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

struct BenchErrorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "errors",
        abstract: "Syntax-error rate unconstrained vs constrained, judged by independent validators.",
        discussion: """
            Every task of a suite is decoded `samples` times (seed + i) unconstrained and constrained with the \
            same backend and seed. Outputs are judged by the suite's independent check (json-c, a JSON Schema \
            validator written for this, the tool list, PCRE2, cc -fsyntax-only), never by the engine. An output \
            cut off by --max-tokens is counted apart (`truncated`, both ways) and the error rate is over the \
            outputs that stopped by themselves (EOS, or the constraint's end). Reported per suite: error rate both ways, \
            tokens/s, mask time per token and the share of forced (jump-forward) tokens.
            """)

    @OptionGroup var vocabulary: VocabularyFlags
    @Option(name: .long, help: "ngram | file | process") var backend: String = "ngram"
    @Option(name: .long, help: "ngram: training text (file or directory), overriding each suite's own corpus.") var corpus: String?
    @Option(name: .long, help: "file: a logits file replayed for every sample.") var logits: String?
    @Option(name: .long, help: "process: the command line to run (split on spaces).") var command: String?
    @Option(name: .long, help: "Samples per task (default: the suite's).") var samples: Int?
    @Option(name: .customLong("max-tokens"), help: "Token limit per output (default: the suite's).") var maxTokens: Int?
    @Option(name: .long, help: "Base seed.") var seed: UInt64 = 0
    @Option(name: .long, help: "Sampling temperature.") var temperature: Float = 1
    @Flag(name: .long, help: "Print one JSON object.") var json = false
    @Flag(name: .long, help: "Print every output with its verdict.") var verbose = false
    @Argument(help: "Suite directories (or suite.json files).") var suites: [String]

    struct Tally {
        var samples = 0, errors = 0, truncated = 0, truncatedInvalid = 0, tokens = 0, forced = 0, masks = 0
        var seconds = 0.0, maskNs = 0.0
        var firstError: String?
    }

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let v = try vocabulary.load()
            let encoder = try TokenEncoder(vocabulary: v)
            var rows: [String] = []
            for path in suites {
                let suite = try BenchSuite(path: path)
                let (free, constrained) = try runSuite(suite, v, encoder)
                rows.append(row(suite, free, constrained))
            }
            if json { print(JSONOut.object([("suites", JSONOut.array(rows))])) }
        }
    }

    func runSuite(_ suite: BenchSuite, _ v: Vocabulary, _ encoder: TokenEncoder) throws -> (Tally, Tally) {
        var free = Tally(), cons = Tally()
        let n = samples ?? suite.samples
        var model: NGramModel?
        if backend == "ngram" {
            guard let c = corpus ?? suite.corpus else { throw FSMDecodeError(.usage, "\(suite.name): the ngram backend needs a corpus (suite \"corpus\" or --corpus)") }
            let seqs = try readCorpus(c).map { encoder.encode($0) }
            model = try NGramModel(sequences: seqs, width: v.maskWidth, allowed: (0..<v.maskWidth).map { v.isGrammarToken($0) },
                                   eos: v.eosIDs.first, order: suite.order)
        } else if backend == "file" {
            guard logits != nil else { throw FSMDecodeError(.usage, "the file backend needs --logits FILE") }
        } else if backend == "process" {
            guard let command, !command.isEmpty else { throw FSMDecodeError(.usage, "the process backend needs --command CMD") }
        } else {
            throw FSMDecodeError(.usage, "unknown backend '\(backend)' (expected ngram, file or process)")
        }
        for task in suite.tasks {
            let (constraint, judge) = try suite.prepare(task, vocabulary: v)
            let prompt = encoder.encode(task.prompt)
            for i in 0..<n {
                for unconstrained in [true, false] {
                    let opts = DecoderOptions(maxTokens: maxTokens ?? suite.maxTokens,
                                              sampler: SamplerConfig(temperature: temperature, seed: seed &+ UInt64(i)),
                                              jumpForward: true, unconstrained: unconstrained)
                    let t0 = now()
                    let r: DecodeResult
                    switch backend {
                    case "ngram": r = try decode(model!, constraint, v, encoder, opts, prompt)
                    case "file": r = try decode(try LogitsReplayBackend(file: try LogitsFile(path: logits!), expectedWidth: v.maskWidth), constraint, v, encoder, opts, prompt)
                    default: r = try decode(try ProcessBackend(command: command!.split(separator: " ").map(String.init), width: v.maskWidth), constraint, v, encoder, opts, prompt)
                    }
                    let secs = (now() - t0) / 1e9
                    if let e = r.error, r.stopReason == .error, !unconstrained || !e.hasPrefix("every logit") {
                        throw FSMDecodeError(.io, "\(suite.name)/\(task.id) sample \(i): \(e)")
                    }
                    let verdict = judge(r.bytes)
                    if verbose {
                        print("[\(suite.name)/\(task.id) #\(i) \(unconstrained ? "free" : "constrained")] \(verdict.map { "ERROR " + $0 } ?? "ok"): \(r.text)")
                    }
                    func add(_ t: inout Tally) {
                        t.samples += 1; t.tokens += r.tokens.count; t.forced += r.forcedTokens; t.seconds += secs
                        t.masks += r.maskTimes.count; t.maskNs += r.maskTimes.meanNs * Double(r.maskTimes.count)
                        if r.stopReason == .maxTokens {
                            // Cut off by --max-tokens: not a syntax error of the output's own making; counted apart.
                            t.truncated += 1
                            if verdict != nil { t.truncatedInvalid += 1 }
                        } else if let verdict { t.errors += 1; if t.firstError == nil { t.firstError = "\(task.id) #\(i): \(verdict)" } }
                    }
                    if unconstrained { add(&free) } else { add(&cons) }
                }
            }
        }
        return (free, cons)
    }

    func decode<B: ModelBackend>(_ b: B, _ c: Constraint, _ v: Vocabulary, _ e: TokenEncoder, _ o: DecoderOptions, _ prompt: [Int32]) throws -> DecodeResult {
        var d = try Decoder(backend: b, matcher: c.makeMatcher(), vocabulary: v, encoder: e, options: o)
        return d.run(prompt: prompt)
    }

    func row(_ s: BenchSuite, _ f: Tally, _ c: Tally) -> String {
        func rate(_ t: Tally) -> Double { t.samples == t.truncated ? 0 : Double(t.errors) / Double(t.samples - t.truncated) }
        func tps(_ t: Tally) -> Double { t.seconds == 0 ? 0 : Double(t.tokens) / t.seconds }
        let maskUs = c.masks == 0 ? 0 : c.maskNs / Double(c.masks) / 1000
        let forcedShare = c.tokens == 0 ? 0 : Double(c.forced) / Double(c.tokens)
        if !json {
            print(String(format: "%@: %d tasks × %d samples | errors unconstrained %d/%d (%.1f%%), constrained %d/%d (%.1f%%) | cut off at max tokens: %d free, %d constrained | tok/s %.0f free, %.0f constrained | mask %.1f µs/token | forced %.1f%%",
                         s.name, s.tasks.count, f.samples / max(1, s.tasks.count), f.errors, f.samples - f.truncated, 100 * rate(f),
                         c.errors, c.samples - c.truncated, 100 * rate(c), f.truncated, c.truncated,
                         tps(f), tps(c), maskUs, 100 * forcedShare))
            if let e = f.firstError { print("  first unconstrained error: \(e.prefix(160))") }
            if let e = c.firstError { print("  first CONSTRAINED error: \(e.prefix(160))") }
        }
        return JSONOut.object([
            ("suite", JSONOut.string(s.name)), ("check", JSONOut.string(s.check)), ("tasks", "\(s.tasks.count)"),
            ("samples", "\(c.samples)"),
            ("unconstrained", JSONOut.object([("errors", "\(f.errors)"), ("truncated", "\(f.truncated)"), ("error_rate", String(format: "%.4f", rate(f))),
                                              ("tokens", "\(f.tokens)"), ("tokens_per_s", String(format: "%.1f", tps(f))),
                                              ("first_error", f.firstError.map(JSONOut.string) ?? "null")])),
            ("constrained", JSONOut.object([("errors", "\(c.errors)"), ("truncated", "\(c.truncated)"), ("truncated_invalid", "\(c.truncatedInvalid)"), ("error_rate", String(format: "%.4f", rate(c))),
                                            ("tokens", "\(c.tokens)"), ("tokens_per_s", String(format: "%.1f", tps(c))),
                                            ("mask_us_per_token", String(format: "%.2f", maskUs)),
                                            ("forced_share", String(format: "%.4f", forcedShare)),
                                            ("first_error", c.firstError.map(JSONOut.string) ?? "null")])),
        ])
    }
}
