import FSMDecode
import Foundation
import Testing

/// Front-end behaviour: syntax, desugaring, validation errors with locations, budgets.
@Suite struct GrammarFrontEndTests {
    func gbnfError(_ text: String, limits: GrammarLimits = GrammarLimits()) -> String {
        do { _ = try Grammar.gbnf(text, file: "g.gbnf", limits: limits); return "" } catch let e as FSMDecodeError { return e.message } catch { return "\(error)" }
    }

    func larkError(_ text: String) -> String {
        do { _ = try Grammar.lark(text, file: "g.lark"); return "" } catch let e as FSMDecodeError { return e.message } catch { return "\(error)" }
    }

    /// llama.cpp's grammar cases: pass strings accepted, fail strings rejected (reference recognizer).
    @Test func llamaCppCasesPassAndFail() throws {
        guard let path = TestSupport.shared("corpora/gbnf/cases-sample.json") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/gbnf/cases-sample.json not found"); return
        }
        let cases = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
        var checked = 0
        for c in cases where c["kind"] as? String == "grammar" && c["expect_build"] as? String == "ok" {
            let g = try Grammar.gbnf(c["grammar"] as! String, file: c["name"] as! String, start: c["root"] as? String ?? "root")
            let r = GrammarReferenceRecognizer(g)
            func units(_ v: Any) -> [Int] {
                if let s = v as? String { return Array(s.utf8).map(Int.init) }
                return (v as! [Any]).flatMap { p -> [Int] in
                    if let s = p as? String { return Array(s.utf8).map(Int.init) }
                    return [256 + ((p as! [String: Any])["token"] as! Int)]
                }
            }
            for p in c["pass"] as! [Any] { #expect(r.accepts(units: units(p)), "\(c["name"]!): pass \(p)"); checked += 1 }
            for f in c["fail"] as! [Any] { #expect(!r.accepts(units: units(f)), "\(c["name"]!): fail \(f)"); checked += 1 }
        }
        #expect(checked > 60)
    }

    @Test func gbnfSyntax() throws {
        let g = try Grammar.gbnf(#"""
        # comment
        root ::= "a\n\t\\\"\x41\u00e9\U0001F600" [^a-c\]] . x{2,3} y-1 (
            "p" | "q" )+   # trailing
        x ::= [0-9]
        y-1 ::= "z"{0,} "w"?
        """#, file: "t")
        #expect(g.terminals.contains { $0.pattern == .literal(Array("a\n\t\\\"Aé😀".utf8)) })
        #expect(g.terminals.contains { $0.pattern == .codePointClass(TerminalPattern.normalizeClass([0x61...0x63, 0x5D...0x5D], negated: true)) })
        let r = GrammarReferenceRecognizer(g)
        #expect(r.accepts("a\n\t\\\"Aé😀d€12zzwpqp"))
        #expect(r.accepts("a\n\t\\\"Aé😀dx123p"))
        #expect(!r.accepts("a\n\t\\\"Aé😀bx12p"))      // b excluded
        #expect(!r.accepts("a\n\t\\\"Aé😀dx1p"))       // x{2,3} needs 2
        #expect(!r.accepts("a\n\t\\\"Aé😀dx1234p"))    // at most 3
        #expect(r.isViablePrefix(units: Array("a\n\t\\\"Aé\u{F0}\u{9F}".utf8).map(Int.init)) == false) // raw bytes below
        #expect(r.isViablePrefix(units: Array("a\n\t\\\"Aé".utf8).map(Int.init) + [0xF0, 0x9F]))
        #expect(!r.isViablePrefix(units: Array("a\n\t\\\"Aé".utf8).map(Int.init) + [0xF0, 0x90]))
    }

    @Test func desugaringShapesAndAnalysis() throws {
        let g = try Grammar.gbnf(#"""
        root ::= str ws list
        str ::= "\"" ( [^"\\] | "\\" ["\\n] )* "\""
        list ::= "[" ( item ( "," item )* )? "]"
        item ::= str | list
        ws ::= [ ]{0,3}
        """#)
        let str = try #require(g.rule(named: "str")), list = try #require(g.rule(named: "list"))
        let ws = try #require(g.rule(named: "ws"))
        #expect(g.isRegular[str] && g.isRegular[ws] && !g.isRegular[list] && !g.isRegular[g.start])
        #expect(g.nullable[ws] && !g.nullable[str])
        #expect(g.regularPatterns[list] == nil)
        let p = try #require(g.regularPatterns[str])
        #expect(p.description.contains("*"))
        // The composite pattern denotes the rule's language.
        let single = try Grammar.gbnf("root ::= \"x\"", file: "t")
        _ = single
        // Helpers for x{0,3}: a chain of 3 repetition rules.
        let reps = g.rules.filter { $0.name.hasPrefix("ws#") }
        #expect(reps.map(\.origin) == [1, 2, 3].map { .repetition(element: .terminal(g.terminal(named: "[ ]")!), min: 0, max: $0) })
    }

    @Test func gbnfErrorsNameTheLocation() {
        #expect(gbnfError("root ::= foo\n") == "g.gbnf:1:10: undefined rule 'foo'")
        #expect(gbnfError("rot ::= \"a\"\n").hasPrefix("g.gbnf:1:1: no rule named 'root'"))
        #expect(gbnfError("root ::= \"a\n").contains("1:10: unterminated string literal"))
        #expect(gbnfError("root ::= [a\n").contains("unterminated character class") || gbnfError("root ::= [a\n").contains("1:10"))
        #expect(gbnfError("root ::= \"\\q\"").contains("1:11: unknown escape '\\q'"))
        #expect(gbnfError("root ::= [z-a]").contains("1:11: character range z-a is empty"))
        #expect(gbnfError("root ::= []").contains("empty character class"))
        #expect(gbnfError("root ::= \"a\"{,3}").contains("expecting an integer after '{'"))
        #expect(gbnfError("root ::= \"a\"{3,1}").contains("maximum is below the minimum"))
        #expect(gbnfError("root ::= * \"a\"").contains("expecting an item before '*'"))
        #expect(gbnfError("root ::= (\"a\"").contains("expecting ')'"))
        #expect(gbnfError("root ::= \"a\" ) ").contains("1:14: expecting a newline or the end after rule 'root'"))
        #expect(gbnfError("root := \"a\"").contains("expecting '::='"))
        #expect(gbnfError("root ::= \"\\xZ1\"").contains("hex digits"))
        // Unproductive rules and an empty language.
        #expect(gbnfError("root ::= \"a\" root").contains("g.gbnf:1:1: the grammar's language is empty"))
        #expect(gbnfError("root ::= \"a\" | b\nb ::= \"x\" b").contains("g.gbnf:2:1: rule 'b' is unproductive"))
        #expect(gbnfError("root ::= \"a\"\nb ::= \"x\" b").contains("2:1: rule 'b' is unproductive"))
    }

    @Test func gbnfWarningsAndRedefinition() throws {
        let g = try Grammar.gbnf("root ::= \"a\"\nunused ::= \"b\"\nroot ::= \"c\"\n", file: "w")
        #expect(g.warnings.contains { $0.hasPrefix("w:2:1: rule 'unused' is never used") })
        #expect(g.warnings.contains { $0.hasPrefix("w:3:1: rule 'root' is defined again") })
        let r = GrammarReferenceRecognizer(g)
        #expect(r.accepts("c") && !r.accepts("a"))
    }

    @Test func budgetsGiveErrorsNotCrashes() throws {
        let deep = "root ::= " + String(repeating: "(", count: 100_000) + "\"a\"" + String(repeating: ")", count: 100_000)
        #expect(gbnfError(deep).contains("nest deeper than 200"))
        let stacked = "root ::= \"a\"" + String(repeating: "?", count: 100_000)
        #expect(gbnfError(stacked).contains("nest deeper than 200"))
        #expect(larkError("start: " + String(repeating: "(", count: 100_000) + "\"a\"" + String(repeating: ")", count: 100_000)).contains("nest deeper than 200"))
        #expect(larkError("start: " + String(repeating: "[", count: 100_000)).contains("nest deeper"))
        #expect(gbnfError("root ::= \"a\"{1000000}").contains("exceeds 100000"))
        var limits = GrammarLimits()
        limits.maxSymbols = 1000
        #expect(gbnfError("root ::= x x\nx ::= \"a\"{0,999}", limits: limits).contains("grows past 1000 symbols"))
        // llama.cpp's own blow-up guard case: linear expansion makes it cheap here.
        let nested = try Grammar.gbnf("root ::= (((((([^x]*){0,99}){0,99}){0,99}){0,99}){0,99}){0,99}")
        #expect(nested.rules.count < 1000)
        // A long chain of rules is analysed iteratively.
        var chain = "root ::= r0\n"
        for i in 0..<20_000 { chain += "r\(i) ::= \"x\" r\(i + 1)\n" }
        chain += "r20000 ::= \"y\"\n"
        let g = try Grammar.gbnf(chain)
        #expect(g.rules.count == 20_002)
        #expect(g.isRegular[g.start])
        #expect(g.regularPatterns[g.start] == nil) // too deep to compose
    }

    @Test func larkSyntax() throws {
        let g = try Grammar.lark(#"""
        // comment
        start: greeting+ [NUMBER] -> root
        ?greeting: "hello"i NAME
                 | "bye" NAME?    // alias-free
        !kw.2: "x"
        NAME.3: /[a-z]+/
        DIGITS: "0".."9" ~ 2..3
        %import common.NUMBER
        %import common (WS, CNAME)
        %ignore WS
        """#, file: "t.lark")
        #expect(g.lexing == .longestMatch)
        let name = try #require(g.terminal(named: "NAME"))
        #expect(g.terminals[name].priority == 3)
        #expect(g.terminals.contains { $0.pattern == .caseInsensitiveLiteral("hello") })
        #expect(g.terminals[try #require(g.terminal(named: "DIGITS"))].pattern == .repetition(.codePointClass([0x30...0x39]), min: 2, max: 3))
        #expect(g.warnings.contains { $0.contains("rule 'kw' is never used") })
        let r = GrammarReferenceRecognizer(g)
        #expect(r.accepts("HeLLo world bye  you hello x 42"))
        #expect(r.accepts("bye"))
        #expect(!r.accepts("hello"))
        #expect(!r.accepts("hello world 4 2 x"))
    }

    @Test func larkCommonTerminalsAreExact() throws {
        let g = try Grammar.lark("start: ESCAPED_STRING | SIGNED_NUMBER | C_COMMENT\n%import common.ESCAPED_STRING\n%import common.SIGNED_NUMBER\n%import common.C_COMMENT\n")
        let r = GrammarReferenceRecognizer(g)
        for ok in [#""""#, #""a\"b""#, #""\\""#, "-1.5e3", "+2", ".5", "/* a * b **/", "/***/"] { #expect(r.accepts(ok), "\(ok)") }
        for bad in [#""a\""#, #""\\"x""#, "1e", "/* a */ */", "/*/", "\"a\nb\""] { #expect(!r.accepts(bad), "\(bad)") }
    }

    @Test func larkErrorsNameTheConstruct() {
        #expect(larkError("start: foo\n") == "g.lark:1:8: undefined rule 'foo'")
        #expect(larkError("start: FOO\n") == "g.lark:1:8: undefined terminal 'FOO'")
        #expect(larkError("start: A\nA: B\nB: A\n").contains("terminal 'A' is recursive"))
        #expect(larkError("start: A\nA: a\na: \"x\"\n").contains("cannot reference rule 'a'"))
        #expect(larkError("start: \"a\"\nstart: \"b\"\n").contains("2:1: rule 'start' is defined twice (first at g.lark:1:1)"))
        #expect(larkError("start: \"a\"\n%import python.NAME\n").contains("2:1: cannot import from 'python'"))
        #expect(larkError("start: A\n%import common.NOPE\n").contains("the common library has no terminal 'NOPE'"))
        #expect(larkError("start: A\n%declare A\n").contains("%declare"))
        #expect(larkError("start: A\nA: /a*/\n").contains("terminal 'A' matches the empty string"))
        #expect(larkError("start: /a(/\n").contains("invalid regular expression /a(/"))
        #expect(larkError("start: /a/l\n").contains("flag 'l'"))
        #expect(larkError("start: x{1}\n").contains("template"))
        #expect(larkError("start: \"a\" \"b\" )\n").contains("1:16: unexpected ')' in the definition of 'start'"))
        #expect(larkError("start: \"a\"\nfoo: bar\n").contains("2:6: undefined rule 'bar'"))
        #expect(larkError("start: \"b\"..\"a\"\n").contains("is empty"))
    }

    @Test func larkVerboseRegexIsExpanded() throws {
        let g = try Grammar.lark("start: /a b [ ]c/x\n")
        #expect(g.terminals[0].pattern == .regex(source: "ab[ ]c", flags: []))
        #expect(GrammarReferenceRecognizer(g).accepts("ab c"))
    }
}
