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
    /// The cheap dictionary hash of the walk-cache and memo keys must still spread keys that
    /// differ in one small field over the buckets (a mixer that dropped a field would pile
    /// them into one), differ per seed, and agree for equal keys.
    @Test func seededHashSpreadsSmallKeysOverBuckets() {
        var keys: [WalkCache.Key] = []
        for list in Int32(0)..<16 { for lexer in Int32(0)..<16 { for state in Int32(0)..<64 { keys.append(.init(list: list, lexer: lexer, state: state)) } } }
        for seed in [0, 1, -7, 0x5DEE_CE66] {
            let buckets = Set(keys.map { $0._rawHashValue(seed: seed) & 0xFFFF })
            // 16,384 keys over 65,536 buckets: about 14,500 distinct for a random function.
            #expect(buckets.count > 13_500, "seed \(seed): \(buckets.count) buckets")
        }
        let k = WalkCache.Key(list: 3, lexer: 5, state: 7)
        #expect(k._rawHashValue(seed: 9) == WalkCache.Key(list: 3, lexer: 5, state: 7)._rawHashValue(seed: 9))
        #expect(k._rawHashValue(seed: 9) != k._rawHashValue(seed: 10))
        var memo = Set<Int>(), groups = Set<Int>()
        for i in 0..<4096 {
            let m = MaskMemoKey(contextA: 42, contextB: 7, lexer: Int32(i >> 7), state: Int32(i & 63), endsHere: i & 64 != 0)
            memo.insert(m._rawHashValue(seed: 3) & 0x3FFF)
            let g = GroupMemoKey(shape: .init(lexer: 2, endClass: Int32(i & 7), list: Int32(i >> 3 & 7)), contextA: UInt64(i >> 7), contextB: 1,
                                 levels: Int32(i >> 6 & 1))
            groups.insert(g._rawHashValue(seed: 3) & 0x3FFF)
        }
        // 4,096 keys over 16,384 buckets: about 3,600 distinct for a random function.
        #expect(memo.count > 3_300 && groups.count > 3_300, "\(memo.count), \(groups.count)")
        // State pairs packed in a word (products, tries): high and low halves both count.
        let pairs = Set((0..<4096).map { WordKey(UInt64($0 >> 6) << 32 | UInt64($0 & 63))._rawHashValue(seed: 5) & 0x3FFF })
        #expect(pairs.count > 3_300, "\(pairs.count)")
        // Dictionaries over these keys still find every entry.
        var d: [WalkCache.Key: Int] = [:]
        for (i, key) in keys.enumerated() { d[key] = i }
        #expect(keys.enumerated().allSatisfy { d[$0.element] == $0.offset })
    }

    /// A `format` string's terminal is an engine constant: its DFA is compiled once per
    /// process and kept when the terminal cache is cleared (cold benchmark compiles), so the
    /// next schema asking for the format reuses the same tables.
    @Test func formatTerminalDFAsOutliveClearing() throws {
        func terminalDFAs(_ schema: String) throws -> [ByteDFA] {
            let doc = try JSONDocument(bytes: Array(schema.utf8), source: "format.json")
            let c = try JSONSchemaCompiler.compile(doc.value, source: "format.json")
            return try GrammarConstraint(grammar: c.grammar, vocabulary: try #require(TestSupport.vocabulary("gpt2"))).tables.terminalDFAs.compactMap { $0 }
        }
        func biggest(_ dfas: [ByteDFA]) -> ByteDFA { dfas.max { $0.stateCount < $1.stateCount }! }
        func sameTables(_ a: ByteDFA, _ b: ByteDFA) -> Bool {
            a.table.withUnsafeBufferPointer { x in b.table.withUnsafeBufferPointer { y in x.baseAddress == y.baseAddress } }
        }
        let alone = #"{"type": "object", "properties": {"at": {"type": "string", "format": "date-time"}}}"#
        SharedCaches.clear()
        let first = biggest(try terminalDFAs(alone))
        #expect(first.stateCount > 100, "the date-time terminal: \(first.stateCount) states")
        SharedCaches.clear()
        #expect(SharedCaches.constantDFAs.count > 0)
        let again = biggest(try terminalDFAs(alone))
        #expect(again == first && sameTables(again, first), "read back, not rebuilt")
        // Another format: a constant of its own.
        let date = biggest(try terminalDFAs(#"{"type": "string", "format": "date"}"#))
        #expect(date != first && date.stateCount > 10)
    }

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
            #expect(CharacterSlices.admitted(d, q, runs: TokenSlice.runs(d))?.characters == r, "\(pattern) after \(prefix)")
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
        var restIDs = Set(slice.rest.trie.tokenIDs)
        #expect(slice.count + restIDs.count == v.trie.tokenIDs.count)
        for id in v.trie.tokenIDs {
            let inSlice = slice.bits[Int(id) >> 5] & (1 << (UInt32(id) & 31)) != 0
            let inRest = restIDs.remove(id) != nil
            #expect(inSlice != inRest, "token \(id) in both or neither")
        }
        // Every rest node maps to the full-trie node with the same bytes.
        for i in stride(from: 1, to: slice.rest.trie.nodeCount, by: 97) {
            let full = Int(slice.rest.fullNode[i])
            #expect(slice.rest.trie.depth[i] == v.trie.depth[full] && slice.rest.trie.byte[i] == v.trie.byte[full])
        }
        if let maxBytes {
            for id in v.trie.tokenIDs where slice.bits[Int(id) >> 5] & (1 << (UInt32(id) & 31)) != 0 {
                #expect(v.bytes(of: Int(id)).count <= maxBytes)
            }
        }
        }
    }

    /// The rest trie without the tokens cut by a control byte (`TokenSlice.uncut`) holds exactly
    /// the rest tokens that are not w·c·x with w well-formed UTF-8 of whole characters free of
    /// `"` and `\\` (at most the slice's bytes) and c < 0x20, by an oracle written apart
    /// (Swift's UTF-8 validation), on both vocabularies; its nodes map to the full trie's.
    @Test(arguments: ["llama3", "llama2"])
    func uncutRestDropsExactlyTheTokensAControlByteCuts(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        for maxBytes in TokenSlice.levels {
            let slice = TokenSlice(v, maxBytes: maxBytes)
            let uncut = Set(slice.uncut.trie.tokenIDs)
            var cut = 0
            for id in slice.rest.trie.tokenIDs {
                let bytes = v.bytes(of: Int(id))
                var expectCut = false
                if let i = bytes.firstIndex(where: { $0 < 0x20 }), i <= (maxBytes ?? .max) {
                    let w = Array(bytes[..<i])
                    expectCut = !w.contains(0x22) && !w.contains(0x5C) && String(validating: w, as: UTF8.self) != nil
                }
                #expect(uncut.contains(id) != expectCut, "token \(id) \(bytes) at \(maxBytes ?? 0) bytes")
                if expectCut { cut += 1 }
            }
            #expect(uncut.count + cut == slice.rest.trie.tokenIDs.count)
            #expect(cut > (name == "llama3" ? 1000 : 20), "\(cut) tokens cut at \(maxBytes ?? 0) bytes")
            for i in stride(from: 1, to: slice.uncut.trie.nodeCount, by: 37) {
                let full = Int(slice.uncut.fullNode[i])
                #expect(slice.uncut.trie.depth[i] == v.trie.depth[full] && slice.uncut.trie.byte[i] == v.trie.byte[full])
            }
        }
    }

    /// A state cuts controls exactly when no state its slice's words reach between characters
    /// (itself included) has a live control byte, within the slice's bytes.
    @Test func admissionsCutControlsOnlyWhereEveryReachedStateKillsThem() throws {
        let json = #"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])"#
        // (pattern, prefix, admitted level, cuts controls)
        let cases: [(String, String, Int, Bool)] = [
            ("\"\(json)*\"", "\"", 0, true),
            ("\"\(json)*\"", "\"ab\\n", 0, true),
            (#""[^"\\]*""#, "\"", 0, false),                                      // controls are characters
            ("\"[^\"\\\\\\x00-\\x1f]{20}[^\"\\\\]*\"", "\"", 0, false),        // live from 20 bytes on
            ("\"\(json){0,40}\"", "\"", 1, true),
            ("\"[^\"\\\\\\x00-\\x1f]{40}[\\x00-\\x1f]?\"", "\"", 1, true),      // live at 40 bytes: past 32
            ("\"[^\"\\\\\\x00-\\x1f]{20}[^\"\\\\]{0,30}\"", "\"", 1, false),     // live at 20 bytes: within 32
        ]
        for (pattern, prefix, level, cuts) in cases {
            let d = try SharedCachesTests.dfa(pattern)
            let q = d.run(Array(prefix.utf8))
            #expect(q >= 0, "\(pattern) after \(prefix)")
            let a = TokenSlice.widestAdmitted(d, q, runs: TokenSlice.runs(d))
            #expect(a == TokenSlice.Admission(level: level, cutsControls: cuts), "\(pattern) after \(prefix)")
            #expect(a.map { TokenSlice.Admission(code: $0.code) } == a)
        }
        // Character slices: (pattern, prefix, r, cuts controls).
        let counted: [(String, String, Int, Bool)] = [
            ("\"\(json){0,7}\"", "\"\\n", 6, true),
            (#""[^"\\]{0,7}""#, "\"éé", 5, false),
        ]
        for (pattern, prefix, r, cuts) in counted {
            let d = try SharedCachesTests.dfa(pattern)
            let q = d.run(Array(prefix.utf8))
            let got = CharacterSlices.admitted(d, q, runs: TokenSlice.runs(d))
            #expect(got?.characters == r && got?.cutsControls == cuts, "\(pattern) after \(prefix)")
        }
    }

    /// Every state of string DFAs whose walks skip the tokens cut by a control byte (a JSON
    /// string body, unbounded, bounded, counted near its bound) or must not (controls live
    /// within the slice) equals the brute-force oracle, on both vocabularies.
    @Test(arguments: ["llama3", "llama2"])
    func controlCutMasksStayExact(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let json = #"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])"#
        let patterns = ["\"\(json)*\"x", "\"\(json){0,40}\"", "\"\(json){2,9}\"",
                        "\"[^\"\\\\\\x00-\\x1f]{40}[\\x00-\\x1f]?\"", "\"[^\"\\\\\\x00-\\x1f]{20}[^\"\\\\]*\""]
        var cutting = 0
        for pattern in patterns {
            let d = try SharedCachesTests.dfa(pattern)
            for q in Self.expectSampledMasksExact(d, v, pattern, about: name == "llama3" ? 30 : 60)
            where TokenSlice.widestAdmitted(d, q, runs: TokenSlice.runs(d))?.cutsControls == true {
                cutting += 1
            }
        }
        #expect(cutting >= 6)
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

    // MARK: - Subtrees taken whole (`SubtreeGroups`)

    /// UTF-8 prefix validity by the code point ranges of RFC 3629 (the last character may be
    /// cut short): an oracle written apart from the automaton under test.
    private static func isUTF8Prefix(_ bytes: ArraySlice<UInt8>) -> Bool {
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            let (length, second): (Int, ClosedRange<UInt8>)
            switch b {
            case 0x00...0x7F: i += 1; continue
            case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
            case 0xE0: (length, second) = (3, 0xA0...0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
            case 0xED: (length, second) = (3, 0x80...0x9F)
            case 0xF0: (length, second) = (4, 0x90...0xBF)
            case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
            case 0xF4: (length, second) = (4, 0x80...0x8F)
            default: return false
            }
            for k in 1..<length {
                guard i + k < bytes.endIndex else { return true }
                if !(k == 1 ? second : 0x80...0xBF).contains(bytes[i + k]) { return false }
            }
            i += length
        }
        return true
    }

    /// Each sampled node's groups are those of its descendants' bytes, with bytes ≥ 0x80 split
    /// by whether every path below reads as UTF-8 from the node (Llama-2's byte tokens and
    /// Llama-3's split characters make both kinds).
    @Test(arguments: ["llama3", "llama2"])
    func subtreeGroupsAreTheBytesBelowEachNode(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let trie = v.trie
        let groups = SubtreeGroups(trie)
        var kinds = Set<UInt64>()
        for i in stride(from: 0, to: trie.nodeCount, by: TestSupport.fullSuites ? 7 : 101) {
            var want: UInt64 = 0
            var nonASCII = false, wellFormed = true
            var path: [UInt8] = []
            let base = Int(trie.depth[i])
            var height = 0
            for j in (i + 1)..<Int(trie.subtreeEnd[i]) {
                let b = trie.byte[j]
                height = max(height, Int(trie.depth[j]) - base)
                path.removeSubrange((Int(trie.depth[j]) - base - 1)...)
                path.append(b)
                if b < 0x80 { want |= 1 << UInt64(SubtreeGroups.groupOf[Int(b)]) } else { nonASCII = true }
                if wellFormed && !SharedCachesTests.isUTF8Prefix(path[...]) { wellFormed = false }
            }
            if nonASCII { want |= wellFormed ? SubtreeGroups.wholeCharacters : SubtreeGroups.otherNonASCII }
            #expect(groups.below[i] == want, "node \(i)")
            #expect(Int(groups.height[i]) == min(height, 255), "node \(i)")
            kinds.insert(want & (SubtreeGroups.wholeCharacters | SubtreeGroups.otherNonASCII))
        }
        #expect(kinds.count == 3, "sampled nodes with ASCII only below, whole characters below, and other bytes ≥ 0x80 below")
    }

    /// A state loops on a group exactly when every byte of it (every multi-byte character,
    /// through live, non-accepting states) leads it back to itself.
    @Test func loopsAreTheGroupsEveryByteKeeps() throws {
        let letters = (0x61...0x7A).map { UInt64(1) << UInt64(SubtreeGroups.groupOf[$0]) } + (0x41...0x5A).map { UInt64(1) << UInt64(SubtreeGroups.groupOf[$0]) }
        let word = letters.reduce(0, |) | 1 << UInt64(SubtreeGroups.groupOf[0x30]) | 1 << UInt64(SubtreeGroups.groupOf[0x2D]) | 1 << UInt64(SubtreeGroups.groupOf[0x5F])
        let quoteAndBackslash = UInt64(1) << UInt64(SubtreeGroups.groupOf[0x22]) | 1 << UInt64(SubtreeGroups.groupOf[0x5C])
        let control = UInt64(1) << UInt64(SubtreeGroups.groupOf[0x0A])
        let z = UInt64(1) << UInt64(SubtreeGroups.groupOf[0x5A])
        let ascii = (0..<128).reduce(UInt64(0)) { $0 | 1 << UInt64(SubtreeGroups.groupOf[$1]) }
        // (pattern, prefix, groups the state reached loops on)
        let cases: [(String, String, UInt64)] = [
            (#""[A-Za-z0-9_-]+""#, "\"a", word),
            (#""[^"\\Z]*""#, "\"", ascii & ~quoteAndBackslash & ~z | SubtreeGroups.wholeCharacters),
            (#""[^"\\\u00e9]*""#, "\"", ascii & ~quoteAndBackslash),  // é dies after its lead byte
            (#"[^\n]*"#, "", ascii & ~control | SubtreeGroups.wholeCharacters),   // (\n's group holds the other controls)
            (#""(?:[^"\\a]|a[^"\\ab])*""#, "\"", ascii & ~quoteAndBackslash & ~(1 << UInt64(SubtreeGroups.groupOf[0x61])) | SubtreeGroups.wholeCharacters),
            (#""(?:[^"\\a]|a[^"\\ab])*""#, "\"a", 0),
        ]
        for (pattern, prefix, want) in cases {
            let d = try SharedCachesTests.dfa(pattern)
            let q = d.run(Array(prefix.utf8))
            #expect(q >= 0)
            let loops = SubtreeGroups.loops(d)
            #expect((loops?[Int(q)] ?? 0) == want, "\(pattern) after \(prefix)")
        }
        #expect(SubtreeGroups.loops(try SharedCachesTests.dfa(#""[a-z]{3}""#)) == nil, "a counter loops nowhere")
    }

    /// `SubtreeGroups.chains`: every string of at most h bytes from the groups of entry (q, h)
    /// leads q through live, non-accepting states (random strings per entry), and a counter's
    /// states get their alphabet for as many bytes as the count has left.
    @Test func chainsAreBoundedRunsThroughLiveStates() throws {
        var seed: UInt64 = 0xC4A1
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) % n }
        let depth = SubtreeGroups.chainDepth
        var checked = 0
        for pattern in [#""[A-Za-z0-9_-]{1,30}""#, #""[0-9a-f]{8}-[0-9a-f]{4}""#, #""[1-9][0-9]{0,20}""#, #"[a-z]{0,12}"#,
                        #""(?:[a-z]{3}-){2,4}""#, #""[^"\\]{0,10}""#] {
            let d = try SharedCachesTests.dfa(pattern)
            // (Every state of the unquoted count accepts: no run, no table.)
            guard let chains = SubtreeGroups.chains(d) else {
                #expect(pattern == "[a-z]{0,12}", "\(pattern)")
                continue
            }
            for q in 0..<d.stateCount {
                for h in 1...depth {
                    let groups = chains[q * depth + h - 1]
                    if groups == 0 { continue }
                    let bytes = (0..<128).filter { groups & (1 << UInt64(SubtreeGroups.groupOf[$0])) != 0 }
                    #expect(groups & ~((1 << 61) - 1) == 0, "ASCII groups only")
                    for _ in 0..<4 {
                        var s = Int32(q)
                        for _ in 0..<(1 + next(h)) {
                            s = d.next(s, UInt8(bytes[next(bytes.count)]))
                            #expect(s >= 0 && !d.accepting[Int(s)], "\(pattern) state \(q) h \(h)")
                            if s < 0 { break }
                        }
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 1_000)
        // After the quote of a 30-character identifier: its alphabet for 16 bytes; after 25
        // characters, for 5 bytes and no more.
        let d = try SharedCachesTests.dfa(#""[A-Za-z0-9_-]{1,30}""#)
        let chains = try #require(SubtreeGroups.chains(d))
        let alphabet = Array("azAZ09_-".utf8).reduce(UInt64(0)) { $0 | 1 << UInt64(SubtreeGroups.groupOf[Int($1)]) }
        let open = d.run([0x22])
        #expect(chains[Int(open) * depth + depth - 1] & alphabet == alphabet)
        let late = d.run(Array("\"abcdefghijklmnopqrstuvwxy".utf8))
        #expect(chains[Int(late) * depth + 4] & alphabet == alphabet)
        #expect(chains[Int(late) * depth + 5] & alphabet == 0)
    }

    /// Every sampled state of length counters and fixed-width fields (whose walks take pure
    /// subtrees whole through `SubtreeGroups.chains`) equals the brute-force oracle.
    @Test(arguments: ["llama3", "llama2"])
    func boundedRunMasksStayExact(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let patterns = [#""[A-Za-z0-9_-]{1,255}""#, #""[0-9A-Za-z]{8}-[0-9A-Za-z]{4}""#, #""[1-9][0-9]{0,30}""#,
                        #"[a-z]{0,40}"#, #""(?:[a-z]{3}-){2,4}""#]
        for pattern in patterns {
            Self.expectSampledMasksExact(try SharedCachesTests.dfa(pattern), v, pattern, about: name == "llama3" ? 24 : 48)
        }
    }

    /// Compares the masks of about `count` of `d`'s states (all of a small DFA's) with the
    /// brute-force oracle, through a lazy store; returns the states compared. Llama-3's oracle
    /// is slow in debug builds; the sample is hashed, since a stride would meet one kind of
    /// state (a counter's come in blocks).
    @discardableResult
    static func expectSampledMasksExact(_ d: ByteDFA, _ v: Vocabulary, _ pattern: String, about count: Int) -> [Int32] {
        let store = MaskStore(dfa: d, vocabulary: v, mode: .lazy)
        let step = UInt64(max(1, d.stateCount / count))
        var compared: [Int32] = []
        for q in 0..<Int32(d.stateCount) where StampedSetTable.mix64(UInt64(q)) % step == 0 {
            var got = TokenMask(width: v.maskWidth)
            got.words.withUnsafeMutableBufferPointer { store.fill(state: q, into: $0) }
            #expect(got == oracleMask(d, v, state: q), "\(pattern) state \(q)")
            compared.append(q)
        }
        return compared
    }

    /// Every state of DFAs whose states loop on most bytes (strings over an alphabet, strings
    /// that must not contain a letter or a pair, text): the mask with subtrees taken whole
    /// equals the brute-force oracle.
    @Test(arguments: ["llama3", "llama2"])
    func loopingStateMasksStayExact(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let patterns = [#""[A-Za-z0-9_-]+""#, #""[^"\\Z]*""#, #""[^"\\\u00e9]*""#, #"[^\n]*"#, #".*"#,
                        #""(?:[^"\\a]|a[^"\\ab])*a?""#, #""(?:[^"\\]|\\.)*[^"\\Z]""#]
        var wideWalks = 0
        for pattern in patterns {
            let d = try SharedCachesTests.dfa(pattern)
            let store = MaskStore(dfa: d, vocabulary: v, mode: .lazy)
            let loops = SubtreeGroups.loops(d) ?? []
            for q in 0..<Int32(d.stateCount) {
                var got = TokenMask(width: v.maskWidth)
                got.words.withUnsafeMutableBufferPointer { store.fill(state: q, into: $0) }
                #expect(got == oracleMask(d, v, state: q), "\(pattern) state \(q)")
                if !loops.isEmpty && loops[Int(q)] != 0 { wideWalks += 1 }
            }
        }
        #expect(wideWalks >= 8)
    }

    /// Member names typed character by character beside undeclared ones (the lexer's states
    /// hold the any-other-string part, wide, and the declared names' literals: the wide part's
    /// stored mask is read in place and the literals' ids go on top): equal to the oracle.
    @Test(arguments: ["llama3", "llama2"])
    func memberNameStatesStayExact(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let keys = ["name", "names", "nameplate", "id", "identifier", "ids", "type", "typeName", "é"]
        let schema = #"{"type":"object","properties":{"# + keys.map { "\"\($0)\":{\"type\":\"integer\"}" }.joined(separator: ",") + "}}"
        let c = try GrammarConstraint(grammar: JSONSchemaTestSupport.compile(schema).grammar, vocabulary: v)
        for prefix in [#"{""#, #"{"n"#, #"{"name"#, #"{"names"#, #"{"i"#, #"{"id"#, #"{"x"#, #"{"typ"#, #"{"name":1,""#, #"{"\u00e"#] {
            var m = c.makeMatcher()
            let accepted = m.accept(bytes: Array(prefix.utf8))
            #expect(accepted, "\(prefix)")
            #expect(m.nextTokenMask() == GrammarRuntimeSupport.oracleMask(m), "after \(prefix)")
        }
    }

    /// Inside a JSON document, where lexemes end inside tokens (`"}`, `",`): keys that must not
    /// contain `ab` or `é` (the other keys of `patternProperties`), a value over an alphabet.
    @Test(arguments: ["llama3", "llama2"])
    func loopingStatesInsideDocumentsStayExact(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let schema = #"{"type":"object","patternProperties":{"ab":{"type":"integer"},"é":{"type":"boolean"}},"properties":{"id":{"type":"string","pattern":"^[A-Za-z0-9_-]+$"}}}"#
        let c = try GrammarConstraint(grammar: JSONSchemaTestSupport.compile(schema).grammar, vocabulary: v)
        let prefixes = name == "llama3" ? [#"{""#, #"{"xa"#, #"{"id":"A-b"#] : [#"{""#, #"{"xa"#, #"{"x中"#, #"{"a":1,"z"#, #"{"id":"A"#, #"{"id":"A-b_9"#]
        for prefix in prefixes {
            var m = c.makeMatcher()
            let accepted = m.accept(bytes: Array(prefix.utf8))
            #expect(accepted, "\(prefix)")
            #expect(m.nextTokenMask() == GrammarRuntimeSupport.oracleMask(m), "after \(prefix)")
        }
    }

    /// A string far longer than a token, masked character by character: the admission search
    /// at one position proves the next dozen (`TokenSlice.widestAdmitted`'s `proven`), and
    /// their masks still equal the brute-force oracle, up to and past the point where the
    /// bound comes within a slice's width.
    @Test func provenSliceLevelsKeepLongStringMasksExact() throws {
        guard let v = TestSupport.vocabulary("llama2") else { return }
        let schema = #"{"type":"object","properties":{"a":{"type":"string","maxLength":80}},"required":["a"]}"#
        let c = try GrammarConstraint(grammar: JSONSchemaTestSupport.compile(schema).grammar, vocabulary: v)
        var m = c.makeMatcher()
        let opened = m.accept(bytes: Array(#"{"a":""#.utf8))
        #expect(opened)
        let alphabet = ["x", "é", " ", "中", "y"]
        for n in 0..<80 {
            if n < 24 || n % 6 == 0 || n > 74 {
                #expect(m.nextTokenMask() == GrammarRuntimeSupport.oracleMask(m), "after \(n) characters")
            }
            let accepted = m.accept(bytes: Array(alphabet[n % alphabet.count].utf8))
            #expect(accepted, "character \(n)")
        }
    }
}
