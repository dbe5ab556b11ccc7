import ArgumentParser
import Dispatch
import FSMDecode

/// `fsmdecode compile --vocab V --regex R [--eager|--lazy] [--out F] [--json]`: builds the
/// constraint, reports DFA states, distinct masks, mask-store bytes and time, and optionally
/// writes the compiled artifact (reload it with `RegexConstraint.load(path:vocabulary:)`).
/// For grammars, schemas and tool lists, `--print-grammar` shows the grammar they compile to.
struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile", abstract: "Compile a constraint against a vocabulary; report its size and cost.")

    @OptionGroup var vocabulary: VocabularyFlags
    @OptionGroup var constraint: ConstraintFlags

    @Flag(help: "Compute every state's mask now (default) or on first visit.")
    var mode: Mode = .eager

    enum Mode: String, EnumerableFlag {
        case eager, lazy
        static func help(for value: Mode) -> ArgumentHelp? {
            value == .eager ? "Compute every state's mask now (default)." : "Compute masks on first visit."
        }
    }

    @Option(name: .long, help: "Write the compiled artifact (DFA + mask store) to this file.")
    var out: String?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    @Flag(name: .customLong("print-grammar"),
          help: "Also print the grammar the constraint compiles to (a JSON Schema's or tool list's too): one production per line, then the terminals' patterns.")
    var printGrammar = false

    func validate() throws {
        let regular = constraint.regex != nil || constraint.artifact != nil
        if printGrammar && regular {
            throw ValidationError("--print-grammar: a regular expression has no grammar to print (`fsmdecode dot` shows its DFA)")
        }
        // Checked before any work: only --regex constraints have an artifact format.
        if out != nil && !regular {
            throw ValidationError("--out: artifacts are written for --regex constraints only, not for grammars, schemas or tool lists")
        }
    }

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let v = try vocabulary.load()
            if try compileGrammar(v) { return }
            let t0 = DispatchTime.now().uptimeNanoseconds
            let dfa = try RegexCompiler.compile(try constraint.regexSource(), options: RegexOptions(dotAll: constraint.dotAll))
            let t1 = DispatchTime.now().uptimeNanoseconds
            let compiled = RegexConstraint(dfa: dfa, vocabulary: v, mode: mode == .eager ? .eager : .lazy)
            let t2 = DispatchTime.now().uptimeNanoseconds
            let stats = compiled.store.statistics
            var artifactBytes: Int? = nil
            if let out {
                let data = ConstraintArtifact.serialize(compiled)
                try ConstraintArtifact.write(compiled, to: out)
                artifactBytes = data.count
            }
            let regexMs = Double(t1 - t0) / 1e6, storeMs = Double(t2 - t1) / 1e6
            if json {
                print(JSONOut.object([
                    ("mode", JSONOut.string(mode.rawValue)),
                    ("states", "\(stats.states)"),
                    ("byte_classes", "\(dfa.classCount)"),
                    ("computed_states", "\(stats.computedStates)"),
                    ("distinct_masks", "\(stats.distinctMasks)"),
                    ("bitsets", "\(stats.bitsets)"),
                    ("accept_lists", "\(stats.acceptLists)"),
                    ("reject_lists", "\(stats.rejectLists)"),
                    ("mask_store_bytes", "\(stats.bytes)"),
                    ("regex_ms", String(format: "%.3f", regexMs)),
                    ("mask_store_ms", String(format: "%.3f", storeMs)),
                    ("compile_ms", String(format: "%.3f", regexMs + storeMs)),
                    ("artifact", out.map(JSONOut.string) ?? "null"),
                    ("artifact_bytes", artifactBytes.map { "\($0)" } ?? "null"),
                ]))
                return
            }
            print("DFA          \(humanCount(stats.states)) states, \(dfa.classCount) byte classes (\(String(format: "%.1f", regexMs)) ms)")
            print("mask store   \(mode.rawValue): \(humanCount(stats.computedStates)) states computed, \(humanCount(stats.distinctMasks)) distinct masks "
                + "(\(stats.bitsets) bitsets, \(stats.acceptLists) accept lists, \(stats.rejectLists) reject lists), "
                + "\(humanCount(stats.bytes, bytes: true)) (\(String(format: "%.1f", storeMs)) ms)")
            print("compile      \(String(format: "%.1f", regexMs + storeMs)) ms against \(v.maskWidth)-wide masks")
            if let out, let n = artifactBytes { print("artifact     \(out) (\(humanCount(n, bytes: true)))") }
        }
    }

    /// --grammar/--lark: compiles the grammar (to a regex constraint when it is regular) and
    /// reports its size and cost; false when the constraint is a --regex.
    private func compileGrammar(_ v: Vocabulary) throws -> Bool {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let schema = try constraint.loadSchema(quiet: true)
        let tools = try constraint.loadTools(quiet: true)
        guard let g = try schema?.grammar ?? tools?.grammar ?? constraint.loadGrammar() else { return false }
        let keywords = schema?.keywordsUsed ?? tools?.keywordsUsed
        let warnings = schema?.warnings ?? tools?.warnings ?? g.warnings
        let t1 = DispatchTime.now().uptimeNanoseconds
        let c = try Constraint.compile(grammar: g, vocabulary: v, mode: mode == .eager ? .eager : .lazy)
        let t2 = DispatchTime.now().uptimeNanoseconds
        let parseMs = Double(t1 - t0) / 1e6, compileMs = Double(t2 - t1) / 1e6
        let kind: String, lexers: Int
        switch c {
        case .regular(let r): kind = "regular"; lexers = r.dfa.stateCount
        case .grammar(let gc): kind = "context-free"; lexers = gc.lexerCount
        }
        if json {
            print(JSONOut.object([
                ("kind", JSONOut.string(kind)), ("rules", "\(g.rules.count)"), ("terminals", "\(g.terminals.count)"),
                ("productions", "\(g.productionCount)"), (kind == "regular" ? "states" : "lexers", "\(lexers)"),
                ("parse_ms", String(format: "%.3f", parseMs)), ("compile_ms", String(format: "%.3f", parseMs + compileMs)),
                ("keywords_used", keywords.map { JSONOut.array($0.map(JSONOut.string)) } ?? "null"),
                ("tools", tools.map { JSONOut.array($0.tools.map { JSONOut.string($0.name) }) } ?? "null"),
                ("indentation", g.indentationSummary.map(JSONOut.string) ?? "null"),
                ("warnings", JSONOut.array(warnings.map(JSONOut.string))),
            ] + (printGrammar ? [("grammar", JSONOut.string(g.listing))] : [])))
            return true
        }
        if printGrammar { print(g.listing) }
        print("grammar      \(g.source): \(g.rules.count) rules, \(g.terminals.count) terminals, \(g.productionCount) productions (\(String(format: "%.1f", parseMs)) ms)")
        print("runtime      \(kind): \(kind == "regular" ? "\(lexers) DFA states" : "\(lexers) lexer(s) built so far, more on first use") (\(String(format: "%.1f", compileMs)) ms)")
        if let summary = g.indentationSummary { print("indentation  \(summary)") }
        if let tools { print("tools        \(tools.tools.count) function(s): \(tools.tools.map(\.name).joined(separator: ", "))") }
        if let keywords { print("keywords     \(keywords.isEmpty ? "none" : keywords.joined(separator: ", "))") }
        for w in warnings { print("warning      \(w)") }
        return true
    }
}
