@testable import FSMDecode
import Foundation
import Testing

/// Keyword-level tests of the JSON Schema compiler, judged by the reference recognizer.
@Suite struct JSONSchemaTests {
    typealias WS = JSONSchemaOptions.Whitespace

    func recognizer(_ schema: String, _ ws: WS = .compact, depth: Int? = nil) throws -> GrammarReferenceRecognizer {
        let c = try JSONSchemaCompiler.compile(try JSONSchemaTestSupport.parse(schema), source: "<test>",
                                               options: JSONSchemaOptions(whitespace: ws, maxNestingDepth: depth))
        return GrammarReferenceRecognizer(c.grammar)
    }

    func check(_ schema: String, accept: [String], reject: [String], _ ws: WS = .compact, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try recognizer(schema, ws)
        for a in accept { #expect(r.accepts(a), "\(schema) should accept \(a)", sourceLocation: sourceLocation) }
        for x in reject { #expect(!r.accepts(x), "\(schema) should reject \(x)", sourceLocation: sourceLocation) }
    }

    func refusal(_ schema: String) -> String? {
        do { _ = try JSONSchemaTestSupport.compile(schema); return nil } catch let e as FSMDecodeError { return e.message } catch { return "\(error)" }
    }

    @Test func typesAndLiterals() throws {
        try check(#"{"type":["null","boolean"]}"#, accept: ["null", "true", "false"], reject: ["0", "\"x\"", "nul"])
        try check(#"{"enum":["a",1,null,{"k":[1,2]}]}"#, accept: [#""a""#, "1", "1.0", "null", #"{"k":[1,2]}"#, #""\u0061""#],
                  reject: ["2", #""b""#, #"{"k":[1]}"#, "1e0"])
        try check(#"{"const":2.5}"#, accept: ["2.5", "2.50"], reject: ["2.4", "25e-1", "2"])
        try check(#"{"type":"string","enum":["x",3]}"#, accept: [#""x""#], reject: ["3"])
    }

    /// JSON Pointer tokens (RFC 6901) and `$ref` fragments (percent-encoded, RFC 3986).
    @Test func pointerTokens() throws {
        #expect(JSONPointer.escape("a/b~c") == "a~1b~0c")
        #expect(JSONPointer.escape("plain é") == "plain é")
        for key in ["", "a/b~c", "~01", "~/~", "é/ü"] { #expect(JSONPointer.unescape(JSONPointer.escape(key)) == key) }
        #expect(JSONPointer.unescape("~01") == "~1")
        #expect(JSONPointer.unescape("a%2Fb%25c%7e") == "a/b%c~")
        #expect(JSONPointer.unescape("%C3%A9") == "é")
        #expect(JSONPointer.unescape("%zz%4") == "%zz%4")
        #expect(JSONPointer.unescape("%FF") == "%FF")  // not UTF-8 once decoded: as written
        try check(##"{"$defs":{"a/b":{"type":"integer"},"c~d":{"type":"boolean"},"e%f":{"type":"null"}},"##
                  + ##""type":"array","prefixItems":[{"$ref":"#/$defs/a~1b"},{"$ref":"#/$defs/c~0d"},{"$ref":"#/$defs/e%25f"}],"items":false}"##,
                  accept: ["[1,true,null]"], reject: ["[true,1,null]", "[1,true,0]"])
    }

    /// Keys that differ only in Unicode normalization ("é" as U+00E9 vs "e" + U+0301) are
    /// distinct JSON keys but equal Swift strings: refused with both pointers, never judged
    /// by a shared rule (was: the second property validated as the first one's type).
    @Test func canonicallyEquivalentKeysAreRefused() throws {
        for schema in [#"{"properties":{"\u00e9":{"type":"integer"},"e\u0301":{"type":"string"}}}"#,
                       #"{"properties":{"\u00e9":{}},"required":["e\u0301"]}"#,
                       #"{"dependentRequired":{"a":["\u00e9"]},"properties":{"e\u0301":{}}}"#] {
            let message = refusal(schema)
            #expect(message?.contains("Unicode normalization") == true, "\(schema): \(message ?? "compiled")")
            #expect(message?.contains("#/") == true)
        }
        // The same key (same code points) in several places, and equivalent enum values, compile.
        try check(#"{"properties":{"\u00e9":{"type":"integer"}},"required":["\u00e9"]}"#,
                  accept: [#"{"\u00e9":1}"#], reject: [#"{"\u00e9":"x"}"#, "{}"])
        try check(#"{"enum":["\u00e9","e\u0301"]}"#, accept: [#""\u00e9""#, #""e\u0301""#], reject: [#""e""#])
    }

    @Test func integerRangesAreExact() throws {
        for (lo, hi) in [(-37, 12), (0, 100), (5, 5), (-120, -3), (99, 1001)] {
            let r = try recognizer(#"{"type":"integer","minimum":\#(lo),"maximum":\#(hi)}"#)
            for x in -1200...1200 { #expect(r.accepts(String(x)) == (lo...hi).contains(x), "[\(lo),\(hi)] \(x)") }
            #expect(r.accepts("-0") == (lo...hi).contains(0))
            #expect(!r.accepts("007"))
        }
        let ex = try recognizer(#"{"type":"integer","exclusiveMinimum":-2.5,"exclusiveMaximum":3}"#)
        for x in -10...10 { #expect(ex.accepts(String(x)) == (x > -3 && x < 3), "\(x)") }
        #expect(ex.accepts("2.000") && !ex.accepts("2.5"))
    }

    @Test func decimalRangesAreExact() throws {
        let cases: [(String, (Double) -> Bool)] = [
            (#"{"type":"number","minimum":-1.25,"maximum":3.5}"#, { $0 >= -1.25 && $0 <= 3.5 }),
            (#"{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":0.3}"#, { $0 > 0 && $0 < 0.3 }),
            (#"{"type":"number","minimum":0.05}"#, { $0 >= 0.05 }),
            (#"{"type":"number","exclusiveMaximum":-0.5}"#, { $0 < -0.5 }),
        ]
        for (schema, holds) in cases {
            let r = try recognizer(schema)
            for i in -400...400 {
                for text in [String(format: "%.2f", Double(i) / 100), String(format: "%.1f", Double(i) / 40), String(i / 50)] {
                    #expect(r.accepts(text) == holds(Double(text)!), "\(schema) \(text)")
                }
            }
        }
        // Unbounded numbers take every JSON number form.
        try check(#"{"type":"number"}"#, accept: ["0", "-1.5e+10", "2E-3", "0.0"], reject: ["01", "1.", ".5", "+1", "1e"])
    }

    /// Bounds past `chunkThreshold` compile to chunk terminals (one string terminal would
    /// need ~9 DFA states per character: 32,767 was over the budget). The language stays
    /// exactly the lengths in range, at and around every chunk boundary, counting characters.
    @Test func longStringBoundsAreExactAcrossChunks() throws {
        guard let v = TestSupport.vocabulary("llama2") else { return }
        let k = SchemaCompiler.chunkElements
        let units = ["a", "é", "\\n", "\\u00e9", "😀", "\\ud83d\\ude00", "\\\""]
        for (lo, hi) in [(0, 1500), (1100, 1300), (130, 2000), (1025, 1025), (0, 32767), (2000, nil)] as [(Int, Int?)] {
            let schema = #"{"type":"string","minLength":\#(lo)\#(hi.map { #","maxLength":\#($0)"# } ?? "")}"#
            let compiled = try JSONSchemaTestSupport.compile(schema)
            #expect(compiled.grammar.rules.contains { $0.keepsRule }, "\(schema) is chunked")
            let c = try GrammarConstraint(grammar: compiled.grammar, vocabulary: v)
            var lengths: Set<Int> = [lo, lo + 1, max(lo - 1, 0), 0, 1]
            if let hi { lengths.formUnion([hi - 1, hi, hi + 1]) } else { lengths.formUnion([lo + 3 * k + 7]) }
            for j in 1...40 { lengths.formUnion([j * k - 1, j * k, j * k + 1]) }
            for n in lengths.sorted() where n <= (hi ?? lo) + 2 * k {
                let text = "\"" + (0..<n).map { units[($0 * 7 + n) % units.count] }.joined() + "\""
                var m = c.makeMatcher()
                let ok = m.accept(bytes: Array(text.utf8)) && m.isAccepting
                #expect(ok == (n >= lo && n <= (hi ?? Int.max)), "\(schema): \(n) characters")
            }
        }
    }

    @Test func stringLengthCountsCharactersNotEscapes() throws {
        try check(#"{"type":"string","minLength":2,"maxLength":2}"#,
                  accept: [#""ab""#, #""\n\u00e9""#, #""é\t""#, #""\ud83d\ude00x""#, #""😀x""#, #""\/\"""#],
                  reject: [#""a""#, #""abc""#, #""\ud83d""#, #""\ud83dx""#, "\"a\u{1}\""])
    }

    @Test func patternsApplyToDecodedCharacters() throws {
        try check(#"{"type":"string","pattern":"^a+$"}"#, accept: [#""aa""#, #""\u0061a""#], reject: [#""ab""#, #""""#])
        try check(#"{"type":"string","pattern":"b"}"#, accept: [#""abc""#, #""\u0062""#], reject: [#""ac""#])
        try check(#"{"type":"string","pattern":"^[^\\n]{2}$"}"#, accept: [#""xy""#], reject: [#""x\n""#, #""x\u000A""#])
        try check(#"{"type":"string","pattern":"^\\d{3}$","minLength":3}"#, accept: [#""123""#], reject: [#""12""#, #""١٢٣""#])
        #expect(refusal(#"{"type":"string","pattern":"^(?=a)"}"#)?.contains("pattern at #: ") == true)
        // pattern ∩ maxLength (exact since the coverage work; formerly refused).
        try check(#"{"type":"string","pattern":"^a+$","maxLength":3}"#, accept: [#""aaa""#], reject: [#""aaaa""#, #""""#])
    }

    @Test func formats() throws {
        try check(#"{"format":"date"}"#, accept: [#""2024-02-29""#, #""2000-02-29""#], reject: [#""2023-02-29""#, #""1900-02-29""#, #""2024-13-01""#])
        try check(#"{"format":"date-time"}"#, accept: [#""1998-12-31T23:59:60Z""#, #""1998-12-31T15:59:60.123-08:00""#, #""2024-01-01T00:00:00+05:30""#],
                  reject: [#""1998-12-31T22:59:60Z""#, #""2024-01-01T00:00:00""#])
        try check(#"{"format":"ipv4"}"#, accept: [#""192.168.0.1""#], reject: [#""256.1.1.1""#, #""01.1.1.1""#])
        try check(#"{"format":"uuid"}"#, accept: [#""12345678-1234-1234-1234-1234567890AB""#], reject: [#""1234""#])
        // Unknown formats are annotations.
        try check(#"{"format":"made-up"}"#, accept: [#""anything""#, "1"], reject: [])
        // A format next to a pattern: strings in both languages (an automaton product).
        try check(#"{"type":"string","format":"date","pattern":"^2024-"}"#, accept: [#""2024-02-29""#, #""2024-12-31""#],
                  reject: [#""2023-01-31""#, #""2024-13-01""#, #""2024-""#])
        try check(#"{"type":"string","format":"uri","pattern":"^https://"}"#, accept: [#""https://a.example/p?q=1""#],
                  reject: [#""http://a.example""#, #""https://a b""#, #""https""#])
        try check(#"{"enum":["2024-01-01","2023-01-01","x"],"format":"date","pattern":"^2024"}"#, accept: [#""2024-01-01""#],
                  reject: [#""2023-01-01""#, #""x""#])
    }

    @Test func objects() throws {
        let s = #"{"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"],"additionalProperties":false}"#
        try check(s, accept: [#"{"b":"x"}"#, #"{"a":1,"b":"x"}"#], reject: ["{}", #"{"a":1}"#, #"{"b":"x","a":1}"#, #"{"b":"x","c":1}"#])
        // Extra keys follow additionalProperties and never repeat a declared key.
        try check(#"{"properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"boolean"}}"#,
                  accept: [#"{"a":1,"z":true}"#, #"{"z":true,"y":false}"#], reject: [#"{"a":1,"a":true}"#, #"{"a":true}"#, #"{"z":1}"#])
        try check(#"{"minProperties":1,"maxProperties":2}"#, accept: [#"{"a":1}"#, #"{"a":1,"b":2}"#], reject: ["{}", #"{"a":1,"b":2,"c":3}"#])
        try check(#"{"dependentRequired":{"a":["b"]}}"#, accept: ["{}", #"{"b":1}"#, #"{"b":1,"a":2}"#, #"{"a":1,"b":2}"#], reject: [#"{"a":1}"#])
        try check(#"{"patternProperties":{"^x-":{"type":"integer"}},"additionalProperties":false}"#,
                  accept: [#"{"x-a":1}"#], reject: [#"{"x-a":"s"}"#, #"{"y":1}"#])
        try check(#"{"propertyNames":{"maxLength":2}}"#, accept: [#"{"ab":1}"#], reject: [#"{"abc":1}"#])
        try check(#"{"type":"object","not":{"required":["a","b"]}}"#, accept: ["{}", #"{"a":1}"#, #"{"b":1}"#], reject: [#"{"a":1,"b":2}"#, #"{"b":1,"a":2}"#])
    }

    /// `not {additionalProperties: false}`: an object with some key the negated schema did not
    /// declare (declared keys, extra keys and undeclared members each tell whether they are one).
    @Test func negatedAdditionalProperties() throws {
        let closedA = #"{"properties":{"a":{}},"additionalProperties":false}"#
        try check(#"{"not":\#(closedA)}"#, accept: [#"{"b":1}"#, #"{"a":1,"b":2}"#, #"{"b":1,"a":2}"#],
                  reject: ["{}", #"{"a":1}"#, "1", "[]"])
        try check(#"{"type":"object","properties":{"a":{"type":"integer"}},"not":\#(closedA)}"#,
                  accept: [#"{"a":1,"b":2}"#, #"{"c":true}"#], reject: [#"{"a":1}"#, "{}", #"{"a":"x","b":1}"#])
        try check(#"{"properties":{"x":{}},"not":\#(closedA)}"#, accept: [#"{"x":1}"#, #"{"a":1,"x":1}"#], reject: [#"{"a":1}"#])
        try check(#"{"properties":{"a":{},"x":{}},"additionalProperties":false,"not":\#(closedA)}"#,
                  accept: [#"{"x":1}"#, #"{"a":1,"x":2}"#], reject: [#"{"a":1}"#, "{}", #"{"b":1}"#])
        // oneOf: a value matching both branches matches neither.
        try check(#"{"oneOf":[{"properties":{"a":{"type":"integer"}},"additionalProperties":false},{"required":["a"]}]}"#,
                  accept: ["{}", #"{"a":"x"}"#, #"{"a":1,"b":2}"#], reject: [#"{"a":1}"#])
        // enum values are decided against it.
        try check(#"{"enum":[{"a":1},{"b":1}],"not":\#(closedA)}"#, accept: [#"{"b":1}"#], reject: [#"{"a":1}"#])
    }

    @Test func arrays() throws {
        try check(#"{"prefixItems":[{"type":"integer"},{"type":"string"}],"items":false}"#,
                  accept: ["[]", "[1]", #"[1,"a"]"#], reject: [#"[1,"a",2]"#, #"["a"]"#])
        try check(#"{"items":{"type":"integer"},"minItems":2,"maxItems":3}"#, accept: ["[1,2]", "[1,2,3]"], reject: ["[1]", "[1,2,3,4]", #"[1,"2"]"#])
        try check(#"{"$schema":"http://json-schema.org/draft-07/schema#","items":[{"const":1}],"additionalItems":{"type":"string"}}"#,
                  accept: [#"[1,"a","b"]"#], reject: [#"[1,2]"#])
        try check(#"{"contains":{"const":5}}"#, accept: ["[5]", "[1,5,2]"], reject: ["[]", "[1,2]"])
        #expect(refusal(#"{"type":"array","uniqueItems":true}"#)?.contains("uniqueItems at #: ") == true)
        #expect(refusal(#"{"items":{"enum":[1,2,3,4,5,6,7,8,9]},"uniqueItems":true}"#)?.contains("uniqueItems at #: ") == true)
    }

    /// allOf with different patterns: strings in every pattern's language (an automaton
    /// product), also for enum values and under a length bound.
    @Test func mergedPatternsIntersect() throws {
        try check(#"{"allOf":[{"type":"string","pattern":"^a"},{"pattern":"b$"}]}"#, accept: [#""ab""#, #""axyb""#], reject: [#""a""#, #""b""#, #""ba""#])
        try check(#"{"allOf":[{"pattern":"a"},{"pattern":"b"},{"pattern":"c"}]}"#, accept: [#""abc""#, #""cxbxa""#, "1"], reject: [#""ab""#, #""""#])
        try check(#"{"allOf":[{"pattern":"^a"},{"pattern":"b$"}],"enum":["ab","a","b",2]}"#, accept: [#""ab""#, "2"], reject: [#""a""#, #""b""#])
        try check(#"{"allOf":[{"pattern":"^[a-z]+$","maxLength":3},{"pattern":"z"}]}"#, accept: [#""az""#, #""zzz""#], reject: [#""abcz""#, #""ab""#, #""aZ""#])
        try check(#"{"allOf":[{"pattern":"^a+$"},{"pattern":"^b+$"}]}"#, accept: ["1"], reject: [#""a""#, #""b""#, #""""#])
    }

    /// `uniqueItems` over a finite item set is exact: one rule per subset of values used.
    /// Values compare as JSON values (escapes and number spellings are the same value).
    @Test func uniqueItemsOverFiniteValues() throws {
        let abc = #"{"type":"array","items":{"enum":["a","b","c"]},"uniqueItems":true}"#
        try check(abc, accept: ["[]", #"["a"]"#, #"["c","a","b"]"#], reject: [#"["a","a"]"#, #"["a","b","a"]"#, #"["d"]"#, #"["a","\u0061"]"#])
        try check(abc, accept: [#"[ "b" ,"a" ]"#], reject: [#"[ "b" , "b" ]"#], .flexible(maxRun: 20))
        try check(#"{"items":{"enum":["a","b","c"]},"uniqueItems":true,"minItems":2,"maxItems":2}"#,
                  accept: [#"["a","b"]"#, #"["c","a"]"#], reject: [#"["a"]"#, #"["a","b","c"]"#, #"["b","b"]"#, "[]"])
        try check(#"{"items":{"enum":[1,2,"x"]},"uniqueItems":true}"#, accept: ["[1,2]", #"[2.0,"x",1]"#], reject: ["[1,1.0]", "[2,2e0]", "[3]"])
        try check(#"{"items":{"type":["boolean","null"]},"uniqueItems":true}"#, accept: ["[true,false,null]", "[null]"], reject: ["[true,true]", "[null,false,null]", "[0]"])
        try check(#"{"items":{"anyOf":[{"const":"a"},{"enum":["b","a"]}]},"uniqueItems":true}"#, accept: [#"["b","a"]"#], reject: [#"["a","a"]"#])
        try check(#"{"items":{"type":"string","enum":["ab","b",1],"minLength":2},"uniqueItems":true}"#, accept: [#"["ab"]"#], reject: [#"["b"]"#, "[1]", #"["ab","ab"]"#])
    }

    @Test func combinators() throws {
        try check(#"{"anyOf":[{"type":"integer","maximum":3},{"type":"integer","minimum":10}]}"#, accept: ["1", "12"], reject: ["5"])
        try check(#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#, accept: [#""s""#, "1"], reject: ["true"])
        try check(#"{"type":"object","oneOf":[{"properties":{"k":{"const":"a"},"x":{"type":"integer"}},"required":["k"]},{"properties":{"k":{"const":"b"}},"required":["k"]}]}"#,
                  accept: [#"{"k":"a","x":1}"#, #"{"k":"b"}"#], reject: [#"{"k":"c"}"#, "5"])
        // Without the object type, 5 matches both branches: the branches are made exclusive.
        try check(#"{"oneOf":[{"properties":{"k":{"const":"a"}},"required":["k"]},{"properties":{"k":{"const":"b"}},"required":["k"]}]}"#,
                  accept: [#"{"k":"a"}"#, #"{"k":"b"}"#], reject: ["5", "{}", #"{"k":"c"}"#, "null"])
        try check(#"{"oneOf":[{"type":"integer"},{"minimum":3}]}"#, accept: ["1", "3.5", #""x""#, "null"], reject: ["3", "2.5"])
        #expect(refusal(#"{"oneOf":[{"type":"object"},{"patternProperties":{"^a":{"type":"integer"}}}]}"#)?.contains("oneOf at #/oneOf: ") == true)
        try check(#"{"allOf":[{"properties":{"a":{"type":"integer"}}},{"properties":{"a":{"minimum":3}},"required":["a"]}]}"#,
                  accept: [#"{"a":3}"#], reject: [#"{"a":2}"#, "{}"])
        try check(#"{"allOf":[{"properties":{"a":{}},"additionalProperties":false},{"properties":{"b":{}}}]}"#,
                  accept: [#"{"a":1}"#, "{}"], reject: [#"{"a":1,"b":2}"#])
        try check(#"{"allOf":[{"properties":{"a":{}}},{"additionalProperties":false}]}"#, accept: ["{}"], reject: [#"{"a":1}"#])
        try check(#"{"not":{"enum":[1,"x"]}}"#, accept: ["2", #""y""#, "null"], reject: ["1", "1.0", #""x""#])
        try check(#"{"if":{"properties":{"t":{"const":"n"}},"required":["t"]},"then":{"properties":{"v":{"type":"integer"}}},"else":{"properties":{"v":{"type":"string"}}}}"#,
                  accept: [#"{"t":"n","v":1}"#, #"{"t":"s","v":"a"}"#, #"{"v":"a"}"#], reject: [#"{"t":"n","v":"a"}"#, #"{"v":1}"#])
        try check(#"{"not":{"pattern":"a"}}"#, accept: [#""b""#, #""""#], reject: [#""xa""#, "1", "null"])
        try check(#"{"not":{"additionalProperties":false}}"#, accept: [#"{"a":1}"#], reject: ["{}", "1"])
        #expect(refusal(#"{"not":{"additionalProperties":{"type":"integer"}}}"#)?.contains("not at #/not: ") == true)
    }

    /// Negations of array and combinator keywords (used by `not`, `oneOf` and `if`/`else`):
    /// `items` (some item outside: `contains`), `allOf` (some conjunct fails), `oneOf` (none or
    /// two match), `dependencies`/`dependentRequired`/`dependentSchemas` (the key without its
    /// dependency).
    @Test func negatedArrayAndCombinatorKeywords() throws {
        try check(#"{"not":{"items":{"type":"number"}}}"#, accept: [#"["x"]"#, #"[1,"a"]"#, #"[[1]]"#], reject: ["[]", "[1,2.5]", #""x""#, "5", "{}"])
        // Overlapping only at []: oneOf excludes it.
        try check(#"{"oneOf":[{"type":"array","items":{"type":"number"}},{"type":"array","items":{"type":"array","items":{"type":"number"}}}]}"#,
                  accept: ["[1]", "[1,2.5]", "[[1]]", "[[],[2]]"], reject: ["[]", #"["x"]"#, "[1,[1]]", "5"])
        try check(#"{"not":{"allOf":[{"minimum":3},{"maximum":5}]}}"#, accept: ["2", "6", "2.5"], reject: ["3", "4", "5", #""x""#, "null"])
        try check(#"{"not":{"oneOf":[{"minimum":3},{"maximum":5}]}}"#, accept: ["3", "4", "5", #""x""#, "null"], reject: ["2", "6"])
        try check(#"{"not":{"dependencies":{"a":["b"]}}}"#, accept: [#"{"a":1}"#, #"{"a":1,"c":2}"#], reject: [#"{"a":1,"b":2}"#, "{}", #"{"b":1}"#, "5"])
        try check(#"{"not":{"dependentRequired":{"a":["b","c"]}}}"#, accept: [#"{"a":1,"b":2}"#], reject: [#"{"a":1,"b":2,"c":3}"#, #"{"b":1}"#])
        try check(#"{"not":{"dependentSchemas":{"a":{"required":["c"]}}}}"#, accept: [#"{"a":1}"#], reject: [#"{"a":1,"c":2}"#, "{}", "[]"])
        try check(#"{"type":"array","minItems":1,"contains":{"type":"string"}}"#, accept: [#"["x"]"#, #"[1,"x"]"#], reject: ["[]", "[1]"])
    }

    @Test func referencesAndRecursion() throws {
        let tree = ##"{"$defs":{"t":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/t"}}},"additionalProperties":false}},"$ref":"#/$defs/t"}"##
        try check(tree, accept: [#"{"v":1,"kids":[{"v":2,"kids":[]},{"kids":[{}]}]}"#], reject: [#"{"kids":[{"v":"x"}]}"#])
        let limited = try recognizer(tree, .compact, depth: 3)
        #expect(limited.accepts(#"{"kids":[{}]}"#))
        #expect(!limited.accepts(#"{"kids":[{"kids":[{}]}]}"#))
        #expect(refusal(#"{"$ref":"http://example.com/s.json"}"#)?.contains("$ref at #: remote reference") == true)
        #expect(refusal(##"{"$ref":"#/$defs/missing"}"##)?.contains("does not resolve") == true)
    }

    @Test func misspeltTypeNamesAreErrorsNotSilentDrops() throws {
        // Under an optional property a bad type once compiled silently (the property just vanished).
        #expect(refusal(#"{"type":"object","properties":{"ab":{"type":"nope"}}}"#)?.contains("type at #/properties/ab: \"nope\" is not a JSON Schema type") == true)
        #expect(refusal(#"{"type":["string",3]}"#)?.contains("type at #: 3 is not a JSON Schema type") == true)
        try check(#"{"type":["integer","null"]}"#, accept: ["1", "null"], reject: ["1.5", "\"a\""])
    }

    @Test func messagesQuotingSchemaKeysStayOnOneLine() throws {
        // A property name with a line break, quoted in the pointer of an error and of a warning.
        let bad = refusal(#"{"properties":{"a\nb":{"type":"nope"}}}"#)
        #expect(bad?.contains("#/properties/a\\nb") == true && bad?.contains("\n") == false, "\(bad ?? "compiled")")
        let c = try JSONSchemaTestSupport.compile(#"{"properties":{"a\nb":{"patt\nern":1}}}"#)
        #expect(!c.warnings.isEmpty && c.warnings.allSatisfy { !$0.contains("\n") }, "\(c.warnings)")
    }

    @Test func whitespacePolicies() throws {
        let s = #"{"properties":{"a":{"type":"array"},"b":{"type":"object"}}}"#
        let v = try JSONSchemaTestSupport.parse(#"{"a":[1,{"x":[]}],"b":{}}"#)
        let pretty = JSONSchemaTestSupport.serialize(SchemaValue(v), indent: 2)
        try check(s, accept: [pretty], reject: [JSONSchemaTestSupport.serialize(SchemaValue(v)), pretty.replacingOccurrences(of: "  ", with: " ")], .indent(2))
        try check(s, accept: [pretty, " {\"a\" :[ ] } ", String(repeating: " ", count: 20) + "{}"],
                  reject: [String(repeating: " ", count: 21) + "{}"], .flexible(maxRun: 20))
        try check(s, accept: [#"{"a":[]}"#], reject: [#"{"a": []}"#], .compact)
    }

    @Test func lenientModeRecordsRelaxations() throws {
        let c = try JSONSchemaTestSupport.compile(#"{"type":"array","uniqueItems":true}"#, lenient: true)
        #expect(c.warnings.contains { $0.hasPrefix("uniqueItems at #: ") && $0.contains("relaxed") })
        #expect(c.keywordsUsed.contains("uniqueItems") && c.keywordsUsed.contains("type"))
        let any = try JSONSchemaCompiler.anyJSON(options: JSONSchemaOptions(whitespace: .compact))
        let r = GrammarReferenceRecognizer(any.grammar)
        for t in ["1", "[]", #"{"a":[null,true,"\u00e9"]}"#] { #expect(r.accepts(t)) }
        #expect(!r.accepts("{,}"))
    }

    /// llama.cpp's schema cases (its semantics, so "fail" strings that are valid JSON Schema
    /// instances are listed as known divergences).
    @Test func gbnfCorpusSchemaCases() throws {
        guard let path = TestSupport.shared("corpora/gbnf/cases-sample.json") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/gbnf/cases-sample.json not found"); return
        }
        // llama.cpp bounds integer digits and rejects -0; in JSON Schema these are valid
        // (-0 == 0 satisfies minimum 0).
        let validInJSONSchema: Set<String> = ["100000000000000000000000000000000", "12345678900000000", "-0"]
        let doc = try JSONDocument(contentsOfFile: path)
        var checked = 0
        for c in doc.value.array ?? [] where c["kind"]?.string == "schema" {
            let schema = c["schema"]!
            let compiled = try JSONSchemaCompiler.compile(schema, source: c["name"]!.string!, options: JSONSchemaOptions(whitespace: .flexible(maxRun: 20)))
            let r = GrammarReferenceRecognizer(compiled.grammar)
            for p in c["pass"]?.array ?? [] { #expect(r.accepts(p.string!), "\(c["name"]!.string!) should accept \(p.string!)"); checked += 1 }
            for f in c["fail"]?.array ?? [] where !validInJSONSchema.contains(f.string!) {
                #expect(!r.accepts(f.string!), "\(c["name"]!.string!) should reject \(f.string!)"); checked += 1
            }
        }
        #expect(checked > 20)
    }
}
