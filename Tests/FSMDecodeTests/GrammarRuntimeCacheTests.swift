import Dispatch
@testable import FSMDecode
import Foundation
import Testing

/// The lazily filled caches behind grammar masks (per-terminal inside masks and lexeme ends
/// shared by every lexer containing the terminal, per-lexer union masks, walk caches) must
/// never hand one state's result to another: masks are checked against the brute-force oracle
/// on fresh constraints visited in different orders (so which lexer first computes a shared
/// terminal state differs), and under 8 threads racing on first visits.
@Suite struct GrammarRuntimeCacheTests {
    /// A schema whose string terminal (and key terminals) sit in several different lexers:
    /// object keys, string values, array items, a value that is a string or a number.
    static let schema = #"""
    {"type": "object", "properties": {
      "name": {"type": "string"}, "note": {"type": "string"},
      "tags": {"type": "array", "items": {"type": "string"}},
      "value": {"anyOf": [{"type": "string"}, {"type": "number"}]}},
     "required": ["name", "tags"]}
    """#

    /// Prefixes in different lexers that share the string terminal's states (inside a key,
    /// inside values, right after a quote, inside a multi-byte character, after a string).
    /// Members follow the schema's key order (the compiler's representation).
    static let prefixes = [
        #"{"name":"ab"#, #"{"name":"x","tags":["#, #"{"name":"x","tags":["é"#,
        #"{"name":"x","tags":[],"value":""#, #"{"na"#, #"{"name":"x","note":"日"#,
        #"{"name":"x","tags":["a"]"#, #"{"name":"x","tags":[],"value":1"#,
    ]

    static func constraint(_ v: Vocabulary) throws -> GrammarConstraint {
        let doc = try JSONDocument(bytes: Array(schema.utf8), source: "cache-test.json")
        let c = try JSONSchemaCompiler.compile(doc.value, source: "cache-test.json")
        return try GrammarConstraint(grammar: c.grammar, vocabulary: v)
    }

    static func masks(_ c: GrammarConstraint, order: [Int]) -> [Int: TokenMask] {
        var out: [Int: TokenMask] = [:]
        for i in order {
            var m = c.makeMatcher()
            guard m.accept(bytes: Array(prefixes[i].utf8)) else { continue }
            out[i] = m.nextTokenMask()
        }
        return out
    }

    @Test func sharedTerminalMasksMatchOracleInAnyOrder() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let forward = GrammarRuntimeCacheTests.masks(try GrammarRuntimeCacheTests.constraint(v), order: Array(GrammarRuntimeCacheTests.prefixes.indices))
        let backward = GrammarRuntimeCacheTests.masks(try GrammarRuntimeCacheTests.constraint(v), order: GrammarRuntimeCacheTests.prefixes.indices.reversed())
        let shuffled = GrammarRuntimeCacheTests.masks(try GrammarRuntimeCacheTests.constraint(v), order: [3, 6, 0, 7, 2, 5, 1, 4])
        let oracleConstraint = try GrammarRuntimeCacheTests.constraint(v)
        let checked = TestSupport.fullSuites ? Array(GrammarRuntimeCacheTests.prefixes.indices) : [2, 3]
        for (i, p) in GrammarRuntimeCacheTests.prefixes.enumerated() {
            #expect(forward[i] != nil, "prefix not viable: \(p)")
            guard let f = forward[i] else { continue }
            #expect(backward[i] == f, "order changed the mask after \(p)")
            #expect(shuffled[i] == f, "order changed the mask after \(p)")
            guard checked.contains(i) else { continue }
            var m = oracleConstraint.makeMatcher()
            _ = m.accept(bytes: Array(p.utf8))
            let oracle = GrammarRuntimeSupport.oracleMask(m)
            if let diff = GrammarRuntimeSupport.maskDifference(f, oracle, v) {
                Issue.record("after \(p): \(diff)")
            }
        }
    }

    @Test func concurrentFirstVisitsAreCorrect() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let expected = GrammarRuntimeCacheTests.masks(try GrammarRuntimeCacheTests.constraint(v), order: Array(GrammarRuntimeCacheTests.prefixes.indices))
        for round in 0..<2 {
            let c = try GrammarRuntimeCacheTests.constraint(v)
            let failures = FailureCounter()
            let n = GrammarRuntimeCacheTests.prefixes.count
            DispatchQueue.concurrentPerform(iterations: 8) { t in
                // Each thread visits every prefix in its own order, so first visits race.
                let order = (0..<n).map { (($0 * (2 * t + 1)) + t + round) % n }
                let got = GrammarRuntimeCacheTests.masks(c, order: order)
                for (i, m) in got where expected[i] != m { failures.add() }
                if got.count != expected.count { failures.add() }
            }
            #expect(failures.value == 0, "round \(round): \(failures.value) wrong masks")
        }
        // The JSON grammar too (longer lexers: numbers, literals, whitespace, strings).
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/json.gbnf")
        let texts = ["{\"a\": [1, 2.5e", "[\"x\\u00", "{\"k\": tr", "[{\"b\": \"日本", "  {\"a\":1}", "[-0.", "{\"a\": \"x\", \"b\"", "[[[\"\""]
        let reference = try GrammarConstraint(grammar: g, vocabulary: v)
        let want = texts.map { t -> TokenMask? in
            var m = reference.makeMatcher()
            return m.accept(bytes: Array(t.utf8)) ? m.nextTokenMask() : nil
        }
        let shared = try GrammarConstraint(grammar: g, vocabulary: v)
        let failures = FailureCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for k in 0..<texts.count {
                let i = (k * 3 + t) % texts.count
                var m = shared.makeMatcher()
                let got = m.accept(bytes: Array(texts[i].utf8)) ? m.nextTokenMask() : nil
                if got != want[i] { failures.add() }
            }
        }
        #expect(failures.value == 0, "json.gbnf: \(failures.value) wrong masks")
    }

    /// Mask walkers are pooled per constraint and rebased onto each matcher's chart: on a
    /// constraint without memos (every mask walks), masks of many matchers at different depths,
    /// filled in one batch across cores (`fillMasks`) and again one by one in another order,
    /// equal those of matchers each on a constraint of its own (a walker that kept anything
    /// of the chart it walked before, or was shared by two fills, gives other masks).
    @Test func pooledWalkersKeepMasksExact() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/json.gbnf")
        let texts = ["{\"a\": [1, 2.5e", "[\"x\\u00", "{\"k\": tr", "[{\"b\": \"日本", "  {\"a\":1}", "[-0.",
                     "{\"a\": \"x\", \"b\"", "[[[\"\"", "{\"a\": {\"b\": {\"c\": [", "[1, [2, [3, {\"d\": 4}"]
        let want = try texts.map { t -> TokenMask in
            let own = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: false)
            var m = own.makeMatcher()
            let viable = m.accept(bytes: Array(t.utf8))
            #expect(viable, "not viable: \(t)")
            return m.nextTokenMask()
        }
        let shared = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: false)
        var matchers: [GrammarMatcher] = []
        for round in 0..<3 {
            for t in texts {
                var m = shared.makeMatcher()
                _ = m.accept(bytes: Array(t.utf8))
                matchers.append(m)
            }
            var masks = [TokenMask](repeating: TokenMask(width: v.maskWidth), count: matchers.count)
            GrammarConstraint.fillMasks(matchers, into: &masks)
            var wrong = 0
            for (i, mask) in masks.enumerated() where mask != want[i % texts.count] { wrong += 1 }
            for i in matchers.indices.reversed() where matchers[i].nextTokenMask() != want[i % texts.count] { wrong += 1 }
            #expect(wrong == 0, "round \(round): \(wrong) of \(2 * matchers.count) masks differ")
        }
    }
    /// The mask memo (`MaskMemo`) replays a context's lexeme ends when the chart up to the
    /// lexeme's start recurs. Documents of one shape with other values, the same prefix reached
    /// after a rollback, and charts that differ only in older sets (a different member before
    /// the same value type) must all get the mask a fresh constraint (empty memo) computes.
    @Test func memoizedMasksEqualFreshOnes() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let texts = [
            #"{"name":"ab"#, #"{"name":"xyz w"#, #"{"name":"x","tags":["a","b"#, #"{"name":"é","tags":["cc","d"#,
            #"{"name":"x","note":"a"#, #"{"name":"x","tags":[],"value":"a"#, #"{"name":"x","tags":[],"value":12"#,
            #"{"name":"q","tags":["a"],"value":"a"#,
        ]
        try GrammarRuntimeCacheTests.checkMemo({ try GrammarRuntimeCacheTests.constraint(v) }, texts)
    }

    /// Random sentences of a recursive schema (the same string value at many depths and
    /// positions), byte by byte on one memoizing constraint: every mask equals the one computed
    /// without the memo. With the context hash left out of the memo key this fails (contexts with
    /// the same lexer and state but different enclosing objects share an entry).
    @Test func memoizedMasksEqualUnmemoizedOnRandomSentences() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let nested = ##"{"$ref":"#/$defs/n","$defs":{"n":{"type":"object","properties":{"k":{"$ref":"#/$defs/n"},"l":{"type":"array","items":{"$ref":"#/$defs/n"}},"a":{"type":"string"}},"additionalProperties":false}}}"##
        let doc = try JSONDocument(bytes: Array(nested.utf8), source: "nested.json")
        let g = try JSONSchemaCompiler.compile(doc.value, source: "nested.json").grammar
        let memoized = try GrammarConstraint(grammar: g, vocabulary: v)
        let plain = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: false)
        var rng = GrammarRuntimeSupport.RNG(state: 7)
        var checked = 0, wrong = 0
        for _ in 0..<(TestSupport.fullSuites ? 40 : 12) {
            guard let s = GrammarRuntimeSupport.randomSentence(g, &rng, depthBudget: 8) else { continue }
            var a = memoized.makeMatcher(), b = plain.makeMatcher()
            var i = 0
            while i < s.count {
                let n = min(s.count - i, 1 + rng.below(3))
                guard a.accept(bytes: Array(s[i..<(i + n)])), b.accept(bytes: Array(s[i..<(i + n)])) else {
                    Issue.record("random sentence refused: \(String(decoding: s, as: UTF8.self))")
                    break
                }
                i += n
                if a.nextTokenMask() != b.nextTokenMask() { wrong += 1 }
                checked += 1
            }
        }
        #expect(checked > 100)
        #expect(wrong == 0, "\(wrong) of \(checked) memoized masks differ")
    }

    /// The context hash counts an enclosing set by its items that wait on a nonterminal (the
    /// only ones completion reads): an object in an array after `1, ` (whitespace lexed) and
    /// after `1,` (whitespace may still come) reads alike, so the second prefix's masks come
    /// from the entries the first stored (a pretty-printed document and its compact form share
    /// them), and every mask equals the unmemoized one.
    @Test func contextHashSkipsEnclosingTerminalWaits() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/json.gbnf")
        let memoized = try GrammarConstraint(grammar: g, vocabulary: v)
        let plain = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: false)
        var stored: [Int] = []
        for prefix in [#"{"a": [1, {"k": "#, #"{"a": [1,{"k": "#, "{\"a\": [1,\n\t{\"k\": "] {
            var m = memoized.makeMatcher(), p = plain.makeMatcher()
            #expect(m.accept(bytes: Array(prefix.utf8)) && p.accept(bytes: Array(prefix.utf8)))
            let before = memoized.memoEntryCount
            #expect(m.nextTokenMask() == p.nextTokenMask(), "after \(prefix)")
            stored.append(memoized.memoEntryCount - before)
        }
        #expect(stored[0] > 0 && stored[1] == 0 && stored[2] == 0, "entries stored per prefix: \(stored)")
    }

    /// Memo keys tell apart contexts that agree for several levels below the lexeme and differ
    /// further up: after three closed objects the token `}}},\n` needs a container above them
    /// (not the top level). Memoized after the first prefix, each must still get its own mask,
    /// at every byte.
    @Test func memoizedMasksKeepDeepContextsApart() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/json.gbnf")
        let memoized = try GrammarConstraint(grammar: g, vocabulary: v)
        let plain = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: false)
        let deep = [#"{"a": {"b": {"c": "x""#, #"[{"a": {"b": {"c": "x""#, #"{"z": {"a": {"b": {"c": "x""#,
                    #"{"a": {"b": {"c": "x""#]
        var last: [TokenMask] = []
        var wrong = 0
        for t in deep {
            var m = memoized.makeMatcher(), p = plain.makeMatcher()
            for byte in Array(t.utf8) {
                guard m.accept(bytes: [byte]), p.accept(bytes: [byte]) else { Issue.record("refused \(t)"); return }
                if m.nextTokenMask() != p.nextTokenMask() { wrong += 1 }
            }
            last.append(p.nextTokenMask())
        }
        #expect(wrong == 0, "\(wrong) memoized masks differ")
        #expect(last[0] != last[1] && last[1] == last[2] && last[0] == last[3], "the deep prefixes' masks do not differ as expected")
    }

    /// Random JSON texts nesting arrays and objects up to eight deep, cut at random points
    /// (many prefixes share the levels near their end and differ further up), fed byte by byte
    /// to one memoizing constraint: every mask equals the unmemoized one.
    @Test func memoizedMasksEqualUnmemoizedOnRandomNesting() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/json.gbnf")
        let memoized = try GrammarConstraint(grammar: g, vocabulary: v)
        let plain = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: false)
        var rng = GrammarRuntimeSupport.RNG(state: 41)
        func value(_ depth: Int) -> String {
            switch depth > 0 ? rng.below(4) : 2 + rng.below(2) {
            case 0: return "[" + (0..<(1 + rng.below(3))).map { _ in value(depth - 1) }.joined(separator: ", ") + "]"
            case 1: return "{" + (0..<(1 + rng.below(2))).map { _ in "\"\(["a", "b"][rng.below(2)])\": " + value(depth - 1) }.joined(separator: ",") + "}"
            case 2: return ["1", "\"x\"", "true"][rng.below(3)]
            default: return rng.below(2) == 0 ? "[]" : "{}"
            }
        }
        var checked = 0, wrong = 0
        for _ in 0..<(TestSupport.fullSuites ? 400 : 80) {
            let text = Array(value(3 + rng.below(6)).utf8)
            let cut = text.count / 2 + rng.below(text.count / 2 + 1)
            var m = memoized.makeMatcher(), p = plain.makeMatcher()
            for byte in text[..<cut] {
                guard m.accept(bytes: [byte]), p.accept(bytes: [byte]) else { Issue.record("refused"); return }
                if m.nextTokenMask() != p.nextTokenMask() { wrong += 1 }
                checked += 1
            }
        }
        #expect(checked > 1_000)
        #expect(wrong == 0, "\(wrong) of \(checked) memoized masks differ")
    }

    /// The group memo: every position inside a formatted string, a pattern or a bounded
    /// integer is a lexer state of its own, but they end the lexeme alike (closing quote,
    /// digit boundary), so the walks below those ends are shared by context, end class and
    /// start list. Random sentences of a schema with such values in ordered optional members
    /// (each member position a context of its own) and in arrays, fed in random chunks to one
    /// memoizing constraint: every mask equals the one computed without memos.
    @Test func groupMemoizedMasksEqualUnmemoized() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let schema = ##"{"type":"object","properties":{"d":{"type":"string","format":"date"},"ip":{"type":"string","format":"ipv4"},"n":{"type":"integer","minimum":-40,"maximum":1200},"p":{"type":"string","pattern":"^[a-c]{2,5}-[0-9]+$"},"e":{"enum":["red","green",12]},"l":{"type":"array","items":{"type":"string","format":"date"},"maxItems":3},"o":{"type":"object","properties":{"d":{"type":"string","format":"date"},"z":{"type":"boolean"}},"additionalProperties":false}},"required":["n"]}"##
        let doc = try JSONDocument(bytes: Array(schema.utf8), source: "group-memo.json")
        let g = try JSONSchemaCompiler.compile(doc.value, source: "group-memo.json").grammar
        let maskBudget = TestSupport.fullSuites ? 4_000 : 400
        let (checked, wrong) = try Self.compareMemoized(g, v, seed: 23, maxChunk: 3, depthBudget: 8, maskBudget: maskBudget)
        #expect(checked == maskBudget, "only \(checked) masks checked")
        #expect(wrong == 0, "\(wrong) of \(checked) memoized masks differ")
        // The same date value ending in contexts that differ only in what may follow it.
        try GrammarRuntimeCacheTests.checkMemo({ try GrammarConstraint(grammar: g, vocabulary: v) }, [
            #"{"d":"2020-01-0"#, #"{"d":"2020-01-01","n":3,"o":{"d":"2021-02-1"#, #"{"n":3,"l":["2020-01-1"#,
            #"{"n":3,"l":["2020-01-01","1999-12-3"#, #"{"n":3,"l":["2020-01-01","1999-12-31","2000-02-2"#,
            #"{"ip":"10.0.0.1","n":120"#, #"{"n":-4"#, #"{"n":0,"p":"abc-12"#, #"{"n":1,"p":"ab-1"#,
        ])
    }

    /// The memo key is the context hash of the lexeme's start set (its waiting items, origins
    /// hashed in turn), not its position: the same identifier at another nesting depth or in
    /// another statement context must not reuse a mask. The pairs below differ only in what
    /// the origins of the start set's items hold (`((b` vs `(b`: a second `)` is allowed or
    /// not; `if (a) { … c` vs `{ … c`: an `else` may follow the block or not). Dropping the
    /// origin hashes from the context hash fails this (checked).
    @Test func memoizedMasksKeepNestingApart() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/c-like.lark")
        let texts = [
            "int f() { x = ((b", "int f() { x = (b", "int f() { x = (((b", "int f() { x = (g((b",
            "int f() { if (a) { y = c", "int f() { y = c", "int f() { while (a) if (b) y = c",
            "int f() { while (a) { if (b) { } } y = c", "int f() { return f(a, (b", "int f() { return g(a, b",
        ]
        try GrammarRuntimeCacheTests.checkMemo({ try GrammarConstraint(grammar: g, vocabulary: v) }, texts)
    }

    /// `GroupWalkMemo` on its own: an entry stored at L levels is found from every context
    /// whose first L level hashes match (the rest may differ) and from no other; a whole-context
    /// entry only from the same whole context; and none of thousands of stored entries is
    /// hidden by the filter of stored keys (a first visit skips the probes it rules out).
    @Test func groupWalkMemoFindsWhatItStored() {
        let memo = GroupWalkMemo(maxCost: 1 << 20)
        let shape = GroupWalkMemo.Shape(lexer: 1, endClass: 2, list: 3)
        let walk = LexemeWalk(inside: [1, 2, 3], insideIsBitset: false, groups: [], endsHere: nil)
        func context(_ seed: UInt64, sharing shared: Int = 0, with other: UInt64 = 0) -> SetContext {
            let levels = EarleyCore.contextLevels
            let a = (0..<levels).map { d in (d < shared ? other : seed) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(d) }
            let b = (0..<levels).map { d in (d < shared ? other : seed) &* 0xC2B2_AE3D_27D4_EB4F ^ UInt64(d) }
            return SetContext(whole: (seed, ~seed), levelsA: a[...], levelsB: b[...])
        }
        memo.put(shape, context(1), levels: 3, [walk])
        #expect(memo.get(shape, context(1))?.first === walk)
        #expect(memo.get(shape, context(2, sharing: 3, with: 1))?.first === walk, "the first three levels match")
        #expect(memo.get(shape, context(2, sharing: 2, with: 1)) == nil, "the third level differs")
        #expect(memo.get(GroupWalkMemo.Shape(lexer: 1, endClass: 2, list: 4), context(1)) == nil, "another shape")
        memo.put(shape, context(5), levels: 0, [walk])
        #expect(memo.get(shape, context(5))?.first === walk)
        #expect(memo.get(shape, context(6, sharing: EarleyCore.contextLevels, with: 5)) == nil, "whole contexts differ")
        var missing: [UInt64] = []
        for seed in UInt64(100)..<3_100 { memo.put(shape, context(seed), levels: Int(seed % 9), [walk]) }
        for seed in UInt64(100)..<3_100 where memo.get(shape, context(seed)) == nil { missing.append(seed) }
        #expect(missing.count == 0, "stored but not found: \(missing.prefix(5))")
    }

    /// The group memo keys a walk by as many levels of context as it read (`GroupMemoKey`):
    /// the same members at other nesting paths share the walks that close no deeper than the
    /// shared levels, while a token closing three objects (`}}}`) or two and a comma (`}},`)
    /// must see what lies below. Values at several paths, pretty and compact, fed byte by byte
    /// to one constraint: every final mask equals a fresh constraint's; and the deep document's
    /// copy at another path adds far fewer group entries than it made itself.
    @Test func levelledGroupMemoKeepsNestingApart() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/json.gbnf")
        let texts = [
            "{\n  \"a\": {\n    \"b\": {\n      \"c\": 1", "[\n  {\n    \"b\": {\n      \"c\": 1",
            "{\n  \"x\": [\n    [\n      {\n        \"c\": 1", "[[[{\"c\": 1", "{\"a\": {\"b\": {\"c\": 1",
            "{\"a\": [{\"b\": {\"c\": 1", "[{\"a\": {\"b\": [{\"c\": 1", "{\"a\": {\"b\": {\"c\": \"v",
            "[{\"b\": {\"c\": \"v", "{\n  \"a\": [\n    1,\n    {\n      \"c\": true", "[1, {\"c\": true",
        ]
        let memoized = try GrammarConstraint(grammar: g, vocabulary: v)
        let plain = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: false)
        var wrong: [String] = []
        for t in texts + texts.map({ String($0.dropFirst()) }).filter({ $0.first == "{" || $0.first == "[" }) {
            var a = memoized.makeMatcher(), b = plain.makeMatcher()
            for (i, byte) in Array(t.utf8).enumerated() {
                let okA = a.accept(bytes: [byte]), okB = b.accept(bytes: [byte])
                #expect(okA && okB, "\(t) refused at \(i)")
                if a.nextTokenMask() != b.nextTokenMask() { wrong.append("\(t.debugDescription) @\(i + 1)") }
            }
        }
        #expect(wrong.isEmpty, "memoized masks differ: \(wrong.prefix(5))")
        // Four levels of members, then the same four levels under two more objects.
        let inner = "{\"k\": [1, {\"a\": \"x\", \"b\": {\"c\": 2, \"d\": [true, \"y\"]}}]"
        let shallow = inner, deep = "{\"p\": {\"q\": " + inner
        func entries(_ texts: [String]) throws -> Int {
            let c = try GrammarConstraint(grammar: g, vocabulary: v)
            for t in texts {
                var m = c.makeMatcher()
                for b in Array(t.utf8) {
                    _ = m.nextTokenMask()
                    let ok = m.accept(bytes: [b])
                    #expect(ok)
                }
            }
            return c.groupMemoEntryCount
        }
        let alone = try entries([deep]), first = try entries([shallow])
        let added = try entries([shallow, deep]) - first
        #expect(added * 2 < alone, "the deep copy added \(added) group entries; alone it makes \(alone)")
    }

    /// Random sentences of shipped grammars fed in random chunks to one memoizing constraint
    /// (the same contexts recur at other positions and depths): every mask equals the one
    /// computed without the memo. Sentences the grammar's lexer refuses (a random NAME that is
    /// a keyword) must be refused by both.
    @Test(arguments: ["c-like.lark", "json.gbnf"])
    func memoizedMasksEqualUnmemoizedOnShippedGrammars(_ file: String) throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/" + file)
        let maskBudget = TestSupport.fullSuites ? 3_000 : 250
        let (checked, wrong) = try Self.compareMemoized(g, v, seed: 11, maxChunk: 4, depthBudget: 10, maskBudget: maskBudget)
        #expect(checked == maskBudget, "\(file): only \(checked) masks checked")
        #expect(wrong == 0, "\(file): \(wrong) of \(checked) memoized masks differ")
    }

    /// Past the walk cache's budget, start lists are not interned and their walks are computed
    /// every time (`WalkCache.uncachedList`). A constraint whose budget is exhausted at once, and
    /// one with a small budget that fills midway, must give every mask the default one gives;
    /// with the memos too (their walk lists then hold the only references to uncached walks,
    /// which mask walks read unretained while their frames run).
    @Test(arguments: [0, 20_000], [false, true])
    func walkCacheBudgetKeepsMasksExact(_ budget: Int, _ memoizing: Bool) throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let g = try Grammar.load(path: TestSupport.repoRoot + "/Grammars/c-like.lark")
        let small = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: memoizing,
                                          walkCacheBudget: budget)
        let normal = try GrammarConstraint(grammar: g, vocabulary: v)
        let text = "int f(int n) { if (n > 1) { return f(n - 1) * n; } // done\n return 1; }"
        var a = small.makeMatcher(), b = normal.makeMatcher()
        var wrong = 0
        for byte in Array(text.utf8) {
            if a.nextTokenMask() != b.nextTokenMask() { wrong += 1 }
            #expect(a.accept(bytes: [byte]) && b.accept(bytes: [byte]))
        }
        #expect(wrong == 0, "budget \(budget), memoizing \(memoizing): \(wrong) masks differ")
    }

    /// Visits `texts` in order on one constraint byte by byte (filling the memo at every step,
    /// with a rollback and replay midway), then compares each final mask with a fresh one's.
    /// Random sentences of `g` fed in random chunks of 1 ... `maxChunk` bytes to a memoizing
    /// constraint and to one without memos, until `maskBudget` masks are compared (bounded
    /// attempts: a grammar whose random sentences keep failing gets fewer, which callers check).
    /// A chunk the unmemoized one refuses (a random NAME that is a keyword) must be refused by
    /// both, and ends the sentence. Returns the masks compared and how many differ.
    static func compareMemoized(_ g: Grammar, _ v: Vocabulary, seed: UInt64, maxChunk: Int, depthBudget: Int,
                                maskBudget: Int) throws -> (checked: Int, wrong: Int) {
        let memoized = try GrammarConstraint(grammar: g, vocabulary: v)
        let plain = try GrammarConstraint(grammar: g, vocabulary: v, options: RegexOptions(), memoizingMasks: false)
        var rng = GrammarRuntimeSupport.RNG(state: seed)
        var checked = 0, wrong = 0
        for _ in 0..<1_000 where checked < maskBudget {
            guard let s = GrammarRuntimeSupport.randomSentence(g, &rng, depthBudget: depthBudget) else { continue }
            var a = memoized.makeMatcher(), b = plain.makeMatcher()
            var i = 0
            while i < s.count && checked < maskBudget {
                let n = min(s.count - i, 1 + rng.below(maxChunk))
                let chunk = Array(s[i..<(i + n)])
                let okB = b.accept(bytes: chunk)
                #expect(a.accept(bytes: chunk) == okB)
                if !okB { break }
                i += n
                if a.nextTokenMask() != b.nextTokenMask() { wrong += 1 }
                checked += 1
            }
        }
        return (checked, wrong)
    }

    static func checkMemo(_ make: () throws -> GrammarConstraint, _ texts: [String]) throws {
        let shared = try make()
        var got: [TokenMask] = []
        for t in texts {
            var m = shared.makeMatcher()
            let bytes = Array(t.utf8)
            for (i, b) in bytes.enumerated() {
                _ = m.nextTokenMask()
                let ok = m.accept(bytes: [b])
                #expect(ok, "\(t) refused at \(i)")
                if i == bytes.count / 2 {
                    m.rollback(2)
                    _ = m.nextTokenMask()
                    let again = m.accept(bytes: Array(bytes[(i - 1)...i]))
                    #expect(again)
                }
            }
            got.append(m.nextTokenMask())
        }
        for (t, mask) in zip(texts, got) {
            var fresh = try make().makeMatcher()
            let ok = fresh.accept(bytes: Array(t.utf8))
            let want = fresh.nextTokenMask()
            #expect(ok && want == mask, "memoized mask differs after \(t)")
        }
    }
}
