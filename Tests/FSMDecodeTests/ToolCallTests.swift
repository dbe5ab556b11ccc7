import FSMDecode
import Foundation
import Testing

/// Tool-call constraints: tool-list parsing and errors, the three formats, parallel calls,
/// tool_choice, trigger mode and free text, checked through the real runtime.
@Suite struct ToolCallTests {
    static let weather = """
        [{"type": "function", "function": {"name": "get_weather", "description": "Weather.",
          "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "minLength": 1},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"], "additionalProperties": false}}},
         {"type": "function", "function": {"name": "search_web",
          "parameters": {"type": "object", "properties": {
            "query": {"type": "string"},
            "max_results": {"type": "integer", "minimum": 1, "maximum": 20}},
            "required": ["query"], "additionalProperties": false}}},
         {"type": "function", "function": {"name": "ping"}}]
        """
    static let oslo = ("get_weather", #"{"city":"Oslo","unit":"celsius"}"#)
    static let search = ("search_web", #"{"query":"exact masks","max_results":20}"#)
    static let ping = ("ping", "{}")

    func options(_ format: ToolCallOptions.Format, parallel: Bool = false, choice: ToolCallOptions.Choice = .required,
                 trigger: ToolCallOptions.Trigger = .none, whitespace: JSONSchemaOptions.Whitespace = .compact) -> ToolCallOptions {
        ToolCallOptions(format: format, parallel: parallel, toolChoice: choice, trigger: trigger, whitespace: whitespace)
    }

    // MARK: formats

    @Test(arguments: ToolCallOptions.Format.allCases)
    func validCallsAreAcceptedAndInvalidOnesRejected(format: ToolCallOptions.Format) throws {
        let c = try ToolTest.compile(Self.weather, options(format))
        for call in [Self.oslo, Self.search, Self.ping, ("get_weather", #"{"city":"Zürich"}"#)] {
            let text = ToolTest.output([call], format, parallel: false)
            #expect(ToolTest.accepts(c, text), "\(format): \(text)")
        }
        let invalid: [(String, String)] = [
            ("get_wether", #"{"city":"Oslo"}"#),                       // unknown name
            ("get_weather", #"{"unit":"celsius"}"#),                   // missing required
            ("get_weather", #"{"city":42}"#),                          // wrong type
            ("get_weather", #"{"city":"Oslo","unit":"kelvin"}"#),      // not in the enum
            ("get_weather", #"{"city":"Oslo","country":"NO"}"#),       // undeclared argument
            ("search_web", #"{"query":"x","max_results":21}"#),        // above the maximum
            ("search_web", #"{"query":"x","max_results":2.5}"#),       // not an integer
            ("ping", #"{"x":1}"#),                                      // no parameters: {} only
            ("get_weather", #""Oslo""#),                               // arguments not an object
        ]
        for call in invalid {
            let text = ToolTest.output([call], format, parallel: false)
            #expect(!ToolTest.accepts(c, text), "\(format): \(text)")
        }
        // The other format's key, a missing arguments member, two calls, trailing text.
        let otherKey = format == .llama3 ? "arguments" : "parameters"
        var wrongKey = "{\"name\":\"ping\",\"\(otherKey)\":{}}"
        if format == .hermes { wrongKey = "<tool_call>\n\(wrongKey)\n</tool_call>" }
        #expect(!ToolTest.accepts(c, wrongKey))
        #expect(!ToolTest.accepts(c, format == .hermes ? "<tool_call>\n{\"name\":\"ping\"}\n</tool_call>" : "{\"name\":\"ping\"}"))
        #expect(!ToolTest.accepts(c, ToolTest.output([Self.oslo, Self.ping], format, parallel: true)))
        #expect(!ToolTest.accepts(c, ToolTest.output([Self.oslo], format, parallel: false) + " done"))
        // EOS (acceptance) exactly at the end, not before.
        let full = Array(ToolTest.output([Self.oslo], format, parallel: false).utf8)
        var m = c.makeMatcher()
        for (i, b) in full.enumerated() {
            #expect(!m.isAccepting, "accepting after \(i) bytes")
            let ok = m.accept(bytes: [b])
            #expect(ok)
        }
        #expect(m.isAccepting)
    }

    @Test(arguments: ToolCallOptions.Format.allCases)
    func parallelCalls(format: ToolCallOptions.Format) throws {
        let c = try ToolTest.compile(Self.weather, options(format, parallel: true))
        #expect(ToolTest.accepts(c, ToolTest.output([Self.oslo], format, parallel: true)))
        #expect(ToolTest.accepts(c, ToolTest.output([Self.oslo, Self.search, Self.ping], format, parallel: true)))
        #expect(!ToolTest.accepts(c, ToolTest.output([Self.oslo, ("nope", "{}")], format, parallel: true)))
        #expect(!ToolTest.accepts(c, ToolTest.output([Self.oslo, ("search_web", "{}")], format, parallel: true)))
        if format == .hermes {
            #expect(!ToolTest.accepts(c, ""))
            // Blocks are separated by exactly one newline.
            let two = ToolTest.output([Self.oslo, Self.ping], format, parallel: true)
            #expect(!ToolTest.accepts(c, two.replacingOccurrences(of: "</tool_call>\n<tool_call>", with: "</tool_call><tool_call>")))
        } else {
            #expect(!ToolTest.accepts(c, "[]"))
            #expect(!ToolTest.accepts(c, ToolTest.output([Self.oslo], format, parallel: false)))  // an array is required
        }
    }

    @Test func whitespacePolicies() throws {
        let flexible = try ToolTest.compile(Self.weather, options(.openai, whitespace: .flexible(maxRun: 4)))
        #expect(ToolTest.accepts(flexible, ToolTest.output([Self.oslo], .openai, parallel: false, spaced: true)))
        #expect(ToolTest.accepts(flexible, "{ \"name\" : \"ping\" ,\n \"arguments\" : { } }"))
        #expect(!ToolTest.accepts(flexible, "{\"name\":      \"ping\",\"arguments\":{}}"))  // a run of 6 > 4
        let compact = try ToolTest.compile(Self.weather, options(.openai))
        #expect(!ToolTest.accepts(compact, ToolTest.output([Self.oslo], .openai, parallel: false, spaced: true)))
        var o = options(.openai, parallel: true, whitespace: .indent(2))
        o.maxNestingDepth = 4
        let indent = try ToolTest.compile(Self.weather, o)
        let pretty = "[\n  {\n    \"name\": \"ping\",\n    \"arguments\": {}\n  }\n]"
        #expect(ToolTest.accepts(indent, pretty))
        #expect(!ToolTest.accepts(indent, "[{\"name\":\"ping\",\"arguments\":{}}]"))
    }

    // MARK: tool_choice

    @Test func toolChoiceVariants() throws {
        let named = try ToolTest.compile(Self.weather, options(.openai, choice: .function("search_web")))
        #expect(ToolTest.accepts(named, ToolTest.output([Self.search], .openai, parallel: false)))
        #expect(!ToolTest.accepts(named, ToolTest.output([Self.oslo], .openai, parallel: false)))

        let required = try ToolTest.compile(Self.weather, options(.openai))
        #expect(!ToolTest.accepts(required, "Hello"))
        #expect(!ToolTest.accepts(required, ""))

        let none = try ToolTest.compile(Self.weather, options(.openai, choice: .none))
        #expect(ToolTest.accepts(none, "Any text at all, even {\"name\": 1}"))
        #expect(ToolTest.accepts(none, ""))
        let noneHermes = try ToolTest.compile(Self.weather, options(.hermes, choice: .none, trigger: .formatDefault))
        #expect(ToolTest.accepts(noneHermes, "plain <tool_cal text"))
        #expect(!ToolTest.viable(noneHermes, "plain <tool_call>"))

        // auto without a trigger: text whose first non-space character opens a call is a call.
        let auto = try ToolTest.compile(Self.weather, options(.openai, choice: .auto))
        #expect(ToolTest.accepts(auto, "It is sunny in Oslo. {\"anything\": true}"))
        #expect(ToolTest.accepts(auto, ""))
        #expect(ToolTest.accepts(auto, "  \n"))
        #expect(ToolTest.accepts(auto, ToolTest.output([Self.oslo], .openai, parallel: false)))
        #expect(!ToolTest.accepts(auto, "{\"name\":\"nope\",\"arguments\":{}}"))
        #expect(!ToolTest.viable(auto, "  {\"x"))
        let autoParallel = try ToolTest.compile(Self.weather, options(.llama3, parallel: true, choice: .auto))
        #expect(ToolTest.accepts(autoParallel, "{not a call, arrays are}"))
        #expect(!ToolTest.viable(autoParallel, "[1"))
    }

    // MARK: trigger mode

    @Test(arguments: ToolCallOptions.Format.allCases)
    func freeTextUntilTheTrigger(format: ToolCallOptions.Format) throws {
        let trigger = ToolCallOptions.Trigger.text("<tool_call>")
        let auto = try ToolTest.compile(Self.weather, options(format, choice: .auto, trigger: trigger))
        let required = try ToolTest.compile(Self.weather, options(format, trigger: trigger))
        let parallel = try ToolTest.compile(Self.weather, options(format, parallel: true, trigger: trigger))
        // After the trigger: openai/llama3 write the JSON right after it; hermes continues the block.
        func triggered(_ calls: [(String, String)], parallel p: Bool = false) -> String {
            let body = ToolTest.output(calls, format, parallel: p)
            return format == .hermes ? body : "<tool_call>" + body
        }
        let nearMisses = "Let me check <tool_cal, <tool_call, <<tool_cal <tool-call> tool_call> <TOOL_CALL> <tool_callé. "
        #expect(ToolTest.accepts(auto, nearMisses))
        #expect(ToolTest.accepts(auto, ""))
        #expect(ToolTest.accepts(auto, nearMisses + triggered([Self.oslo])))
        #expect(ToolTest.accepts(auto, "<" + triggered([Self.oslo])))  // `<<tool_call>` overlaps the trigger
        #expect(!ToolTest.accepts(auto, nearMisses + "<tool_call>"))    // a trigger must be followed by a call
        #expect(!ToolTest.accepts(auto, nearMisses + triggered([("nope", "{}")])))
        #expect(!ToolTest.accepts(auto, nearMisses + triggered([Self.oslo]) + " more text"))
        #expect(!ToolTest.accepts(auto, nearMisses + triggered([Self.oslo, Self.ping], parallel: true)))
        #expect(!ToolTest.accepts(required, nearMisses))
        #expect(ToolTest.accepts(required, nearMisses + triggered([Self.ping])))
        #expect(ToolTest.accepts(required, triggered([Self.ping])))
        #expect(ToolTest.accepts(parallel, nearMisses + triggered([Self.oslo, Self.ping], parallel: true)))
        // Text after the calls is never allowed, even where more calls are.
        #expect(!ToolTest.accepts(parallel, nearMisses + triggered([Self.oslo, Self.ping], parallel: true) + "\nthanks"))
        // The same through the demo vocabulary's tokens.
        let demo = try ToolTest.compile(Self.weather, options(format, choice: .auto, trigger: trigger), vocabulary: ToolTest.demo)
        #expect(ToolTest.acceptsTokens(demo, nearMisses + triggered([Self.oslo])))
        #expect(!ToolTest.acceptsTokens(demo, nearMisses + triggered([("get_weather", "{}")])))
    }

    @Test func customTriggerBeforeHermesBlocks() throws {
        let c = try ToolTest.compile(Self.weather, options(.hermes, choice: .auto, trigger: .text("✿FUNCTION✿")))
        let block = ToolTest.output([Self.ping], .hermes, parallel: false)
        #expect(ToolTest.accepts(c, "think ✿FUNCTION ✿ ✿FUNCTION✿" + block))
        #expect(!ToolTest.accepts(c, "think ✿FUNCTION✿ more"))
        #expect(!ToolTest.viable(c, "✿FUNCTION✿x"))
    }

    @Test func specialTokenTrigger() throws {
        // Bytes plus one special token and an EOS token.
        var tokens: [(bytes: [UInt8], piece: String, flags: TokenFlags)?] = (0..<256).map { b in ([UInt8(b)], "<0x\(String(b, radix: 16))>", TokenFlags()) }
        tokens.append((Array("<|python_tag|>".utf8), "<|python_tag|>", .special))
        tokens.append((Array("<|eot_id|>".utf8), "<|eot_id|>", .special))
        let v = try Vocabulary(kind: .plain, source: "<bytes+specials>", tokens: tokens, bosID: nil, eosIDs: [257])
        let tag: Int32 = 256
        let c = try ToolTest.compile(Self.weather, options(.llama3, choice: .auto, trigger: .token("<|python_tag|>")), vocabulary: v)
        func run(_ parts: [Any]) -> (ok: Bool, accepting: Bool) {
            var m = c.makeMatcher()
            for p in parts {
                if let id = p as? Int32 { if !m.accept(token: id) { return (false, false) } }
                else if !m.accept(bytes: Array((p as! String).utf8)) { return (false, false) }
            }
            return (true, m.isAccepting)
        }
        let call = ToolTest.output([Self.oslo], .llama3, parallel: false)
        #expect(run(["Checking. ", tag, call]) == (true, true))
        #expect(run(["Checking."]) == (true, true))
        #expect(run(["Checking. ", tag]) == (true, false))
        #expect(run(["Checking. ", tag, "{\"name\":\"nope\""]).ok == false)
        // The trigger's text typed as plain bytes is not the trigger, and free text never contains it.
        #expect(run(["a <|python_tag|>"]).ok == false)
        // The mask allows the special token in free text, and not after it.
        var mask = [UInt32](repeating: 0, count: (v.maskWidth + 31) / 32)
        var m = c.makeMatcher()
        let hi = m.accept(bytes: Array("hi ".utf8))
        #expect(hi)
        mask.withUnsafeMutableBufferPointer { m.fillNextTokenMask(into: $0) }
        #expect(mask[Int(tag) / 32] & (1 << (UInt32(tag) % 32)) != 0)
        let tagged = m.accept(token: tag)
        #expect(tagged)
        mask.withUnsafeMutableBufferPointer { m.fillNextTokenMask(into: $0) }
        #expect(mask[Int(tag) / 32] & (1 << (UInt32(tag) % 32)) == 0)
        #expect(mask[Int(UInt8(ascii: "{")) / 32] & (1 << (UInt32(UInt8(ascii: "{")) % 32)) != 0)
        // A vocabulary without the token: a clear error at compile time.
        #expect {
            _ = try ToolTest.compile(Self.weather, options(.llama3, choice: .auto, trigger: .token("<|python_tag|>")))
        } throws: { ($0 as? FSMDecodeError)?.message.contains("<|python_tag|>") == true }
    }

    // MARK: free text patterns

    /// Every string over a small alphabet up to a length: the pattern accepts exactly those
    /// without the trigger. Alphabets include scalars sharing UTF-8 lead bytes with the trigger's.
    @Test(arguments: [("aab", ["a", "b", "z"], 8), ("abab", ["a", "b"], 10), ("aaa", ["a", "b"], 9),
                      ("é<é", ["é", "<", "ê", "e"], 6), ("<tc>", ["<", "t", "c", ">", "x"], 6)])
    func avoidingPatternIsExact(trigger: String, alphabet: [String], maxLength: Int) throws {
        let pattern = try FreeTextPattern.avoiding(trigger)
        let c = try Constraint.compile(grammar: try GrammarComposition.pattern(pattern).grammar(source: "<avoid>"), vocabulary: ToolTest.bytes)
        var layer = [""]
        var checked = 0
        for _ in 0...maxLength {
            for s in layer {
                #expect(ToolTest.accepts(c, s) == !s.contains(trigger), "\(trigger): \(s)")
                checked += 1
            }
            layer = layer.flatMap { s in alphabet.map { s + $0 } }
        }
        #expect(checked > 100)
    }

    @Test func avoidingPatternSizeStaysSmall() throws {
        for t in ["<tool_call>", "<|python_tag|>", "✿FUNCTION✿", "[TOOL_CALLS]", "aaaaaaaaaaaaaaaa", "abababababab"] {
            let p = try FreeTextPattern.avoiding(t)
            #expect(p.nodeCount < 5_000, "\(t): \(p.nodeCount) nodes")
        }
        #expect(throws: FSMDecodeError.self) { _ = try FreeTextPattern.avoiding("") }
        #expect(throws: FSMDecodeError.self) { _ = try FreeTextPattern.avoiding("<tool_call>", maxNodes: 10) }
    }

    // MARK: tool lists and errors

    @Test func toolListShapes() throws {
        let o = options(.openai)
        let call = ToolTest.output([("f", #"{"x":1}"#)], .openai, parallel: false)
        let params = #"{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]}"#
        for list in ["[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":\(params)}}]",
                     "[{\"name\":\"f\",\"description\":\"bare\",\"parameters\":\(params)}]",
                     "{\"tools\":[{\"type\":\"function\",\"name\":\"f\",\"parameters\":\(params)}]}",
                     // no `type`: still an object; `$ref`s are rebased onto the parameters.
                     "[{\"name\":\"f\",\"parameters\":{\"$defs\":{\"n\":{\"type\":\"integer\"}},\"properties\":{\"x\":{\"$ref\":\"#/$defs/n\"}},\"required\":[\"x\"]}}]"] {
            let c = try ToolTest.compile(list, o)
            #expect(ToolTest.accepts(c, call), "\(list)")
            #expect(!ToolTest.accepts(c, ToolTest.output([("f", #"{"x":"1"}"#)], .openai, parallel: false)), "\(list)")
            #expect(!ToolTest.accepts(c, ToolTest.output([("f", "[1]")], .openai, parallel: false)), "\(list)")
        }
        let compiled = try ToolCallCompiler.compile(tools: try ToolTest.json(Self.weather), source: "w.json", options: o)
        #expect(compiled.tools.map(\.name) == ["get_weather", "search_web", "ping"])
        #expect(compiled.tools.map(\.pointer) == ["/0/function", "/1/function", "/2/function"])
        #expect(compiled.tools.map(\.hasParameters) == [true, true, false])
        #expect(compiled.keywordsUsed.contains("enum") && compiled.keywordsUsed.contains("maximum"))
    }

    @Test(arguments: [
        (#"[{"type":"function","function":{"description":"x"}}]"#, "/0/function: the function has no \"name\""),
        (#"{"tools":[{"name":"a"},{"type":"function","function":{"parameters":{}}}]}"#, "/tools/1/function: the function has no \"name\""),
        (#"[{"name":7}]"#, "/0/name: the function name must be a string, not a number"),
        (#"[{"name":""}]"#, "/0/name: the function name is empty"),
        (#"[{"name":"a"},{"type":"function","function":{"name":"a"}}]"#, "/1/function/name: duplicate function name 'a' (first declared at #/0/name)"),
        (#"[{"name":"a","parameters":[1]}]"#, "/0/parameters: parameters must be a JSON Schema (an object or a boolean), not an array"),
        (#"[{"name":"a","parameters":"x"}]"#, "/0/parameters: parameters must be a JSON Schema"),
        (#"[{"name":"a","parameters":false}]"#, "/0/parameters: parameters `false` admit no arguments"),
        (#"[{"name":"a","parameters":{"type":"string"}}]"#, "/0/parameters/type: parameters must describe a JSON object"),
        (#"[{"type":"retrieval"}]"#, "/0/type: unsupported tool type 'retrieval'"),
        (#"[{"type":"ret\nrieval"}]"#, "/0/type: unsupported tool type 'ret\\nrieval'"),
        (#"[{"type":"function","function":[1]}]"#, "/0/function: \"function\" must be an object, not an array"),
        (#"[3]"#, "/0: a tool must be an object, not a number"),
        (#"{"functions":[]}"#, "#: expected a tool list"),
        (#"{"tools":{}}"#, "/tools: the tool list must be an array, not an object"),
        (#"[]"#, "declares no function"),
        // Parameter schemas: the compiler's own errors, with pointers into the tools file.
        (#"[{"name":"a"},{"type":"function","function":{"name":"b","parameters":{"type":"object","properties":{"x":{"type":"string","pattern":"(a)\\1"}}}}}]"#,
         "/1/function/parameters/properties/x"),
        (#"[{"name":"a","parameters":{"type":"object","properties":{"xs":{"type":"array","uniqueItems":true}}}}]"#,
         "uniqueItems at #/0/parameters/properties/xs"),
        (##"[{"name":"a","parameters":{"type":"object","properties":{"x":{"$ref":"#/$defs/missing"}}}}]"##, "/0/parameters"),
    ])
    func malformedToolListsAreClearErrors(input: String, expected: String) throws {
        do {
            _ = try ToolCallCompiler.compile(tools: try ToolTest.json(input), source: "t.json", options: options(.openai))
            Issue.record("no error for \(input)")
        } catch let e as FSMDecodeError {
            #expect(e.message.hasPrefix("t.json"), "\(e.message)")
            #expect(e.message.contains(expected), "\(e.message)")
            #expect(!e.message.contains("\n"), "one line: \(e.message)")
            #expect(!e.message.contains("/anyOf/"), "synthetic pointer leaked: \(e.message)")
        }
    }

    @Test func toolChoiceNamingAnUnknownFunction() throws {
        #expect {
            _ = try ToolCallCompiler.compile(tools: try ToolTest.json(Self.weather), source: "w.json",
                                             options: options(.openai, choice: .function("get_time")))
        } throws: { e in
            let m = (e as? FSMDecodeError)?.message ?? ""
            return m.contains("tool_choice 'get_time' names no declared function") && m.contains("'get_weather', 'search_web', 'ping'")
        }
        #expect(throws: FSMDecodeError.self) {
            _ = try ToolCallCompiler.compile(tools: try ToolTest.json(Self.weather), source: "w.json", options: options(.hermes, trigger: .text("")))
        }
    }

    @Test func lenientParametersWarnWithToolPointers() throws {
        let list = #"[{"name":"z"},{"name":"a","parameters":{"type":"object","properties":{"xs":{"type":"array","uniqueItems":true}}}}]"#
        for choice in [ToolCallOptions.Choice.required, .function("a")] {
            for parallel in [false, true] {
                var o = options(.openai, parallel: parallel, choice: choice)
                o.lenient = true
                let c = try ToolCallCompiler.compile(tools: try ToolTest.json(list), source: "t.json", options: o)
                #expect(c.warnings.contains { $0.contains("#/1/parameters/properties/xs") && !$0.contains("/anyOf/") }, "\(c.warnings)")
            }
        }
    }

    @Test func shippedWeatherTools() throws {
        let path = TestSupport.repoRoot + "/Grammars/tools/weather-tools.json"
        let doc = try JSONDocument(contentsOfFile: path)
        let c = try ToolCallCompiler.compile(tools: doc.value, source: path, options: options(.openai))
        #expect(c.tools.map(\.name) == ["get_weather", "search_web", "send_email", "create_event"])
        let k = try Constraint.compile(grammar: c.grammar, vocabulary: ToolTest.bytes)
        let good = [#"{"name":"get_weather","arguments":{"city":"Oslo","unit":"celsius"}}"#,
                    #"{"name":"get_weather","arguments":{"city":"Ulaanbaatar"}}"#,
                    #"{"name":"search_web","arguments":{"query":"exact token decode","max_results":18}}"#,
                    #"{"name":"send_email","arguments":{"to":"tony@example.com","subject":"State","body":"model lexer"}}"#,
                    #"{"name":"create_event","arguments":{"title":"Schema review","date":"2026-09-13","attendees":["Ken","Shafi"]}}"#]
        let bad = [#"{"name":"get_weather","arguments":{"city":"","unit":"celsius"}}"#,
                   #"{"name":"search_web","arguments":{"query":"x","max_results":0}}"#,
                   #"{"name":"send_email","arguments":{"to":"tony at example.com","subject":"S","body":"b"}}"#,
                   #"{"name":"create_event","arguments":{"title":"T","date":"13-09-2026"}}"#,
                   #"{"name":"create_event","arguments":{"title":"T","date":"2026-09-13","attendees":[]}}"#]
        for t in good { #expect(ToolTest.accepts(k, t), "\(t)") }
        for t in bad { #expect(!ToolTest.accepts(k, t), "\(t)") }
    }
}
