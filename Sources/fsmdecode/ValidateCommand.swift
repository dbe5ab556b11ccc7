import ArgumentParser
import FSMDecode
import Foundation

/// `fsmdecode validate --regex R (--text T | --file F) [--json]`: exit 0 when the whole text
/// matches, 1 with the byte offset (and line:column) where it stopped matching otherwise.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check that a whole text matches a constraint.")

    @OptionGroup var constraint: ConstraintFlags

    @Option(name: .long, help: "The text to check (use --text=VALUE for values starting with '-').")
    var text: String?

    @Option(name: .long, help: "A file whose bytes are checked.")
    var file: String?

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if (text == nil) == (file == nil) { throw ValidationError("give exactly one of --text T or --file F") }
    }

    func run() throws {
        var matched = false
        try FSMDecodeCommand.runReportingErrors {
            let dfa = try RegexCompiler.compile(constraint.regex!, options: RegexOptions(dotAll: constraint.dotAll))
            let bytes: [UInt8] = try text.map { Array($0.utf8) } ?? readFile(file!)
            let failure = dfa.validationFailure(bytes)
            matched = failure == nil
            if json {
                var fields: [(String, String)] = [("match", "\(matched)"), ("bytes", "\(bytes.count)")]
                if let f = failure {
                    fields += [("offset", "\(f.offset)"), ("line", "\(f.line)"), ("column", "\(f.column)"),
                               ("incomplete", "\(f.incomplete)"), ("message", JSONOut.string(f.message))]
                }
                print(JSONOut.object(fields))
            } else if let f = failure {
                let source = file ?? "text"
                printError("fsmdecode: no match: \(source): \(f.message)")
            } else {
                print("match (\(bytes.count) bytes)")
            }
        }
        if !matched { throw ExitCode(1) }
    }
}
