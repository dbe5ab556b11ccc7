import Testing
@testable import FSMDecode

/// `ByteDFA.subtracting` (the product construction behind `TerminalPattern.difference`) and
/// the NFA embedding of its result inside bigger patterns (`RegexAST.automaton`), checked
/// against brute force: membership in A and not in B, on every string up to length 4 over a
/// small alphabet (with a two-byte character, so byte-level prefixes of it occur) and on
/// random longer ones.
@Suite struct RegexDifferenceTests {
    static let alphabet: [[UInt8]] = ["a", "b", "c", "é", "\""].map { Array($0.utf8) }

    static func words() -> [[UInt8]] {
        var all: [[UInt8]] = [[]]
        var frontier: [[UInt8]] = [[]]
        for _ in 0..<4 {
            frontier = frontier.flatMap { w in alphabet.map { w + $0 } }
            all += frontier
        }
        var rng = GrammarRuntimeSupport.RNG(state: 5)
        for _ in 0..<400 { all.append((0..<(5 + rng.below(8))).flatMap { _ in alphabet[rng.below(alphabet.count)] }) }
        // Every single byte, including the halves of `é` on their own.
        for b in 0..<256 { all.append([UInt8(b)]) }
        return all
    }

    static let patterns = ["(a|b)*", "a*", "ab|ba|", "[abc]{0,3}", "(ab)*c?", "é+a", ".*", "\"[a-c]*\"", "\"(a|ab)\"", "b", "(a|é)*b(a|é)*"]

    @Test func differenceMatchesBruteForce() throws {
        let ws = Self.words()
        var checked = 0
        for pa in Self.patterns {
            for pb in Self.patterns {
                let a = try RegexCompiler.compile(pa), b = try RegexCompiler.compile(pb)
                let d = try a.subtracting(b, maxStates: 10_000, description: "test")
                var wrong: [String] = []
                for w in ws {
                    let expected = a.matches(w) && !b.matches(w)
                    let got = d?.matches(w) ?? false
                    if got != expected { wrong.append(String(decoding: w, as: UTF8.self).debugDescription) }
                    checked += 1
                }
                #expect(wrong.isEmpty, "/\(pa)/ - /\(pb)/: \(wrong.count) strings judged wrongly, e.g. \(wrong.prefix(3))")
                // Trimmed: every state still leads to an accepted string.
                if let d { #expect((0..<d.stateCount).allSatisfy { Self.reachesAccept(d, Int32($0)) }, "/\(pa)/ - /\(pb)/: a state that accepts nothing") }
                if d == nil { #expect(!ws.contains { a.matches($0) && !b.matches($0) }, "/\(pa)/ - /\(pb)/: nil but not empty") }
            }
        }
        #expect(checked > 100_000)
    }

    static func reachesAccept(_ d: ByteDFA, _ s: Int32) -> Bool {
        var seen: Set<Int32> = [s], stack = [s]
        while let x = stack.popLast() {
            if d.accepting[Int(x)] { return true }
            for b in 0..<256 {
                let t = d.next(x, UInt8(b))
                if t != ByteDFA.dead && seen.insert(t).inserted { stack.append(t) }
            }
        }
        return false
    }

    /// The product is minimal and canonical: equal to the regex compiler's DFA of the same
    /// language written directly.
    @Test func differenceIsCanonical() throws {
        let cases: [(String, String, String)] = [
            ("[abc]*", "a*", "[abc]*[bc][abc]*"),
            ("\"[a-c]*\"", "\"(a|b)\"", "\"(|c|[a-c][a-c]+)\""),
            ("(ab)*", "", "(ab)+"),
        ]
        for (pa, pb, expected) in cases {
            let d = try RegexCompiler.compile(pa).subtracting(try RegexCompiler.compile(pb), maxStates: 1000, description: "test")
            let same = d == (try RegexCompiler.compile(expected))
            #expect(same, "/\(pa)/ - /\(pb)/ should be /\(expected)/")
        }
    }

    /// A difference inside a bigger pattern (a collapsed member rule: key, colon, value) is an
    /// automaton embedded in the NFA, with loops and continuations.
    @Test func embeddedDifferenceInsideSequencesAndLoops() throws {
        let any = TerminalPattern.regex(source: "\"[a-c]*\"", flags: [])
        let keys = TerminalPattern.alternation([.literal(Array("\"ab\"".utf8)), .literal(Array("\"c\"".utf8))])
        let key = TerminalPattern.difference(any, keys)
        let member = TerminalPattern.sequence([key, .literal(Array(":".utf8)), .regex(source: "[0-9]", flags: [])])
        let list = TerminalPattern.sequence([member, .repetition(.sequence([.literal(Array(",".utf8)), member]), min: 0, max: nil)])
        let dfa = try #require(try RegexCompiler.compile(try ParseTables.regexAST(list, where: "test", options: RegexOptions())))
        for (text, ok) in [("\"a\":1", true), ("\"ab\":1", false), ("\"c\":1", false), ("\"\":2,\"cc\":3", true),
                           ("\"a\":1,\"ab\":2", false), ("\"abc\":1,\"ba\":2,\"b\":3", true), ("\"a\":", false)] {
            #expect(dfa.matches(Array(text.utf8)) == ok, "\(text)")
        }
    }

    @Test func productPastTheBudgetIsABudgetError() throws {
        let a = try RegexCompiler.compile("[ab]*a[ab]{6}")
        let b = try RegexCompiler.compile("[ab]*b[ab]{7}")
        #expect(throws: FSMDecodeError.self) { try a.subtracting(b, maxStates: 50, description: "test") }
        do { _ = try a.subtracting(b, maxStates: 50, description: "terminal X") } catch let e as FSMDecodeError {
            #expect(e.kind == .budget && e.message.contains("terminal X") && e.message.contains("50"))
        }
    }
}
