import ArgumentParser
import FSMDecode
import Foundation

/// Sampling and stopping flags shared by `decode` and `generate`.
struct SamplingFlags: ParsableArguments {
    @Option(name: .long, help: "Sampling temperature; 0 = greedy.")
    var temperature: Float = 1
    @Option(name: .customLong("top-k"), help: "Keep the k most likely tokens (0 = off).")
    var topK: Int = 0
    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass (1 = off).")
    var topP: Float = 1
    @Option(name: .customLong("min-p"), help: "Drop tokens below this fraction of the best token's probability (0 = off).")
    var minP: Float = 0
    @Option(name: .customLong("repetition-penalty"), help: "Penalty for tokens already generated (1 = off).")
    var repetitionPenalty: Float = 1
    @Option(name: .long, help: "Random seed (runs are reproducible).")
    var seed: UInt64 = 0
    @Option(name: .customLong("max-tokens"), help: "Stop after this many generated tokens.")
    var maxTokens: Int = 256
    @Flag(name: .long, help: "Ignore the constraint while decoding (validity is still reported).")
    var unconstrained = false
    @Flag(name: .customLong("no-jump-forward"), help: "Always consult the model, even when the constraint forces the next bytes.")
    var noJumpForward = false

    func options(seedOffset: UInt64 = 0) -> DecoderOptions {
        DecoderOptions(maxTokens: maxTokens,
                       sampler: SamplerConfig(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                              repetitionPenalty: repetitionPenalty, seed: seed &+ seedOffset),
                       jumpForward: !noJumpForward, unconstrained: unconstrained)
    }
}

/// One decode result as a JSON object (the `--json` shape of `decode`, and of each `generate` sample).
func resultJSON(_ r: DecodeResult) -> String {
    var fields: [(String, String)] = [
        ("text", JSONOut.string(r.text)),
        ("tokens", JSONOut.array(r.tokens.map { "\($0)" })),
        ("complete", "\(r.complete)"),
        ("valid", "\(r.valid)"),
        ("stop_reason", JSONOut.string(r.stopReason.rawValue)),
        ("forced_tokens", "\(r.forcedTokens)"),
        ("mask_us", JSONOut.object([
            ("count", "\(r.maskTimes.count)"),
            ("mean", String(format: "%.2f", r.maskTimes.meanNs / 1000)),
            ("p50", String(format: "%.2f", Double(r.maskTimes.p50Ns) / 1000)),
            ("p99", String(format: "%.2f", Double(r.maskTimes.p99Ns) / 1000)),
            ("max", String(format: "%.2f", Double(r.maskTimes.maxNs) / 1000)),
        ])),
    ]
    if let e = r.error { fields.append(("error", JSONOut.string(e))) }
    return JSONOut.object(fields)
}

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Constrained decoding over recorded logits (.npy or .safetensors, shape [steps, width]).")

    @OptionGroup var vocabulary: VocabularyFlags
    @OptionGroup var constraint: ConstraintFlags
    @Option(name: .long, help: "Logits file: row i is used at step i.")
    var logits: String
    @OptionGroup var sampling: SamplingFlags
    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let v = try vocabulary.load()
            let compiled = try constraint.compile(vocabulary: v)
            let file = try LogitsFile(path: logits)
            let backend = try LogitsReplayBackend(file: file, expectedWidth: v.maskWidth)
            let encoder = try? TokenEncoder(vocabulary: v)
            var decoder = try Decoder(backend: backend, matcher: compiled.makeMatcher(), vocabulary: v, encoder: encoder,
                                      options: sampling.options())
            let r = decoder.run()
            if json {
                print(resultJSON(r))
            } else {
                print(r.text)
                printError("\(r.tokens.count) tokens (\(r.forcedTokens) forced), stop: \(r.stopReason.rawValue), "
                           + (r.complete ? "complete" : r.valid ? "valid but not finished" : "INVALID")
                           + String(format: ", mask p50 %.1f µs", Double(r.maskTimes.p50Ns) / 1000))
            }
            if let e = r.error { throw FSMDecodeError(.logits, "\(logits): \(e) (partial output above)") }
        }
    }
}

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate with a model backend (built-in n-gram model, or an external process), constrained or not.",
        discussion: """
            The n-gram backend trains on --corpus (a text file or a directory of them; documents are separated \
            by blank lines). The process backend runs --command and speaks the line protocol documented in \
            ProcessBackend.swift: TOKENS <k> <ids…> → LOGITS <width> + float32 bytes | NPY <n> + .npy | END.
            """)

    @OptionGroup var vocabulary: VocabularyFlags
    @OptionGroup var constraint: ConstraintFlags
    @Option(name: .long, help: "ngram | process | file")
    var backend: String = "ngram"
    @Option(name: .long, help: "file backend: a recorded logits file (.npy or .safetensors), replayed for every sample.")
    var logits: String?
    @Option(name: .long, help: "n-gram backend: training text file or directory.")
    var corpus: String?
    @Option(name: .long, help: "n-gram order.")
    var order: Int = 4
    @Option(name: .long, help: "process backend: the command line to run (split on spaces).")
    var command: String?
    @Option(name: .long, help: "Text the model continues from (given to the backend as context, not constrained).")
    var prompt: String = ""
    @Option(name: .short, help: "Number of samples.")
    var n: Int = 1
    @OptionGroup var sampling: SamplingFlags
    @Flag(name: .long, help: "Also run every sample unconstrained with the same seed, and compare validity.")
    var compare = false
    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            guard n >= 1 else { throw FSMDecodeError(.usage, "-n must be at least 1") }
            let v = try vocabulary.load()
            let compiled = try constraint.compile(vocabulary: v)
            let encoder = try TokenEncoder(vocabulary: v)
            let promptIDs = encoder.encode(prompt, addSpecial: false)
            let progress = Progress(total: n * (compare ? 2 : 1), label: "samples")

            var constrainedResults: [DecodeResult] = []
            var freeResults: [DecodeResult] = []
            func runAll<B: ModelBackend>(_ make: () throws -> B) throws {
                for i in 0..<n {
                    for unconstrained in compare ? [false, true] : [sampling.unconstrained] {
                        var opts = sampling.options(seedOffset: UInt64(i))
                        opts.unconstrained = unconstrained
                        var d = try Decoder(backend: try make(), matcher: compiled.makeMatcher(), vocabulary: v,
                                            encoder: encoder, options: opts)
                        let r = d.run(prompt: promptIDs)
                        if unconstrained && compare { freeResults.append(r) } else { constrainedResults.append(r) }
                        progress.advance()
                        if let e = r.error {
                            // Keep what was generated: report the samples so far, then fail.
                            progress.finish()
                            report(constrainedResults, freeResults)
                            throw FSMDecodeError(.io, "sample \(i + 1): \(e) (partial output above)")
                        }
                    }
                }
            }
            switch backend {
            case "ngram":
                guard let corpus else { throw FSMDecodeError(.usage, "the ngram backend needs --corpus FILE|DIR") }
                let docs = try readCorpus(corpus)
                let t0 = Date()
                let seqs = docs.map { encoder.encode($0) }
                let allowed = (0..<v.maskWidth).map { v.isGrammarToken($0) }
                let model = try NGramModel(sequences: seqs, width: v.maskWidth, allowed: allowed, eos: v.eosIDs.first, order: order)
                progress.note("trained a \(order)-gram model on \(docs.count) documents (\(humanCount(seqs.reduce(0) { $0 + $1.count })) tokens) in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
                try runAll { model }
            case "process":
                guard let command, !command.isEmpty else { throw FSMDecodeError(.usage, "the process backend needs --command CMD") }
                try runAll { try ProcessBackend(command: command.split(separator: " ").map(String.init), width: v.maskWidth) }
            case "file":
                guard let logits else { throw FSMDecodeError(.usage, "the file backend needs --logits FILE") }
                let file = try LogitsFile(path: logits)
                try runAll { try LogitsReplayBackend(file: file, expectedWidth: v.maskWidth) }
            default:
                throw FSMDecodeError(.usage, "unknown backend '\(backend)' (expected ngram, process or file)")
            }
            progress.finish()
            report(constrainedResults, freeResults)
        }
    }

    func report(_ constrained: [DecodeResult], _ free: [DecodeResult]) {
        let label = sampling.unconstrained && !compare ? "unconstrained" : "constrained"
        func rate(_ rs: [DecodeResult]) -> Double { rs.isEmpty ? 0 : Double(rs.filter { $0.complete || $0.valid }.count) / Double(rs.count) }
        if json {
            var fields: [(String, String)] = [("samples", JSONOut.array(constrained.map(resultJSON))),
                                              ("valid_rate", String(format: "%.4f", rate(constrained)))]
            if compare {
                fields.append(("unconstrained", JSONOut.array(free.map(resultJSON))))
                fields.append(("unconstrained_valid_rate", String(format: "%.4f", rate(free))))
            }
            print(JSONOut.object(fields))
            return
        }
        for (i, r) in constrained.enumerated() {
            if compare && i < free.count {
                let f = free[i]
                print("--- sample \(i + 1) unconstrained: \(f.valid ? "valid" : "INVALID") (\(f.stopReason.rawValue))")
                print(f.text)
            }
            // A constrained output cut off by --max-tokens is a viable prefix, not a syntax error.
            let verdict = r.complete ? "complete" : r.valid ? "valid" : label == "constrained" && r.stopReason == .maxTokens ? "unfinished" : "INVALID"
            print("--- sample \(i + 1) \(label): \(verdict) (\(r.stopReason.rawValue), \(r.tokens.count) tokens, \(r.forcedTokens) forced)")
            print(r.text)
        }
        print(String(format: "\n%@: %d/%d valid (%.0f%%)", label, constrained.filter { $0.valid }.count, constrained.count, 100 * rate(constrained)))
        if compare {
            print(String(format: "unconstrained: %d/%d valid (%.0f%%)", free.filter { $0.valid }.count, free.count, 100 * rate(free)))
        }
    }
}

/// Documents of a training corpus: a file, or every regular file in a directory (sorted), split on blank lines.
func readCorpus(_ path: String) throws -> [String] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw FSMDecodeError(.io, "\(path): corpus not found")
    }
    let files = isDir.boolValue
        ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
        : [path]
    var docs: [String] = []
    for f in files {
        let text = String(decoding: try readFile(f), as: UTF8.self)
        docs += text.components(separatedBy: "\n\n").filter { !$0.allSatisfy(\.isWhitespace) }
    }
    guard !docs.isEmpty else { throw FSMDecodeError(.io, "\(path): the corpus has no text") }
    return docs
}

/// A progress line on stderr, redrawn in place when stderr is a terminal, silent otherwise.
final class Progress {
    let total: Int
    let label: String
    let interactive = isatty(2) != 0
    private var done = 0

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func advance() {
        done += 1
        if interactive { FileHandle.standardError.write(Data("\r\(done)/\(total) \(label)".utf8)) }
    }

    func note(_ text: String) {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        printError(text)
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
