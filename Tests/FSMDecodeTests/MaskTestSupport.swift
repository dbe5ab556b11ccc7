import FSMDecode

/// Hand-built byte DFAs for mask/matcher tests: states with byte-range transitions, then
/// trimming (reachable and co-reachable states only) and byte classes, as `ByteDFA` requires.
struct TestDFABuilder {
    private var edges: [[(lo: UInt8, hi: UInt8, to: Int)]] = []
    private var accepting: [Bool] = []

    @discardableResult
    mutating func state(accepting: Bool = false) -> Int {
        edges.append([])
        self.accepting.append(accepting)
        return edges.count - 1
    }

    mutating func setAccepting(_ s: Int) { accepting[s] = true }

    /// Adds `from --[lo-hi]--> to`; ranges from one state must not overlap.
    mutating func edge(_ from: Int, _ lo: UInt8, _ hi: UInt8, _ to: Int) {
        for e in edges[from] { precondition(hi < e.lo || lo > e.hi, "overlapping ranges from state \(from)") }
        edges[from].append((lo, hi, to))
    }

    mutating func edge(_ from: Int, _ byte: UInt8, _ to: Int) { edge(from, byte, byte, to) }

    /// A chain spelling `text` from `from`; returns its last state (or `to` when given).
    @discardableResult
    mutating func literal(_ from: Int, _ text: String, to: Int? = nil) -> Int {
        let bytes = Array(text.utf8)
        var s = from
        for (i, b) in bytes.enumerated() {
            let last = i == bytes.count - 1
            if let existing = edges[s].first(where: { $0.lo == b && $0.hi == b }), !(last && to != nil) {
                s = existing.to
                continue
            }
            let next = last && to != nil ? to! : state()
            edge(s, b, next)
            s = next
        }
        return s
    }

    /// Transitions for every UTF-8 encoded code point except the ASCII bytes in `excludedASCII`,
    /// from `from` to `to` (the `[^...]` of a JSON string body).
    mutating func anyCodePoint(_ from: Int, to: Int, excludingASCII excludedASCII: Set<UInt8> = []) {
        var lo: Int? = nil
        for b in 0...0x80 {
            let included = b < 0x80 && !excludedASCII.contains(UInt8(b))
            if included, lo == nil { lo = b }
            if !included, let l = lo { edge(from, UInt8(l), UInt8(b - 1), to); lo = nil }
        }
        let t1 = state(), t2 = state(), t3 = state()
        edge(t1, 0x80, 0xBF, to); edge(t2, 0x80, 0xBF, t1); edge(t3, 0x80, 0xBF, t2)
        edge(from, 0xC2, 0xDF, t1)
        let e0 = state(); edge(from, 0xE0, e0); edge(e0, 0xA0, 0xBF, t1)
        edge(from, 0xE1, 0xEC, t2); edge(from, 0xEE, 0xEF, t2)
        let ed = state(); edge(from, 0xED, ed); edge(ed, 0x80, 0x9F, t1)
        let f0 = state(); edge(from, 0xF0, f0); edge(f0, 0x90, 0xBF, t2)
        edge(from, 0xF1, 0xF3, t3)
        let f4 = state(); edge(from, 0xF4, f4); edge(f4, 0x80, 0x8F, t2)
    }

    func build(start: Int = 0) -> ByteDFA {
        let n = edges.count
        func target(_ s: Int, _ b: Int) -> Int {
            for e in edges[s] where Int(e.lo) <= b && b <= Int(e.hi) { return e.to }
            return -1
        }
        var reach = [Bool](repeating: false, count: n)
        var work = [start]
        reach[start] = true
        while let s = work.popLast() {
            for e in edges[s] where !reach[e.to] { reach[e.to] = true; work.append(e.to) }
        }
        var coreach = accepting
        var changed = true
        while changed {
            changed = false
            for s in 0..<n where !coreach[s] && edges[s].contains(where: { coreach[$0.to] }) {
                coreach[s] = true; changed = true
            }
        }
        var newID = [Int](repeating: -1, count: n)
        var kept: [Int] = []
        for s in 0..<n where reach[s] && coreach[s] { newID[s] = kept.count; kept.append(s) }
        precondition(newID[start] >= 0, "the test DFA's language is empty")
        // Byte classes: bytes with the same target in every kept state.
        var classOf = [UInt8](repeating: 0, count: 256)
        var signatures: [[Int]] = []
        for b in 0..<256 {
            let sig = kept.map { s -> Int in let t = target(s, b); return t >= 0 ? newID[t] : -1 }
            if let c = signatures.firstIndex(of: sig) { classOf[b] = UInt8(c) } else {
                classOf[b] = UInt8(signatures.count); signatures.append(sig)
            }
        }
        let classCount = signatures.count
        var table = [Int32](repeating: ByteDFA.dead, count: kept.count * classCount)
        for (c, sig) in signatures.enumerated() {
            for (i, t) in sig.enumerated() { table[i * classCount + c] = Int32(t) }
        }
        return ByteDFA(stateCount: kept.count, start: Int32(newID[start]), byteClass: classOf, classCount: classCount,
                       table: table, accepting: kept.map { accepting[$0] })
    }
}

/// Named DFAs the mask and matcher suites share.
enum TestDFAs {
    /// `abc(d|e)`
    static var abcDE: ByteDFA {
        var b = TestDFABuilder()
        let s = b.state()
        let c = b.literal(s, "abc")
        let f = b.state(accepting: true)
        b.edge(c, UInt8(ascii: "d"), f); b.edge(c, UInt8(ascii: "e"), f)
        return b.build(start: s)
    }

    /// `"name":[ \t\n\r]*`
    static var nameColon: ByteDFA {
        var b = TestDFABuilder()
        let s = b.state()
        let f = b.literal(s, "\"name\":")
        b.setAccepting(f)
        for ws in [0x20, 0x09, 0x0A, 0x0D] as [UInt8] { b.edge(f, ws, f) }
        return b.build(start: s)
    }

    /// `"[^"\\]*"`: a JSON-ish string whose body is any code point but `"` and `\` (UTF-8).
    static var quotedString: ByteDFA {
        var b = TestDFABuilder()
        let s = b.state()
        let body = b.state()
        let end = b.state(accepting: true)
        b.edge(s, UInt8(ascii: "\""), body)
        b.anyCodePoint(body, to: body, excludingASCII: [UInt8(ascii: "\""), UInt8(ascii: "\\")])
        b.edge(body, UInt8(ascii: "\""), end)
        return b.build(start: s)
    }

    /// `[😀-🙏]+` (U+1F600–U+1F64F: F0 9F 98 80–BF, F0 9F 99 80–8F).
    static var emoji: ByteDFA {
        var b = TestDFABuilder()
        let s = b.state(), f = b.state(accepting: true)
        for from in [s, f] {
            let a = b.state(), c = b.state(), d98 = b.state(), d99 = b.state()
            b.edge(from, 0xF0, a); b.edge(a, 0x9F, c)
            b.edge(c, 0x98, d98); b.edge(c, 0x99, d99)
            b.edge(d98, 0x80, 0xBF, f); b.edge(d99, 0x80, 0x8F, f)
        }
        return b.build(start: s)
    }

    /// `-?(0|[1-9][0-9]{0,3})(\.[0-9]+)?`
    static var number: ByteDFA {
        var b = TestDFABuilder()
        let s = b.state(), sign = b.state()
        let zero = b.state(accepting: true)
        let d = (0..<4).map { _ in b.state(accepting: true) }
        let dot = b.state(), frac = b.state(accepting: true)
        for from in [s, sign] {
            b.edge(from, UInt8(ascii: "0"), zero)
            b.edge(from, UInt8(ascii: "1"), UInt8(ascii: "9"), d[0])
        }
        b.edge(s, UInt8(ascii: "-"), sign)
        for i in 0..<3 { b.edge(d[i], UInt8(ascii: "0"), UInt8(ascii: "9"), d[i + 1]) }
        for from in [zero] + d { b.edge(from, UInt8(ascii: "."), dot) }
        b.edge(dot, UInt8(ascii: "0"), UInt8(ascii: "9"), frac)
        b.edge(frac, UInt8(ascii: "0"), UInt8(ascii: "9"), frac)
        return b.build(start: s)
    }

    /// A keyword set (a trie-shaped DFA with many states).
    static var keywords: ByteDFA {
        var b = TestDFABuilder()
        let s = b.state()
        let words = ["function", "functional", "return", "returns", "true", "false", "null", " the", " then",
                     "\"type\"", "\"properties\"", "\"required\"", "\"items\"", "中文", "日本語", "über", "naïve"]
        for w in words { b.setAccepting(b.literal(s, w)) }
        return b.build(start: s)
    }

    static let all: [(String, ByteDFA)] = [
        ("abc(d|e)", abcDE), ("\"name\":\\s*", nameColon), ("\"[^\"\\\\]*\"", quotedString),
        ("[😀-🙏]+", emoji), ("number", number), ("keywords", keywords),
    ]
}

/// Brute-force oracle: the exact mask of `state`, by running every token's bytes through the DFA.
func oracleMask(_ dfa: ByteDFA, _ vocabulary: Vocabulary, state: Int32) -> TokenMask {
    var mask = TokenMask(width: vocabulary.maskWidth)
    let eos = Set(vocabulary.eosIDs)
    vocabulary.tokenBytes.withUnsafeBufferPointer { bytes in
        vocabulary.tokenOffsets.withUnsafeBufferPointer { offsets in
            for id in 0..<vocabulary.maskWidth {
                if eos.contains(Int32(id)) {
                    if dfa.accepting[Int(state)] { mask.insert(Int32(id)) }
                    continue
                }
                guard vocabulary.isGrammarToken(id) else { continue }
                var s = state
                for k in Int(offsets[id])..<Int(offsets[id + 1]) {
                    s = dfa.next(s, bytes[k])
                    if s == ByteDFA.dead { break }
                }
                if s != ByteDFA.dead { mask.insert(Int32(id)) }
            }
        }
    }
    return mask
}

/// A plain vocabulary from strings (`nil` = absent id), for small exhaustive tests.
func plainVocabulary(_ words: [String?], eos: [Int32] = [], special: Set<Int> = []) throws -> Vocabulary {
    let tokens = words.enumerated().map { i, w -> (bytes: [UInt8], piece: String, flags: TokenFlags)? in
        w.map { (Array($0.utf8), $0, special.contains(i) ? .special : []) }
    }
    return try Vocabulary(kind: .plain, source: "test words", tokens: tokens, bosID: nil, eosIDs: eos)
}
