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

    static func lexer(_ dfas: [ByteDFA], maxStates: Int) throws -> Lexer {
        try #require(Lexer(id: 0, terminals: dfas.indices.map { Int32($0) }, dfas: dfas, priorities: dfas.map { _ in 0 },
                           ignored: dfas.map { _ in false }, longestMatch: false, terminalStores: [], wordCount: 0,
                           maxStates: maxStates, description: "test"))
    }

    @Test func disjointTerminalsFitTheBudgetOfTheBiggest() throws {
        let dfas = try ["a[0-9]{0,60}", "b[0-9]{0,60}", "c[0-9]{0,60}", "d[0-9]{0,60}"].map { try RegexCompiler.compile($0) }
        let biggest = dfas.map(\.stateCount).max()!
        let lexer = try GrammarRuntimeLexerBudgetTests.lexer(dfas, maxStates: biggest)
        // The start (four parts) and every state of every part (one part each).
        #expect(lexer.materialized().dfa.stateCount == 1 + dfas.reduce(0) { $0 + $1.stateCount - 1 })
        for (i, d) in dfas.enumerated() {
            let text = Array("\("abcd".map { $0 }[i])0123456789".utf8)
            var s = lexer.start
            for b in text { s = lexer.next(s, b) }
            #expect(s >= 0 && lexer.labels(s) == [Int32(i)])
            #expect(d.matches(text))
        }
    }

    @Test func overlappingTerminalsStillHitTheBudget() throws {
        // After "a" both parts are live: two overlapping states, over a budget of one.
        let dfas = try ["ab", "ac"].map { try RegexCompiler.compile($0) }
        let tight = try GrammarRuntimeLexerBudgetTests.lexer(dfas, maxStates: 1)
        #expect(tight.next(tight.start, UInt8(ascii: "a")) == Lexer.overBudget)
        // Not cached: still over budget, and a byte leading to one part is fine.
        #expect(tight.next(tight.start, UInt8(ascii: "a")) == Lexer.overBudget)
        #expect(tight.next(tight.start, UInt8(ascii: "b")) == ByteDFA.dead)
        let roomy = try GrammarRuntimeLexerBudgetTests.lexer(dfas, maxStates: 2)
        let a = roomy.next(roomy.start, UInt8(ascii: "a"))
        #expect(a >= 0 && roomy.partCount(a) == 2)
        let ab = roomy.next(a, UInt8(ascii: "b"))
        #expect(ab >= 0 && roomy.labels(ab) == [0])
        let ac = roomy.next(a, UInt8(ascii: "c"))
        #expect(ac >= 0 && roomy.labels(ac) == [1])
    }

    /// The lazy product equals the product: every state of the materialized lexer accepts
    /// exactly the texts whose parts accept, on random texts over the terminals' alphabet.
    @Test func lazyProductMatchesItsParts() throws {
        let patterns = ["\"[a-c]*\"", "\"ab\"", "\"abc\"", "[a-c]+", "\"a[bc]{2,4}\"", "\"(\\\\[bc]|a)*\""]
        let dfas = try patterns.map { try RegexCompiler.compile($0) }
        let lexer = try GrammarRuntimeLexerBudgetTests.lexer(dfas, maxStates: 10_000)
        var rng = SeededRNG(seed: 7)
        let alphabet = Array("\"abc\\".utf8)
        for _ in 0..<2000 {
            let text = (0..<Int(rng.next() % 9)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            var s = lexer.start
            for b in text where s >= 0 { s = lexer.next(s, b) }
            let expected = dfas.indices.filter { dfas[$0].run(text) >= 0 }
            let accepting = dfas.indices.filter { dfas[$0].matches(text) }.map { Int32($0) }
            if expected.isEmpty {
                #expect(s == ByteDFA.dead, "\(String(decoding: text, as: UTF8.self))")
            } else {
                #expect(s >= 0 && lexer.labels(s) == accepting, "\(String(decoding: text, as: UTF8.self))")
                #expect(s >= 0 && (0..<lexer.partCount(s)).map { Int(lexer.part(s, $0).terminal) } == expected)
            }
        }
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
    /// A regular grammar too big to be one terminal (`ParseTables.collapseLimit`) is parsed as
    /// a grammar over its small rules, and a collapsed rule whose DFA passes the budget is
    /// parsed as rules (with the rules below it), each part lexed on its own. The language is
    /// the same: on every prefix of valid and invalid texts, the grammar constraint agrees byte
    /// by byte and mask by mask with the one DFA of the whole grammar, under the default budget
    /// and under one too small for the member rule `kv`.
    @Test func tooBigRegularRulesAreParsedAsRules() throws {
        let text = #"""
        root ::= "[" obj ("," obj){0,6} "]"
        obj ::= "{" kv ("," kv){0,6} "}"
        kv ::= [a-z]+ ":" ([0-9]{1,3} | "\"" [a-z]{0,8} "\"")
        """#
        let g = try Grammar.gbnf(text, file: "big.gbnf")
        let v = try GrammarRuntimeLexerBudgetTests.byteVocabulary()
        let whole = try #require(g.regularPatterns[g.start])
        #expect(!ParseTables.collapses(whole))
        let dfa = try #require(try RegexCompiler.compile(ParseTables.regexAST(whole, where: "big.gbnf", options: RegexOptions()),
                                                         options: RegexOptions(), description: "big.gbnf"))
        let reference = Constraint.regular(RegexConstraint(dfa: dfa, vocabulary: v, mode: .lazy))
        let kv = try #require(g.rules.firstIndex { $0.name == "kv" })
        #expect(ParseTables.collapses(try #require(g.regularPatterns[kv])))
        let roomy = try Constraint.compile(grammar: g, vocabulary: v)
        let small = try Constraint.compile(grammar: g, vocabulary: v, options: RegexOptions(maxStates: 12, maxNFAStates: 400))
        var splits: [Int] = []
        for c in [roomy, small] {
            guard case .grammar(let gc) = c else { Issue.record("expected a grammar constraint"); return }
            splits.append(gc.tables.terminals.count)
        }
        #expect(splits[1] > splits[0], "the member rule was not split into terminals under the small budget: \(splits)")
        let texts = [#"[{a:1,bc:"x"},{d:22}]"#, #"[{a:1},{b:2},{c:3},{d:4},{e:5},{f:6},{g:7},{h:8}]"#, #"[{a:1234}]"#,
                     #"[{a:"abcdefghi"}]"#, #"[{}]"#, #"[{a:1,b:2,c:3,d:4,e:5,f:6,g:7}]"#]
        for t in texts {
            for c in [roomy, small] {
                var a = reference.makeMatcher(), b = c.makeMatcher()
                for (i, byte) in t.utf8.enumerated() {
                    #expect(a.nextTokenMask() == b.nextTokenMask(), "\(t): masks differ before byte \(i)")
                    let okA = a.accept(token: Int32(byte)), okB = b.accept(token: Int32(byte))
                    #expect(okA == okB, "\(t): byte \(i) judged differently")
                    if !okA || !okB { break }
                }
                #expect(a.isAccepting == b.isAccepting, "\(t): completeness judged differently")
            }
        }
    }
}
