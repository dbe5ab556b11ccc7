import ArgumentParser
import FSMDecode

/// The `<constraint>` flags shared by compile, mask, validate, dot, decode and generate.
/// Exactly one constraint source must be given. Later constraint kinds (--grammar, --lark,
/// --json-schema, --any-json, --tools) are added here, once, for every subcommand.
struct ConstraintFlags: ParsableArguments {
    @Option(name: .long, help: "A regular expression (ECMA-262 subset, as JSON Schema `pattern`); the whole output must match.")
    var regex: String?

    @Flag(name: .customLong("dot-all"), help: "Regex: `.` also matches line terminators.")
    var dotAll = false

    func validate() throws {
        let given = [regex != nil].filter { $0 }.count
        if given == 0 { throw ValidationError("give a constraint: --regex R") }
        if given > 1 { throw ValidationError("give exactly one constraint") }
    }

    /// Compiles the constraint against `vocabulary` (masks filled lazily, on first visit).
    func compile(vocabulary: Vocabulary) throws -> RegexConstraint {
        let dfa = try RegexCompiler.compile(regex!, options: RegexOptions(dotAll: dotAll))
        return RegexConstraint(dfa: dfa, vocabulary: vocabulary, mode: .lazy)
    }
}
