import Testing
@testable import FSMDecode

/// The NFA construction flattens equal subtrees to one node and builds a big subtree once per
/// continuation (`ByteNFA.build(node:then:)`): the undeclared-key pattern repeats the
/// any-character tail after every key prefix. Languages, and so the canonical DFAs, must not
/// change; PCRE2 (which sees every copy spelled out) is the oracle.
@Suite struct RegexSharedSubtreeTests {
    /// A JSON string body character: raw (not a control, `"` or `\`), a short escape or a
    /// `\uXXXX` escape (big enough for `build(node:then:)` to share it).
    static let jsonChar = RegexAST.alternation([
        .scalars(CodePointSet([0x20 ... 0x21, 0x23 ... 0x5B, 0x5D ... 0x10FFFF])),
        .concat([.literal("\\"), .scalars(CodePointSet([0x22 ... 0x22, 0x2F ... 0x2F, 0x5C ... 0x5C, 0x62 ... 0x62, 0x66 ... 0x66, 0x6E ... 0x6E, 0x72 ... 0x72, 0x74 ... 0x74]))]),
        .concat([.literal("\\u"), .repetition(.scalars(CodePointSet([0x30 ... 0x39, 0x41 ... 0x46, 0x61 ... 0x66])), min: 4, max: 4)]),
    ])
    static let tail = RegexAST.repetition(jsonChar, min: 0, max: nil)

    /// Strings that are not one of `keys`, in the shape of `SchemaCompiler.keyComplementPattern`:
    /// at every trie node, another character followed by the tail (a copy per node).
    static func complement(_ keys: [String]) -> RegexAST {
        func node(_ prefix: String) -> RegexAST {
            let children = Set(keys.filter { $0.count > prefix.count && $0.hasPrefix(prefix) }
                .map { $0.unicodeScalars[$0.unicodeScalars.index($0.unicodeScalars.startIndex, offsetBy: prefix.unicodeScalars.count)] })
                .sorted { $0.value < $1.value }
            var alts: [RegexAST] = []
            if !keys.contains(prefix) { alts.append(.empty) }
            let base = CodePointSet([0x20 ... 0x21, 0x23 ... 0x5B, 0x5D ... 0x10FFFF])
            let others = base.inverted().union(CodePointSet(children.map { $0.value ... $0.value })).inverted()
            alts.append(.concat([.scalars(others), tail]))
            for c in children { alts.append(.concat([.scalars(CodePointSet(scalar: c.value)), node(prefix + String(c))])) }
            return .alternation(alts)
        }
        return .concat([.literal("\""), node(""), .literal("\"")])
    }

    @Test func keyComplementsMatchPCRE2() throws {
        var rng = SeededRNG(seed: 7)
        let keySets = [["base", "height", "length", "radius", "width"], ["a", "ab", "abc"], ["", "x"], ["é", "e", "ée"]]
        for keys in keySets {
            let ast = Self.complement(keys)
            let dfa = try #require(try RegexCompiler.compile(ast))
            let oracle = try #require(PCRE2Oracle(ast.pcre2Syntax, ucp: false))
            var subjects = keys.flatMap { k in [k, k + "a", String(k.dropLast()), "\\u0041" + k, k + "\\u00e9"] }
            for _ in 0 ..< 200 {
                let alphabet = Array("abeghilnrstwxé\\u0\"") + keys.flatMap { Array($0) }
                subjects.append(String((0 ..< Int.random(in: 0 ... 7, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }))
            }
            for s in subjects {
                let bytes = Array(("\"" + s + "\"").utf8)
                let expected = try #require(oracle.match(bytes) as Bool?)
                #expect(dfa.matches(bytes) == expected, "\(keys): \(s)")
            }
        }
    }

    /// One big subtree used with different continuations, inside bounded and unbounded
    /// repetitions and alternations: the same DFA as the pattern written out once per use.
    @Test func sharedSubtreesKeepTheirContinuations() throws {
        let x = Self.tail
        let cases: [(RegexAST, String)] = [
            (.concat([x, .literal("a"), x, .literal("b")]), "X a X b"),
            (.alternation([.concat([.literal("a"), x]), .concat([.literal("b"), x]), .concat([x, .literal("c")])]), "aX|bX|Xc"),
            (.repetition(.concat([x, .literal(",")]), min: 2, max: 4), "(X,){2,4}"),
            (.repetition(.alternation([.concat([.literal("k"), x]), .concat([.literal("v"), x])]), min: 1, max: nil), "(kX|vX)+"),
        ]
        for (ast, name) in cases {
            let dfa = try #require(try RegexCompiler.compile(ast))
            let oracle = try #require(PCRE2Oracle(ast.pcre2Syntax, ucp: false))
            var rng = SeededRNG(seed: 11)
            let alphabet = Array("abckv,\\u0Fé\"")
            for _ in 0 ..< 300 {
                let s = String((0 ..< Int.random(in: 0 ... 12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
                let bytes = Array(s.utf8)
                let expected = try #require(oracle.match(bytes) as Bool?)
                #expect(dfa.matches(bytes) == expected, "\(name): \(s)")
            }
            #expect(RegexTestKit.isTrimmed(dfa), "\(name)")
        }
    }
}
