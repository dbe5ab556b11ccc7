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

/// `ByteDFA.jsonStringsComplement` (the undeclared-key terminal's direct product) must equal
/// the generic difference of the two automata, on hand-picked and random key sets.
@Suite struct JSONStringsComplementTests {
    @Test func equalsTheGenericDifference() throws {
        var sets: [[String]] = [
            ["base", "height", "length", "radius", "width"], ["a", "ab", "abc", "b"], [""], ["", "x"],
            ["é", "e", "ée", "日本", "😀x"], ["\u{1}", "tab\t", "quote\"", "back\\slash", "~", " ", "\u{7F}"],
            ["user_id", "group_id", "created_at", "updated_at", "id"], ["\u{FFFF}", "\u{10000}", "\u{E000}"],
        ]
        var seed: UInt64 = 0x9E37_79B9
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) % n }
        // Letters that are hex digits too (`\u0061` spells a with an `a`), so byte classes
        // that only the trie's escapes use meet classes the keys use raw.
        let alphabet = Array("ab_\"\\é😀\u{1}xAfF0u".unicodeScalars)
        for _ in 0 ..< 300 {
            sets.append((0 ..< 1 + next(8)).map { _ in String(String.UnicodeScalarView((0 ..< next(6)).map { _ in alphabet[next(alphabet.count)] })) })
        }
        for words in sets {
            let values = words.map { $0.unicodeScalars.map(\.value) }
            let direct = try ByteDFA.jsonStringsComplement(values, in: JSONLexemes.anyStringDFA, maxStates: 100_000, description: "test")
            let keys = try #require(try ByteDFA.jsonStrings(values, maxStates: 100_000, description: "test"))
            let generic = try JSONLexemes.anyStringDFA.subtracting(keys, maxStates: 100_000, description: "test")
            let same = direct == generic
            #expect(same, "\(words)")
        }
        // Other universes (a pattern's string; one big enough that the pairs are hashed, not
        // indexed flat): still the generic difference.
        let bounded = try RegexCompiler.compile(#""[a-z_]{0,3000}""#)
        let patterned = try RegexCompiler.compile(#""(ba|ab)*(_id)?""#)
        let finite = try RegexCompiler.compile(#""(a|b|ab|abc)""#)
        let escaped = try RegexCompiler.compile(#""([a-c]|\\u00[46][1-3])*""#)
        let words = (0 ..< 30).map { _ in (0 ..< 4 + next(6)).map { _ in UInt32(97 + next(3)) } } + [Array("ab_id".unicodeScalars.map(\.value))]
        for universe in [bounded, patterned, finite, escaped] {
            let direct = try ByteDFA.jsonStringsComplement(words, in: universe, maxStates: 100_000, description: "test")
            let keys = try #require(try ByteDFA.jsonStrings(words, maxStates: 100_000, description: "test"))
            let generic = try universe.subtracting(keys, maxStates: 100_000, description: "test")
            let same = direct == generic
            #expect(same, "universe of \(universe.stateCount) states")
            // Few keys (some leave the universe a state it no longer reaches, or nothing).
            for _ in 0 ..< 40 {
                let few = (0 ..< 1 + next(3)).map { _ in (0 ..< next(4)).map { _ in UInt32(97 + next(3)) } }
                let direct = try ByteDFA.jsonStringsComplement(few, in: universe, maxStates: 100_000, description: "test")
                let keys = try #require(try ByteDFA.jsonStrings(few, maxStates: 100_000, description: "test"))
                let generic = try universe.subtracting(keys, maxStates: 100_000, description: "test")
                let same = direct == generic
                #expect(same, "\(few) from a universe of \(universe.stateCount) states")
            }
        }
        do {
            _ = try ByteDFA.jsonStringsComplement([Array(repeating: 0x61, count: 5_000)], in: JSONLexemes.anyStringDFA, maxStates: 1_000, description: "huge key")
            Issue.record("no budget error")
        } catch let e as FSMDecodeError {
            #expect(e.kind == .budget && e.message.contains("huge key"))
        }
    }
}

/// An undeclared member name's DFA records the DFA it was cut from (`ByteDFA.FiniteDifference`),
/// and its mask store decides the unbounded token slice's admission on that universe instead
/// of searching the product. Per state, that decision must be the search's (keys short enough
/// for the search to close), and the masks those of the same DFA without the record.
@Suite struct FiniteDifferenceTests {
    static func keySets() -> [[[UInt32]]] {
        var sets: [[String]] = [
            ["base", "id"], ["a", "ab", "abc", "b"], [""], ["é", "日本", "😀x"], ["\u{1}", "t\t", "q\"", "\\", "~", " "],
        ]
        var seed: UInt64 = 0x51CE_D1FF
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) % n }
        let alphabet = Array("ab_\"\\é😀\u{1}xAfF0u".unicodeScalars)
        for _ in 0 ..< 60 {
            sets.append((0 ..< 1 + next(6)).map { _ in String(String.UnicodeScalarView((0 ..< next(4)).map { _ in alphabet[next(alphabet.count)] })) })
        }
        return sets.map { $0.map { $0.unicodeScalars.map(\.value) } }
    }

    @Test func admissionOnTheUniverseIsTheSearchs() throws {
        let universes = [JSONLexemes.anyStringDFA, try RegexCompiler.compile(#""[a-c_]{0,40}""#),
                         try RegexCompiler.compile(#""([a-c]|\\u00[46][1-3])*""#)]
        var admitted = 0
        for universe in universes {
            for values in Self.keySets() {
                guard let d = try ByteDFA.jsonStringsComplement(values, in: universe, maxStates: 100_000, description: "test") else { continue }
                let difference = try #require(d.finiteDifference)
                #expect(difference.base.count == d.stateCount)
                for q in 0 ..< Int32(d.stateCount) {
                    let viaUniverse = TokenSlice.widestAdmitted(universe, difference.base[Int(q)], runs: TokenSlice.runs(universe))
                    let searched = TokenSlice.widestAdmitted(d, q, runs: TokenSlice.runs(d))
                    #expect((viaUniverse?.level == 0) == (searched?.level == 0), "\(values) state \(q)")
                    if let viaUniverse, viaUniverse.level == 0, viaUniverse.cutsControls {
                        #expect(searched?.cutsControls == true, "\(values) state \(q)")
                    }
                    if viaUniverse?.level == 0 { admitted += 1 }
                }
            }
        }
        #expect(admitted > 300)
    }

    @Test func masksEqualThoseWithoutTheRecord() throws {
        guard let vocabulary = TestSupport.vocabulary("llama3") else { return }
        let words = TokenMask.wordCount(vocabulary.maskWidth)
        var a = [UInt32](repeating: 0, count: words), b = a
        for values in Self.keySets().prefix(12) {
            let d = try #require(try ByteDFA.jsonStringsComplement(values, in: JSONLexemes.anyStringDFA, maxStates: 100_000, description: "test"))
            let plain = ByteDFA(stateCount: d.stateCount, start: d.start, byteClass: d.byteClass, classCount: d.classCount,
                                table: d.table, accepting: d.accepting)
            #expect(d.finiteDifference != nil && plain.finiteDifference == nil)
            let recorded = MaskStore(dfa: d, vocabulary: vocabulary, mode: .lazy)
            let searched = MaskStore(dfa: plain, vocabulary: vocabulary, mode: .lazy)
            for q in 0 ..< Int32(d.stateCount) {
                a.withUnsafeMutableBufferPointer { recorded.fill(state: q, into: $0) }
                b.withUnsafeMutableBufferPointer { searched.fill(state: q, into: $0) }
                #expect(a == b, "\(values) state \(q)")
            }
        }
    }
}

/// `ByteDFA.jsonStrings` builds the spellings of JSON string values as a byte trie; it must be
/// the canonical DFA of the spelling pattern the regex compiler builds (`JSONLexemes.jsonScalar`
/// per character): raw, short escapes, `\u` hex of either case, surrogate pairs.
@Suite struct JSONStringSetDFATests {
    @Test func sameDFAAsTheSpellingPattern() throws {
        var sets: [[String]] = [
            ["base"], ["base", "height", "length", "radius", "width"], ["a", "ab", "abc", "b"], [""], ["", "x"],
            ["é", "e", "ée", "日本", "😀x", "😁"], ["\u{1}", "tab\t", "quote\"", "back\\slash", "sl/ash", "~", " ", "\u{7F}"],
            ["\u{FFFF}", "\u{10000}", "\u{10FFFF}", "\u{E000}", "\u{D7FF}"], ["jaj", "ja", "AAAA"],
        ]
        // One value (its trie is taken as minimal, not minimized): seeded random names over
        // letters whose `\u` spellings share digits, escapes and astral characters.
        var seed: UInt64 = 0xC0FFEE
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) % n }
        let alphabet = Array("aAzZ:jJ\"\\/\t\u{1}é日😀\u{FFFF}".unicodeScalars)
        for _ in 0 ..< 80 {
            sets.append([String(String.UnicodeScalarView((0 ..< next(9)).map { _ in alphabet[next(alphabet.count)] }))])
        }
        for words in sets {
            let values = words.map { Array($0.unicodeScalars.map(\.value)) }
            let direct = try #require(try ByteDFA.jsonStrings(values, maxStates: 100_000, description: "test"))
            let pattern = TerminalPattern.alternation(values.map { v in
                JSONLexemes.seq([.literal([0x22]), JSONLexemes.seq(v.map(JSONLexemes.jsonScalar)), .literal([0x22])])
            })
            let viaNFA = try #require(try RegexCompiler.compile(try ParseTables.regexAST(pattern, where: "test", options: RegexOptions())))
            let same = direct == viaNFA
            #expect(same, "\(words)")
            for w in words {
                #expect(direct.matches(Array(JSONText.quote(w).utf8)), "\(words): \(w)")
            }
            #expect(!direct.matches(Array("\"zzz-not-a-key\"".utf8)))
        }
        #expect(try ByteDFA.jsonStrings([], maxStates: 10, description: "test") == nil)
        // Past the budget: an error naming the place, not a huge automaton.
        do {
            _ = try ByteDFA.jsonStrings([Array(repeating: 0x61, count: 5000)], maxStates: 1000, description: "key at #/properties")
            Issue.record("no budget error")
        } catch let e as FSMDecodeError {
            #expect(e.kind == .budget && e.message.contains("key at #/properties") && e.message.contains("1000"))
        }
    }
}

extension JSONStringSetDFATests {
    /// Inside bigger patterns the set is spelled out as a tree (`RegexAST.jsonStrings`) for the
    /// NFA: the same language as the direct DFA.
    @Test func spelledTreeHasTheSameLanguage() throws {
        for words in [["base", "height"], ["é", "😀x", "tab\t", "q\"", "/"], [""]] {
            let values = words.map { Array($0.unicodeScalars.map(\.value)) }
            let tree = try #require(try RegexCompiler.compile(RegexAST.jsonStrings(values)))
            let same = tree == (try ByteDFA.jsonStrings(values, maxStates: 100_000, description: "test"))
            #expect(same, "\(words)")
        }
    }
}

extension JSONStringSetDFATests {
    /// One value's DFA comes from `canonicalTrieDFA` (sparse, over the trie's edges); the
    /// general path (`DFABuilder.canonical` over the dense node × class table) must give the
    /// same automaton: classes merged where bytes agree (hex letters of either case), numbering.
    @Test func sparseCanonicalFormEqualsTheDenseOne() throws {
        var seed: UInt64 = 0xBADC0DE
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) % n }
        let alphabet = Array("aAbBfF09zZ:jJ\"\\/\t\n\u{1}é日😀\u{FFFF}\u{10FFFF}".unicodeScalars)
        var merged = 0
        for trial in 0 ..< 300 {
            let v = (0 ..< (trial == 0 ? 0 : 1 + next(12))).map { _ in alphabet[next(alphabet.count)].value }
            let (b, close) = try ByteDFA.spellingTrie([v], maxStates: 100_000, description: "test")
            let sparse = ByteDFA.canonicalTrieDFA(b, accepting: close)
            let (byteClass, k) = ByteDFA.singletonClasses(b.edges.lazy.map(\.byte))
            var table = [Int32](repeating: ByteDFA.dead, count: b.count * k)
            for n in 0 ..< b.count {
                var e = Int(b.firstEdge[n])
                while e >= 0 { table[n * k + Int(byteClass[Int(b.edges[e].byte)])] = b.edges[e].target; e = Int(b.edges[e].next) }
            }
            var labelOf = [[Int32]](repeating: [], count: b.count)
            labelOf[Int(close)] = [0]
            let dense = DFABuilder.canonical(table: table, count: b.count, byteClass: byteClass, classCount: k, labelOf: labelOf,
                                             block: Array(0 ..< Int32(b.count)), live: [Bool](repeating: true, count: b.count),
                                             reverse: nil).dfa
            #expect(sparse == dense, "\(v)")
            if dense.classCount < k { merged += 1 }
        }
        // The trials do exercise merging (e.g. `\u` digits `a`/`A` leading to the same node).
        #expect(merged > 50)
    }
}

/// Generated member-name terminals carry no name text: their name is the pattern's, rendered
/// when a listing or message asks; a key over the state budget still names its terminal.
@Suite struct GeneratedTerminalNameTests {
    static func grammar(_ schema: String) throws -> Grammar {
        let doc = try JSONDocument(bytes: Array(schema.utf8), source: "k.json")
        return try JSONSchemaCompiler.compile(doc.value, source: "k.json").grammar
    }

    @Test func keyTerminalsAreNamedByTheirPattern() throws {
        let g = try Self.grammar(#"{"type":"object","properties":{"width":{"type":"integer"},"h\u00e9ight":{"type":"string"}}}"#)
        let keys = g.terminals.filter { if case .jsonString = $0.pattern { return true } else { return false } }
        #expect(keys.count >= 2)
        for t in keys {
            #expect(t.name == t.pattern.description)
            #expect(g.listing.contains(t.pattern.description))
        }
    }

    @Test func anOverBudgetKeyErrorNamesItsTerminal() throws {
        let key = String(repeating: "k", count: 400)
        let g = try Self.grammar(#"{"type":"object","properties":{"\#(key)":{"type":"integer"}},"additionalProperties":false}"#)
        do {
            _ = try ParseTables(grammar: g, vocabulary: nil, options: RegexOptions(maxStates: 300))
            Issue.record("no budget error")
        } catch let e as FSMDecodeError {
            #expect(e.kind == .budget, "\(e.message)")
            #expect(e.message.hasPrefix("terminal ") && e.message.contains("(k.json:1:1)") && e.message.contains("kkkk") && e.message.contains("300"), "\(e.message)")
        }
    }
}

extension GeneratedTerminalNameTests {
    /// Equality and hashing follow the rendered name: a terminal named by its pattern equals one
    /// given that text, and differs from one given another name.
    @Test func equalityComparesRenderedNames() {
        let loc = SourcePosition(file: "k.json", line: 1, column: 1)
        let p = TerminalPattern.jsonString(values: [[0x61, 0x62]])
        let generated = GrammarTerminal(name: nil, location: loc, pattern: p)
        let given = GrammarTerminal(name: p.description, location: loc, pattern: p)
        let other = GrammarTerminal(name: "AB", location: loc, pattern: p)
        #expect(generated == given && given == generated)
        #expect(generated.hashValue == given.hashValue)
        #expect(generated != other && other != given)
        let distinct: Set<GrammarTerminal> = [generated, given, other]
        #expect(distinct.count == 2)
    }
}
