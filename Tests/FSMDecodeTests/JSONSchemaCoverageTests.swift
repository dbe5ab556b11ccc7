@testable import FSMDecode
import Foundation
import Testing

/// Exactness tests for the constructs added to widen JSON Schema coverage, judged by the
/// reference recognizer: every listed valid text accepted, every invalid one rejected.
@Suite struct JSONSchemaCoverageTests {
    func check(_ schema: String, accept: [String], reject: [String], _ ws: JSONSchemaOptions.Whitespace = .compact,
               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let c = try JSONSchemaTestSupport.compile(schema, ws)
        let r = GrammarReferenceRecognizer(c.grammar)
        for a in accept { #expect(r.accepts(a), "\(schema) should accept \(a)", sourceLocation: sourceLocation) }
        for x in reject { #expect(!r.accepts(x), "\(schema) should reject \(x)", sourceLocation: sourceLocation) }
    }

    func refusal(_ schema: String) -> String? {
        do { _ = try JSONSchemaTestSupport.compile(schema); return nil } catch let e as FSMDecodeError { return e.message } catch { return "\(error)" }
    }

    @Test func undeclaredMembersMayComeBetweenDeclaredOnes() throws {
        let s = #"{"properties":{"a":{"type":"integer"},"b":{"type":"string"}},"required":["b"]}"#
        try check(s, accept: [#"{"x":1,"a":1,"b":"s"}"#, #"{"a":1,"x":null,"b":"s"}"#, #"{"b":"s","x":[],"y":{}}"#, #"{"x":1,"b":"s"}"#],
                  reject: [#"{"b":"s","a":1}"#, #"{"x":1,"a":"s","b":"s"}"#, #"{"a":1,"x":1}"#, #"{"a":1,"a":1,"b":"s"}"#])
        // Undeclared keys still obey additionalProperties and propertyNames-derived keys.
        try check(#"{"properties":{"a":{}},"additionalProperties":{"type":"boolean"},"maxProperties":2}"#,
                  accept: [#"{"x":true,"a":1}"#, #"{"a":1,"x":false}"#], reject: [#"{"x":1,"a":1}"#, #"{"x":true,"a":1,"y":true}"#])
        // A key required but not declared may come first.
        try check(#"{"properties":{"a":{}},"required":["k"]}"#, accept: [#"{"k":1,"a":1}"#, #"{"a":1,"k":1}"#],
                  reject: [#"{"a":1}"#, #"{"k":1,"a":1,"k":2}"#])
    }

    @Test func constAndEnumTogetherBothHold() throws {
        try check(#"{"properties":{"p":{"allOf":[{"enum":["a","b"]},{"const":"c"}]}}}"#, accept: ["{}"], reject: [#"{"p":"a"}"#, #"{"p":"c"}"#])
        try check(#"{"allOf":[{"enum":["a","b"]},{"const":"b"}]}"#, accept: [#""b""#], reject: [#""a""#])
    }

    @Test func overlappingOneOfBranchesAreMadeExclusive() throws {
        try check(#"{"oneOf":[{"properties":{"t":{"enum":["a"]}}},{"properties":{"t":{"enum":["a","b"]}}}]}"#,
                  accept: [#"{"t":"b"}"#, #"{"t":"b","x":1}"#], reject: ["{}", #"{"t":"a"}"#, #"{"t":"c"}"#, "1", #""s""#])
        try check(#"{"oneOf":[{"type":"string"},{"maxLength":3}]}"#,
                  accept: [#""abcd""#, "5", "null", "[]"], reject: [#""abc""#, #""""#])
        try check(#"{"oneOf":[{"instanceof":"RegExp"},{"type":"string"},{"type":"array","minItems":1}]}"#,
                  accept: ["1", "null", "{}", "[]"], reject: [#""s""#, "[1]"])
        // Disjoint branches are left as they are; a branch that cannot be negated is refused.
        try check(#"{"oneOf":[{"type":"string"},{"type":"integer"}]}"#, accept: [#""s""#, "3"], reject: ["1.5", "null"])
        try check(#"{"oneOf":[{"type":"integer"},{"minimum":2}]}"#, accept: ["1", "2.5", "null"], reject: ["2", "1.5"])
        let why = refusal(#"{"oneOf":[{"type":"object"},{"patternProperties":{"^a":{"type":"integer"}}}]}"#)
        #expect(why?.contains("oneOf at #/oneOf: branches 0 and 1 may both match the same value") == true, "\(why ?? "compiled")")
    }

    @Test func uriFormatsFollowRFC3986() throws {
        let good = ["http://foo.bar/?baz=qux#quux", "https://user:pw@[2001:db8::7]:8080/a%20b/c?x=1&y=(2)", "mailto:a@b.c", "urn:isbn:0-476", "ftp://1.2.3.4/",
                    "file:///etc/passwd", "tag:x,2020:y", "http://a.b/c?d#", "x:"]
        let bad = ["//foo.bar/?baz=qux#quux", "abc", "http:// space", "http://a/b c", "1http://x", "http://a/%zz", "http://\\u00e9.fr", "http://[::1", "#frag", ""]
        try check(#"{"type":"string","format":"uri"}"#, accept: good.map { "\"\($0)\"" }, reject: bad.map { "\"\($0)\"" })
        try check(#"{"type":"string","format":"uri-reference"}"#, accept: (good + ["//foo.bar/?baz", "abc", "#frag", "", "../x/y?z", "/a/b"]).map { "\"\($0)\"" },
                  reject: ["http:// space", "a b", "http://a/%zz", "\\\\WINDOWS\\\\share", ":x"].map { "\"\($0)\"" })
        // Format strings are accepted in their plain serialisation only (the representation policy:
        // every valid value keeps one form), so escaped spellings of plain characters are not.
        try check(#"{"type":"string","format":"uri"}"#, accept: [#""http://a.b/c""#], reject: [#""http:\/\/a.b\/c""#, #""\u0068ttp://a""#, #""http:\/\/a b""#])
    }

    @Test func patternPropertiesSplitKeysIntoRegions() throws {
        // One pattern, additionalProperties absent: matching keys need integers, others anything.
        try check(#"{"patternProperties":{"^x-":{"type":"integer"}}}"#,
                  accept: ["{}", #"{"x-a":1}"#, #"{"y":"s","x-":2}"#, #"{"x":"s"}"#, #"{"X-a":"s"}"#],
                  reject: [#"{"x-a":"s"}"#, #"{"y":1,"x-b":null}"#])
        // With declared properties: a declared name matching a pattern must satisfy both.
        try check(#"{"properties":{"x-id":{"minimum":5},"name":{"type":"string"}},"patternProperties":{"^x-":{"type":"integer"}},"additionalProperties":false}"#,
                  accept: [#"{"x-id":5}"#, #"{"x-id":7,"name":"n"}"#, #"{"x-q":1,"name":"n"}"#, #"{"name":"n","x-q":-3}"#],
                  reject: [#"{"x-id":4}"#, #"{"x-id":5.5}"#, #"{"x-q":"s"}"#, #"{"other":1}"#, #"{"name":1}"#])
        // Overlapping patterns: a key matching both satisfies both schemas.
        try check(#"{"patternProperties":{"a":{"type":"integer"},"b":{"minimum":10}},"additionalProperties":{"type":"string"}}"#,
                  accept: [#"{"a":1}"#, #"{"b":13.5}"#, #"{"ab":12}"#, #"{"c":"s"}"#, #"{"b":"s"}"#],
                  reject: [#"{"a":1.5}"#, #"{"b":3.5}"#, #"{"ab":3}"#, #"{"ab":10.5}"#, #"{"c":1}"#, #"{"ba":"s","x":1}"#])
        // Anchored, length-bounded key pattern with additionalProperties false.
        try check(#"{"patternProperties":{"^[a-z]{1,3}$":{"type":"boolean"}},"additionalProperties":false}"#,
                  accept: ["{}", #"{"abc":true}"#, #"{"a":false,"zz":true}"#],
                  reject: [#"{"abcd":true}"#, #"{"":true}"#, #"{"A":true}"#, #"{"ab":1}"#])
        // Required keys that only a pattern declares get the pattern's schema.
        try check(#"{"patternProperties":{"^n":{"type":"string"}},"required":["name"],"additionalProperties":false}"#,
                  accept: [#"{"name":"a"}"#, #"{"nx":"b","name":"a"}"#], reject: ["{}", #"{"name":1}"#, #"{"name":"a","q":"b"}"#])
        // propertyNames together with patternProperties.
        try check(#"{"propertyNames":{"maxLength":3},"patternProperties":{"^a":{"type":"null"}}}"#,
                  accept: [#"{"abc":null}"#, #"{"b":1}"#], reject: [#"{"abcd":null}"#, #"{"a":1}"#, #"{"bbbb":1}"#])
    }

    @Test func patternWithLengthBoundsIsIntersected() throws {
        // Structural: repetition bounds tightened.
        try check(#"{"type":"string","pattern":"^[a-z]+$","maxLength":3}"#,
                  accept: [#""a""#, #""abc""#], reject: [#""""#, #""abcd""#, #""aB""#])
        try check(#"{"type":"string","pattern":"^([a-z]|[a-z][a-z-]*[a-z])$","minLength":2,"maxLength":4}"#,
                  accept: [#""ab""#, #""a-b""#, #""a--b""#], reject: [#""a""#, #""a-""#, #""abcde""#, #""a---b""#])
        // Automaton product: an unanchored pattern, several varying parts.
        try check(#"{"type":"string","pattern":"[0-9]{2}","maxLength":4}"#,
                  accept: [#""12""#, #""a12b""#, #""xx99""#, #""\u00e912""#], reject: [#""1a2""#, #""a12bc""#, #""""#])
        try check(#"{"type":"string","pattern":"^([a-z]+):([a-z]+)$","minLength":4,"maxLength":5}"#,
                  accept: [#""ab:c""#, #""a:bc""#, #""ab:cd""#, #""abc:d""#], reject: [#""a:b""#, #""abc:de""#, #""ab:""#])
        // Excluded values from a constrained string.
        try check(#"{"type":"string","pattern":"^[a-c]+$","not":{"enum":["a","bb"]}}"#,
                  accept: [#""b""#, #""aa""#, #""bbb""#], reject: [#""a""#, #""bb""#, #""d""#])
    }

    @Test func stringBranchesAndNegatedPatterns() throws {
        // oneOf over string branches with disjoint patterns: a union.
        try check(#"{"oneOf":[{"type":"string","pattern":"^https?://.+$"},{"type":"string","pattern":"^\\./.+$"}]}"#,
                  accept: [#""http://x""#, #""./a""#], reject: [#""ftp://x""#, #""./""#, "1"])
        // Overlapping patterns without a type: strings matching exactly one, nothing else.
        try check(#"{"oneOf":[{"pattern":"A"},{"pattern":"B"}]}"#,
                  accept: [#""xA""#, #""B""#], reject: [#""AB""#, #""BxA""#, "1", "null", "{}", #""c""#])
        // not with a pattern (and with a format).
        try check(#"{"type":"string","not":{"pattern":"^a"}}"#, accept: [#""b""#, #""""#, #""ba""#], reject: [#""a""#, #""abc""#])
        try check(#"{"not":{"pattern":"^a","minLength":2}}"#, accept: [#""a""#, #""b""#, #""bcd""#], reject: [#""ab""#, #""aaa""#, "3", "null"])
        try check(#"{"enum":["x1","y","x2"],"not":{"pattern":"^x"}}"#, accept: [#""y""#], reject: [#""x1""#, #""x2""#])
        try check(#"{"type":"string","not":{"format":"ipv4"}}"#, accept: [#""1.2.3""#, #""a""#], reject: [#""1.2.3.4""#])
    }

    @Test func codePointAutomataOperations() throws {
        let p = try ECMARegexParser.parseSearch("^[a-c]+x?$"), q = try ECMARegexParser.parseSearch("b")
        let a = CodePointAlphabet([p, q])
        let dp = try CodePointDFA(p, alphabet: a), dq = try CodePointDFA(q, alphabet: a)
        let both = try dp.combined(dq, .and), only = try dp.combined(dq, .andNot), either = try dp.combined(dq, .or), notP = try dp.complement()
        for w in ["", "a", "b", "abx", "ax", "xb", "bbbb", "c\u{e9}", "x"] {
            let s = w.unicodeScalars.map(\.value)
            let inP = p.matches(s), inQ = q.matches(s)
            #expect(dp.matches(s) == inP, "\(w)")
            #expect(both.matches(s) == (inP && inQ), "\(w)")
            #expect(only.matches(s) == (inP && !inQ), "\(w)")
            #expect(either.matches(s) == (inP || inQ), "\(w)")
            #expect(notP.matches(s) == !inP, "\(w)")
        }
        let bounded = try dp.combined(.lengths(2, 3, alphabet: a), .and)
        #expect(bounded.matches([97, 98]) && bounded.matches([97, 98, 120]) && !bounded.matches([97]) && !bounded.matches([97, 97, 97, 97]))
        #expect(try dp.combined(notP, .and).isEmpty)
    }

    @Test func allOfMergesPatternPropertiesAndIgnoresUnknownKeywords() throws {
        try check(#"{"allOf":[{"patternProperties":{"^a":{"type":"integer"}}},{"patternProperties":{"^a":{"minimum":2},"b$":{"type":"string"}}}]}"#,
                  accept: [#"{"a1":2}"#, #"{"xb":"s"}"#, #"{"c":null}"#], reject: [#"{"a1":1}"#, #"{"a1":2.5}"#, #"{"ab":3}"#, #"{"xb":1}"#])
        // Declared names of one side matching the other's patterns get both schemas; others
        // follow the other side's additionalProperties.
        try check(#"{"allOf":[{"properties":{"ax":{"maximum":5},"q":{}}},{"patternProperties":{"^a":{"type":"integer"}},"additionalProperties":{"type":"string"}}]}"#,
                  accept: [#"{"ax":3}"#, #"{"q":"s"}"#, #"{"a":7}"#, #"{"z":"s"}"#], reject: [#"{"ax":6}"#, #"{"ax":"s"}"#, #"{"q":1}"#, #"{"z":1}"#])
        try check(#"{"allOf":[{"type":"object","x-doc":"one"},{"x-doc":"two","required":["k"]}]}"#, accept: [#"{"k":1}"#], reject: ["{}"])
        // Patterns on one side, additionalProperties constrained on the other: refused.
        let why = refusal(#"{"allOf":[{"patternProperties":{"^b":{}}},{"additionalProperties":false}]}"#)
        #expect(why?.contains("allOf at #/allOf") == true, "\(why ?? "compiled")")
    }

    @Test func finiteValuesAreCheckedAgainstAnySchema() throws {
        // not of a schema with no negation form, next to enum: decided value by value.
        try check(#"{"allOf":[{"enum":[[1,"x"],[1,2],"s"]},{"not":{"items":{"type":"integer"}}}]}"#,
                  accept: [#"[1,"x"]"#], reject: ["[1,2]", #""s""#])
        try check(#"{"allOf":[{"enum":[{"foo":1,"bar":2,"quux":"boom"},{"foo":1}]},{"not":{"additionalProperties":false,"properties":{"bar":{},"foo":{}}}}]}"#,
                  accept: [#"{"foo":1,"bar":2,"quux":"boom"}"#], reject: [#"{"foo":1}"#])
        try check(#"{"allOf":[{"enum":["foo",1,2.5]},{"not":{"type":"integer"}}]}"#, accept: [#""foo""#, "2.5"], reject: ["1"])
        // Container literals next to container keywords.
        try check(#"{"enum":[[1],[2,4],[5,6,7]],"maxItems":2,"items":{"maximum":4}}"#, accept: ["[1]", "[2,4]"], reject: ["[5,6,7]"])
        try check(#"{"enum":[{"a":1},{"b":2}],"required":["b"]}"#, accept: [#"{"b":2}"#], reject: [#"{"a":1}"#])
        // Some item that is not an integer (a number with a fraction counts).
        try check(#"{"not":{"items":{"type":"integer"}}}"#, accept: ["[1.5]", #"["a",1]"#], reject: ["[1,2]", "[]", "1"])
        // Without finite values or a negation form: still refused, naming the not.
        let why = refusal(#"{"not":{"patternProperties":{"^a":{"type":"integer"}}}}"#)
        #expect(why?.contains("not at #/not") == true, "\(why ?? "compiled")")
    }

    @Test func schemaDependenciesHoldOnlyWhenTheKeyIsPresent() throws {
        try check(#"{"$schema":"http://json-schema.org/draft-07/schema#","dependencies":{"bar":{"properties":{"foo":{"type":"integer"}},"required":["foo"]}}}"#,
                  accept: ["{}", #"{"foo":"s"}"#, #"{"foo":1,"bar":2}"#, "3", #""bar""#], reject: [#"{"bar":2}"#, #"{"foo":"s","bar":2}"#])
        try check(#"{"dependentSchemas":{"a":{"maxProperties":1}},"dependentRequired":{"b":["c"]}}"#,
                  accept: [#"{"a":1}"#, #"{"b":1,"c":2}"#, #"{"x":1,"y":2}"#], reject: [#"{"a":1,"x":2}"#, #"{"b":1}"#])
    }
}
