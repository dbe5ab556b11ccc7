import ArgumentParser
import FSMDecode
import Foundation

struct TrainVocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-vocab",
        abstract: "Train a small byte-level BPE vocabulary on a text corpus and write tokenizer.json (+ tokenizer_config.json).")

    @Option(name: .long, help: "UTF-8 text file to train on.")
    var corpus: String

    @Option(name: .long, help: "Vocabulary size, including the 256 byte tokens and the end-of-text token.")
    var size: Int = 1024

    @Option(name: .long, help: "Output directory (created if missing).")
    var out: String

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let text = try readFile(corpus)
            let start = Date()
            let result = try BPETrainer.train(corpus: text, vocabularySize: size)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try Data(result.tokenizerJSON.utf8).write(to: URL(fileURLWithPath: out + "/tokenizer.json"))
            try Data(result.configJSON.utf8).write(to: URL(fileURLWithPath: out + "/tokenizer_config.json"))
            print("trained \(result.pieces.count + 1) tokens (\(result.merges.count) merges) on \(humanCount(text.count, bytes: true)) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s → \(out)/tokenizer.json")
        }
    }
}
