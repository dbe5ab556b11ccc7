import Testing
@testable import FSMDecode

/// `SchemaCompiler.keyComplementPattern` is the any-string terminal minus the keys' terminals
/// (compiled as a DFA product); it must be the language of the plain construction,
/// `stringPattern(complement(of:))` (an any-character tail after every trie node, through the
/// NFA). Canonical DFAs: equal languages, `==` DFAs.
@Suite struct JSONSchemaKeyComplementTests {
    static func dfa(_ p: TerminalPattern) throws -> ByteDFA? {
        try RegexCompiler.compile(try ParseTables.regexAST(p, where: "test", options: RegexOptions()))
    }

    @Test func sameLanguageAsTheComplementRegex() throws {
        let keySets: [[String]] = [
            ["base", "height", "length", "radius", "width"],
            ["a", "ab", "abc", "b"],
            [""], ["", "x"], [],
            ["é", "e", "ée", "日本", "😀x"],        // non-ASCII keys: near reaches beyond ASCII
            ["\u{1}", "tab\t", "quote\"", "back\\slash", "~", " "],  // controls and escaped characters
        ]
        for keys in keySets {
            var c = SchemaCompiler(root: .object([]), source: "test", options: JSONSchemaOptions())
            let words = keys.map { $0.unicodeScalars.map(\.value) }
            let fast = try #require(try Self.dfa(c.keyComplementPattern(words)))
            let plain = try #require(try Self.dfa(c.stringPattern(SchemaCompiler.complement(of: words))))
            let same = fast == plain  // (a Bool, so a failure prints the keys, not two DFAs)
            #expect(same, "\(keys)")
            for k in keys { #expect(!fast.matches(Array(("\"" + k + "\"").utf8)), "\(keys): \(k)") }
            #expect(fast.matches(Array("\"zzz-not-a-key\"".utf8)))
        }
    }
}
