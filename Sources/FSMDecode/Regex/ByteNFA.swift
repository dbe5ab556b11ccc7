/// A Thompson NFA over bytes, in flat arrays (structure of arrays).
///
/// Each state is one of: a byte-range state (`lo...hi` → `next`), an epsilon state (up to two
/// targets `eps1`, `eps2`; -1 = none), or an accepting state carrying a label (the index of the
/// alternative/terminal it accepts). Code-point sets become UTF-8 byte-range chains via
/// `CodePointSet.utf8Sequences()`; chains of one set share identical suffix states.
///
/// Built backwards (each node is compiled knowing its continuation state), so repetition
/// needs no fragment copying or patch lists, and `{m,n}` uses the nested form
/// `x{m}(x(x(…)?)?)?`, whose epsilon closures stay O(1) in size.
/// Size is capped at `maxStates` (error, never unbounded memory).
struct ByteNFA {
    enum Kind: UInt8 { case byteRange, epsilon, accept }

    var kind: [Kind] = []
    var lo: [UInt8] = []
    var hi: [UInt8] = []
    /// byteRange: the target; epsilon: first target (or -1); accept: the label.
    var next: [Int32] = []
    /// epsilon: second target (or -1).
    var eps2: [Int32] = []
    /// Entry state.
    var start: Int32 = -1

    let maxStates: Int
    let patternForErrors: String

    init(maxStates: Int, patternForErrors: String) {
        self.maxStates = maxStates
        self.patternForErrors = patternForErrors
    }

    var count: Int { kind.count }

    private mutating func add(_ k: Kind, _ l: UInt8, _ h: UInt8, _ n: Int32, _ e: Int32) throws -> Int32 {
        if kind.count >= maxStates {
            throw budgetError()
        }
        kind.append(k); lo.append(l); hi.append(h); next.append(n); eps2.append(e)
        return Int32(kind.count - 1)
    }

    mutating func addAccept(label: Int32) throws -> Int32 { try add(.accept, 0, 0, label, -1) }

    mutating func addEpsilon(_ a: Int32, _ b: Int32 = -1) throws -> Int32 { try add(.epsilon, 0, 0, a, b) }

    /// An epsilon state reaching every one of `targets` (a chain of binary splits).
    mutating func addFanOut(_ targets: [Int32]) throws -> Int32 {
        precondition(!targets.isEmpty)
        if targets.count == 1 { return targets[0] }
        var t = targets[targets.count - 1]
        for i in stride(from: targets.count - 2, through: 0, by: -1) { t = try addEpsilon(targets[i], t) }
        return t
    }

    /// A lower bound on the states `build` allocates for `node` (saturating), so a pattern
    /// whose repetitions multiply past the budget fails before allocating anything.
    static func minimumSize(_ node: RegexAST) -> Int {
        let cap = Int.max / 4
        switch node {
        case .empty: return 0
        case .scalars(let set): return Swift.max(set.ranges.count, 1)
        case .concat(let items), .alternation(let items):
            var total = 0
            for i in items { total = Swift.min(cap, total + minimumSize(i)) }
            return total
        case .repetition(let item, let min, let max):
            let copies = Swift.max(min, max ?? 1, 1)
            let one = minimumSize(item)
            return one == 0 ? 0 : copies > cap / one ? cap : copies * one
        }
    }

    /// Throws the budget error when `minimumSize` already exceeds it.
    func checkBudget(_ nodes: [RegexAST]) throws {
        var total = 0
        for n in nodes { total = Swift.min(Int.max / 2, total + Self.minimumSize(n)) }
        if total > maxStates { throw budgetError() }
    }

    private func budgetError() -> FSMDecodeError {
        FSMDecodeError(.budget, "\(patternForErrors) expands to more than \(maxStates) NFA states (repetition counts multiply); simplify the pattern")
    }

    /// Compiles `node` so that a match of it continues at `out`; returns the entry state.
    /// Recursion depth = AST depth (bounded by the parser's nesting limit).
    mutating func build(_ node: RegexAST, then out: Int32) throws -> Int32 {
        switch node {
        case .empty:
            return out
        case .scalars(let set):
            let seqs = set.utf8Sequences()
            if seqs.isEmpty { return try addEpsilon(-1) } // matches nothing: a state with no way on
            var shared: [UInt64: Int32] = [:]
            var entries: [Int32] = []
            entries.reserveCapacity(seqs.count)
            for seq in seqs {
                var t = out
                for r in seq.reversed() {
                    let key = UInt64(r.lowerBound) << 40 | UInt64(r.upperBound) << 32 | UInt64(UInt32(bitPattern: t))
                    if let s = shared[key] { t = s; continue }
                    let s = try add(.byteRange, r.lowerBound, r.upperBound, t, -1)
                    shared[key] = s
                    t = s
                }
                entries.append(t)
            }
            return try addFanOut(entries)
        case .concat(let items):
            var t = out
            for item in items.reversed() { t = try build(item, then: t) }
            return t
        case .alternation(let items):
            var entries: [Int32] = []
            entries.reserveCapacity(items.count)
            for item in items { entries.append(try build(item, then: out)) }
            return try addFanOut(entries)
        case .repetition(let item, let min, let max):
            var t = out
            if let max {
                for _ in 0 ..< (max - min) {
                    let e = try build(item, then: t)
                    t = try addEpsilon(e, out)
                }
                for _ in 0 ..< min { t = try build(item, then: t) }
                return t
            }
            // Unbounded: a loop state that either enters the body again or leaves.
            let loop = try addEpsilon(-1, out)
            let body = try build(item, then: loop)
            next[Int(loop)] = body
            t = min == 0 ? loop : body
            for _ in 0 ..< Swift.max(min - 1, 0) { t = try build(item, then: t) }
            return t
        }
    }
}
