@testable import FSMDecode
import Testing

/// The vocabulary's token slices must never change a mask: a slice is used only where every
/// slice token is exact, and the slice and its rest trie partition the vocabulary.
@Suite struct SharedCachesTests {
    private static func dfa(_ pattern: String) throws -> ByteDFA {
        try RegexCompiler.compile(pattern, options: RegexOptions())
    }

    /// The terminal cache is keyed by pattern and budgets: patterns that agree on a long
    /// prefix (past `TerminalPattern.hash(into:)`'s bounded one) or differ only in a JSON
    /// string's values each get their own DFA, and a pattern cached under a big budget still
    /// fails under a small one.
    @Test func terminalCacheTellsPatternsAndBudgetsApart() throws {
        SharedCaches.clear()
        let prefix = (0 ..< 40).map { TerminalPattern.literal([UInt8(97 + $0 % 26)]) }
        let patterns: [TerminalPattern] = [
            .sequence(prefix + [.literal(Array("x".utf8))]),
            .sequence(prefix + [.literal(Array("y".utf8))]),
            .sequence(prefix + [.repetition(.codePointClass([48 ... 57]), min: 1, max: 3)]),
            .sequence([.jsonString(values: [[97, 98]]), .literal(Array(":".utf8))]),
            .sequence([.jsonString(values: [[97, 99]]), .literal(Array(":".utf8))]),
            .difference(.sequence([.literal(Array("\"".utf8)), .repetition(.codePointClass([97 ... 122]), min: 0, max: nil), .literal(Array("\"".utf8))]),
                        .jsonString(values: [[97]])),
        ]
        let options = RegexOptions()
        for round in 0 ..< 2 {  // the second round reads every DFA from the cache
            for p in patterns {
                let cached = try ParseTables.compileTerminal(p, where: "test", options: options, description: "test")
                let direct = try RegexCompiler.compile(ParseTables.regexAST(p, where: "test", options: options), options: options, description: "test")
                let same = cached == direct  // (not expanded: the tables are long)
                #expect(same, "round \(round): pattern \(p)")
            }
        }
        #expect(Set(patterns.map(\.structuralHash)).count == patterns.count)
        var small = options
        small.maxStates = 10
        #expect(throws: FSMDecodeError.self) {
            _ = try ParseTables.compileTerminal(patterns[2], where: "test", options: small, description: "test")
        }
    }

    @Test func sliceIsAdmittedOnlyWhereEverySliceStringStaysInside() throws {
        // (pattern, prefix leading to the state, admits)
        let cases: [(String, String, Bool)] = [
            (#""[^"\\]*""#, "\"", true),
            (#""(?:[^"\\]|\\.)*"x"#, "\"ab", true),
            (#""[^"\\]{0,3}""#, "\"", false),            // bounded: a long plain string dies
            (#""[^"\\a]*""#, "\"", false),               // `a` is a slice byte that dies
            (#"[^"\\]*"#, "", false),                    // accepting inside plain text
            (#""[^"\\\u00e9]*""#, "\"", false),          // é (C3 A9) dies after its lead byte
            (#"x"#, "", false),
        ]
        for (pattern, prefix, admits) in cases {
            let d = try SharedCachesTests.dfa(pattern)
            let q = d.run(Array(prefix.utf8))
            #expect(q >= 0)
            #expect(TokenSlice.admits(d, q, runs: TokenSlice.runs(d), maxBytes: nil) == admits, "\(pattern) after \(prefix)")
        }
    }

    @Test func boundedStringsAdmitTheSlicesOfShortTokens() throws {
        // (pattern, prefix, admitted at nil / 32 / 12 bytes): a code point takes 1 to 4 bytes,
        // so a slice of L bytes holds strings of up to L characters.
        let cases: [(String, String, [Bool])] = [
            (#""[^"\\]{0,40}""#, "\"", [false, true, true]),
            (#""[^"\\]{0,40}""#, "\"abcdefghij", [false, false, true]),   // 30 characters left
            (#""[^"\\]{0,40}""#, "\"" + String(repeating: "a", count: 30), [false, false, false]),
            (#""[^"\\]{5,40}""#, "\"", [false, true, true]),               // below minLength: still inside
            (#""[^"\\a]{0,40}""#, "\"", [false, false, false]),
        ]
        for (pattern, prefix, admits) in cases {
            let d = try SharedCachesTests.dfa(pattern)
            let q = d.run(Array(prefix.utf8))
            #expect(q >= 0)
            let got = TokenSlice.levels.map { TokenSlice.admits(d, q, runs: TokenSlice.runs(d), maxBytes: $0) }
            #expect(got == admits, "\(pattern) after \(prefix)")
        }
    }

    /// Masks inside a bounded string (where the length slices apply) equal the brute-force
    /// oracle, at every position up to the bound and past it.
    @Test func boundedStringMasksStayExact() throws {
        guard let v = TestSupport.vocabulary("llama2") else { return }
        let g = try Grammar.gbnf(bytes: Array(#"root ::= "\"" [^"\\]{2,40} "\"" "x""#.utf8), file: "bounded.gbnf")
        let c = try GrammarConstraint(grammar: g, vocabulary: v)
        for n in [0, 1, 5, 9, 20, 27, 31, 38, 40] {
            var m = c.makeMatcher()
            let accepted = m.accept(bytes: Array(("\"" + String(repeating: "é", count: n / 2) + String(repeating: "b", count: n - n / 2)).utf8))
            #expect(accepted)
            #expect(m.nextTokenMask() == GrammarRuntimeSupport.oracleMask(m), "after \(n) characters")
        }
    }

    /// Masks inside a chunked long string (`SchemaCompiler.chunkedRepetition`) equal the
    /// brute-force oracle: tokens that cross a chunk boundary, end the string at its bounds,
    /// or close it and go on (`",`, `"}`).
    @Test func chunkedStringMasksStayExact() throws {
        guard let v = TestSupport.vocabulary("llama2") else { return }
        let schema = #"{"type":"object","properties":{"a":{"type":"string","minLength":1030,"maxLength":1200},"b":{"type":"integer"}},"required":["a"]}"#
        let c = try GrammarConstraint(grammar: JSONSchemaTestSupport.compile(schema).grammar, vocabulary: v)
        let k = SchemaCompiler.chunkElements
        let last = 1200 / k * k  // the start of the last chunk
        for n in [0, 1, k - 3, k - 1, k, k + 1, 1030 / k * k - 2, 1029, 1030, 1150, last - 1, last, last + 1, 1197, 1199, 1200] {
            var m = c.makeMatcher()
            let chars = (0..<n).map { $0 % 5 == 0 ? "é" : $0 % 7 == 0 ? "\\n" : "x" }.joined()
            let accepted = m.accept(bytes: Array(("{\"a\":\"" + chars).utf8))
            #expect(accepted)
            #expect(m.nextTokenMask() == GrammarRuntimeSupport.oracleMask(m), "after \(n) characters")
        }
    }

    /// Character-count slices: admitted at r exactly where r characters are left of a
    /// length counter (and nothing else of R can follow), never where a longer word of R stays
    /// alive or the lexeme can end inside R.
    @Test func lengthCountersAdmitTheCharacterSliceOfWhatIsLeft() throws {
        let a = { (n: Int) in String(repeating: "a", count: n) }
        // (pattern, prefix leading to the state, r)
        let cases: [(String, String, Int?)] = [
            (#""[^"\\]{0,40}""#, "\"" + a(30), 10),
            (#""[^"\\]{0,40}""#, "\"" + a(39), 1),
            (#""[^"\\]{0,40}""#, "\"" + a(40), nil),                  // only the quote is left
            (#""[^"\\]{0,40}""#, "\"", nil),                          // 40 left: the 32-byte slice's
            (#""[^"\\]{5,40}""#, "\"" + a(30), 10),                  // past minLength
            (#""[^"\\]{5,40}""#, "\"ab", nil),                      // 38 left: past the search
            (#""[^"\\]{0,7}""#, "\"éé", 5),                          // characters, not bytes
            (#""[^"\\]{0,7}""#, "\"\u{1F600}", 6),
            (#""(?:[^"\\]|\\.){0,7}""#, "\"\\n", 6),             // an escape is one character
            (#""[^"\\a]{0,40}""#, "\"", nil),                          // `a` dies at once
            (#""[^"\\]{0,3}x*""#, "\"", nil),                          // `x` goes on after 3
            (#""[^"\\]{3}[^"\\]*""#, "\"", nil),                     // unbounded
            (#"[^"\\]{0,5}"#, "", nil),                                 // accepting inside R
        ]
        for (pattern, prefix, r) in cases {
            let d = try SharedCachesTests.dfa(pattern)
            let q = d.run(Array(prefix.utf8))
            #expect(q >= 0, "\(pattern) after \(prefix)")
            #expect(CharacterSlices.admitted(d, q, runs: TokenSlice.runs(d)) == r, "\(pattern) after \(prefix)")
        }
    }

    /// `CharacterSlices.tokens(upTo:)` holds exactly the tokens of the unbounded slice (R) with
    /// at most r characters, a character being counted at each byte that is not a UTF-8
    /// continuation byte.
    @Test(arguments: ["llama3", "llama2"])
    func characterSlicesHoldTheTokensOfRByLength(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let inR = TokenSlice(v, maxBytes: nil)
        let slices = CharacterSlices(v)
        for r in [1, 2, 5, 12, CharacterSlices.maxCharacters] {
            let (bits, count) = slices.tokens(upTo: r)
            var expected = 0
            for id in v.trie.tokenIDs {
                let i = Int(id)
                let characters = v.bytes(of: i).filter { $0 & 0xC0 != 0x80 }.count
                let want = inR.bits[i >> 5] & (1 << UInt32(i & 31)) != 0 && characters <= r
                let got = bits[i >> 5] & (1 << UInt32(i & 31)) != 0
                #expect(got == want, "token \(i) (\(v.bytes(of: i))) at r = \(r)")
                if want { expected += 1 }
            }
            #expect(count == expected)
        }
    }

    /// Masks inside strings bounded by `maxLength`, at every position of the last 31
    /// characters (where the character slices apply) and around them, with multi-byte
    /// characters and escapes counted as one character each, equal the brute-force oracle:
    /// tokens that fill the string to its bound, overrun it, or close it and go on (`",`, `"}`).
    @Test(arguments: ["llama3", "llama2"])
    func maxLengthStringMasksStayExact(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let schema = #"{"type":"object","properties":{"a":{"type":"string","maxLength":33},"b":{"type":"integer"}},"required":["a"]}"#
        let c = try GrammarConstraint(grammar: JSONSchemaTestSupport.compile(schema).grammar, vocabulary: v)
        let alphabet = ["x", "é", "\\n", "中", "\u{1F600}", " ", "y"]
        // (Llama-3's 128k-token oracle costs seconds a position in debug builds: fewer there.)
        let positions = name == "llama3" ? [1, 2, 17, 25, 31, 33] : [0, 1, 2, 5, 10, 17, 21, 22, 25, 28, 30, 31, 32, 33]
        for n in positions {
            var m = c.makeMatcher()
            let chars = (0..<n).map { alphabet[($0 * 5 + n) % alphabet.count] }.joined()
            let accepted = m.accept(bytes: Array(("{\"a\":\"" + chars).utf8))
            #expect(accepted, "after \(n) characters")
            #expect(m.nextTokenMask() == GrammarRuntimeSupport.oracleMask(m), "after \(n) characters")
        }
    }

    @Test func sliceTokensAndRestTriePartitionTheVocabulary() throws {
        guard let v = TestSupport.vocabulary("llama2") else { return }
        for maxBytes in TokenSlice.levels {
        let slice = TokenSlice(v, maxBytes: maxBytes)
        var restIDs = Set(slice.rest.tokenIDs)
        #expect(slice.count + restIDs.count == v.trie.tokenIDs.count)
        for id in v.trie.tokenIDs {
            let inSlice = slice.bits[Int(id) >> 5] & (1 << (UInt32(id) & 31)) != 0
            let inRest = restIDs.remove(id) != nil
            #expect(inSlice != inRest, "token \(id) in both or neither")
        }
        // Every rest node maps to the full-trie node with the same bytes.
        for i in stride(from: 1, to: slice.rest.nodeCount, by: 97) {
            let full = Int(slice.fullNode[i])
            #expect(slice.rest.depth[i] == v.trie.depth[full] && slice.rest.byte[i] == v.trie.byte[full])
        }
        if let maxBytes {
            for id in v.trie.tokenIDs where slice.bits[Int(id) >> 5] & (1 << (UInt32(id) & 31)) != 0 {
                #expect(v.bytes(of: Int(id)).count <= maxBytes)
            }
        }
        }
    }

    /// A count longer than any token: masks far from the bound and within a token's length
    /// of it (where tokens start to overrun the count) equal the brute-force oracle.
    @Test func longCountMasksStayExactUpToTheBound() throws {
        guard let v = TestSupport.vocabulary("llama2") else { return }
        let bound = v.trie.maxDepth * 3
        let g = try Grammar.gbnf(bytes: Array(#"root ::= "\"" [a-z0-9_]{1,\#(bound)} "\"""#.utf8), file: "count.gbnf")
        let c = try GrammarConstraint(grammar: g, vocabulary: v)
        for n in [3, v.trie.maxDepth, bound - v.trie.maxDepth - 1, bound - v.trie.maxDepth + 1, bound - 2, bound] {
            var m = c.makeMatcher()
            let accepted = m.accept(bytes: Array(("\"" + String(repeating: "a", count: n)).utf8))
            #expect(accepted)
            #expect(m.nextTokenMask() == GrammarRuntimeSupport.oracleMask(m), "after \(n) characters")
        }
    }
}
