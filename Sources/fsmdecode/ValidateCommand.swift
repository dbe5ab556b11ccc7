import ArgumentParser
import FSMDecode
import Foundation

/// `fsmdecode validate <constraint> (--text T | --file F) [--json]`: exit 0 when the whole text
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
            let bytes: [UInt8] = try text.map { Array($0.utf8) } ?? readFile(file!)
            let failure: ValidationFailure?
            var expected: [String] = []
            var indentation: String? = nil
            if let g = try constraint.loadGrammar() {
                let c = try Constraint.compile(grammar: g, vocabulary: try ConstraintFlags.byteVocabulary())
                var m = c.makeMatcher()
                let k = try m.checkedViablePrefixLength(bytes)
                _ = m.accept(bytes: Array(bytes[..<k]))
                failure = k == bytes.count && m.isAccepting ? nil : ValidationFailure.at(k, in: bytes, incomplete: k == bytes.count)
                if failure != nil { expected = m.expectedHere(); indentation = m.indentationProblem() }
            } else {
                let dfa = try RegexCompiler.compile(try constraint.regexSource(), options: RegexOptions(dotAll: constraint.dotAll))
                failure = dfa.validationFailure(bytes)
            }
            matched = failure == nil
            if json {
                var fields: [(String, String)] = [("match", "\(matched)"), ("bytes", "\(bytes.count)")]
                if let f = failure {
                    fields += [("offset", "\(f.offset)"), ("line", "\(f.line)"), ("column", "\(f.column)"),
                               ("incomplete", "\(f.incomplete)"), ("message", JSONOut.string(f.message)),
                               ("expected", JSONOut.array(expected.map(JSONOut.string))),
                               ("indentation", indentation.map(JSONOut.string) ?? "null")]
                }
                print(JSONOut.object(fields))
            } else if let f = failure {
                let source = file ?? "text"
                let hint = indentation.map { "; " + $0 } ?? (expected.isEmpty ? "" : "; expected " + expected.prefix(12).joined(separator: " | "))
                printError("fsmdecode: no match: \(source): \(f.message)\(hint)")
            } else {
                print("match (\(bytes.count) bytes)")
            }
        }
        if !matched { throw ExitCode(1) }
    }
}
