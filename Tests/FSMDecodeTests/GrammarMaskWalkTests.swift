import FSMDecode
import Foundation
import Testing

/// The mask walks' caches (per-lexer-state boundary walks, per start-list walks, shared
/// commits) against the brute-force check, on every token of real documents: a JSON file of
/// maskbench-dev (as is and compacted) under json.gbnf and a C-like program under
/// c-like.lark, Llama-3. At each step, every token whose bytes hold a lexeme boundary byte
/// (the tokens the walks decide) plus a deterministic sample of the others must be in the mask
/// exactly when its bytes keep the output viable; the next document token must be allowed.
/// Default run: every 16th (JSON) or 64th (C-like, slower to parse in debug) step of one document each; FSMDECODE_FULL=1: every step.
@Suite struct GrammarMaskWalkTests {
    /// Grammar tokens containing a byte that can end or begin a lexeme in these grammars, plus
    /// every 97th other token.
    static func candidates(_ v: Vocabulary) -> [Int32] {
        let structural = Set(Array("\"{}[],:;()=<>!&|'\n\t".utf8))
        return (0..<v.size).compactMap { id -> Int32? in
            guard v.isGrammarToken(id) else { return nil }
            let b = v.bytes(of: id)
            return b.count <= 6 && b.contains(where: structural.contains) || id % 211 == 0 ? Int32(id) : nil
        }
    }

    static func check(_ c: GrammarConstraint, _ name: String, _ text: [UInt8], stride: Int) {
        guard let encoder = try? TokenEncoder(vocabulary: c.vocabulary) else { Issue.record("no encoder"); return }
        let v = c.vocabulary
        let ids = candidates(v)
        var m = c.makeMatcher()
        var mask = TokenMask(width: v.maskWidth)
        for (step, t) in encoder.encode(bytes: text).enumerated() {
            m.fillNextTokenMask(into: &mask)
            #expect(mask.contains(t), "\(name) step \(step): document token \(v.pieces[Int(t)]) not allowed")
            if step % stride == 0 {
                var wrong: [String] = []
                for id in ids {
                    let bytes = v.bytes(of: Int(id))
                    if (m.viablePrefixLength(bytes) == bytes.count) != mask.contains(id) { wrong.append(v.pieces[Int(id)]) }
                }
                #expect(wrong.isEmpty, "\(name) step \(step) (byte \(m.position)): mask wrong on \(wrong.prefix(6))")
            }
            guard m.accept(token: t) else { Issue.record("\(name) step \(step): token rejected"); return }
        }
        #expect(m.isAccepting, "\(name): not complete")
    }

    @Test func jsonDocumentsEveryToken() throws {
        guard let c = try GrammarRuntimeSupport.constraint("json.gbnf", "llama3") else { return }
        guard let dir = TestSupport.shared("corpora/maskbench-dev") else {
            print("skipping: ../shared/corpora/maskbench-dev not found"); return
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        let picked = names.filter { n in
            let size = (try? FileManager.default.attributesOfItem(atPath: dir + "/" + n)[.size] as? Int) ?? 0
            return size >= 1024 && size <= 2048
        }.prefix(TestSupport.fullSuites ? 3 : 1)
        #expect(!picked.isEmpty, "no 1-2 KB JSON document in \(dir)")
        for n in picked {
            let text = try readFile(dir + "/" + n)
            GrammarMaskWalkTests.check(c, n, text, stride: TestSupport.fullSuites ? 1 : 16)
            GrammarMaskWalkTests.check(c, n + " (compact)", JSONText.compact(text), stride: TestSupport.fullSuites ? 1 : 16)
        }
    }

    @Test func cLikeProgramEveryToken() throws {
        guard let c = try GrammarRuntimeSupport.constraint("c-like.lark", "llama3") else { return }
        let files = TestSupport.fullSuites ? ["primes.c", "bank.c", "geometry.c"] : ["geometry.c"]
        for f in files {
            let text = try readFile(TestSupport.repoRoot + "/Benchmarks/data/c-like/" + f)
            GrammarMaskWalkTests.check(c, f, text, stride: TestSupport.fullSuites ? 1 : 64)
        }
    }
}
