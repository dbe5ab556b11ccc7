import ArgumentParser
import FSMDecode

/// The `<constraint>` flags shared by compile, mask, validate, dot, decode and generate.
/// Exactly one constraint source must be given. Later constraint kinds (--json-schema,
/// --any-json, --tools) are added here, once, for every subcommand.
struct ConstraintFlags: ParsableArguments {
    @Option(name: .long, help: "A regular expression (ECMA-262 subset, as JSON Schema `pattern`); the whole output must match.")
    var regex: String?

    @Option(name: .long, help: "A GBNF grammar file (llama.cpp syntax, start rule `root`).")
    var grammar: String?

    @Option(name: .long, help: "A Lark grammar file (start rule `start`).")
    var lark: String?

    @Flag(name: .customLong("dot-all"), help: "Regex: `.` also matches line terminators.")
    var dotAll = false

    func validate() throws {
        let given = [regex != nil, grammar != nil, lark != nil].filter { $0 }.count
        if given == 0 { throw ValidationError("give a constraint: --regex R, --grammar F.gbnf or --lark F.lark") }
        if given > 1 { throw ValidationError("give exactly one constraint") }
    }

    /// The grammar named by --grammar/--lark (nil for --regex).
    func loadGrammar() throws -> Grammar? {
        if let grammar { return try Grammar.gbnf(bytes: try readFile(grammar), file: grammar) }
        if let lark { return try Grammar.lark(bytes: try readFile(lark), file: lark) }
        return nil
    }

    /// Compiles the constraint against `vocabulary` (regular masks filled as `mode` says).
    func compile(vocabulary: Vocabulary, mode: MaskStoreMode = .lazy) throws -> Constraint {
        if let g = try loadGrammar() { return try Constraint.compile(grammar: g, vocabulary: vocabulary, mode: mode) }
        let dfa = try RegexCompiler.compile(regex!, options: RegexOptions(dotAll: dotAll))
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
