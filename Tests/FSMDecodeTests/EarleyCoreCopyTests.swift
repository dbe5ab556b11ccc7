@testable import FSMDecode
import Testing

/// A parser core copied mid-parse (`var b = a`) shares its closure scratch (duplicate index,
/// prediction stamps, worklist) until one of them closes a set; both must then parse on as if
/// alone. Two copies take turns byte by byte on different continuations; every push and the
/// final acceptance must match a core that parsed the same text alone.
@Suite struct EarleyCoreCopyTests {
    @Test func copiesParseOnIndependently() throws {
        let grammar = try Grammar.gbnf(bytes: try readFile(TestSupport.repoRoot + "/Grammars/json.gbnf"), file: "json.gbnf")
        let tables = try ParseTables(grammar: grammar, vocabulary: nil)
        func pushes(_ core: inout EarleyCore, _ text: [UInt8]) -> [Bool] {
            var out: [Bool] = []
            for b in text {
                let ok = core.push(b)
                out.append(ok)
                if !ok { break }
            }
            return out
        }
        let prefix = Array(#"[1, {"a": [true, "x"], "b":"#.utf8)
        let continuations = [#" {"c": null}}]"#, #"[[], {}, -2.5e3]}, "é"]"#, #""q"}, 7, {"d": [{}]}]"#,
                             #" 3,]"#, #" {"c" 1}]"#, "\n  [\n    false\n  ]\n}\n]\n"].map { Array($0.utf8) }
        var base = EarleyCore(tables: tables)
        #expect(pushes(&base, prefix).allSatisfy { $0 })
        for (x, y) in zip(continuations, continuations.dropFirst() + continuations.prefix(1)) {
            var alone = (base, base)
            let expected = (pushes(&alone.0, x), pushes(&alone.1, y))
            var a = base, b = a
            var got: ([Bool], [Bool]) = ([], [])
            for i in 0..<max(x.count, y.count) {
                if i < x.count, got.0.allSatisfy({ $0 }) { got.0.append(a.push(x[i])) }
                if i < y.count, got.1.allSatisfy({ $0 }) { got.1.append(b.push(y[i])) }
            }
            #expect(got.0 == expected.0, "\(String(decoding: x, as: UTF8.self))")
            #expect(got.1 == expected.1, "\(String(decoding: y, as: UTF8.self))")
            #expect(a.isAccepting() == alone.0.isAccepting())
            #expect(b.isAccepting() == alone.1.isAccepting())
        }
        // The valid continuations were accepted whole (the test exercises real parses).
        var whole = base
        #expect(pushes(&whole, continuations[0]).allSatisfy { $0 } && whole.isAccepting())
    }
}
