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

    /// Library errors become one line on stderr and exit code 1; usage errors stay exit 2.
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
