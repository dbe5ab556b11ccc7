/// A Thompson NFA over bytes, in one flat array of 12-byte states.
///
/// Each state is one of: a byte-range state (`lo...hi` → `next`), an epsilon state (up to two
/// targets `eps1`, `eps2`; -1 = none), or an accepting state carrying a label (the index of the
/// alternative/terminal it accepts). Code-point sets become UTF-8 byte-range chains via
/// `CodePointSet.utf8Sequences()`; chains of one set share identical suffix states (computed
/// once per distinct set and build, then copied as a template).
///
/// Built backwards (each node is compiled knowing its continuation state), so repetition
/// needs no fragment copying or patch lists, and `{m,n}` uses the nested form
/// `x{m}(x(x(…)?)?)?`, whose epsilon closures stay O(1) in size.
/// Size is capped at `maxStates` (error, never unbounded memory).
struct ByteNFA {
    enum Kind: UInt8 { case byteRange, epsilon, accept }

    /// One state (12 bytes; one append per state).
    struct State {
        /// byteRange: the target; epsilon: first target (or -1); accept: the label.
        var next: Int32
        /// epsilon: second target (or -1).
        var eps2: Int32
        var lo: UInt8
        var hi: UInt8
        var kind: Kind
    }

    var states: [State] = []
    /// Entry state.
    var start: Int32 = -1

    let maxStates: Int
    let patternForErrors: String

    /// Per distinct code-point set of this build, its byte-range chains as a template
    /// relative to the continuation: JSON-string terminals repeat the same few classes
    /// hundreds of times, and the UTF-8 split and suffix sharing are then done once.
    /// Template `i`: nodes `tNode[tNodeStart[i] ..< tNodeStart[i+1]]` in creation order,
    /// entries `tEntry[tEntryStart[i] ..< tEntryStart[i+1]]` (node indices).
    private var templateOf: [CodePointSet: Int32] = [:]
    private var tNode: [State] = []
    private var tNodeStart: [Int32] = [0]
    private var tEntry: [Int32] = []
    private var tEntryStart: [Int32] = [0]
    /// Scratch stack of alternation entries (each level pushes, fans out, pops).
    private var fan: [Int32] = []
    /// Scratch: template node index → state.
    private var tMap: [Int32] = []
    /// Hash-consing table (`intern`): state + 1, 0 = empty; power-of-two size.
    private var cons: [Int32] = []
    private var consCount = 0

    init(maxStates: Int, patternForErrors: String) {
        self.maxStates = maxStates
        self.patternForErrors = patternForErrors
    }

    var count: Int { states.count }

    /// Appends a state that is never shared (accept states, the patched loop state).
    private mutating func addUnshared(_ st: State) throws -> Int32 {
        if states.count >= maxStates { throw budgetError() }
        states.append(st)
        return Int32(states.count - 1)
    }

    @inline(__always) private static func hash(_ s: State) -> Int {
        var z = UInt64(UInt32(bitPattern: s.next)) | UInt64(UInt32(bitPattern: s.eps2)) << 32
        z ^= UInt64(s.lo) << 7 | UInt64(s.hi) << 17 | UInt64(s.kind.rawValue) << 27
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: z ^ (z >> 31))
    }

    /// The state with `st`'s content: found (hash-consing), or appended.
    private mutating func intern(_ st: State) throws -> Int32 {
        if cons.isEmpty { cons = [Int32](repeating: 0, count: 1024) }
        let mask = cons.count - 1
        var i = Self.hash(st) & mask
        while true {
            let v = cons[i]
            if v == 0 { break }
            let o = states[Int(v) - 1]
            if o.next == st.next && o.eps2 == st.eps2 && o.lo == st.lo && o.hi == st.hi && o.kind == st.kind { return v - 1 }
            i = (i + 1) & mask
        }
        let id = try addUnshared(st)
        cons[i] = id + 1
        consCount += 1
        if consCount * 2 > mask {
            var bigger = [Int32](repeating: 0, count: cons.count * 2)
            let m = bigger.count - 1
            for v in cons where v != 0 {
                var j = Self.hash(states[Int(v) - 1]) & m
                while bigger[j] != 0 { j = (j + 1) & m }
                bigger[j] = v
            }
            cons = bigger
        }
        return id
    }

    mutating func addAccept(label: Int32) throws -> Int32 { try addUnshared(State(next: label, eps2: -1, lo: 0, hi: 0, kind: .accept)) }

    mutating func addEpsilon(_ a: Int32, _ b: Int32 = -1) throws -> Int32 { try intern(State(next: a, eps2: b, lo: 0, hi: 0, kind: .epsilon)) }

    @inline(__always) private mutating func addByte(_ l: UInt8, _ h: UInt8, _ n: Int32) throws -> Int32 {
        try intern(State(next: n, eps2: -1, lo: l, hi: h, kind: .byteRange))
    }

    /// An epsilon state reaching every one of `targets` (a chain of binary splits).
    mutating func addFanOut(_ targets: [Int32]) throws -> Int32 {
        precondition(!targets.isEmpty)
        if targets.count == 1 { return targets[0] }
        var t = targets[targets.count - 1]
        for i in stride(from: targets.count - 2, through: 0, by: -1) { t = try addEpsilon(targets[i], t) }
        return t
    }

    /// `addFanOut` over `fan[from...]`, which it pops.
    private mutating func fanOut(from: Int) throws -> Int32 {
        defer { fan.removeSubrange(from...) }
        var t = fan[fan.count - 1]
        var i = fan.count - 2
        while i >= from { t = try addEpsilon(fan[i], t); i -= 1 }
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
            return try buildScalars(set, then: out)
        case .concat(let items):
            var t = out
            for item in items.reversed() { t = try build(item, then: t) }
            return t
        case .alternation(let items):
            let from = fan.count
            for item in items {
                let e = try build(item, then: out)
                fan.append(e)
            }
            return try fanOut(from: from)
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
            let loop = try addUnshared(State(next: -1, eps2: out, lo: 0, hi: 0, kind: .epsilon)) // patched below: never shared
            let body = try build(item, then: loop)
            states[Int(loop)].next = body
            t = min == 0 ? loop : body
            for _ in 0 ..< Swift.max(min - 1, 0) { t = try build(item, then: t) }
            return t
        }
    }

    /// One code point of `set`, continuing at `out`: UTF-8 byte-range chains whose identical
    /// suffixes are shared, entered through a fan-out (in that creation order). A single
    /// scalar is encoded directly; other sets are instantiated from their template.
    private mutating func buildScalars(_ set: CodePointSet, then out: Int32) throws -> Int32 {
        if let c = set.singleScalar, c < 0xD800 || c > 0xDFFF {
            var t = out
            if c < 0x80 { return try addByte(UInt8(c), UInt8(c), t) }
            let n = CodePointSet.encodedLength(c)
            // Last byte first (each state is created knowing its continuation).
            var v = c
            for _ in 1 ..< n {
                let b = UInt8(0x80 | v & 0x3F)
                t = try addByte(b, b, t)
                v >>= 6
            }
            let lead = UInt8(truncatingIfNeeded: (n == 2 ? 0xC0 : n == 3 ? 0xE0 : 0xF0) | v)
            return try addByte(lead, lead, t)
        }
        let id = Int(template(set))
        let nodes = Int(tNodeStart[id]) ..< Int(tNodeStart[id + 1])
        let entries = Int(tEntryStart[id]) ..< Int(tEntryStart[id + 1])
        if entries.isEmpty { return try addEpsilon(-1) } // matches nothing: a state with no way on
        tMap.removeAll(keepingCapacity: true)
        for i in nodes {
            var st = tNode[i]
            st.next = st.next < 0 ? out : tMap[Int(st.next)]
            tMap.append(try intern(st))
        }
        var t = tMap[Int(tEntry[entries.upperBound - 1])]
        var j = entries.upperBound - 2
        while j >= entries.lowerBound {
            t = try addEpsilon(tMap[Int(tEntry[j])], t)
            j -= 1
        }
        return t
    }

    /// The template of `set` (built on first use): the chains of `set.utf8Sequences()`, each
    /// built from its last range back, a node shared when one with the same range and
    /// continuation exists (-1 = the continuation `out`, else a node index).
    private mutating func template(_ set: CodePointSet) -> Int32 {
        if let id = templateOf[set] { return id }
        let base = tNode.count
        var shared: [UInt64: Int32] = [:]
        for seq in set.utf8Sequences() {
            var t: Int32 = -1
            for r in seq.reversed() {
                let key = UInt64(r.lowerBound) << 40 | UInt64(r.upperBound) << 32 | UInt64(UInt32(bitPattern: t))
                if let s = shared[key] { t = s; continue }
                let s = Int32(tNode.count - base)
                tNode.append(State(next: t, eps2: -1, lo: r.lowerBound, hi: r.upperBound, kind: .byteRange))
                shared[key] = s
                t = s
            }
            tEntry.append(t)
        }
        tNodeStart.append(Int32(tNode.count))
        tEntryStart.append(Int32(tEntry.count))
        let id = Int32(templateOf.count)
        templateOf[set] = id
        return id
    }
}
