import ArgumentParser
import FSMDecode

/// `fsmdecode dot --regex R`: the minimal DFA as Graphviz DOT on stdout.
struct DotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dot", abstract: "Print a constraint's minimal byte DFA as Graphviz DOT.")

    @OptionGroup var constraint: ConstraintFlags

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let dfa = try RegexCompiler.compile(constraint.regex!, options: RegexOptions(dotAll: constraint.dotAll))
            print(dfa.dot(name: "regex"), terminator: "")
        }
    }
}
