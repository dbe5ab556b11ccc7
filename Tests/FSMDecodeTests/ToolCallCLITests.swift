import FSMDecode
import Foundation
import Testing

/// `--tools` through the built binary: validate, compile, mask and generate accept it.
@Suite struct ToolCallCLITests {
    let tools = TestSupport.repoRoot + "/Grammars/tools/weather-tools.json"
    let vocab = TestSupport.repoRoot + "/Grammars/demo/tokenizer.json"

    func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String)? {
        guard EncoderCLITests.binary != nil else {
            print("skipping: the fsmdecode binary was not found beside the tests (run `swift build` first)")
            return nil
        }
        return try EncoderCLITests().run(args)
    }

    @Test func validateJudgesCallsInEveryFormat() throws {
        let cases: [(format: String, extra: [String], good: String, bad: String)] = [
            ("openai", [], #"{"name":"get_weather","arguments":{"city":"Oslo"}}"#, #"{"name":"get_weather","arguments":{"unit":"celsius"}}"#),
            ("llama3", ["--parallel-calls"], #"[{"name":"search_web","parameters":{"query":"q"}}]"#, #"[{"name":"search_web","parameters":{"query":"q","max_results":99}}]"#),
            ("hermes", ["--tool-choice", "auto"], "So: <tool_call>\n{\"name\":\"send_email\",\"arguments\":{\"to\":\"a@b.io\",\"subject\":\"S\",\"body\":\"\"}}\n</tool_call>",
             "So: <tool_call>\n{\"name\":\"send_mail\",\"arguments\":{}}\n</tool_call>"),
        ]
        for c in cases {
            let base = ["validate", "--tools", tools, "--tool-format", c.format, "--whitespace", "compact"] + c.extra
            guard let good = try run(base + ["--text", c.good]), let bad = try run(base + ["--text", c.bad]) else { return }
            #expect(good.status == 0, "\(c.format): \(good.stderr)")
            #expect(bad.status == 1 && bad.stderr.contains("no match"), "\(c.format): \(bad.stderr)")
        }
    }

    @Test func errorsAndConstraintCounting() throws {
        guard let unknown = try run(["validate", "--tools", tools, "--tool-choice", "get_time", "--text", "x"]) else { return }
        #expect(unknown.status == 1 && unknown.stderr.contains("tool_choice 'get_time' names no declared function"))
        let two = try run(["validate", "--tools", tools, "--any-json", "--text", "x"])!
        #expect(two.status != 0 && two.stderr.contains("exactly one constraint"))
        let format = try run(["validate", "--tools", tools, "--tool-format", "xml", "--text", "x"])!
        #expect(format.status != 0 && format.stderr.contains("--tool-format must be openai, hermes or llama3"))
    }

    @Test func compileMaskAndGenerate() throws {
        guard let compile = try run(["compile", "--vocab", vocab, "--tools", tools, "--whitespace", "compact", "--lazy", "--json"]) else { return }
        #expect(compile.status == 0, "\(compile.stderr)")
        #expect(compile.stdout.contains("\"tools\":[\"get_weather\",\"search_web\",\"send_email\",\"create_event\"]"), "\(compile.stdout)")
        let mask = try run(["mask", "--vocab", vocab, "--tools", tools, "--tool-format", "hermes", "--prefix", "Hi <tool_call>"])!
        #expect(mask.status == 0 && mask.stdout.contains("forced continuation \"\\n\""), "\(mask.stdout)")
        let gen = try run(["generate", "--vocab", vocab, "--backend", "ngram", "--corpus", TestSupport.repoRoot + "/Grammars/demo/corpus.txt",
                           "--tools", tools, "--whitespace", "compact", "-n", "3", "--seed", "1", "--repetition-penalty", "1.3", "--json"])!
        #expect(gen.status == 0, "\(gen.stderr)")
        #expect(gen.stdout.contains("\"valid_rate\":1.0000"), "\(gen.stdout.prefix(300))")
    }
}
