import FSMDecode
import Foundation
import Testing

/// Runs the built `fsmdecode` binary (it sits beside the test bundle in the build folder).
@Suite struct EncoderCLITests {
    static let binary: String? = {
        var candidates: [String] = []
        for p in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            var url = URL(fileURLWithPath: p).deletingLastPathComponent()
            for _ in 0..<4 {
                candidates.append(url.appendingPathComponent("fsmdecode").path)
                url.deleteLastPathComponent()
            }
        }
        candidates.append(TestSupport.repoRoot + "/.build/debug/fsmdecode")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary!)
        process.arguments = args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The ids of a `--json` output line.
    func ids(_ json: String) throws -> [Int32] {
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let ids = try #require(obj["ids"] as? [Int])
        #expect(obj["count"] as? Int == ids.count)
        #expect((obj["pieces"] as? [String])?.count == ids.count)
        return ids.map { Int32($0) }
    }

    @Test func tokenizeTextThatBeginsWithADash() throws {
        guard let vocab = TestSupport.shared("vocab/gpt2/tokenizer.json") else {
            print("skipping: \(TestSupport.sharedRoot)/vocab/gpt2/tokenizer.json not found"); return
        }
        guard Self.binary != nil else {
            print("skipping: the fsmdecode binary was not found beside the test bundle (\(CommandLine.arguments.first ?? "?"))"); return
        }
        let encoder = try TokenEncoder(vocabulary: try #require(TestSupport.vocabulary("gpt2")))
        let afterDashes = try run(["tokenize", "--vocab", vocab, "--json", "--", "-1"])
        #expect(afterDashes.status == 0, "\(afterDashes.stderr)")
        #expect(try ids(afterDashes.stdout) == encoder.encode("-1"))
        let attached = try run(["tokenize", "--vocab", vocab, "--json", "--text=-1 x"])
        #expect(attached.status == 0, "\(attached.stderr)")
        #expect(try ids(attached.stdout) == encoder.encode("-1 x"))
        let human = try run(["tokenize", "--vocab", vocab, "--add-special", "Hello"])
        #expect(human.status == 0, "\(human.stderr)")
        #expect(human.stdout.contains("50256  \"<|endoftext|>\"") && human.stdout.contains("\"Hello\""), "\(human.stdout)")
    }

    @Test func tokenizeErrorsAreOneLine() throws {
        guard Self.binary != nil else {
            print("skipping: the fsmdecode binary was not found beside the test bundle"); return
        }
        let missing = try run(["tokenize", "--vocab", "/nonexistent/tokenizer.json", "x"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/tokenizer.json"))
        #expect(missing.stderr.split(separator: "\n").count == 1)
        let noText = try run(["tokenize", "--vocab", "/nonexistent/tokenizer.json"])
        #expect(noText.status != 0 && noText.status != 1)   // usage error, not a crash
    }
}
