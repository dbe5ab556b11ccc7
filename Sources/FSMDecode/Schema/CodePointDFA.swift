/// Exact set operations on string-value languages (before JSON encoding): key regions of
/// `patternProperties` (matches P, not Q, not a declared name) and `pattern` ∩ length bounds.
/// Regexes become DFAs over a shared alphabet of code-point intervals (every class boundary of
/// every operand is an interval boundary), so intersection and complement are the usual
/// product and flip. Sizes are bounded (`CodePointDFA.maxStates`); past them a `.budget`
/// error, which the schema compiler reports as a refusal.
final class CodePointAlphabet {
    /// Sorted, disjoint intervals covering every scalar (surrogates excluded).
    let intervals: [ClosedRange<UInt32>]
    private let starts: [UInt32]

    init(_ regexes: [CodePointRegex]) {
        var cuts: Set<UInt32> = [0, 0xD800, 0xE000]
        func walk(_ r: CodePointRegex) {
            switch r {
            case .cls(let ranges): for x in ranges { cuts.insert(x.lowerBound); if x.upperBound < 0x10FFFF { cuts.insert(x.upperBound + 1) } }
            case .seq(let p), .alt(let p): p.forEach(walk)
            case .rep(let x, _, _): walk(x)
            }
        }
        regexes.forEach(walk)
        let points = cuts.sorted()
        var out: [ClosedRange<UInt32>] = []
        for (i, p) in points.enumerated() where !(0xD800...0xDFFF).contains(p) {
            let end = i + 1 < points.count ? points[i + 1] - 1 : 0x10FFFF
            out.append(p...end)
        }
        intervals = out
        starts = out.map(\.lowerBound)
    }

    var count: Int { intervals.count }

    /// The symbols (interval indices) a class covers; classes must be normalized.
    func symbols(_ cls: [ClosedRange<UInt32>]) -> [Int32] {
        var out: [Int32] = []
        for r in cls {
            // First interval starting at r.lowerBound (every class boundary is a cut).
            var lo = 0, hi = starts.count
            while lo < hi { let m = (lo + hi) / 2; if starts[m] < r.lowerBound { lo = m + 1 } else { hi = m } }
            var i = lo
            while i < intervals.count && intervals[i].upperBound <= r.upperBound { out.append(Int32(i)); i += 1 }
        }
        return out
    }

    /// The symbol whose interval holds `c` (nil for surrogates).
    func symbol(of c: UInt32) -> Int? {
        var lo = 0, hi = starts.count
        while lo < hi { let m = (lo + hi) / 2; if starts[m] <= c { lo = m + 1 } else { hi = m } }
        return lo > 0 && intervals[lo - 1].contains(c) ? lo - 1 : nil
    }

    /// The class of a set of symbols (merged ranges).
    func ranges(_ symbols: [Int32]) -> [ClosedRange<UInt32>] {
        TerminalPattern.normalizeClass(symbols.map { intervals[Int($0)] })
    }
}

/// A DFA over a `CodePointAlphabet`'s symbols. Partial: a missing transition is -1 (dead).
struct CodePointDFA {
    static let maxStates = 20_000
    let alphabet: CodePointAlphabet
    var count: Int
    var start: Int32
    /// `next[state * alphabet.count + symbol]`.
    var next: [Int32]
    var accepting: [Bool]

    var isEmpty: Bool { !accepting.contains(true) }

    func step(_ s: Int32, _ sym: Int) -> Int32 { next[Int(s) * alphabet.count + sym] }

    /// Whole-string match (tests and key checks).
    func matches(_ s: [UInt32]) -> Bool {
        var q = start
        for c in s {
            guard let sym = alphabet.symbol(of: c) else { return false }
            q = step(q, sym)
            if q < 0 { return false }
        }
        return accepting[Int(q)]
    }

    // MARK: construction

    /// Subset construction from a Thompson NFA of `regex`.
    init(_ regex: CodePointRegex, alphabet: CodePointAlphabet) throws {
        var nfa = NFA(alphabet: alphabet)
        let s = try nfa.node()
        let e = try nfa.build(regex, from: s)
        self = try nfa.determinize(start: s, accept: e)
    }

    init(alphabet: CodePointAlphabet, count: Int, start: Int32, next: [Int32], accepting: [Bool]) {
        self.alphabet = alphabet
        self.count = count
        self.start = start
        self.next = next
        self.accepting = accepting
    }

    /// Strings of `minLength ... maxLength` characters (max nil: unbounded).
    static func lengths(_ minLength: Int, _ maxLength: Int?, alphabet: CodePointAlphabet) throws -> CodePointDFA {
        let top = maxLength ?? minLength
        if top + 1 > maxStates { throw FSMDecodeError(.budget, "length bound \(top) exceeds the automaton budget") }
        let k = alphabet.count
        var next = [Int32](repeating: -1, count: (top + 1) * k)
        for q in 0...top {
            let to: Int32 = q < top ? Int32(q + 1) : (maxLength == nil ? Int32(q) : -1)
            for a in 0..<k { next[q * k + a] = to }
        }
        return CodePointDFA(alphabet: alphabet, count: top + 1, start: 0, next: next, accepting: (0...top).map { $0 >= minLength })
    }

    /// The finite language of `words`.
    static func words(_ words: [[UInt32]], alphabet: CodePointAlphabet) throws -> CodePointDFA {
        try CodePointDFA(.alt(words.map { w in .seq(w.map { .cls([$0...$0]) }) }), alphabet: alphabet)
    }

    // MARK: operations

    enum Op { case and, or, andNot }

    /// The product automaton (same alphabet), trimmed.
    func combined(_ other: CodePointDFA, _ op: Op) throws -> CodePointDFA {
        precondition(alphabet === other.alphabet)
        let k = alphabet.count
        var ids: [WordKey: Int32] = [:]
        var pairs: [(Int32, Int32)] = []
        var table: [Int32] = []
        var acc: [Bool] = []
        func id(_ a: Int32, _ b: Int32) throws -> Int32 {
            switch op {
            case .and: if a < 0 || b < 0 { return -1 }
            case .andNot: if a < 0 { return -1 }
            case .or: if a < 0 && b < 0 { return -1 }
            }
            let key = WordKey(a, b)
            if let i = ids[key] { return i }
            if pairs.count >= Self.maxStates { throw FSMDecodeError(.budget, "key/length automaton needs more than \(Self.maxStates) states") }
            let i = Int32(pairs.count)
            ids[key] = i
            pairs.append((a, b))
            let fa = a >= 0 && accepting[Int(a)], fb = b >= 0 && other.accepting[Int(b)]
            acc.append(op == .and ? fa && fb : op == .or ? fa || fb : fa && !fb)
            return i
        }
        let s = try id(start, other.start)
        if s < 0 { return CodePointDFA(alphabet: alphabet, count: 1, start: 0, next: [Int32](repeating: -1, count: k), accepting: [false]) }
        var d = 0
        while d < pairs.count {
            let (a, b) = pairs[d]
            for sym in 0..<k {
                let na = a >= 0 ? step(a, sym) : -1, nb = b >= 0 ? other.step(b, sym) : -1
                table.append(try id(na, nb))
            }
            d += 1
        }
        return CodePointDFA(alphabet: alphabet, count: pairs.count, start: s, next: table, accepting: acc).minimized()
    }

    /// Every string not in the language.
    func complement() throws -> CodePointDFA {
        let k = alphabet.count
        let sink = Int32(count)
        var table = next.map { $0 < 0 ? sink : $0 }
        table += [Int32](repeating: sink, count: k)
        return CodePointDFA(alphabet: alphabet, count: count + 1, start: start, next: table, accepting: accepting.map { !$0 } + [true]).minimized()
    }

    /// Reachable, co-reachable states only, merged (Hopcroft's algorithm; Moore refinement for
    /// alphabets past 256 classes, or when `byMoore`: tests check the two agree), numbered
    /// breadth-first.
    func minimized(byMoore: Bool = false) -> CodePointDFA {
        let k = alphabet.count
        // Co-reachability.
        var rev = [[Int32]](repeating: [], count: count)
        for q in 0..<count { for a in 0..<k { let t = next[q * k + a]; if t >= 0 { rev[Int(t)].append(Int32(q)) } } }
        var live = accepting
        var stack = (0..<count).filter { accepting[$0] }
        while let q = stack.popLast() { for p in rev[q] where !live[Int(p)] { live[Int(p)] = true; stack.append(Int(p)) } }
        if !live[Int(start)] {
            return CodePointDFA(alphabet: alphabet, count: 1, start: 0, next: [Int32](repeating: -1, count: k), accepting: [false])
        }
        func to(_ q: Int, _ a: Int) -> Int32 { let t = next[q * k + a]; return t >= 0 && live[Int(t)] ? t : -1 }
        var block = [Int32](repeating: -1, count: count)
        var blocks: Int
        // Large automata (long length-bounded chains) are only trimmed, as when Moore
        // refinement made merging them too costly: merging them now would change the grammars
        // those schemas compile to, which nothing here has checked.
        let liveCount = live.filter { $0 }.count
        if liveCount > 600 {
            var b: Int32 = 0
            for q in 0..<count where live[q] { block[q] = b; b += 1 }
            blocks = Int(b)
        } else if k <= 256 && !byMoore {
            (block, blocks) = hopcroftBlocks(live: live)
        } else {
            (block, blocks) = mooreBlocks(live: live)
        }
        // Breadth-first numbering from the start block.
        var number = [Int32](repeating: -1, count: blocks)
        var rep = [Int](repeating: -1, count: blocks)
        for q in 0..<count where live[q] && rep[Int(block[q])] < 0 { rep[Int(block[q])] = q }
        var order: [Int32] = [block[Int(start)]]
        number[Int(block[Int(start)])] = 0
        var table: [Int32] = []
        var acc: [Bool] = []
        var d = 0
        while d < order.count {
            let q = rep[Int(order[d])]
            acc.append(accepting[q])
            for a in 0..<k {
                let t = to(q, a)
                if t < 0 { table.append(-1); continue }
                let b = Int(block[Int(t)])
                if number[b] < 0 { number[b] = Int32(order.count); order.append(Int32(b)) }
                table.append(number[b])
            }
            d += 1
        }
        return CodePointDFA(alphabet: alphabet, count: order.count, start: 0, next: table, accepting: acc)
    }

    /// The blocks of equivalent live states (non-live ones -1) and how many, by
    /// `DFABuilder.hopcroft` over `DFABuilder.reverseEdges`: O(n k log n), where Moore
    /// refinement takes as many rounds as the longest distinguishing suffix (a length-bounded
    /// chain of n states: n rounds of n signatures of k + 1 entries; replacing it took 16.5 %
    /// off the compile instructions of the slowest twentieth of maskbench-dev's schemas).
    private func hopcroftBlocks(live: [Bool]) -> ([Int32], Int) {
        let k = alphabet.count
        // Every edge: none leads from a non-live state into a live one, and Hopcroft never
        // reads the edges into non-live states (they share the sink's block).
        let (predStart, sources, classes) = DFABuilder.reverseEdges(table: next, count: count, classCount: k)
        let key = (0..<count).map { live[$0] ? (accepting[$0] ? Int32(1) : 0) : -1 }
        let found = DFABuilder.hopcroft(count: count, classCount: k, predStart: predStart, predSrc: sources, predCls: classes, key: key)
        // Renumbered densely over the live states (the sink's block, with the non-live states, goes).
        var dense = [Int32](repeating: -1, count: count + 1)  // block ids are below count + 1 (the sink's included)
        var blocks: Int32 = 0
        var block = [Int32](repeating: -1, count: count)
        for q in 0..<count where live[q] {
            let b = Int(found[q])
            if dense[b] < 0 { dense[b] = blocks; blocks += 1 }
            block[q] = dense[b]
        }
        return (block, Int(blocks))
    }

    /// `hopcroftBlocks` by Moore refinement (alphabets too wide for the byte-class Hopcroft).
    private func mooreBlocks(live: [Bool]) -> ([Int32], Int) {
        let k = alphabet.count
        func to(_ q: Int, _ a: Int) -> Int32 { let t = next[q * k + a]; return t >= 0 && live[Int(t)] ? t : -1 }
        var block = [Int32](repeating: -1, count: count)
        for q in 0..<count where live[q] { block[q] = accepting[q] ? 1 : 0 }
        var blocks = Set((0..<count).filter { live[$0] }.map { block[$0] }).count
        while true {
            var sig: [IntListKey<Int32>: Int32] = [:]
            var nb = [Int32](repeating: -1, count: count)
            for q in 0..<count where live[q] {
                var row: [Int32] = []
                row.reserveCapacity(k + 1)
                row.append(block[q])
                for a in 0..<k { let t = to(q, a); row.append(t >= 0 ? block[Int(t)] : -1) }
                let key = IntListKey(row)
                if let b = sig[key] { nb[q] = b } else { let b = Int32(sig.count); sig[key] = b; nb[q] = b }
            }
            block = nb
            if sig.count == blocks { return (block, blocks) }
            blocks = sig.count
        }
    }

    /// Per state: (target, symbols) for each distinct target, in symbol order of first use.
    func transitions(_ q: Int) -> [(Int32, [Int32])] {
        let k = alphabet.count
        var out: [(Int32, [Int32])] = []
        var index: [Int32: Int] = [:]
        for a in 0..<k {
            let t = next[q * k + a]
            if t < 0 { continue }
            if let i = index[t] { out[i].1.append(Int32(a)) } else { index[t] = out.count; out.append((t, [Int32(a)])) }
        }
        return out
    }

    /// The language as a regex when its expansion stays within `budget` nodes; nil otherwise.
    /// Acyclic automata (apart from self-loops) are written out directly, by state; others
    /// (complements of unanchored patterns, whose failure links loop back) by state elimination.
    func regex(budget: Int = 4_000) -> CodePointRegex? {
        treeRegex(budget: budget) ?? eliminationRegex(budget: budget)
    }

    /// Brzozowski–McCluskey state elimination: edges labelled by regexes between the states, a
    /// new source and a new sink; each state is removed in turn (the one whose removal adds the
    /// fewest nodes first), rerouting p→k→q through k's loop. Sizes count shared subtrees in
    /// full (the terminal built from the regex expands them), so the budget bounds that too.
    private func eliminationRegex(budget: Int, maxStates: Int = 48) -> CodePointRegex? {
        let n = count
        guard n <= maxStates else { return nil }
        let source = n, sink = n + 1, m = n + 2
        var edge = [CodePointRegex?](repeating: nil, count: m * m)
        var size = [Int](repeating: 0, count: m * m)
        for q in 0..<n {
            for (t, syms) in transitions(q) { edge[q * m + Int(t)] = .cls(alphabet.ranges(syms)); size[q * m + Int(t)] = 1 }
            if accepting[q] { edge[q * m + sink] = .empty; size[q * m + sink] = 1 }
        }
        edge[source * m + Int(start)] = .empty
        size[source * m + Int(start)] = 1
        var alive = [Bool](repeating: true, count: n)
        func seq(_ parts: [CodePointRegex]) -> CodePointRegex {
            var out: [CodePointRegex] = []
            for p in parts { if case .seq(let xs) = p { out += xs } else { out.append(p) } }
            return out.count == 1 ? out[0] : .seq(out)
        }
        for _ in 0..<n {
            // The state whose removal adds the fewest nodes.
            var best = -1, bestCost = Int.max
            for k in 0..<n where alive[k] {
                let loop = size[k * m + k]
                var cost = 0
                for p in 0..<m where p != k && edge[p * m + k] != nil {
                    for q in 0..<m where q != k && edge[k * m + q] != nil {
                        cost += size[p * m + k] + loop + size[k * m + q] + 3
                    }
                }
                if cost < bestCost { best = k; bestCost = cost }
            }
            let k = best
            let loop = edge[k * m + k].map { CodePointRegex.rep($0, 0, nil) }
            let loopSize = loop == nil ? 0 : size[k * m + k] + 1
            for p in 0..<m where p != k {
                guard let into = edge[p * m + k] else { continue }
                for q in 0..<m where q != k {
                    guard let out = edge[k * m + q] else { continue }
                    let piece = seq(loop.map { [into, $0, out] } ?? [into, out])
                    let pieceSize = size[p * m + k] + loopSize + size[k * m + q] + 1
                    if let old = edge[p * m + q] {
                        if case .alt(let xs) = old { edge[p * m + q] = .alt(xs + [piece]) } else { edge[p * m + q] = .alt([old, piece]) }
                        size[p * m + q] += pieceSize + 1
                    } else {
                        edge[p * m + q] = piece
                        size[p * m + q] = pieceSize
                    }
                    if size[p * m + q] > budget { return nil }
                }
            }
            for x in 0..<m { edge[x * m + k] = nil; edge[k * m + x] = nil }
            alive[k] = false
        }
        return edge[source * m + sink]
    }

    /// The language by state, when the automaton is acyclic apart from self-loops.
    private func treeRegex(budget: Int) -> CodePointRegex? {
        var memo: [Int: CodePointRegex] = [:]
        var sizes: [Int: Int] = [:]
        var visiting = Set<Int>()
        var nodes = 0
        var failed = false
        func build(_ q: Int) -> CodePointRegex? {
            if failed { return nil }
            // A shared subtree is expanded wherever it is used: count its full size.
            if let r = memo[q] { nodes += sizes[q]!; if nodes > budget { failed = true; return nil }; return r }
            if visiting.contains(q) || visiting.count > 48 { failed = true; return nil }
            visiting.insert(q)
            defer { visiting.remove(q) }
            let before = nodes
            var loop: CodePointRegex? = nil
            var alts: [CodePointRegex] = accepting[q] ? [.empty] : []
            for (t, syms) in transitions(q) {
                let cls = CodePointRegex.cls(alphabet.ranges(syms))
                if Int(t) == q { loop = .rep(cls, 0, nil); continue }
                guard let rest = build(Int(t)) else { failed = true; return nil }
                alts.append(.seq([cls, rest]))
                nodes += 2
                if nodes > budget { failed = true; return nil }
            }
            let body: CodePointRegex = alts.count == 1 ? alts[0] : .alt(alts)
            let r: CodePointRegex = loop.map { .seq([$0, body]) } ?? body
            memo[q] = r
            sizes[q] = nodes - before + 1
            return r
        }
        return build(Int(start))
    }

    // MARK: NFA

    private struct NFA {
        let alphabet: CodePointAlphabet
        var eps: [[Int32]] = []
        var symbolsOf: [[Int32]] = []  // class edge symbols (empty: none)
        var target: [Int32] = []
        static let maxNodes = 400_000

        init(alphabet: CodePointAlphabet) { self.alphabet = alphabet }

        mutating func node() throws -> Int32 {
            if eps.count >= Self.maxNodes { throw FSMDecodeError(.budget, "pattern automaton expands to more than \(Self.maxNodes) states") }
            eps.append([]); symbolsOf.append([]); target.append(-1)
            return Int32(eps.count - 1)
        }

        mutating func build(_ r: CodePointRegex, from s: Int32) throws -> Int32 {
            switch r {
            case .cls(let ranges):
                let a = try node(), b = try node()
                eps[Int(s)].append(a)
                symbolsOf[Int(a)] = alphabet.symbols(ranges)
                target[Int(a)] = b
                return b
            case .seq(let parts):
                var cur = s
                for p in parts { cur = try build(p, from: cur) }
                return cur
            case .alt(let parts):
                let end = try node()
                for p in parts { let e = try build(p, from: s); eps[Int(e)].append(end) }
                return end
            case .rep(let x, let a, let b):
                var cur = s
                for _ in 0..<a { cur = try build(x, from: cur) }
                if let b {
                    let end = try node()
                    eps[Int(cur)].append(end)
                    for _ in a..<b { cur = try build(x, from: cur); eps[Int(cur)].append(end) }
                    return end
                }
                let l = try node()
                eps[Int(cur)].append(l)
                let e = try build(x, from: l)
                eps[Int(e)].append(l)
                return l
            }
        }

        func closure(_ seeds: [Int32], _ mark: inout [UInt32], _ gen: UInt32) -> [Int32] {
            var out: [Int32] = []
            var stack: [Int32] = []
            for s in seeds where mark[Int(s)] != gen { mark[Int(s)] = gen; stack.append(s) }
            while let s = stack.popLast() {
                out.append(s)
                for t in eps[Int(s)] where mark[Int(t)] != gen { mark[Int(t)] = gen; stack.append(t) }
            }
            return out.sorted()
        }

        func determinize(start: Int32, accept: Int32) throws -> CodePointDFA {
            let k = alphabet.count
            var mark = [UInt32](repeating: 0, count: eps.count)
            var gen: UInt32 = 1
            // A DFA state is the set of closure nodes that have a class edge, plus acceptance.
            func key(_ c: [Int32]) -> [Int32] {
                var out = c.filter { !symbolsOf[Int($0)].isEmpty }
                if c.contains(accept) { out.append(-1) }
                return out
            }
            var ids: [[Int32]: Int32] = [:]
            var sets: [[Int32]] = []
            let s0 = key(closure([start], &mark, gen))
            ids[s0] = 0
            sets.append(s0)
            var table: [Int32] = []
            var acc: [Bool] = []
            var buckets = [[Int32]](repeating: [], count: k)
            var d = 0
            while d < sets.count {
                let set = sets[d]
                acc.append(set.last == -1)
                var touched: [Int] = []
                for n in set where n >= 0 {
                    for a in symbolsOf[Int(n)] {
                        if buckets[Int(a)].isEmpty { touched.append(Int(a)) }
                        buckets[Int(a)].append(target[Int(n)])
                    }
                }
                var row = [Int32](repeating: -1, count: k)
                var cache: [[Int32]: Int32] = [:]
                for a in touched {
                    let seeds = buckets[Int(a)].sorted()
                    buckets[a] = []
                    if let t = cache[seeds] { row[a] = t; continue }
                    gen &+= 1
                    let kk = key(closure(seeds, &mark, gen))
                    var t = ids[kk]
                    if t == nil {
                        if sets.count >= CodePointDFA.maxStates { throw FSMDecodeError(.budget, "pattern automaton needs more than \(CodePointDFA.maxStates) states") }
                        t = Int32(sets.count)
                        ids[kk] = t
                        sets.append(kk)
                    }
                    cache[seeds] = t
                    row[a] = t!
                }
                table += row
                d += 1
            }
            return CodePointDFA(alphabet: alphabet, count: sets.count, start: 0, next: table, accepting: acc).minimized()
        }
    }
}

extension CodePointRegex {
    /// True when no string matches.
    var isEmptyLanguage: Bool { CodePointRegex.isEmpty(lengthRange: lengthRange) }

    /// Whether a `lengthRange` is the empty language's (its minimum is the "no string" bound).
    static func isEmpty(lengthRange r: (Int, Int?)) -> Bool { r.0 >= Int.max / 4 }

    /// The regex restricted to strings of `lo ... hi` characters, rewritten structurally
    /// (repetition bounds tightened) when at most one part of each sequence varies in length
    /// and that part repeats a fixed-length element; nil when no such rewrite applies.
    func limitedLength(_ lo: Int, _ hi: Int?) -> CodePointRegex? {
        let (a, b) = lengthRange
        if CodePointRegex.isEmpty(lengthRange: (a, b)) { return self }
        if a >= lo && (hi == nil || (b != nil && b! <= hi!)) { return self }
        if let b, b < lo { return .alt([]) }
        if let hi, a > hi { return .alt([]) }
        switch self {
        case .cls: return self
        case .alt(let parts):
            var out: [CodePointRegex] = []
            for p in parts {
                guard let q = p.limitedLength(lo, hi) else { return nil }
                if !q.isEmptyLanguage { out.append(q) }
            }
            return .alt(out)
        case .seq(let parts):
            var flat: [CodePointRegex] = []
            func add(_ p: CodePointRegex) { if case .seq(let inner) = p { inner.forEach(add) } else { flat.append(p) } }
            parts.forEach(add)
            var fixed = 0, varying: Int? = nil
            for (i, p) in flat.enumerated() {
                let (x, y) = p.lengthRange
                if x == y { fixed += x; continue }
                if varying != nil { return nil }
                varying = i
            }
            guard let i = varying else { return self }
            guard let q = flat[i].limitedLength(max(0, lo - fixed), hi.map { $0 - fixed }) else { return nil }
            if q.isEmptyLanguage { return .alt([]) }
            flat[i] = q
            return .seq(flat)
        case .rep(let x, let m, let n):
            let (w, w2) = x.lengthRange
            guard w == w2, let w2 else { return nil }
            if w2 == 0 { return lo == 0 ? self : .alt([]) }
            let m2 = max(m, (lo + w - 1) / w)
            var n2 = n
            if let hi { n2 = min(n ?? Int.max, hi / w) }
            if let n2, n2 < m2 { return .alt([]) }
            return .rep(x, m2, n2)
        }
    }
}

/// The language of a string value: a regex, or one needing automaton operations (a regex
/// within length bounds minus some strings), or an automaton already built.
enum StringLanguage {
    case regex(CodePointRegex)
    case bounded(CodePointRegex, min: Int, max: Int?, excluding: [[UInt32]])
    case automaton(CodePointDFA)

    /// The regexes whose classes an alphabet for this language must separate.
    var parts: [CodePointRegex] {
        switch self {
        case .regex(let r): return [r]
        case .bounded(let r, _, _, let ex): return [r] + ex.map { w in .seq(w.map { .cls([$0...$0]) }) }
        case .automaton(let d): return [.cls(d.alphabet.intervals)]
        }
    }

    func dfa(_ alphabet: CodePointAlphabet) throws -> CodePointDFA {
        switch self {
        case .regex(let r): return try CodePointDFA(r, alphabet: alphabet)
        case .bounded(let r, let lo, let hi, let ex):
            var d = try CodePointDFA(r, alphabet: alphabet)
            if lo > 0 || hi != nil { d = try d.combined(.lengths(lo, hi, alphabet: alphabet), .and) }
            if !ex.isEmpty { d = try d.combined(.words(ex, alphabet: alphabet), .andNot) }
            return d
        case .automaton(let d):
            if d.alphabet === alphabet { return d }
            throw FSMDecodeError(.budget, "automaton over another alphabet")
        }
    }
}
