import FSMDecode
import Foundation
import Testing

/// Exact masks: at states reached by random valid prefixes (cut at random byte offsets,
/// including inside multi-byte characters) the filled mask equals the brute-force mask
/// (every token's bytes pushed through the parser), and is spot-checked against the reference
/// recognizer for character-level grammars.
@Suite struct GrammarRuntimeMaskTests {
    static let cases: [(String, String)] = {
        var out: [(String, String)] = []
        for f in ["json.gbnf", "json.lark", "arithmetic.gbnf", "c-like.lark", "sql-select.lark", "json-array.gbnf"] {
            out.append((f, "llama3"))
        }
        out.append(("json.gbnf", "llama2"))
        return out
    }()

    @Test(arguments: GrammarRuntimeMaskTests.cases.indices)
    func maskEqualsBruteForce(index: Int) throws {
        let (file, vocab) = GrammarRuntimeMaskTests.cases[index]
        guard let c = try GrammarRuntimeSupport.constraint(file, vocab) else { return }
        let g = c.grammar
        var rng = GrammarRuntimeSupport.RNG(state: UInt64(7 + index))
        let states = TestSupport.fullSuites ? 40 : 4
        var prefixes: [[UInt8]] = []
        // Hand-picked states: inside strings with multi-byte characters, before `",` `"}` `":"` `},{`.
        if file.hasPrefix("json.") {
            for s in ["{\"a\": \"x", "{\"ké\": [1, {\"b\": \"日本", "[{\"a\":1},{\"b\":\"c", "{\"a\":\"\u{1F600}", "[\"x\"", "{\"a\": 1"] {
                prefixes.append(Array(s.utf8))
            }
            prefixes.insert(Array(Array("{\"a\": \"日".utf8).dropLast()), at: 0)  // inside a 3-byte character
        }
        var attempts = 0
        while prefixes.count < states + (file.hasPrefix("json.") ? 7 : 0) && attempts < 200 {
            attempts += 1
            guard let s = GrammarRuntimeSupport.randomSentence(g, &rng, depthBudget: 6), !s.isEmpty, s.count < 200 else { continue }
            var m = c.makeMatcher()
            guard m.accept(bytes: s) else { continue }
            prefixes.append(Array(s.prefix(rng.below(s.count + 1))))
        }
        if !TestSupport.fullSuites { prefixes = Array(prefixes.prefix(file.hasPrefix("json.") ? 4 : 2)) }
        let ref = g.lexing == .characterLevel ? GrammarReferenceRecognizer(g) : nil
        for p in prefixes {
            var m = c.makeMatcher()
            let ok = m.accept(bytes: p)
            #expect(ok, "\(file): prefix not viable: \(String(decoding: p, as: UTF8.self))")
            guard ok else { continue }
            let mask = m.nextTokenMask()
            let oracle = GrammarRuntimeSupport.oracleMask(m)
            if let diff = GrammarRuntimeSupport.maskDifference(mask, oracle, c.vocabulary) {
                Issue.record("\(file)/\(vocab) after \(String(decoding: p, as: UTF8.self)): \(diff)")
            }
            #expect(!mask.isEmpty || m.isTerminated)
            // Reference spot check: a few allowed and a few rejected tokens.
            if let ref {
                let allowed = mask.allowedIDs.filter { c.vocabulary.isGrammarToken(Int($0)) }
                var sample: [Int32] = []
                for _ in 0..<6 where !allowed.isEmpty { sample.append(allowed[rng.below(allowed.count)]) }
                for _ in 0..<6 { let id = Int32(rng.below(c.vocabulary.size)); if c.vocabulary.isGrammarToken(Int(id)) { sample.append(id) } }
                for id in sample {
                    let units = (p + c.vocabulary.bytes(of: Int(id))).map(Int.init)
                    #expect(ref.isViablePrefix(units: units) == mask.contains(id),
                            "\(file): reference disagrees on token \(c.vocabulary.pieces[Int(id)]) after \(String(decoding: p, as: UTF8.self))")
                }
                let eos = c.vocabulary.eosIDs[0]
                #expect(mask.contains(eos) == ref.accepts(bytes: p))
            }
        }
    }

    /// Tokens that close one lexeme and open the next are allowed exactly where they fit.
    @Test func lexemeSpanningTokens() throws {
        guard let c = try GrammarRuntimeSupport.constraint("json.gbnf", "llama3") else { return }
        let v = c.vocabulary
        func id(_ s: String) -> Int32? { (0..<v.size).first { v.isGrammarToken($0) && v.bytes(of: $0) == Array(s.utf8) }.map(Int32.init) }
        var m = c.makeMatcher()
        _ = m.accept(bytes: Array("[{\"a\":1".utf8))
        var mask = m.nextTokenMask()
        if let t = id("},{") { #expect(mask.contains(t)) }
        if let t = id("\",") { #expect(!mask.contains(t)) }
        m = c.makeMatcher()
        _ = m.accept(bytes: Array("{\"key".utf8))
        mask = m.nextTokenMask()
        if let t = id("\":\"") { #expect(mask.contains(t)) }
        if let t = id("\":") { #expect(mask.contains(t)) }
        if let t = id("\"}") { #expect(!mask.contains(t)) }
        if let t = id("\",") { #expect(!mask.contains(t)) }
    }

    /// Longest-match lexing ends a lexeme inside a token only before a byte that cannot continue
    /// it: with `A: /a+/` then `B: /[ab]c/`, "aac" is not allowed at the start (A cannot end
    /// after the first "a", which the second continues, and "c" cannot start B), while "abc"
    /// and "aabc" are (A ends before the "b"). A walk that took every child of an accepting
    /// node as a boundary would allow "aac" as A "a" + B "ac".
    @Test func longestMatchEndsOnlyBeforeBytesThatCannotContinue() throws {
        let pieces = ["a", "b", "c", "aa", "ab", "ac", "aac", "abc", "aabc", "aaab"]
        let v = try Vocabulary(kind: .plain, source: "<test>", tokens: pieces.map { (Array($0.utf8), $0, TokenFlags()) },
                               bosID: nil, eosIDs: [])
        let g = try Grammar.lark(bytes: Array("start: A B\nA: /a+/\nB: /[ab]c/\n".utf8), file: "longest.lark")
        let c = try GrammarConstraint(grammar: g, vocabulary: v)
        let m = c.makeMatcher()
        let mask = m.nextTokenMask()
        if let diff = GrammarRuntimeSupport.maskDifference(mask, GrammarRuntimeSupport.oracleMask(m), v) { Issue.record("\(diff)") }
        let allowed = Set(mask.allowedIDs.map { pieces[Int($0)] })
        #expect(allowed == ["a", "aa", "ab", "abc", "aabc", "aaab"])
    }

    /// Batch filling across cores equals serial filling.
    @Test func batchFillEqualsSerial() throws {
        guard let c = try GrammarRuntimeSupport.constraint("json.gbnf", "llama3") else { return }
        let prefixes = ["", "{", "{\"a", "[1, 2", "{\"a\": [tr", "\"x\\u00", "[{\"b\": -0.5e"]
        var matchers: [GrammarMatcher] = []
        for p in prefixes {
            var m = c.makeMatcher()
            _ = m.accept(bytes: Array(p.utf8))
            matchers.append(m)
        }
        var masks = [TokenMask](repeating: TokenMask(width: c.vocabulary.maskWidth), count: matchers.count)
        GrammarConstraint.fillMasks(matchers, into: &masks)
        for (i, m) in matchers.enumerated() { #expect(masks[i] == m.nextTokenMask(), "prefix \(prefixes[i])") }
    }
}
