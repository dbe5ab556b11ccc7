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

    /// `compile --print-grammar` shows what a schema compiles to: the start rule, one member
    /// rule per declared property, each `<json lexeme>` told apart by its index; in the JSON
    /// object too. A regex has no grammar: a usage error.
    @Test func compilePrintsTheGrammarOfASchema() throws {
        let schema = TestSupport.repoRoot + "/Grammars/schemas/person.schema.json"
        let base = ["compile", "--vocab", vocab, "--json-schema", schema, "--whitespace", "compact", "--lazy", "--print-grammar"]
        guard let text = try run(base) else { return }
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("* ") == true, "\(text.stdout.prefix(200))")
        for key in ["name", "age", "email", "city", "active", "tags"] {
            #expect(lines.contains { $0.contains("::= (JSON \"\(key)\") \":\"") }, "no member rule for \(key)")
        }
        let lexemes = lines.filter { $0.hasPrefix("  <json lexeme>#") && $0.contains(" : ") }
        #expect(lexemes.count >= 3 && Set(lexemes.map { $0.components(separatedBy: " : ")[0] }).count == lexemes.count, "\(lexemes)")
        #expect(lines.contains { $0.hasPrefix("grammar ") }, "the summary follows the listing")
        let json = try run(base + ["--json"])!
        #expect(json.status == 0 && json.stdout.contains("\"grammar\":\"* root"), "\(json.stdout.prefix(300))")
        let regex = try run(["compile", "--vocab", vocab, "--regex", "a+", "--print-grammar"])!
        #expect(regex.status == 64 && regex.stderr.contains("--print-grammar: a regular expression has no grammar"), "\(regex.stderr)")
        let out = try run(base + ["--out", NSTemporaryDirectory() + "fsmdecode-never-written.fsmd"])!
        #expect(out.status == 64 && out.stderr.contains("--out: artifacts are written for --regex constraints only"), "\(out.stderr)")
    }
}
