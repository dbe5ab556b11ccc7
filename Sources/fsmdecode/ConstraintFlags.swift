import ArgumentParser
import FSMDecode

/// The `<constraint>` flags shared by compile, mask, validate, dot, decode and generate.
/// Exactly one constraint source must be given. New constraint kinds are added here, once,
/// for every subcommand.
struct ConstraintFlags: ParsableArguments {
    @Option(name: .long, help: "A regular expression (ECMA-262 subset, as JSON Schema `pattern`); the whole output must match.")
    var regex: String?

    @Option(name: .long, help: "A GBNF grammar file (llama.cpp syntax, start rule `root`).")
    var grammar: String?

    @Option(name: .long, help: "A Lark grammar file (start rule `start`).")
    var lark: String?

    @Option(name: .customLong("json-schema"), help: "A JSON Schema file (draft 7 or 2020-12; `$schema` decides, 2020-12 by default).")
    var jsonSchema: String?

    @Flag(name: .customLong("any-json"), help: "Any JSON value (the empty schema).")
    var anyJSON = false

    @Option(name: .long, help: "An OpenAI-style tool list (JSON: an array of tools or {\"tools\": [...]}); the output is a tool call (see --tool-format, --tool-choice).")
    var tools: String?

    @Option(name: .customLong("tool-format"), help: "Tool-call syntax: openai ({\"name\":…,\"arguments\":{…}}), hermes (<tool_call>\\n{…}\\n</tool_call>) or llama3 ({\"name\":…,\"parameters\":{…}}).")
    var toolFormat: String = "openai"

    @Option(name: .customLong("tool-choice"), help: "auto (free text or a call), none (free text only), required (a call), or a function name (a call to it).")
    var toolChoice: String = "required"

    @Flag(name: .customLong("parallel-calls"), help: "Allow several calls (a JSON array; hermes: several blocks).")
    var parallelCalls = false

    @Option(name: .customLong("tool-trigger"), help: "Free text may precede the call up to this string (hermes default: <tool_call>; 'none' for no trigger).")
    var toolTrigger: String?

    @Option(name: .customLong("tool-trigger-token"), help: "As --tool-trigger, but a special token of the vocabulary named by its text (e.g. <|python_tag|>).")
    var toolTriggerToken: String?
    @Option(name: .long, help: "A compiled regular constraint written by `compile --out` (checked against --vocab).")
    var artifact: String?

    @Flag(name: .customLong("dot-all"), help: "Regex: `.` also matches line terminators.")
    var dotAll = false

    @Option(name: .long, help: ArgumentHelp(
        "JSON whitespace: compact (none), flexible[=N] (JSON whitespace between tokens, at most N bytes in a row; default 20), indent[=N] (pretty, N spaces; default 2).",
        valueName: "policy"))
    var whitespace: String = "flexible"

    @Flag(name: .long, help: "JSON Schema: relax what cannot be honoured exactly, with a warning for each relaxation, instead of failing.")
    var lenient = false

    @Option(name: .customLong("max-depth"), help: "JSON Schema: deepest nesting of recursive schemas (default: unbounded; indent layout: required).")
    var maxDepth: Int?

    func validate() throws {
        let given = [regex != nil, grammar != nil, lark != nil, jsonSchema != nil, anyJSON, tools != nil, artifact != nil].filter { $0 }.count
        if given == 0 { throw ValidationError("give a constraint: --regex R, --grammar F.gbnf, --lark F.lark, --json-schema F, --any-json, --tools F or --artifact F") }
        if given > 1 { throw ValidationError("give exactly one constraint") }
        _ = try whitespacePolicy()
        if tools != nil { _ = try toolOptions() }
    }

    func whitespacePolicy() throws -> JSONSchemaOptions.Whitespace {
        let parts = whitespace.split(separator: "=", maxSplits: 1).map(String.init)
        let n = parts.count == 2 ? Int(parts[1]) : nil
        if parts.count == 2 && (n == nil || n! < 0) { throw ValidationError("--whitespace \(whitespace): the count must be a non-negative integer") }
        switch parts[0] {
        case "compact" where parts.count == 1: return .compact
        case "flexible": return .flexible(maxRun: n ?? 20)
        case "indent": return .indent(n ?? 2)
        default: throw ValidationError("--whitespace must be compact, flexible[=N] or indent[=N], not '\(whitespace)'")
        }
    }

    /// The JSON Schema compilation for --json-schema/--any-json (nil otherwise). Warnings
    /// (lenient relaxations, ignored unknown keywords) go to stderr unless `quiet`.
    func loadSchema(quiet: Bool = false) throws -> JSONSchemaCompilation? {
        guard jsonSchema != nil || anyJSON else { return nil }
        let options = JSONSchemaOptions(whitespace: try whitespacePolicy(), lenient: lenient, maxNestingDepth: maxDepth)
        let compilation: JSONSchemaCompilation
        if let jsonSchema {
            let doc = try JSONDocument(contentsOfFile: jsonSchema)
            compilation = try JSONSchemaCompiler.compile(doc.value, source: jsonSchema, options: options)
        } else {
            let doc = try JSONDocument(bytes: Array("{}".utf8), source: "--any-json")
            compilation = try JSONSchemaCompiler.compile(doc.value, source: "--any-json", options: options)
        }
        if !quiet { for w in compilation.warnings { printError("fsmdecode: warning: \(w)") } }
        return compilation
    }

    /// The tool-call options from --tool-format, --tool-choice, --parallel-calls, --tool-trigger(-token), --whitespace, --lenient, --max-depth.
    func toolOptions() throws -> ToolCallOptions {
        guard let format = ToolCallOptions.Format(rawValue: toolFormat) else {
            throw ValidationError("--tool-format must be openai, hermes or llama3, not '\(toolFormat)'")
        }
        let choice: ToolCallOptions.Choice
        switch toolChoice {
        case "auto": choice = .auto
        case "none": choice = .none
        case "required": choice = .required
        case "": throw ValidationError("--tool-choice must be auto, none, required or a function name")
        default: choice = .function(toolChoice)
        }
        if toolTrigger != nil && toolTriggerToken != nil { throw ValidationError("give --tool-trigger or --tool-trigger-token, not both") }
        let trigger: ToolCallOptions.Trigger
        if let toolTriggerToken { trigger = .token(toolTriggerToken) }
        else if let toolTrigger { trigger = toolTrigger == "none" ? .none : .text(toolTrigger) }
        else { trigger = .formatDefault }
        return ToolCallOptions(format: format, parallel: parallelCalls, toolChoice: choice, trigger: trigger,
                               whitespace: try whitespacePolicy(), lenient: lenient, maxNestingDepth: maxDepth)
    }

    /// The compiled tool list for --tools (nil otherwise). Warnings go to stderr unless `quiet`.
    func loadTools(quiet: Bool = false) throws -> ToolCallCompilation? {
        guard let tools else { return nil }
        let doc = try JSONDocument(contentsOfFile: tools)
        let compilation = try ToolCallCompiler.compile(tools: doc.value, source: tools, options: try toolOptions())
        if !quiet { for w in compilation.warnings { printError("fsmdecode: warning: \(w)") } }
        return compilation
    }

    /// The --regex pattern; an error for --artifact, whose source is not kept (validate, dot and
    /// compile need the constraint itself).
    func regexSource() throws -> String {
        guard let regex else {
            throw FSMDecodeError(.usage, "--artifact \(artifact ?? ""): this subcommand needs the constraint itself (--regex, --grammar, ...), not a compiled artifact")
        }
        return regex
    }

    /// The grammar named by --grammar/--lark/--json-schema/--any-json/--tools (nil for --regex and --artifact).
    func loadGrammar() throws -> Grammar? {
        if let grammar { return try Grammar.gbnf(bytes: try readFile(grammar), file: grammar) }
        if let lark { return try Grammar.lark(bytes: try readFile(lark), file: lark) }
        if tools != nil { return try loadTools()?.grammar }
        return try loadSchema()?.grammar
    }

    /// Compiles the constraint against `vocabulary` (regular masks filled as `mode` says).
    func compile(vocabulary: Vocabulary, mode: MaskStoreMode = .lazy) throws -> Constraint {
        if let artifact { return .regular(try RegexConstraint.load(path: artifact, vocabulary: vocabulary)) }
        if let g = try loadGrammar() { return try Constraint.compile(grammar: g, vocabulary: vocabulary, mode: mode) }
        let dfa = try RegexCompiler.compile(try regexSource(), options: RegexOptions(dotAll: dotAll))
        return .regular(RegexConstraint(dfa: dfa, vocabulary: vocabulary, mode: mode))
    }

    /// 256 one-byte tokens: the vocabulary grammar checks run against when no model
    /// vocabulary is involved (validate, dot).
    static func byteVocabulary() throws -> Vocabulary {
        try Vocabulary(kind: .plain, source: "<bytes>",
                       tokens: (0..<256).map { b in ([UInt8(b)], "<0x\(String(b, radix: 16))>", TokenFlags()) },
                       bosID: nil, eosIDs: [])
    }
}
