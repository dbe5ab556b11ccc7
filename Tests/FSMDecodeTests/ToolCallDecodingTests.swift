import FSMDecode
import Foundation
import Testing

/// End to end: the decoder with the built-in n-gram backend (trained on Grammars/demo/corpus.txt)
/// on the demo vocabulary, constrained by Grammars/tools/weather-tools.json, against the same
/// runs unconstrained. Outputs are judged by an independent checker (json-c parse + the
/// weather tools' parameter rules written out by hand), not by the engine.
@Suite struct ToolCallDecodingTests {
    static let toolsPath = TestSupport.repoRoot + "/Grammars/tools/weather-tools.json"

    static let model: NGramModel = {
        let text = String(decoding: try! readFile(TestSupport.repoRoot + "/Grammars/demo/corpus.txt"), as: UTF8.self)
        let docs = text.components(separatedBy: "\n\n").filter { !$0.allSatisfy(\.isWhitespace) }
        let v = ToolTest.demo
        return try! NGramModel(sequences: docs.map { ToolTest.demoEncoder.encode($0) }, width: v.maskWidth,
                               allowed: (0..<v.maskWidth).map { v.isGrammarToken($0) }, eos: v.eosIDs.first, order: 4)
    }()

    /// Why `text` is not a valid weather-tools call in `format` (nil: valid).
    static func problem(_ text: String, format: ToolCallOptions.Format) -> String? {
        var body = text
        if format == .hermes {
            guard body.hasPrefix("<tool_call>\n"), body.hasSuffix("\n</tool_call>") else { return "not a <tool_call> block" }
            body = String(body.dropFirst("<tool_call>\n".count).dropLast("\n</tool_call>".count))
        }
        guard let call = try? JSONDocument(bytes: Array(body.utf8), source: "<output>").value, call.kind == .object else { return "not a JSON object" }
        let argsKey = format == .llama3 ? "parameters" : "arguments"
        guard Set(call.members.map(\.0)) == ["name", argsKey] else { return "members are not name and \(argsKey)" }
        guard let name = call["name"]?.string else { return "name is not a string" }
        guard let args = call[argsKey], args.kind == .object else { return "\(argsKey) is not an object" }
        let keys = Set(args.members.map(\.0))
        func string(_ k: String) -> String? { args[k]?.string }
        func pattern(_ p: String, _ s: String) -> Bool { (try? PCRE2Pattern(p))?.matchesWhole(Array(s.utf8)) ?? false }
        switch name {
        case "get_weather":
            guard keys.isSubset(of: ["city", "unit"]), let city = string("city"), !city.isEmpty else { return "bad get_weather arguments" }
            if keys.contains("unit"), !["celsius", "fahrenheit"].contains(string("unit") ?? "") { return "bad unit" }
        case "search_web":
            guard keys.isSubset(of: ["query", "max_results"]), let q = string("query"), !q.isEmpty else { return "bad search_web arguments" }
            if keys.contains("max_results") {
                guard let n = args["max_results"]?.double, n == n.rounded(), (1...20).contains(n) else { return "bad max_results" }
            }
        case "send_email":
            guard keys == ["to", "subject", "body"], let to = string("to"), let subject = string("subject"), string("body") != nil,
                  !subject.isEmpty, pattern("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}", to)
            else { return "bad send_email arguments" }
        case "create_event":
            guard keys.isSubset(of: ["title", "date", "attendees"]), keys.isSuperset(of: ["title", "date"]),
                  let title = string("title"), !title.isEmpty, pattern("[0-9]{4}-[0-9]{2}-[0-9]{2}", string("date") ?? "")
            else { return "bad create_event arguments" }
            if keys.contains("attendees") {
                guard let a = args["attendees"]?.array, !a.isEmpty, a.allSatisfy({ !($0.string ?? "").isEmpty }) else { return "bad attendees" }
            }
        default: return "unknown function '\(name)'"
        }
        return nil
    }

    /// Runs `n` samples (seed + i, as `fsmdecode generate` does), constrained or not.
    static func run(_ options: ToolCallOptions, n: Int, seed: UInt64, unconstrained: Bool) throws -> [DecodeResult] {
        let tools = try ToolCallCompiler.compile(tools: try JSONDocument(contentsOfFile: toolsPath).value, source: toolsPath, options: options)
        let constraint = try Constraint.compile(grammar: tools.grammar, vocabulary: ToolTest.demo)
        return try (0..<n).map { i in
            var d = try Decoder(backend: model, matcher: constraint.makeMatcher(), vocabulary: ToolTest.demo, encoder: ToolTest.demoEncoder,
                                options: DecoderOptions(maxTokens: 256, sampler: SamplerConfig(repetitionPenalty: 1.3, seed: seed &+ UInt64(i)),
                                                        unconstrained: unconstrained))
            return d.run()
        }
    }

    @Test(arguments: [(ToolCallOptions.Format.openai, 20), (.hermes, 10), (.llama3, 10)])
    func ngramCallsAreValidOnlyWhenConstrained(format: ToolCallOptions.Format, n: Int) throws {
        let options = ToolCallOptions(format: format, toolChoice: .required, trigger: .none, whitespace: .compact)
        let constrained = try Self.run(options, n: n, seed: 1, unconstrained: false)
        let free = try Self.run(options, n: n, seed: 1, unconstrained: true)
        var valid = 0
        for r in constrained {
            #expect(r.error == nil)
            // Never a syntax error: a finished output is complete and valid.
            if r.stopReason == .eos || r.stopReason == .terminated { #expect(r.complete) }
            if let p = Self.problem(r.text, format: format) {
                Issue.record("\(format): constrained output is not a valid call (\(p), stop \(r.stopReason)): \(r.text)")
            } else {
                valid += 1
                #expect(r.complete && r.valid)
            }
        }
        let freeValid = free.filter { Self.problem($0.text, format: format) == nil }.count
        // The engine's own verdict agrees with the independent checker on the free runs too.
        for r in free where r.valid { #expect(Self.problem(r.text, format: format) == nil, "\(r.text)") }
        print("tool calls (\(format), n-gram, demo vocabulary, \(n) samples): constrained \(valid)/\(n) valid, unconstrained \(freeValid)/\(n) valid")
        #expect(valid == n)
        #expect(freeValid < n)
    }
}
