import CPCRE2
@testable import FSMDecode

/// A deliberately naive, exact recognizer over the Grammar IR: the oracle for the runtime.
///
/// Input is a list of units: bytes (0...255) and, for GBNF token terminals, vocabulary tokens
/// (`256 + id`). Terminals are interpreted directly from `TerminalPattern` (regex leaves go to
/// PCRE2, anchored at both ends). Parsing is Earley with the Aycock–Horspool nullable fix.
/// - `.characterLevel` (GBNF): any split of the input into terminal matches.
/// - `.longestMatch` (Lark): at each position the lexeme is the longest match among the
///   terminals the Earley set expects plus the ignored ones; equal lengths keep the highest
///   priority; remaining ties are all followed. Ignored lexemes leave the set unchanged.
/// Cost: O(n³)-ish with O(n) PCRE2 calls per regex terminal and position; test sizes only.
/// `!<[id]>` (any token but id) matches one token unit ≠ id or one byte (a text token is a
/// non-empty byte string, so `(!<[id]>)*` is exact); `<text>` tokens never match (no vocab).
final class GrammarReferenceRecognizer {
    let grammar: Grammar
    private var regexes: [String: OpaquePointer] = [:]
    private var input: [Int] = []
    private var endsCache: [Int: [Int]] = [:]

    init(_ grammar: Grammar) { self.grammar = grammar }

    deinit { for (_, code) in regexes { pcre2_code_free_8(code) } }

    func accepts(_ text: String) -> Bool { accepts(units: Array(text.utf8).map(Int.init)) }
    func accepts(bytes: [UInt8]) -> Bool { accepts(units: bytes.map(Int.init)) }

    struct Item: Hashable { var production: Int32; var dot: Int32; var origin: Int32 }

    func accepts(units: [Int]) -> Bool {
        let sets = parse(units)
        let n = units.count
        return sets[n].contains { isCompleteStart($0) }
    }

    /// True when some continuation of `units` is accepted (character-level grammars only).
    func isViablePrefix(units: [Int]) -> Bool {
        precondition(grammar.lexing == .characterLevel)
        let sets = parse(units)
        let n = units.count
        if !sets[n].isEmpty { return true }
        for k in 0..<n {
            for item in sets[k] {
                let rhs = grammar.symbols(ofProduction: Int(item.production))
                let d = rhs.startIndex + Int(item.dot)
                guard d < rhs.endIndex, rhs[d].isTerminal else { continue }
                if viable(grammar.terminals[rhs[d].index].pattern, k) { return true }
            }
        }
        return false
    }

    private func isCompleteStart(_ item: Item) -> Bool {
        item.origin == 0 && Int(grammar.productionRule[Int(item.production)]) == grammar.start
            && Int(item.dot) == grammar.symbols(ofProduction: Int(item.production)).count
    }

    // MARK: Earley

    private func parse(_ units: [Int]) -> [[Item]] {
        input = units
        endsCache = [:]
        let n = units.count
        var sets = [[Item]](repeating: [], count: n + 1)
        var seen = [Set<Item>](repeating: [], count: n + 1)
        func add(_ it: Item, _ k: Int) { if seen[k].insert(it).inserted { sets[k].append(it) } }
        for p in grammar.productions(of: grammar.start) { add(Item(production: Int32(p), dot: 0, origin: 0), 0) }
        let g = grammar
        for k in 0...n {
            var idx = 0
            var expectedTerminals = Set<Int>()
            while idx < sets[k].count {
                let item = sets[k][idx]; idx += 1
                let rhs = g.symbols(ofProduction: Int(item.production))
                let d = rhs.startIndex + Int(item.dot)
                var next = item; next.dot += 1
                if d == rhs.endIndex {
                    let lhs = g.productionRule[Int(item.production)]
                    let origin = Int(item.origin)
                    var j = 0
                    while j < sets[origin].count {
                        let parent = sets[origin][j]; j += 1
                        let prhs = g.symbols(ofProduction: Int(parent.production))
                        let pd = prhs.startIndex + Int(parent.dot)
                        if pd < prhs.endIndex, !prhs[pd].isTerminal, prhs[pd].index == Int(lhs) {
                            var adv = parent; adv.dot += 1
                            add(adv, k)
                        }
                    }
                } else if !rhs[d].isTerminal {
                    let b = rhs[d].index
                    for p in g.productions(of: b) { add(Item(production: Int32(p), dot: 0, origin: Int32(k)), k) }
                    if g.nullable[b] { add(next, k) }
                } else if g.lexing == .characterLevel {
                    for e in ends(g.terminals[rhs[d].index].pattern, k) { add(next, e) }
                } else {
                    expectedTerminals.insert(rhs[d].index)
                }
            }
            guard g.lexing == .longestMatch, k < n, !sets[k].isEmpty else { continue }
            // Longest match among the expected and the ignored terminals.
            var candidates: [(t: Int, ends: [Int])] = []
            for t in g.terminals.indices where expectedTerminals.contains(t) || g.terminals[t].isIgnored {
                candidates.append((t, ends(g.terminals[t].pattern, k).filter { $0 > k }))
            }
            guard let longest = candidates.compactMap({ $0.ends.max() }).max() else { continue }
            let matching = candidates.filter { $0.ends.contains(longest) }.map(\.t)
            let top = matching.map { g.terminals[$0].priority }.max()!
            for t in matching where g.terminals[t].priority == top {
                if g.terminals[t].isIgnored {
                    for item in sets[k] { add(item, longest) }
                    continue
                }
                for item in sets[k] {
                    let rhs = g.symbols(ofProduction: Int(item.production))
                    let d = rhs.startIndex + Int(item.dot)
                    if d < rhs.endIndex, rhs[d].isTerminal, rhs[d].index == t {
                        var adv = item; adv.dot += 1
                        add(adv, longest)
                    }
                }
            }
        }
        return sets
    }

    // MARK: terminal interpretation

    /// Positions j >= i with input[i..<j] in L(p).
    func ends(_ p: TerminalPattern, _ i: Int) -> [Int] {
        let n = input.count
        switch p {
        case .literal(let b):
            guard i + b.count <= n else { return [] }
            for (k, byte) in b.enumerated() where input[i + k] != Int(byte) { return [] }
            return [i + b.count]
        case .caseInsensitiveLiteral(let s):
            var pos = i
            for c in s.unicodeScalars {
                guard let (v, len) = decode(pos), contains(TerminalPattern.caseInsensitiveAlternatives(of: c), v) else { return [] }
                pos += len
            }
            return [pos]
        case .codePointClass(let ranges):
            guard let (v, len) = decode(i), contains(ranges, v) else { return [] }
            return [i + len]
        case .regex(let source, let flags):
            let code = regex(source, flags)
            var out: [Int] = []
            for j in i...n {
                guard input[i..<j].allSatisfy({ $0 < 256 }) else { break }
                if pcreMatch(code, Array(input[i..<j].map { UInt8($0) }), partial: false) { out.append(j) }
            }
            return out
        case .sequence(let parts):
            var cur: Set<Int> = [i]
            for q in parts {
                var next = Set<Int>()
                for s in cur { next.formUnion(ends(q, s)) }
                cur = next
                if cur.isEmpty { return [] }
            }
            return cur.sorted()
        case .alternation(let parts):
            var all = Set<Int>()
            for q in parts { all.formUnion(ends(q, i)) }
            return all.sorted()
        case .repetition(let q, let min, let max):
            // BFS by number of copies; past `min`, a position already expanded with fewer
            // copies needs no second expansion (it had at least as much budget left).
            var result = Set<Int>(), expanded = Set<Int>()
            var cur: Set<Int> = [i]
            var count = 0
            while true {
                if count >= min {
                    result.formUnion(cur)
                    cur.subtract(expanded)
                    expanded.formUnion(cur)
                }
                if cur.isEmpty { break }
                if let max, count == max { break }
                var next = Set<Int>()
                for s in cur { next.formUnion(ends(q, s)) }
                cur = next
                count += 1
            }
            return result.sorted()
        case .difference(let a, let b):
            return Array(Set(ends(a, i)).subtracting(ends(b, i))).sorted()
        case .multipleOf(let q, let factor, let scale):
            // Decided by decimal arithmetic on the literal, not by an automaton.
            let m = SchemaDecimal(text: "\(factor)e-\(scale)")!
            return ends(q, i).filter { j in
                guard input[i..<j].allSatisfy({ $0 < 128 }),
                      let x = SchemaDecimal(text: String(decoding: input[i..<j].map { UInt8($0) }, as: UTF8.self)) else { return false }
                return x.isMultiple(of: m) == true
            }
        case .jsonString(let values):
            guard let (value, end) = jsonString(at: i), values.contains(value) else { return [] }
            return [end]
        case .jsonStringAutomaton(let a):
            // The decoded value through the automaton, not the byte DFA built from it.
            guard let (value, end) = jsonString(at: i), a.accepts(value) else { return [] }
            return [end]
        case .token(let id, let negated):
            guard i < n else { return [] }
            if input[i] >= 256 { return (input[i] - 256 == Int(id)) != negated ? [i + 1] : [] }
            return negated ? [i + 1] : []
        case .tokenText:
            return []
        }
    }

    /// Whether input[i..<n] is a prefix of some string of L(p) (languages assumed non-empty).
    func viable(_ p: TerminalPattern, _ i: Int) -> Bool {
        let n = input.count
        if i == n { return true }
        switch p {
        case .literal(let b):
            guard n - i <= b.count else { return false }
            for k in i..<n where input[k] != Int(b[k - i]) { return false }
            return true
        case .caseInsensitiveLiteral(let s):
            var pos = i
            for c in s.unicodeScalars {
                if pos == n { return true }
                let set = TerminalPattern.caseInsensitiveAlternatives(of: c)
                if let (v, len) = decode(pos) { guard contains(set, v) else { return false }; pos += len }
                else { return partialScalar(pos, set) }
            }
            return pos >= n
        case .codePointClass(let ranges):
            if let (v, len) = decode(i) { return len == n - i && contains(ranges, v) }
            return partialScalar(i, ranges)
        case .regex(let source, let flags):
            guard input[i..<n].allSatisfy({ $0 < 256 }) else { return false }
            return pcreMatch(regex(source, flags), input[i..<n].map { UInt8($0) }, partial: true)
        case .sequence(let parts):
            var cur: Set<Int> = [i]
            for q in parts {
                for s in cur where viable(q, s) && s < n { return true }
                if cur.contains(n) { return true }
                var next = Set<Int>()
                for s in cur { next.formUnion(ends(q, s)) }
                cur = next
                if cur.isEmpty { return false }
            }
            return cur.contains(n)
        case .alternation(let parts):
            return parts.contains { viable($0, i) }
        case .repetition(let q, let min, let max):
            var cur: Set<Int> = [i], reached: Set<Int> = []
            var count = 0
            while !cur.isEmpty {
                if cur.contains(n) { return true }
                if let max, count == max { return false }
                for s in cur where viable(q, s) { return true }
                var next = Set<Int>()
                for s in cur { next.formUnion(ends(q, s)) }
                count += 1
                cur = count > min ? next.subtracting(reached) : next
                reached.formUnion(cur)
            }
            return false
        case .difference, .jsonString, .multipleOf, .jsonStringAutomaton:
            // Whether some extension leaves the subtrahend is not structural: asked of the
            // difference's DFA (`ByteDFA.subtracting`, tested on its own against brute force).
            guard input[i..<n].allSatisfy({ $0 < 256 }),
                  let ast = try? ParseTables.regexAST(p, where: "reference", options: RegexOptions()),
                  let dfa = try? RegexCompiler.compile(ast) else { return false }
            return dfa.run(input[i..<n].map { UInt8($0) }) != ByteDFA.dead
        case .token, .tokenText:
            return false
        }
    }

    private func contains(_ ranges: [ClosedRange<UInt32>], _ v: UInt32) -> Bool { ranges.contains { $0.contains(v) } }

    /// The JSON string token at i (RFC 8259: raw characters from U+0020 but `"` and `\`, short
    /// escapes, `\uXXXX` with surrogate pairs joined): its decoded value and end, or nil.
    private func jsonString(at i: Int) -> (value: [UInt32], end: Int)? {
        guard i < input.count, input[i] == 0x22 else { return nil }
        var j = i + 1, value: [UInt32] = []
        func hex4(_ k: Int) -> UInt32? {
            guard k + 4 <= input.count else { return nil }
            var v: UInt32 = 0
            for x in input[k..<k + 4] {
                guard x < 128, let d = Character(Unicode.Scalar(UInt8(x))).hexDigitValue else { return nil }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while j < input.count {
            let b = input[j]
            if b == 0x22 { return (value, j + 1) }
            if b == 0x5C {
                guard j + 1 < input.count else { return nil }
                let shorts: [Int: UInt32] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 8, 0x66: 0xC, 0x6E: 0xA, 0x72: 0xD, 0x74: 9]
                if let c = shorts[input[j + 1]] { value.append(c); j += 2; continue }
                guard input[j + 1] == 0x75, let u = hex4(j + 2) else { return nil }
                if (0xDC00...0xDFFF).contains(u) { return nil }
                if (0xD800...0xDBFF).contains(u) {
                    guard j + 7 < input.count, input[j + 6] == 0x5C, input[j + 7] == 0x75, let l = hex4(j + 8), (0xDC00...0xDFFF).contains(l) else { return nil }
                    value.append(0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00))
                    j += 12
                } else {
                    value.append(u)
                    j += 6
                }
                continue
            }
            guard let (v, len) = decode(j), v >= 0x20 else { return nil }
            value.append(v)
            j += len
        }
        return nil
    }

    /// Strict UTF-8 decoding of one scalar at i.
    private func decode(_ i: Int) -> (UInt32, Int)? {
        guard i < input.count, input[i] < 256 else { return nil }
        let b0 = UInt32(input[i])
        let len: Int, initial: UInt32, lo: UInt32
        switch b0 {
        case 0..<0x80: return (b0, 1)
        case 0xC2..<0xE0: len = 2; initial = b0 & 0x1F; lo = 0x80
        case 0xE0..<0xF0: len = 3; initial = b0 & 0x0F; lo = 0x800
        case 0xF0..<0xF5: len = 4; initial = b0 & 0x07; lo = 0x10000
        default: return nil
        }
        guard i + len <= input.count else { return nil }
        var v = initial
        for k in 1..<len {
            let b = input[i + k]
            guard b >= 0x80 && b < 0xC0 else { return nil }
            v = v << 6 | UInt32(b & 0x3F)
        }
        guard v >= lo, v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v) else { return nil }
        return (v, len)
    }

    /// input[i..<n] is a proper prefix of the UTF-8 encoding of some scalar in `ranges`.
    private func partialScalar(_ i: Int, _ ranges: [ClosedRange<UInt32>]) -> Bool {
        let n = input.count
        guard input[i..<n].allSatisfy({ $0 < 256 }) else { return false }
        let b0 = UInt32(input[i])
        let len: Int, valid: ClosedRange<UInt32>
        switch b0 {
        case 0xC2..<0xE0: len = 2; valid = 0x80...0x7FF
        case 0xE0..<0xF0: len = 3; valid = 0x800...0xFFFF
        case 0xF0..<0xF5: len = 4; valid = 0x10000...0x10FFFF
        default: return false
        }
        guard n - i < len else { return false }
        var lo = b0 & (0xFF >> (len + 1)), hi = lo
        for k in 1..<len {
            if i + k < n {
                let b = UInt32(input[i + k])
                guard b >= 0x80 && b < 0xC0 else { return false }
                lo = lo << 6 | (b & 0x3F); hi = hi << 6 | (b & 0x3F)
            } else {
                lo = lo << 6; hi = hi << 6 | 0x3F
            }
        }
        let a = max(lo, valid.lowerBound), b = min(hi, valid.upperBound)
        guard a <= b else { return false }
        return ranges.contains { $0.lowerBound <= b && a <= $0.upperBound }
    }

    // MARK: PCRE2

    private func regex(_ source: String, _ flags: TerminalPattern.RegexFlags) -> OpaquePointer {
        let key = "\(flags.rawValue)/" + source
        if let c = regexes[key] { return c }
        var err: Int32 = 0, off = 0
        let bytes = Array(source.utf8)
        let code = bytes.withUnsafeBufferPointer {
            pcre2_compile_8($0.baseAddress ?? UnsafePointer(bitPattern: 1), $0.count,
                            UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP) | pcre2Options(flags), &err, &off, nil)
        }
        guard let code else { fatalError("front-end accepted a regex PCRE2 cannot compile: /\(source)/") }
        regexes[key] = code
        return code
    }

    private func pcreMatch(_ code: OpaquePointer, _ subject: [UInt8], partial: Bool) -> Bool {
        guard let md = pcre2_match_data_create_from_pattern_8(code, nil) else { return false }
        defer { pcre2_match_data_free_8(md) }
        var opts = UInt32(PCRE2_ANCHORED) | UInt32(PCRE2_ENDANCHORED)
        if partial { opts |= UInt32(PCRE2_PARTIAL_HARD) }
        let rc = subject.withUnsafeBufferPointer {
            pcre2_match_8(code, $0.baseAddress ?? UnsafePointer(bitPattern: 1), $0.count, 0, opts, md, nil)
        }
        return rc > 0 || (partial && rc == PCRE2_ERROR_PARTIAL)
    }
}
