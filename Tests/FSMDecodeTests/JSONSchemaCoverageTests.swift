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
        let why = refusal(#"{"oneOf":[{"type":"integer"},{"minimum":2}]}"#)
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
}
