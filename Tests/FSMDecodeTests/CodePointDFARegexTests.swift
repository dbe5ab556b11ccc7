import Testing
@testable import FSMDecode

/// `CodePointDFA.regex()` turns a string-value automaton back into one regex (one lexer
/// terminal instead of a rule per state). Automata with cycles — complements of unanchored
/// patterns, whose failure links loop back — go through state elimination; the regex must
/// denote the automaton's language exactly.
@Suite struct CodePointDFARegexTests {
    static let alphabetText = Array("abdeklrsx:é".unicodeScalars.map(\.value))

    /// Regex and automaton agree on every string up to length 4 over the test alphabet, and on
    /// random longer ones.
    static func expectSameLanguage(_ d: CodePointDFA, _ r: CodePointRegex, _ name: String) {
        var words: [[UInt32]] = [[]]
        var frontier: [[UInt32]] = [[]]
        for _ in 0..<4 {
            frontier = frontier.flatMap { w in alphabetText.map { w + [$0] } }
            words += frontier
        }
        var rng = GrammarRuntimeSupport.RNG(state: 11)
        for _ in 0..<300 { words.append((0..<(5 + rng.below(12))).map { _ in alphabetText[rng.below(alphabetText.count)] }) }
        // Strings that contain the searched words, so both answers occur.
        for w in ["sdkrel:", "xsdkrel:x", "ssdkrel:", "abab", "ba", "aab"] { words.append(Array(w.unicodeScalars.map(\.value))) }
        var wrong = 0
        for w in words where d.matches(w) != r.matches(w) { wrong += 1 }
        #expect(wrong == 0, "\(name): \(wrong) of \(words.count) strings judged differently")
    }

    @Test func cyclicAutomataBecomeExactRegexes() throws {
        let cases: [(String, Bool)] = [
            ("sdkrel:", true),   // keys not containing it (the Github_hard---o57432 shape)
            ("ab", true),
            ("^(ab|ba)*$", false),  // a cycle through two states, no complement
            ("a..$", false),     // unanchored start: a suffix window of three characters
            ("^(a|bk)*x(d|ee)*$", true),
        ]
        for (pattern, complemented) in cases {
            let search = try ECMARegexParser.parseSearch(pattern)
            let alphabet = CodePointAlphabet([search])
            var d = try CodePointDFA(search, alphabet: alphabet)
            if complemented { d = try d.complement() }
            let r = try #require(d.regex(), "\(pattern): no regex")
            CodePointDFARegexTests.expectSameLanguage(d, r, pattern)
        }
    }

    /// Past the node budget the answer is nil (the schema compiler then falls back to a rule
    /// per state), never a truncated regex.
    @Test func budgetIsRespected() throws {
        let search = try ECMARegexParser.parseSearch("(a|b)*a(a|b){6}$")
        let d = try CodePointDFA(search, alphabet: CodePointAlphabet([search]))
        #expect(d.count > 48 || d.regex(budget: 200) == nil)
        if let r = d.regex() { CodePointDFARegexTests.expectSameLanguage(d, r, "suffix window") }
    }
    /// Minimization by Hopcroft's algorithm (the default) and by Moore refinement (the old
    /// one, kept for wide alphabets) give the same automaton: the coarsest partition is unique
    /// and the breadth-first numbering canonical. Random partial tables (dead transitions,
    /// unreachable and non-co-reachable states, many equivalent ones) and realistic
    /// pattern ∩ length products.
    @Test func hopcroftAndMooreMinimizeAlike() throws {
        func same(_ a: CodePointDFA, _ b: CodePointDFA) -> Bool {
            a.count == b.count && a.start == b.start && a.next == b.next && a.accepting == b.accepting
        }
        let search = try ECMARegexParser.parseSearch("^[a-e]+(:[k-s]|x)*$")
        let alphabet = CodePointAlphabet([search])
        let k = alphabet.count
        var rng = GrammarRuntimeSupport.RNG(state: 27)
        var merged = 0
        for trial in 0..<300 {
            let n = 1 + rng.below(trial < 200 ? 12 : 90)
            // Few distinct target values make equivalent states likely.
            let targets = 1 + rng.below(n)
            let next = (0..<(n * k)).map { _ in rng.below(4) == 0 ? Int32(-1) : Int32(rng.below(targets)) }
            let accepting = (0..<n).map { _ in rng.below(3) == 0 }
            let d = CodePointDFA(alphabet: alphabet, count: n, start: Int32(rng.below(n)), next: next, accepting: accepting)
            let h = d.minimized(), m = d.minimized(byMoore: true)
            #expect(same(h, m), "trial \(trial): \(h.count) vs \(m.count) states")
            if h.count < n { merged += 1 }
        }
        #expect(merged > 100, "the random tables should exercise merging (\(merged))")
        for (pattern, lo, hi) in [("^[a-e]+(:[k-s]|x)*$", 3, 40), ("ab|ba", 0, 9), ("^(a|bk)*x(d|ee)*$", 5, 120), ("[^x]", 2, nil)] as [(String, Int, Int?)] {
            let r = try ECMARegexParser.parseSearch(pattern)
            let a = CodePointAlphabet([r])
            let product = try CodePointDFA(r, alphabet: a).combined(CodePointDFA.lengths(lo, hi, alphabet: a), .and)
            #expect(same(product.minimized(), product.minimized(byMoore: true)), "\(pattern) {\(lo),\(hi.map(String.init) ?? "")}")
        }
    }
}
