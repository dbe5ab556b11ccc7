@testable import FSMDecode
import Foundation
import Testing

/// Every corpus grammar through the front-ends: GBNF ones must all load; Lark ones load or
/// fail with a precise, expected error (the table is printed for the report).
@Suite struct GrammarCorpusTests {
    @Test func everyLlamaCppGrammarLoads() throws {
        guard let dir = TestSupport.shared("corpora/gbnf/grammars") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/gbnf/grammars not found"); return
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".gbnf") }.sorted()
        #expect(files.count >= 9)
        for f in files {
            let g = try Grammar.load(path: dir + "/" + f)
            #expect(g.rules[g.start].name == "root")
            #expect(g.productionCount > 0)
            print("gbnf \(f): \(g.rules.count) rules, \(g.terminals.count) terminals, \(g.productionCount) productions, \(g.isRegular.filter { $0 }.count) regular rules, warnings: \(g.warnings.count)")
        }
    }

    /// llama.cpp's grammar cases: `expect_build: ok` grammars load; `error` ones fail, except
    /// where llama.cpp's refusal is one of its implementation limits (left recursion, the
    /// repetition blow-up guard) rather than GBNF semantics, which we accept on purpose.
    @Test func llamaCppCasesBuildAsExpected() throws {
        guard let path = TestSupport.shared("corpora/gbnf/cases-sample.json") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/gbnf/cases-sample.json not found"); return
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let cases = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        var checked = 0
        for c in cases where c["kind"] as? String == "grammar" {
            let name = c["name"] as? String ?? "?"
            let text = try #require(c["grammar"] as? String)
            let root = c["root"] as? String ?? "root"
            let expectOK = c["expect_build"] as? String == "ok"
            let llamaCppLimit = name.contains("left_recursion") || (name.contains("parser rejects") && text.contains("{0,99}"))
            do {
                _ = try Grammar.gbnf(text, file: name, start: root)
                #expect(expectOK || llamaCppLimit, "case '\(name)' should not build")
            } catch let e as FSMDecodeError {
                #expect(!expectOK && !llamaCppLimit, "case '\(name)' failed: \(e.message)")
                print("gbnf case '\(name)': refused as expected: \(e.message)")
            }
            checked += 1
        }
        #expect(checked == 14)
    }

    static let larkExpectations: [String: String?] = [
        // file: nil = loads; otherwise a fragment of the expected error.
        "calc_grammar.lark": nil, "json_grammar.lark": nil, "tiny_grammar.lark": nil, "c_grammar.lark": nil,
        "sql_grammar.lark": nil, "go_grammar.lark": nil, "java_grammar.lark": nil, "invariants.lark": nil,
        "prover9_grammar.lark": nil,
        // Loads (its %declare _INDENT _DEDENT is the indentation step) but its string
        // terminals need lookbehind, which DFAs cannot honour exactly; Grammars/python.lark
        // is this project's Python grammar.
        "python_grammar.lark": "negative lookbehind",
        // TEXT: (...)* can be empty; Lark refuses empty terminals too ("Terminals cannot be empty").
        "llguidance/rfc.lark": "terminal 'TEXT' matches the empty string",
        "llguidance/lark.lark": nil,
    ]

    @Test func larkCorpusLoadsOrFailsPrecisely() throws {
        guard let dir = TestSupport.shared("corpora/lark") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/lark not found"); return
        }
        var table: [String] = []
        for (file, expected) in GrammarCorpusTests.larkExpectations.sorted(by: { $0.key < $1.key }) {
            do {
                let g = try Grammar.load(path: dir + "/" + file)
                _ = try ParseTables(grammar: g, vocabulary: nil)  // terminals compile too
                table.append("  LOADS  \(file): \(g.rules.count) rules, \(g.terminals.count) terminals (\(g.ignoredTerminals.count) ignored), \(g.warnings.count) warnings")
                #expect(expected == nil, "\(file) should fail with '\(expected ?? "")'")
            } catch let e as FSMDecodeError {
                table.append("  FAILS  \(file): \(e.message)")
                #expect(expected != nil && e.message.contains(expected!), "\(file): \(e.message)")
            }
        }
        print("Lark corpus:\n" + table.joined(separator: "\n"))
    }

    /// llguidance's Lark cases: its dialect has many extensions; each grammar either loads or
    /// is refused with a message naming the construct. Printed as a table for the report.
    @Test func llguidanceCasesLoadOrNameTheExtension() throws {
        guard let path = TestSupport.shared("corpora/lark/llguidance/cases-sample.json") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/lark/llguidance/cases-sample.json not found"); return
        }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        var loaded = 0, refused = 0, table: [String] = []
        for c in cases {
            let id = c["id"] as? String ?? "?"
            let text = try #require(c["grammar"] as? String)
            let expectOK = c["expect"] as? String == "ok"
            do {
                _ = try Grammar.lark(text, file: id)
                loaded += 1
                table.append("  LOADS  \(id)")
                #expect(expectOK, "\(id) must be refused")
            } catch let e as FSMDecodeError {
                refused += 1
                table.append("  FAILS  \(id) (expect \(expectOK ? "ok" : "error")): \(e.message)")
                #expect(e.message.contains(id + ":"), "error must name the input: \(e.message)")
                #expect(e.message.contains("not supported") || !expectOK || e.message.contains("empty"), "\(id): \(e.message)")
            }
        }
        print("llguidance Lark cases: \(loaded) load, \(refused) refused\n" + table.joined(separator: "\n"))
    }
}
