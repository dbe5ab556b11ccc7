import ArgumentParser
import FSMDecode
import Foundation

@main
struct FSMDecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsmdecode",
        abstract: "Grammar-constrained decoding: exact token masks for regexes, grammars and JSON Schemas.",
        subcommands: [VocabCommand.self, TokenizeCommand.self, CompileCommand.self, MaskCommand.self,
                      ValidateCommand.self, DotCommand.self, DecodeCommand.self, GenerateCommand.self,
                      TrainVocabCommand.self, BenchCommand.self])

    /// Arguments reach Swift as Strings, with invalid UTF-8 silently replaced by U+FFFD, so a
    /// `--text` or `--regex` holding such bytes would be checked as different text. They are
    /// refused instead (binary text goes through `--file`).
    static func main() {
        for i in 1..<Int(CommandLine.argc) {
            guard let arg = CommandLine.unsafeArgv[i] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(arg).assumingMemoryBound(to: UInt8.self), count: strlen(arg))
            guard String(validating: bytes, as: UTF8.self) == nil else { continue }
            var decoder = UTF8(), it = bytes.makeIterator(), offset = 0
            loop: while true {
                switch decoder.decode(&it) {
                case .scalarValue(let s): offset += UTF8.width(s)
                case .emptyInput, .error: break loop
                }
            }
            printError("fsmdecode: error: argument \(i) is not valid UTF-8 (byte offset \(offset)); give binary text with --file")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        main(nil)
    }

    /// Library errors become one line on stderr and exit code 1; usage errors (the argument
    /// parser's) stay exit 64, EX_USAGE.
    static func runReportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as FSMDecodeError {
            printError("fsmdecode: error: \(error.message)")
            throw ExitCode(1)
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
