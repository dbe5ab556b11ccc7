@testable import FSMDecode
import Testing

/// A lexer is the product of its terminals' DFAs. Terminals that diverge on their first bytes
/// (JSON object members `"key":value` collapsed into one terminal each, with long string
/// values) give a product as big as the sum of their DFAs, which can exceed the state budget
/// although every terminal is within it. That must not be a budget error: it once was, met
/// while lexing, and the matcher silently rejected valid text (maskbench-dev
/// Github_medium---o9797.json: `{"items":[{` refused at the `{` with five `maxLength: 1024`
/// string members). Only overlapping states (several live parts) can multiply, so only they
/// count against the budget; a real blowup is still an error, reported, not a rejection.
@Suite struct GrammarRuntimeLexerBudgetTests {
    static func byteVocabulary() throws -> Vocabulary {
        try Vocabulary(kind: .plain, source: "<bytes>",
                       tokens: (0..<256).map { b in ([UInt8(b)], "<0x\(String(b, radix: 16))>", TokenFlags()) },
                       bosID: nil, eosIDs: [])
    }

    @Test func disjointTerminalsFitTheBudgetOfTheBiggest() throws {
        let dfas = try ["a[0-9]{0,60}", "b[0-9]{0,60}", "c[0-9]{0,60}", "d[0-9]{0,60}"].map { try RegexCompiler.compile($0) }
        let biggest = dfas.map(\.stateCount).max()!
        let product = try #require(try LexerProduct.build(dfas, maxStates: biggest, description: "test"))
        // The start (four parts) and every state of every part (one part each).
        #expect(product.dfa.stateCount == 1 + dfas.reduce(0) { $0 + $1.stateCount - 1 })
        for (i, d) in dfas.enumerated() {
            let text = Array("\("abcd".map { $0 }[i])0123456789".utf8)
            var s = product.dfa.start
            for b in text { s = product.dfa.next(s, b) }
            #expect(s >= 0 && product.labels[Int(s)] == [Int32(i)])
            #expect(d.validationFailure(text) == nil)
        }
    }

    @Test func overlappingTerminalsStillHitTheBudget() throws {
        // After "a" both parts are live: two overlapping states, over a budget of one.
        let dfas = try ["ab", "ac"].map { try RegexCompiler.compile($0) }
        #expect(throws: FSMDecodeError.self) { try LexerProduct.build(dfas, maxStates: 1, description: "test") }
        #expect(try LexerProduct.build(dfas, maxStates: 2, description: "test") != nil)
    }

    /// End to end: members with long string values, under a budget that fits the biggest
    /// terminal but not the union of the members: a valid instance is accepted (it was
    /// rejected at `{`), and the mask after the member's `{` is not empty.
    @Test func schemaWithLongStringMembersAcceptsValidInstance() throws {
        let schema = #"""
        {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
          "id": {"type": "string", "pattern": "^[A-Fa-f\\d]{24}$"},
          "a": {"type": "string", "maxLength": 40}, "b": {"type": "string", "maxLength": 40},
          "c": {"type": "string", "maxLength": 40}, "d": {"type": "string", "maxLength": 40},
          "e": {"type": "string", "maxLength": 40}}}}}}
        """#
        let doc = try JSONDocument(bytes: Array(schema.utf8), source: "budget-test.json")
        let compiled = try JSONSchemaCompiler.compile(doc.value, source: "budget-test.json")
        let v = try GrammarRuntimeLexerBudgetTests.byteVocabulary()
        let roomy = try GrammarConstraint(grammar: compiled.grammar, vocabulary: v)
        let biggest = roomy.tables.terminalDFAs.compactMap { $0?.stateCount }.max()!
        // The smallest power-of-two multiple of the biggest terminal that compiles (the DFA
        // builder counts unminimised states): room for one member, not for the five.
        var budget = biggest
        var tightOrNil: GrammarConstraint? = nil
        while tightOrNil == nil && budget <= 64 * biggest {
            do { tightOrNil = try GrammarConstraint(grammar: compiled.grammar, vocabulary: v, options: RegexOptions(maxStates: budget)) }
            catch let e as FSMDecodeError where e.kind == .budget { budget *= 2 }
        }
        let tight = try #require(tightOrNil)
        let text = #"{"items":[{"id":"62a4b6a7f3a4b6a7f3a4b6a7","a":"My Application","c":"x","e":"\u00e9t\u00e9"},{}]}"#
        for c in [roomy, tight] {
            var m = c.makeMatcher()
            let bytes = Array(text.utf8)
            #expect(try m.checkedViablePrefixLength(bytes) == bytes.count)
            let accepted = m.accept(bytes: bytes)
            #expect(accepted && m.isAccepting)
            // A mask right after the member's opening brace is not empty (the next lexer built).
            var p = c.makeMatcher()
            let opened = p.accept(bytes: Array(#"{"items":[{"#.utf8))
            #expect(opened)
            #expect(p.nextTokenMask().contains(0x22))
        }
    }
}
