import ArgumentParser
import FSMDecode

/// `fsmdecode dot <constraint>`: the minimal DFA (regex) or the grammar's lexer DFAs as
/// Graphviz DOT on stdout. Grammar lexers are built on demand, so `--prefix` text (parsed
/// first) shows the lexers met along it; without it, the start lexer.
struct DotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dot", abstract: "Print a constraint's byte DFA (regex) or lexer DFAs (grammar) as Graphviz DOT.")

    @OptionGroup var constraint: ConstraintFlags

    @Option(name: .long, help: "Grammar: parse this text first, so the lexers it meets are shown too.")
    var prefix: String = ""

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            if let g = try constraint.loadGrammar() {
                let v = try ConstraintFlags.byteVocabulary()
                let c = try GrammarConstraint(grammar: g, vocabulary: v)
                var m = c.makeMatcher()
                _ = m.accept(bytes: Array(prefix.utf8))
                print(c.lexerDOT(), terminator: "")
                return
            }
            let dfa = try RegexCompiler.compile(try constraint.regexSource(), options: RegexOptions(dotAll: constraint.dotAll))
            print(dfa.dot(name: "regex"), terminator: "")
        }
    }
}
