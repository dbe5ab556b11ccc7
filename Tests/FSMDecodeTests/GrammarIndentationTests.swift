@testable import FSMDecode
import Foundation
import Testing

/// Python-style indentation (`%declare _INDENT _DEDENT`, Grammars/python.lark): the
/// indentation step's verdicts on hand-made cases (each checked against CPython's `compile`
/// when written, differences noted), the shipped examples, random programs rendered with
/// random indentation widths, and exact masks (brute force) at prefixes of them.
@Suite struct GrammarIndentationTests {
    static func python() throws -> Grammar { try Grammar.load(path: TestSupport.repoRoot + "/Grammars/python.lark") }

    static func accepts(_ c: GrammarConstraint, _ text: String) -> Bool {
        var m = c.makeMatcher()
        return m.accept(bytes: Array(text.utf8)) && m.isAccepting
    }

    static let cases: [(text: String, valid: Bool)] = [
        ("if x:\n    y\n", true),
        ("if x:\n    y\n  z\n", false),                  // unindent matches no outer level
        ("if x:\ny\n", false),                            // expected an indented block
        ("x\n    y\n", false),                            // unexpected indent
        ("if x:\n    if y:\n        z\nw\n", true),        // two dedents at once
        ("if x:\n    if y:\n        z\n", true),           // blocks closed at the end of input
        ("if x:\n    if y:\n        z\n    w\n", true),
        ("if x:\n    if y:\n        z\n      w\n", false), // between two open levels
        ("f(1,\n  2)\n", true),                           // newlines inside brackets are dropped
        ("x = [\n1,\n        2,\n]\n", true),
        ("x = 1 + \\\n  2\n", true),                      // line continuation
        ("if x:\n    y\n\n  # c\n    z\n", true),          // blank and comment lines do not count
        ("if x:  # c\n    y\n", true),
        ("# only a comment\n", true),
        ("if x:\n\ty\n\tz\n", true),
        ("if x:\n\ty\n        z\n", true),                // a tab is 8 columns (CPython: TabError)
        ("if x:\n    y", false),                          // needs the final newline (CPython adds one)
        ("x = (\n", false),
        ("x = 1)\n", false),
        ("x = (1]\n", false),
        ("def f(a, b=2, *c, **d):\n    return a\n", true),
        ("class C:\n    def f(self):\n        pass\n\n    x = 1\n", true),
        ("try:\n    a\nexcept E as e:\n    b\nfinally:\n    c\n", true),
        ("try:\n    a\n  except E:\n    b\n", false),
        ("while a:\n    if b: break\n    else: continue\n", true),
        ("s = '''a\n  b'''\nt = 1\n", true),              // a newline inside a string is not a line
        ("if x:\n    s = \"\"\"\nz\"\"\"\n    t\n", true),
        ("\n\n\nx\n", true),
        ("x = 1\n# a b c", true),                         // a comment's spaces do not indent (Lark: they do)
    ]

    @Test func indentationVerdicts() throws {
        guard let c = try GrammarRuntimeSupport.constraint("python.lark", "llama3") else { return }
        #expect(c.grammar.indentation != nil)
        for (text, valid) in GrammarIndentationTests.cases {
            #expect(GrammarIndentationTests.accepts(c, text) == valid, "\(valid ? "rejected" : "accepted"): \(text.debugDescription)")
        }
    }

    /// Where the indentation step is why the text stops, the matcher says so.
    @Test(arguments: [
        ("if x:\n    y\n  z\n", "matches no open block (they are indented 0, 4)"),
        ("if x:\ny\n", "expected an indented block (deeper than 0 columns), found 0"),
        ("x\n    y\n", "unexpected indent (4 columns, the block is at 0)"),
        ("x = (1\n  y\n", nil),
        ("x = 1 +\n", nil),
    ] as [(String, String?)])
    func indentationProblemsAreNamed(text: String, fragment: String?) throws {
        guard let c = try GrammarRuntimeSupport.constraint("python.lark", "llama3") else { return }
        var m = c.makeMatcher()
        let bytes = Array(text.utf8)
        let k = m.viablePrefixLength(bytes)
        #expect(k < bytes.count)
        _ = m.accept(bytes: Array(bytes[..<k]))
        if let fragment {
            #expect(m.indentationProblem()?.contains(fragment) == true, "\(m.indentationProblem() ?? "nil")")
        } else {
            #expect(m.indentationProblem() == nil)
        }
    }

    @Test func shippedExamples() throws {
        guard let c = try GrammarRuntimeSupport.constraint("python.lark", "llama3") else { return }
        let valid = try GrammarShippedTests.examples("python", "valid"), invalid = try GrammarShippedTests.examples("python", "invalid")
        #expect(valid.count >= 4 && invalid.count >= 5)
        for (name, bytes) in valid {
            #expect(GrammarIndentationTests.accepts(c, String(decoding: bytes, as: UTF8.self)), "valid/\(name) rejected")
            // Token by token, as a model would produce it: every token in its mask, EOS at the end.
            var t = c.makeMatcher()
            for id in (try TokenEncoder(vocabulary: c.vocabulary)).encode(bytes: bytes) {
                let mask = t.nextTokenMask()
                #expect(mask.contains(id), "valid/\(name): token \(c.vocabulary.pieces[Int(id)].debugDescription) not in the mask at byte \(t.position)")
                guard t.accept(token: id) else { break }
            }
            #expect(t.nextTokenMask().contains(c.vocabulary.eosIDs[0]), "valid/\(name): EOS not allowed at the end")
        }
        for (name, bytes) in invalid {
            #expect(!GrammarIndentationTests.accepts(c, String(decoding: bytes, as: UTF8.self)), "invalid/\(name) accepted")
        }
    }

    /// A random program: the grammar's sentence with `_NEWLINE`, `_INDENT` and `_DEDENT`
    /// rendered (a newline waits for the next lexeme to learn its line's indentation; an
    /// indent adds 1, 2, 4 or 8 columns). Keywords NAME draws may make it invalid: callers skip those.
    static func randomProgram(_ g: Grammar, _ rng: inout GrammarRuntimeSupport.RNG) -> [UInt8]? {
        let ind = g.indentation!
        let height = GrammarRuntimeSupport.productionHeights(g)
        var out: [UInt8] = []
        var widths: [Int] = [0]
        var pendingNewline = false
        var stack: [(GrammarSymbol, Int)] = [(.rule(g.start), 0)]
        var expansions = 0
        while let (s, depth) = stack.popLast() {
            if s.isTerminal {
                switch s.index {
                case ind.newline: pendingNewline = true
                case ind.indent: widths.append(widths.last! + [1, 2, 4, 8][rng.below(4)])
                case ind.dedent: widths.removeLast()
                default:
                    if pendingNewline {
                        if rng.below(4) == 0 { out += Array("  # note".utf8) }
                        out += rng.below(5) == 0 ? [0x0A, 0x0A] : [0x0A]
                        out += [UInt8](repeating: 0x20, count: widths.last!)
                        pendingNewline = false
                    }
                    guard let bytes = GrammarRuntimeSupport.randomString(g.terminals[s.index].pattern, &rng) else { return nil }
                    out += bytes
                    out.append(0x20)
                }
                continue
            }
            expansions += 1
            let prods = Array(g.productions(of: s.index))
            let p = depth > 8 || expansions > 400 ? prods.min { height[$0] < height[$1] }! : prods[rng.below(prods.count)]
            for sym in g.symbols(ofProduction: p).reversed() { stack.append((sym, depth + 1)) }
            if out.count > 3000 { return nil }
        }
        if pendingNewline { out.append(0x0A) }
        return out
    }

    @Test func randomProgramsAreAcceptedTokenByToken() throws {
        guard let c = try GrammarRuntimeSupport.constraint("python.lark", "llama3") else { return }
        var rng = GrammarRuntimeSupport.RNG(state: 2026)
        var accepted = 0, indented = 0
        for _ in 0..<(TestSupport.fullSuites ? 400 : 60) {
            guard let p = GrammarIndentationTests.randomProgram(c.grammar, &rng) else { continue }
            var m = c.makeMatcher()
            guard m.accept(bytes: p), m.isAccepting else { continue }
            accepted += 1
            if p.contains(0x0A) && String(decoding: p, as: UTF8.self).contains("\n ") { indented += 1 }
            var t = c.makeMatcher()
            var ok = true
            for id in (try TokenEncoder(vocabulary: c.vocabulary)).encode(bytes: p) {
                if !t.nextTokenMask().contains(id) || !t.accept(token: id) { ok = false; break }
            }
            #expect(ok && t.isAccepting, "token by token: \(String(decoding: p, as: UTF8.self).debugDescription)")
        }
        #expect(accepted >= (TestSupport.fullSuites ? 100 : 15) && indented >= (TestSupport.fullSuites ? 30 : 4),
                "accepted \(accepted), indented \(indented)")
    }

    /// Masks equal the brute-force oracle at prefixes of the examples and of random programs,
    /// cut anywhere: inside a newline's indentation, right after a dedent, inside brackets.
    @Test func masksEqualBruteForce() throws {
        guard let c = try GrammarRuntimeSupport.constraint("python.lark", "llama3") else { return }
        var rng = GrammarRuntimeSupport.RNG(state: 77)
        // Pairs that parse alike but for indentation, in an order where a memo shared between
        // them would hand the second the first's mask: blocks at different widths (the
        // context hash must cover the indentation stack), lines of different widths ending
        // in the same kind of lexer state (end classes must tell widths apart).
        var prefixes: [[UInt8]] = [
            "if x:\n    y\n ", "if x:\n  y\n ", "if x:\n    y\n   ", "if x:\n    y\n     ",
            "if x:\n", "if x:\n    if y:\n        z\n    ", "def f(a,\n", "x = [1,\n    ",
            "class C:\n    def f(self):\n        pass\n\n",
        ].map { Array($0.utf8) }
        if !TestSupport.fullSuites { prefixes = Array(prefixes.prefix(6)) }
        let examples = try GrammarShippedTests.examples("python", "valid").map(\.1)
        let wanted = TestSupport.fullSuites ? 69 : 8
        var attempts = 0
        while prefixes.count < wanted && attempts < 400 {
            attempts += 1
            let base: [UInt8]
            if attempts % 2 == 0 { base = examples[rng.below(examples.count)] } else {
                guard let p = GrammarIndentationTests.randomProgram(c.grammar, &rng) else { continue }
                var m = c.makeMatcher()
                guard m.accept(bytes: p) else { continue }
                base = p
            }
            // Prefer cuts just after a line feed or inside indentation.
            var cut = rng.below(base.count + 1)
            if rng.below(2) == 0, let nl = base[..<cut].lastIndex(of: 0x0A) { cut = min(base.count, nl + 1 + rng.below(6)) }
            prefixes.append(Array(base.prefix(cut)))
        }
        for p in prefixes {
            var m = c.makeMatcher()
            guard m.accept(bytes: p) else { Issue.record("prefix not viable: \(String(decoding: p, as: UTF8.self).debugDescription)"); continue }
            let mask = m.nextTokenMask()
            let oracle = GrammarRuntimeSupport.oracleMask(m)
            if let diff = GrammarRuntimeSupport.maskDifference(mask, oracle, c.vocabulary) {
                Issue.record("after \(String(decoding: p, as: UTF8.self).debugDescription): \(diff)")
            }
        }
    }

    /// A newline the indentation step answers with nothing the parser can take (no indent
    /// after a block header, a dedent to no open block) leaves only ignored lexemes able to
    /// follow: they must not be allowed, the text can never be completed.
    @Test func noDeadEndsAfterRefusedIndentation() throws {
        guard let c = try GrammarRuntimeSupport.constraint("python.lark", "llama3") else { return }
        for (prefix, dead, alive) in [("def f(x):\n", ["\u{0C}", "\\"], [" ", "    ", "\n", "#"]),
                                      ("if x:\n    y\n  ", ["\u{0C}", "\\"], [" ", "  ", "\n"]),
                                      ("x = 1\n", [], ["\u{0C}", "\\", " ", "y", "\n"])] {
            var m = c.makeMatcher()
            let ok = m.accept(bytes: Array(prefix.utf8))
            #expect(ok)
            for d in dead { #expect(m.viablePrefixLength(Array(d.utf8)) == 0, "\(prefix.debugDescription) + \(d.debugDescription)") }
            for a in alive { #expect(m.viablePrefixLength(Array(a.utf8)) == a.utf8.count, "\(prefix.debugDescription) + \(a.debugDescription)") }
        }
    }

    @Test func rollbackRestoresIndentation() throws {
        guard let c = try GrammarRuntimeSupport.constraint("python.lark", "llama3") else { return }
        let text = "if a:\n    if b:\n        c\n    d\ne\n"
        let ids = (try TokenEncoder(vocabulary: c.vocabulary)).encode(bytes: Array(text.utf8))
        var m = c.makeMatcher()
        var masks: [TokenMask] = []
        for id in ids {
            masks.append(m.nextTokenMask())
            let ok = m.accept(token: id)
            #expect(ok)
        }
        #expect(m.isAccepting)
        for back in stride(from: ids.count, through: 1, by: -1) {
            m.rollback(1)
            #expect(m.nextTokenMask() == masks[back - 1], "after rolling back to token \(back - 1)")
        }
    }

    @Test(arguments: [
        ("start: A _INDENT\nA: \"a\"\n_NL: /\\n/\n%declare _INDENT\n", "exactly _INDENT and _DEDENT"),
        ("start: A _INDENT _DEDENT\nA: \"a\"\n%declare _INDENT _DEDENT\n", "needs a newline terminal"),
        ("start: A FOO\nA: \"a\"\n%declare FOO\n", "%declare FOO"),
        ("start: A _NL _INDENT _DEDENT\nA: \"a\"\n_NL: /\\n/\n_INDENT: \"x\"\n%declare _INDENT _DEDENT\n", "already defined"),
        ("start: A\nA: \"a\"\n%declare\n", "expecting terminal names"),
        ("start: A _NL _INDENT _DEDENT\nA: \"a\"\n_NL: /\\n/\n%ignore _NL\n%declare _INDENT _DEDENT\n", "cannot be %ignore'd"),
    ])
    func declarationErrors(source: String, fragment: String) {
        do {
            _ = try Grammar.lark(source, file: "g.lark")
            Issue.record("accepted: \(source)")
        } catch let e as FSMDecodeError {
            #expect(e.message.contains(fragment), "\(e.message)")
        } catch { Issue.record("\(error)") }
    }

    /// The newline terminal's DFA counts columns, so its lexer states tell widths apart.
    @Test func countingColumnsDFA() throws {
        let d = try RegexCompiler.compile("^(\n[\t ]*|#[^\n]*)+$")
        let (counted, widths) = IndentationTracker.countingColumns(d, tabWidth: 8, maxColumns: 20)!
        func width(_ s: String) -> Int32? {
            let q = counted.run(Array(s.utf8))
            return q >= 0 && counted.accepting[Int(q)] ? widths[Int(q)] : nil
        }
        #expect(width("\n") == 0)
        #expect(width("\n   ") == 3)
        #expect(width("\n\t ") == 9)
        #expect(width("\n \t") == 9)
        #expect(width("\n" + String(repeating: " ", count: 20)) == 20)
        #expect(width("\n" + String(repeating: " ", count: 21)) == nil)
        #expect(width("x") == nil)
        // A comment's own spaces do not count; the next line starts afresh.
        #expect(width("\n  # a b c") == 2)
        #expect(width("\n  # a b c\n\t") == 8)
        #expect(width("\n # " + String(repeating: " ", count: 40)) == 1)
    }
}
