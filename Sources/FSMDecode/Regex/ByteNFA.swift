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
/// Equal subtrees flatten to one node, and a big node met again with the same continuation
/// reuses its entry state (`build(node:then:)`), so a subtree repeated under many prefixes
/// (the JSON-string tail of every undeclared-key prefix) costs one copy.
/// Size is capped at `maxStates` (error, never unbounded memory): `prepare` checks a lower bound
/// counted as if no state were shared, `addUnshared` the states actually made.
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
    private var templateSets: [CodePointSet] = []
    /// Open-addressing index of `templateSets` (template + 1, 0 = empty), power-of-two size.
    private var templateSlots = [Int32](repeating: 0, count: 64)
    private var tNode: [State] = []
    private var tNodeStart: [Int32] = [0]
    private var tEntry: [Int32] = []
    private var tEntryStart: [Int32] = [0]
    /// Scratch stack of alternation entries (each level pushes, fans out, pops).
    private var fan: [Int32] = []
    /// Scratch: template node index → state.
    private var tMap: [Int32] = []
    /// Scratch of `template`: its nodes by content (range and continuation).
    private var templateShared: [WordKey: Int32] = [:]
    /// Hash-consing (`intern`): byte-range and epsilon states are looked up by content before
    /// one is added, so equal suffixes (the spellings of a character that continue alike, the
    /// fan-outs over them) exist once. Built backwards, a state's targets exist when it is
    /// made and never change (the loop state of `x*`, patched later, is never shared), so
    /// sharing keeps every state's language; fewer distinct NFA states make fewer subsets.
    /// Open addressing, power-of-two size; `id` = state + 1, 0 = empty slot.
    private struct ConsSlot { var key: UInt64; var id: Int32 }
    private var cons = [ConsSlot](repeating: ConsSlot(key: 0, id: 0), count: 256)
    private var consCount = 0
    /// Per state: some shared state has it as a target.
    private var referenced: [Bool] = []

    init(maxStates: Int, patternForErrors: String) {
        self.maxStates = maxStates
        self.patternForErrors = patternForErrors
    }

    var count: Int { states.count }

    /// Appends a state that is never shared (accept states, the patched loop state).
    private mutating func addUnshared(_ st: State) throws -> Int32 {
        if states.count >= maxStates { throw budgetError() }
        states.append(st)
        referenced.append(false)
        return Int32(states.count - 1)
    }

    /// The content of a shareable state as one word (ids are below 2^31): epsilon
    /// `(a+1) | (b+1) << 32`, byte range `1 << 63 | hi << 40 | lo << 32 | next`.
    @inline(__always) private static func key(_ s: State) -> UInt64 {
        s.kind == .byteRange
            ? 1 << 63 | UInt64(s.hi) << 40 | UInt64(s.lo) << 32 | UInt64(UInt32(bitPattern: s.next))
            : UInt64(UInt32(bitPattern: s.next &+ 1)) | UInt64(UInt32(bitPattern: s.eps2 &+ 1)) << 32
    }

    @inline(__always) private static func home(_ key: UInt64, _ mask: Int) -> Int {
        var z = key
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: z ^ (z >> 31)) & mask
    }

    /// The state with `st`'s content (byte range or epsilon): found, or appended.
    private mutating func intern(_ st: State) throws -> Int32 {
        let k = Self.key(st)
        let mask = cons.count - 1
        var i = Self.home(k, mask)
        // A shared state pointing at a target no shared state points at yet is new (the usual
        // case: a chain being built back to front); it only needs a free slot.
        let known = (st.next < 0 || referenced[Int(st.next)]) && (st.eps2 < 0 || referenced[Int(st.eps2)])
        while true {
            let slot = cons[i]
            if slot.id == 0 { break }
            if known && slot.key == k { return slot.id - 1 }
            i = (i + 1) & mask
        }
        let id = try addUnshared(st)
        if st.next >= 0 { referenced[Int(st.next)] = true }
        if st.eps2 >= 0 { referenced[Int(st.eps2)] = true }
        cons[i] = ConsSlot(key: k, id: id + 1)
        consCount += 1
        if consCount * 2 > mask {
            var bigger = [ConsSlot](repeating: ConsSlot(key: 0, id: 0), count: cons.count * 2)
            let m = bigger.count - 1
            for slot in cons where slot.id != 0 {
                var j = Self.home(slot.key, m)
                while bigger[j].id != 0 { j = (j + 1) & m }
                bigger[j] = slot
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

    /// Flattens `alternatives` into `nodes` (once per compile: the NFA construction walks a
    /// repetition's body once per copy, and flat nodes cost no reference counting and hash each
    /// code-point set once), then throws the budget error when their size (see `flatten`)
    /// already exceeds it, so a pattern whose repetitions multiply past the budget fails before any
    /// state is allocated. Returns each alternative's root node, for `build(node:then:)`.
    mutating func prepare(_ alternatives: [RegexAST]) throws -> [Int32] {
        var roots: [Int32] = []
        var total = 0
        for a in alternatives {
            let (root, size) = flatten(a)
            roots.append(root)
            total = Swift.min(Int.max / 2, total + size)
        }
        if total > maxStates { throw budgetError() }
        // Size the sharing table for the expected states (capped: sharing may make far fewer).
        var slots = cons.count
        while slots < 2 * Swift.min(total, 1 << 16) { slots *= 2 }
        if slots > cons.count { cons = [ConsSlot](repeating: ConsSlot(key: 0, id: 0), count: slots) }
        return roots
    }

    /// A flattened AST node. Nodes of size 0 (built from `.empty` alone: their language is the
    /// empty string) are all `.empty`, so no repetition loops over a body that adds no state.
    private struct Node {
        enum Op: UInt8 { case empty, scalar, set, concat, alternation, repetition, automaton }
        var op: Op
        /// scalar: the code point; set: the template; concat/alternation: first child in
        /// `children`; repetition: the body node; automaton: its index in `automata`.
        var a: Int32
        /// concat/alternation: child count; repetition: min.
        var b: Int
        /// repetition: max, -1 = unbounded.
        var c: Int
    }

    private var nodes: [Node] = []
    private var children: [Int32] = []
    /// The DFAs of `.automaton` nodes.
    private var automata: [ByteDFA] = []
    /// Per node: its size (see `flatten`).
    private var nodeSize: [Int] = []
    /// Hash-consing of flat nodes: equal subtrees (children compared by node id, so equal
    /// subtrees are one node bottom-up) flatten to one node. Open addressing, power-of-two
    /// size; node + 1, 0 = empty; `nodeHash` per node.
    private var nodeSlots = [Int32](repeating: 0, count: 256)
    private var nodeHash: [UInt64] = []
    /// `build(node:then:)` results of big composite nodes, keyed by node and continuation: a
    /// subtree met again with the same continuation (the `[^"\\…]*` tail after every
    /// undeclared-key prefix, shared classes inside alternations) is built once. A node built
    /// with continuation `out` matches L(node)·L(out) whichever copy is entered, so sharing keeps
    /// the language; fewer NFA states make fewer and smaller subsets.
    private var built: [WordKey: Int32] = [:]
    /// Nodes of at least this size are looked up in `built` (below it a lookup costs about
    /// what building does).
    private static let memoSize = 24

    /// Appends `node`'s flat form; returns it and the node's size: a lower bound on the states
    /// the construction without state sharing allocates for it (saturating; repetitions
    /// multiply), which also bounds the scalar nodes built, so the build does
    /// O(budget × depth) work even where shared states make copies free.
    /// Recursion depth = AST depth (bounded by the parser's nesting limit).
    private mutating func flatten(_ node: RegexAST) -> (node: Int32, size: Int) {
        let cap = Int.max / 4
        var n = Node(op: .empty, a: 0, b: 0, c: 0)
        var size = 0
        switch node {
        case .empty:
            break
        case .scalars(let set):
            size = Swift.max(set.ranges.count, 1)
            if let c = set.singleScalar, c < 0xD800 || c > 0xDFFF {
                n = Node(op: .scalar, a: Int32(bitPattern: c), b: 0, c: 0)
            } else {
                n = Node(op: .set, a: template(set), b: 0, c: 0)
            }
        case .alternation(let items) where items.isEmpty:
            // No alternative: matches nothing, like an empty set (and counted as one).
            size = 1
            n = Node(op: .set, a: template(CodePointSet()), b: 0, c: 0)
        case .concat(let items), .alternation(let items):
            let from = fan.count
            for i in items {
                let (child, s) = flatten(i)
                fan.append(child)
                size = Swift.min(cap, size + s)
            }
            if size > 0 {
                var isConcat = false
                if case .concat = node { isConcat = true }
                n = Node(op: isConcat ? .concat : .alternation, a: Int32(children.count), b: items.count, c: 0)
                children.append(contentsOf: fan[from...])
            }
            fan.removeSubrange(from...)
        case .repetition(let item, let min, let max):
            let (child, one) = flatten(item)
            let copies = Swift.max(min, max ?? 1, 1)
            size = one == 0 ? 0 : copies > cap / one ? cap : copies * one
            if size > 0 { n = Node(op: .repetition, a: child, b: min, c: max ?? -1) }
        case .automaton(let d):
            size = d.stateCount
            let known = automata.firstIndex(of: d)
            if known == nil { automata.append(d) }
            n = Node(op: .automaton, a: Int32(known ?? automata.count - 1), b: 0, c: 0)
        }
        return (intern(n, size: size), size)
    }

    /// The id of a node equal to `n` (op, operands, children by id), appended when new; a
    /// composite `n`'s children are the last `n.b` entries of `children` (dropped when found).
    private mutating func intern(_ n: Node, size: Int) -> Int32 {
        let composite = n.op == .concat || n.op == .alternation
        var hasher = StableHasher()
        hasher.combine(UInt64(n.op.rawValue))
        hasher.combine(UInt64(UInt32(bitPattern: composite ? 0 : n.a)))
        hasher.combine(UInt64(UInt(bitPattern: n.b)))
        hasher.combine(UInt64(UInt(bitPattern: n.c)))
        let first = Int(n.a)
        if composite {
            for j in first ..< first + n.b { hasher.combine(UInt64(UInt32(bitPattern: children[j]))) }
        }
        let h = hasher.finalize()
        let mask = nodeSlots.count - 1
        var slot = Self.home(h, mask)
        while nodeSlots[slot] != 0 {
            let id = Int(nodeSlots[slot] - 1)
            let m = nodes[id]
            if nodeHash[id] == h && m.op == n.op && m.b == n.b && m.c == n.c {
                var same = true
                if composite {
                    let other = Int(m.a)
                    for j in 0 ..< n.b where children[other + j] != children[first + j] { same = false; break }
                } else {
                    same = m.a == n.a
                }
                if same {
                    if composite { children.removeLast(n.b) }
                    return Int32(id)
                }
            }
            slot = (slot + 1) & mask
        }
        let id = Int32(nodes.count)
        nodes.append(n)
        nodeSize.append(size)
        nodeHash.append(h)
        nodeSlots[slot] = id + 1
        if nodes.count * 2 > nodeSlots.count {
            var bigger = [Int32](repeating: 0, count: nodeSlots.count * 2)
            let m = bigger.count - 1
            for (i, g) in nodeHash.enumerated() {
                var j = Self.home(g, m)
                while bigger[j] != 0 { j = (j + 1) & m }
                bigger[j] = Int32(i + 1)
            }
            nodeSlots = bigger
        }
        return id
    }

    private func budgetError() -> FSMDecodeError {
        FSMDecodeError(.budget, "\(patternForErrors) expands to more than \(maxStates) NFA states (repetition counts multiply); simplify the pattern")
    }

    /// Compiles flat node `i` (from `prepare`) so that a match of it continues at `out`;
    /// returns the entry state. Recursion depth = AST depth.
    mutating func build(node i: Int32, then out: Int32) throws -> Int32 {
        let n = nodes[Int(i)]
        if nodeSize[Int(i)] >= Self.memoSize && n.op != .set {
            let key = WordKey(i, out)
            if let e = built[key] { return e }
            let e = try buildUncached(n, then: out)
            built[key] = e
            return e
        }
        return try buildUncached(n, then: out)
    }

    private mutating func buildUncached(_ n: Node, then out: Int32) throws -> Int32 {
        switch n.op {
        case .empty:
            return out
        case .scalar:
            return try buildScalar(UInt32(bitPattern: n.a), then: out)
        case .set:
            return try instantiate(template: Int(n.a), then: out)
        case .concat:
            var t = out
            var j = Int(n.a) + n.b - 1
            while j >= Int(n.a) {
                t = try build(node: children[j], then: t)
                j -= 1
            }
            return t
        case .alternation:
            let from = fan.count
            for j in Int(n.a) ..< Int(n.a) + n.b {
                let e = try build(node: children[j], then: out)
                fan.append(e)
            }
            return try fanOut(from: from)
        case .repetition:
            let item = n.a, min = n.b
            var t = out
            if n.c >= 0 {
                for _ in 0 ..< (n.c - min) {
                    let e = try build(node: item, then: t)
                    t = try addEpsilon(e, out)
                }
                for _ in 0 ..< min { t = try build(node: item, then: t) }
                return t
            }
            // Unbounded: a loop state that either enters the body again or leaves.
            let loop = try addUnshared(State(next: -1, eps2: out, lo: 0, hi: 0, kind: .epsilon)) // patched below: never shared
            let body = try build(node: item, then: loop)
            states[Int(loop)].next = body
            t = min == 0 ? loop : body
            for _ in 0 ..< Swift.max(min - 1, 0) { t = try build(node: item, then: t) }
            return t
        case .automaton:
            return try embed(automata[Int(n.a)], then: out)
        }
    }

    /// A DFA as NFA states: one epsilon entry per DFA state (made first, patched once all
    /// exist: the DFA has cycles) fanning out to a byte-range state per run of bytes with
    /// the same target, and to `out` where the DFA accepts.
    private mutating func embed(_ d: ByteDFA, then out: Int32) throws -> Int32 {
        var entry: [Int32] = []
        entry.reserveCapacity(d.stateCount)
        for _ in 0 ..< d.stateCount {
            entry.append(try addUnshared(State(next: -1, eps2: -1, lo: 0, hi: 0, kind: .epsilon)))
        }
        for s in 0 ..< d.stateCount {
            let from = fan.count
            if d.accepting[s] { fan.append(out) }
            let row = s * d.classCount
            var b = 0
            while b < 256 {
                let t = d.table[row + Int(d.byteClass[b])]
                var e = b
                while e < 255 && d.table[row + Int(d.byteClass[e + 1])] == t { e += 1 }
                if t != ByteDFA.dead { fan.append(try addByte(UInt8(b), UInt8(e), entry[Int(t)])) }
                b = e + 1
            }
            if fan.count > from { states[Int(entry[s])].next = try fanOut(from: from) }
        }
        return entry[Int(d.start)]
    }

    /// The UTF-8 chain of one scalar (not a surrogate), built last byte first.
    private mutating func buildScalar(_ c: UInt32, then out: Int32) throws -> Int32 {
        var t = out
        if c < 0x80 { return try addByte(UInt8(c), UInt8(c), t) }
        let n = CodePointSet.encodedLength(c)
        var v = c
        for _ in 1 ..< n {
            let b = UInt8(0x80 | v & 0x3F)
            t = try addByte(b, b, t)
            v >>= 6
        }
        let lead = UInt8(truncatingIfNeeded: (n == 2 ? 0xC0 : n == 3 ? 0xE0 : 0xF0) | v)
        return try addByte(lead, lead, t)
    }

    /// One code point of a set, continuing at `out`, from its template: UTF-8 byte-range
    /// chains whose identical suffixes are shared, entered through a fan-out.
    private mutating func instantiate(template id: Int, then out: Int32) throws -> Int32 {
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

    private static func setHash(_ set: CodePointSet) -> UInt64 {
        var h = StableHasher()
        h.combine(ranges: set.ranges)
        return h.finalize()
    }

    /// The template of `set` (built on first use): the chains of `set.utf8Sequences()`, each
    /// built from its last range back, a node shared when one with the same range and
    /// continuation exists (-1 = the continuation `out`, else a node index).
    private mutating func template(_ set: CodePointSet) -> Int32 {
        // Looked up by a cheap hash of the ranges (open addressing over `templateSets`): the
        // sets of one AST are separate storages, and hashing them with `Hasher` cost more
        // than instantiating them.
        var slot = Self.home(Self.setHash(set), templateSlots.count - 1)
        while templateSlots[slot] != 0 {
            let id = templateSlots[slot] - 1
            if templateSets[Int(id)] == set { return id }
            slot = (slot + 1) & (templateSlots.count - 1)
        }
        let base = tNode.count
        templateShared.removeAll(keepingCapacity: true)
        for seq in set.utf8Sequences() {
            var t: Int32 = -1
            for r in seq.reversed() {
                let key = WordKey(UInt64(r.lowerBound) << 40 | UInt64(r.upperBound) << 32 | UInt64(UInt32(bitPattern: t)))
                if let s = templateShared[key] { t = s; continue }
                let s = Int32(tNode.count - base)
                tNode.append(State(next: t, eps2: -1, lo: r.lowerBound, hi: r.upperBound, kind: .byteRange))
                templateShared[key] = s
                t = s
            }
            tEntry.append(t)
        }
        tNodeStart.append(Int32(tNode.count))
        tEntryStart.append(Int32(tEntry.count))
        let id = Int32(templateSets.count)
        templateSets.append(set)
        templateSlots[slot] = id + 1
        if templateSets.count * 2 > templateSlots.count {
            var bigger = [Int32](repeating: 0, count: templateSlots.count * 2)
            for (i, t) in templateSets.enumerated() {
                var j = Self.home(Self.setHash(t), bigger.count - 1)
                while bigger[j] != 0 { j = (j + 1) & (bigger.count - 1) }
                bigger[j] = Int32(i + 1)
            }
            templateSlots = bigger
        }
        return id
    }
}
