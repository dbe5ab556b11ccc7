import FSMDecode
import Foundation
import Testing

/// The shipped grammars accept their valid examples and reject their invalid ones, checked
/// by the reference recognizer (the future oracle for masks).
@Suite struct GrammarShippedTests {
    static let grammars: [(file: String, examples: String)] = [
        ("json.gbnf", "json"), ("json.lark", "json"), ("json-array.gbnf", "json-array"),
        ("arithmetic.gbnf", "arithmetic"), ("c-like.lark", "c-like"), ("sql-select.lark", "sql-select"),
    ]

    static func examples(_ dir: String, _ kind: String) throws -> [(String, [UInt8])] {
        let path = TestSupport.repoRoot + "/Grammars/examples/\(dir)/\(kind)"
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".txt") }.sorted()
            .map { ($0, try readFile(path + "/" + $0)) }
    }

    @Test(arguments: GrammarShippedTests.grammars.map(\.file))
    func examplesAreClassifiedCorrectly(file: String) throws {
        let dir = GrammarShippedTests.grammars.first { $0.file == file }!.examples
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/" + file)
        #expect(g.warnings.isEmpty, "\(g.warnings)")
        let r = GrammarReferenceRecognizer(g)
        let valid = try GrammarShippedTests.examples(dir, "valid"), invalid = try GrammarShippedTests.examples(dir, "invalid")
        #expect(valid.count >= 4 && invalid.count >= 5)
        for (name, bytes) in valid {
            #expect(r.accepts(bytes: bytes), "\(file): valid/\(name) rejected: \(String(decoding: bytes, as: UTF8.self))")
        }
        for (name, bytes) in invalid {
            #expect(!r.accepts(bytes: bytes), "\(file): invalid/\(name) accepted: \(String(decoding: bytes, as: UTF8.self))")
        }
    }

    /// json.gbnf (character-level) and json.lark (regex lexemes, longest match) are written
    /// independently; they must agree on the examples and on mutations of them.
    @Test func jsonGrammarsAgreeOnMutations() throws {
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/json.gbnf")
        let lark = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/json.lark")
        let r = GrammarReferenceRecognizer(g), rl = GrammarReferenceRecognizer(lark)
        var samples = try GrammarShippedTests.examples("json", "valid").map(\.1)
        samples += try GrammarShippedTests.examples("json", "invalid").map(\.1)
        var seed: UInt64 = 12345
        func next() -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) }
        let alphabet = Array("{}[]\",:0123456789-+.eE \\ntrufalsx".utf8)
        for base in try GrammarShippedTests.examples("json", "valid").map(\.1) where !base.isEmpty {
            for _ in 0..<6 {
                var m = base
                let at = next() % m.count
                switch next() % 3 {
                case 0: m[at] = alphabet[next() % alphabet.count]
                case 1: m.remove(at: at)
                default: m.insert(alphabet[next() % alphabet.count], at: at)
                }
                samples.append(m)
            }
        }
        var accepted = 0
        for s in samples {
            let a = r.accepts(bytes: s)
            #expect(a == rl.accepts(bytes: s), "json.gbnf and json.lark disagree on \(String(decoding: s, as: UTF8.self))")
            if a { accepted += 1 }
        }
        #expect(accepted > 5 && accepted < samples.count - 20)
    }
}
