import FSMDecode
import Foundation
import Testing

/// The context-free runtime: acceptance on corpora and shipped examples (byte by byte and
/// token by token), agreement with the reference recognizer, rollback, deep nesting.
@Suite struct GrammarRuntimeTests {
    static let shipped = GrammarShippedTests.grammars

    /// Feeds units: strings as bytes (byte by byte) or as Llama-3 tokens; `{token: id}` as tokens.
    static func run(_ m: inout GrammarMatcher, _ units: [Any], byTokens: Bool, encoder: TokenEncoder) -> Bool {
        for u in units {
            if let s = u as? String {
                if byTokens {
                    for t in encoder.encode(bytes: Array(s.utf8)) where !m.accept(token: t) { return false }
                } else {
                    for b in s.utf8 where !m.accept(bytes: [b]) { return false }
                }
            } else if let d = u as? [String: Any], let id = d["token"] as? Int {
                if !m.accept(token: Int32(id)) { return false }
            }
        }
        return m.isAccepting
    }

    @Test func llamaCppCasesByBytesAndTokens() throws {
        guard let path = TestSupport.shared("corpora/gbnf/cases-sample.json") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/gbnf/cases-sample.json not found"); return
        }
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let encoder = try TokenEncoder(vocabulary: v)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let cases = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var checked = 0
        for c in cases where c["kind"] as? String == "grammar" && c["expect_build"] as? String == "ok" {
            let name = c["name"] as? String ?? "?"
            let g = try Grammar.gbnf(c["grammar"] as! String, file: name, start: c["root"] as? String ?? "root")
            let compiled = try GrammarConstraint(grammar: g, vocabulary: v)
            let usesTokens = c["uses_special_tokens"] as? Bool ?? false
            for (key, expected) in [("pass", true), ("fail", false)] {
                for raw in c[key] as? [Any] ?? [] {
                    let units: [Any] = (raw as? [Any]) ?? [raw]
                    for byTokens in usesTokens ? [true] : [false, true] {
                        var m = compiled.makeMatcher()
                        let got = GrammarRuntimeTests.run(&m, units, byTokens: byTokens, encoder: encoder)
                        #expect(got == expected, "case '\(name)' \(key) \(byTokens ? "tokens" : "bytes"): \(raw)")
                        checked += 1
                    }
                }
            }
        }
        #expect(checked > 100)
    }

    @Test(arguments: GrammarRuntimeTests.shipped.map(\.file))
    func shippedExamples(file: String) throws {
        guard let c = try GrammarRuntimeSupport.constraint(file, "llama3") else { return }
        guard let encoder = try? TokenEncoder(vocabulary: c.vocabulary) else { return }
        let dir = GrammarRuntimeTests.shipped.first { $0.file == file }!.examples
        for (kind, expected) in [("valid", true), ("invalid", false)] {
            for (name, bytes) in try GrammarShippedTests.examples(dir, kind) {
                var m = c.makeMatcher()
                let byBytes = m.accept(bytes: bytes) && m.isAccepting
                #expect(byBytes == expected, "\(file) \(kind)/\(name) by bytes")
                var t = c.makeMatcher()
                let tokens = encoder.encode(bytes: bytes)
                let byTokens = tokens.allSatisfy { t.accept(token: $0) } && t.isAccepting
                #expect(byTokens == expected, "\(file) \(kind)/\(name) by tokens")
                if expected {
                    // Rollback equals replay: undo half the tokens, replay them, compare masks.
                    let before = t.nextTokenMask()
                    let half = tokens.count / 2
                    t.rollback(half)
                    for tok in tokens.suffix(half) { let ok = t.accept(token: tok); #expect(ok) }
                    #expect(t.nextTokenMask() == before, "\(file) \(kind)/\(name): rollback + replay changed the mask")
                    let eosOK = t.accept(token: c.vocabulary.eosIDs[0])
                    #expect(eosOK)
                    #expect(t.isTerminated && t.nextTokenMask().isEmpty)
                }
            }
        }
    }

    /// Random sentences (GBNF: must be accepted) and their mutations, judged like the reference.
    @Test(arguments: GrammarRuntimeTests.shipped.map(\.file))
    func randomSentencesAndMutationsAgreeWithReference(file: String) throws {
        guard let c = try GrammarRuntimeSupport.constraint(file, "llama3") else { return }
        let g = c.grammar
        let ref = GrammarReferenceRecognizer(g)
        var rng = GrammarRuntimeSupport.RNG(state: 42)
        let samples = TestSupport.fullSuites ? 60 : 12
        var produced = 0
        for _ in 0..<samples * 3 where produced < samples {
            guard let s = GrammarRuntimeSupport.randomSentence(g, &rng, depthBudget: 8), s.count < 300 else { continue }
            produced += 1
            var m = c.makeMatcher()
            let ours = m.accept(bytes: s) && m.isAccepting
            let expected = ref.accepts(bytes: s)
            if g.lexing == .characterLevel { #expect(expected, "reference rejects a generated sentence") }
            #expect(ours == expected, "\(file): \(String(decoding: s, as: UTF8.self))")
            for _ in 0..<3 where !s.isEmpty {
                var mu = s
                let at = rng.below(mu.count)
                switch rng.below(3) {
                case 0: mu[at] = s[rng.below(s.count)]
                case 1: mu.remove(at: at)
                default: mu.insert(s[rng.below(s.count)], at: at)
                }
                var mm = c.makeMatcher()
                let got = mm.accept(bytes: mu) && mm.isAccepting
                #expect(got == ref.accepts(bytes: mu), "\(file) mutation: \(String(decoding: mu, as: UTF8.self))")
            }
        }
        #expect(produced >= samples / 2)
    }

    /// A set whose duplicate index grows while it holds many predicted items (added unindexed
    /// in bulk): 60 kernel items after "a", each predicting a nullable rule that predicts 400
    /// alternatives, then 60 nullable advances indexed after the predictions. (Re-indexing the
    /// predicted items on growth once overfilled the table and spun forever.)
    @Test func wideSetGrowsItsIndex() throws {
        var text = "start: " + (0..<60).map { "\"a\" r\($0)" }.joined(separator: " | ") + "\n"
        for i in 0..<60 { text += "r\(i): [\"b\(i)\" | big]\n" }
        text += "big: " + (0..<400).map { "\"c\($0)\"" }.joined(separator: " | ") + "\n"
        let v = try Vocabulary.load(path: TestSupport.repoRoot + "/Grammars/demo/tokenizer.json")
        let c = try GrammarConstraint(grammar: try Grammar.lark(text, file: "wide.lark"), vocabulary: v)
        for (input, ok) in [("a", true), ("ac399", true), ("ab7", true), ("ab60", false), ("ac400", false), ("b1", false)] {
            var m = c.makeMatcher()
            #expect((m.accept(bytes: Array(input.utf8)) && m.isAccepting) == ok, "\(input)")
        }
        var m = c.makeMatcher()
        _ = m.accept(bytes: Array("a".utf8))
        #expect(!m.nextTokenMask().isEmpty)
    }

    @Test func deepNestingDoesNotCrash() throws {
        guard let c = try GrammarRuntimeSupport.constraint("json.gbnf", "llama3") else { return }
        var m = c.makeMatcher()
        let n = 100_000
        let opened = m.accept(bytes: [UInt8](repeating: UInt8(ascii: "["), count: n))
        #expect(opened)
        #expect(!m.isAccepting)
        let closed = m.accept(bytes: [UInt8](repeating: UInt8(ascii: "]"), count: n))
        #expect(closed)
        #expect(m.isAccepting)
        var mask = m.nextTokenMask()
        #expect(mask.contains(c.vocabulary.eosIDs[0]))
        m.rollback(1)
        mask = m.nextTokenMask()
        #expect(!mask.isEmpty)
    }

    /// A grammar with no terminals (`root ::= ""`): the parser expects no lexeme anywhere (a
    /// lexer thread over zero terminal words), so the only mask is EOS and every byte is refused.
    @Test func grammarWithoutTerminalsAllowsOnlyEOS() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let c = try GrammarConstraint(grammar: try Grammar.gbnf("root ::= \"\"\n", file: "empty.gbnf"), vocabulary: v)
        var m = c.makeMatcher()
        #expect(m.isAccepting)
        let mask = m.nextTokenMask()
        #expect(mask.count == v.eosIDs.count && v.eosIDs.allSatisfy { mask.contains($0) })
        let accepted = m.accept(bytes: Array("x".utf8))
        #expect(!accepted)
    }

    @Test func validateReportsOffsetAndExpectation() throws {
        guard let c = try GrammarRuntimeSupport.constraint("json.gbnf", "llama3") else { return }
        let m = c.makeMatcher()
        let text = Array("{\"a\": tru}".utf8)
        let k = m.viablePrefixLength(text)
        #expect(k == 9)
    }
}
