extension ByteDFA {
    /// The strings of `universe` that are none of the spellings of `values`, as a minimal
    /// canonical DFA: equal (`==`) to `universe.subtracting(jsonStrings(values))`. nil when
    /// nothing is left. Undeclared member names (any string minus the keys) are this
    /// difference; it is on the compile path of most object schemas.
    ///
    /// Built sparsely. A state of the product is a pair (universe state u, spelling-trie node
    /// t); once the trie side is left, it is u itself (the *core*: `universe` is minimal, so
    /// its states are their own blocks). A pair's row is u's row except on the few byte
    /// classes t has edges on, so the pair is kept as (u, those edges), never as a dense row:
    /// - pairs are minimized bottom-up over the trie's DAG (post-order), each looked up by a
    ///   hash that is u's precomputed row hash corrected at its edges, and compared in full
    ///   only against candidates with that hash (sparsely when both have the same u);
    /// - byte classes merge where their columns agree, decided per class from the universe's
    ///   columns and the edges on that class;
    /// - the output is numbered breadth-first, as `DFABuilder.canonical` numbers it.
    /// Dense work is only the output table and the universe's rows (once per universe class).
    /// Minimality relies on `universe` being minimal and trimmed (every compiled terminal
    /// is); for another DFA the language is still exact, but equal states stay apart.
    public static func jsonStringsComplement(_ values: [[UInt32]], in universe: ByteDFA, maxStates: Int,
                                             description: @autoclosure () -> String) throws -> ByteDFA? {
        if values.isEmpty { return universe }
        let (trie, close) = try spellingTrie(values, maxStates: maxStates, description: description())
        var c = KeyComplement(trie: trie, close: close, universe: universe)
        try c.pairUp(maxStates: maxStates, description: description())
        c.minimize()
        return c.output()
    }
}

/// The working state of `ByteDFA.jsonStringsComplement`. Blocks are numbered in one space:
/// `0 ..< nU` are the universe's states (core), `nU + j` the j-th block of pairs.
private struct KeyComplement {
    let trie: ByteDFA.SpellingTrie
    let close: Int32
    let u: ByteDFA
    let nU: Int, kU: Int
    /// Joint byte classes: the universe's, with each byte the trie uses apart; by first byte.
    var byteClass = [UInt8](repeating: 0, count: 256)
    var k = 0
    /// Per joint class: its universe class.
    var classU: [Int] = []
    /// Per universe class: how many joint classes it holds.
    var jointCount: [Int] = []

    // Pairs (non-core product states), pair 0 the start; their trie edges as flat ranges.
    var pairU: [Int32] = [], pairT: [Int32] = []
    var edgeStart: [Int32] = [0]
    var edgeClass: [Int32] = [], edgeTarget: [Int32] = []  // target pair, or -1 (dead)
    /// Per pair: its block (-1: its language is empty), and whether it accepts.
    var pairBlock: [Int32] = []
    var pairAccepts: [Bool] = []
    /// Core states reached from the start.
    var coreReached: [Bool] = []
    /// Per pair block (index j for block nU + j): the pair representing it.
    var blockRep: [Int32] = []

    /// Per joint class, a fixed pseudo-random odd weight; a row's hash is Σ weight(class) × g(target block),
    /// linear in the weights, so a universe class's joint classes hash as one sum.
    var weight: [UInt64] = []
    /// Per core state, its row hash (over all joint classes).
    var coreHash: [UInt64] = []

    init(trie: ByteDFA.SpellingTrie, close: Int32, universe: ByteDFA) {
        self.trie = trie
        self.close = close
        self.u = universe
        nU = universe.stateCount
        kU = universe.classCount
        var used = [Bool](repeating: false, count: 256)
        for edge in trie.edges { used[Int(edge.byte)] = true }
        // A used byte is a joint class of its own; the unused bytes of a universe class share one.
        var unusedJoint = [Int32](repeating: -1, count: kU)
        jointCount = [Int](repeating: 0, count: kU)
        for x in 0 ..< 256 {
            let cu = Int(universe.byteClass[x])
            var joint = used[x] ? -1 : unusedJoint[cu]
            if joint < 0 {
                joint = Int32(classU.count)
                if !used[x] { unusedJoint[cu] = joint }
                classU.append(cu)
                jointCount[cu] += 1
            }
            byteClass[x] = UInt8(joint)
        }
        k = classU.count
        weight = (0 ..< k).map { StampedSetTable.mix64(UInt64($0) &+ 0x51_7CC1) | 1 }
        var unionWeight = [UInt64](repeating: 0, count: kU)
        for c in 0 ..< k { unionWeight[classU[c]] &+= weight[c] }
        coreHash = [UInt64](repeating: 0, count: nU)
        for s in 0 ..< nU {
            var h: UInt64 = universe.accepting[s] ? KeyComplement.acceptMix : 0
            for cu in 0 ..< kU { h &+= unionWeight[cu] &* KeyComplement.g(universe.table[s * kU + cu]) }
            coreHash[s] = h
        }
    }

    static let acceptMix: UInt64 = 0x2545_F491_4F6C_DD1D
    @inline(__always) static func g(_ block: Int32) -> UInt64 {
        block < 0 ? 0 : StampedSetTable.mix64(UInt64(UInt32(bitPattern: block)) &+ 0x9E37)
    }

    @inline(__always) func coreTarget(_ s: Int32, _ c: Int) -> Int32 { u.table[Int(s) * kU + classU[c]] }

    /// The product's pairs, breadth-first from (start, trie root), with their trie edges.
    /// A trie node is nearly always met with one universe state: that pair is found through a
    /// per-node slot, others through a dictionary.
    mutating func pairUp(maxStates: Int, description: @autoclosure () -> String) throws {
        var firstU = [Int32](repeating: -1, count: trie.count), firstPair = [Int32](repeating: -1, count: trie.count)
        var others: [WordKey: Int32] = [:]
        pairU = [u.start]; pairT = [0]
        firstU[0] = u.start; firstPair[0] = 0
        var i = 0
        // A local reference: the loop below appends to this value's pair arrays.
        let trie = self.trie
        while i < pairU.count {
            let s = pairU[i], t = Int(pairT[i])
            i += 1
            try trie.forEachEdge(of: t) { edge in
                let c = Int(byteClass[Int(edge.byte)])
                let su = coreTarget(s, c)
                var target: Int32 = -1
                if su >= 0 {
                    let tt = Int(edge.target)
                    let key = WordKey(su, tt)
                    if firstU[tt] == su {
                        target = firstPair[tt]
                    } else if firstU[tt] >= 0, let known = others[key] {
                        target = known
                    } else {
                        if pairU.count >= maxStates { throw ProductPairs.overBudget(maxStates, description()) }
                        target = Int32(pairU.count)
                        if firstU[tt] < 0 { firstU[tt] = su; firstPair[tt] = target } else { others[key] = target }
                        pairU.append(su); pairT.append(Int32(tt))
                    }
                }
                edgeClass.append(Int32(c)); edgeTarget.append(target)
            }
            edgeStart.append(Int32(edgeClass.count))
        }
        pairAccepts = [Bool](repeating: false, count: pairU.count)
        for p in 0 ..< pairU.count { pairAccepts[p] = u.accepting[Int(pairU[p])] && pairT[p] != close }
        // Core states entered from pairs: through every universe class that has a joint class
        // without an edge there. Then everything the universe reaches from them.
        coreReached = [Bool](repeating: false, count: nU)
        var stack: [Int32] = []
        var edgesIn = [Int](repeating: 0, count: kU)
        for p in 0 ..< pairU.count {
            let s = pairU[p]
            for j in Int(edgeStart[p]) ..< Int(edgeStart[p + 1]) { edgesIn[classU[Int(edgeClass[j])]] += 1 }
            for cu in 0 ..< kU {
                let t = u.table[Int(s) * kU + cu]
                if t >= 0 && edgesIn[cu] < jointCount[cu] && !coreReached[Int(t)] { coreReached[Int(t)] = true; stack.append(t) }
            }
            for j in Int(edgeStart[p]) ..< Int(edgeStart[p + 1]) { edgesIn[classU[Int(edgeClass[j])]] = 0 }
        }
        while let s = stack.popLast() {
            for cu in 0 ..< kU {
                let t = u.table[Int(s) * kU + cu]
                if t >= 0 && !coreReached[Int(t)] { coreReached[Int(t)] = true; stack.append(t) }
            }
        }
        var reached = 0
        for r in coreReached where r { reached += 1 }
        if pairU.count + reached > maxStates { throw ProductPairs.overBudget(maxStates, description()) }
    }


    /// Scratch row of one pair: `value[c]` is its target block at class c where `stamp[c]`
    /// is current (its trie edges), else its universe state's.
    struct Row {
        var stamp: [UInt32]
        var value: [Int32]
        var current: UInt32 = 0
        init(_ k: Int) { stamp = [UInt32](repeating: 0, count: k); value = [Int32](repeating: -1, count: k) }
    }

    func load(_ p: Int, into r: inout Row) {
        r.current &+= 1
        for j in Int(edgeStart[p]) ..< Int(edgeStart[p + 1]) {
            let c = Int(edgeClass[j]), t = edgeTarget[j]
            r.stamp[c] = r.current
            r.value[c] = t < 0 ? -1 : pairBlock[Int(t)]
        }
    }

    /// Pair `p`'s target block at class c (`row` holds it loaded).
    @inline(__always) func cell(_ p: Int, _ c: Int, _ row: Row) -> Int32 {
        row.stamp[c] == row.current ? row.value[c] : coreTarget(pairU[p], c)
    }

    /// Blocks of the pairs, bottom-up (a pair after the pairs its edges lead to): equal rows
    /// (in blocks) and acceptance, equal languages, by induction; core blocks are exact.
    mutating func minimize() {
        let n = pairU.count
        pairBlock = [Int32](repeating: -1, count: n)
        // Post-order over the pair DAG (edges follow the trie, which has no cycles).
        var order: [Int32] = []
        order.reserveCapacity(n)
        var mark = [Bool](repeating: false, count: n)
        var stack: [Int32] = [0], stackNext: [Int32] = [edgeStart[0]]
        mark[0] = true
        while !stack.isEmpty {
            let top = stack.count - 1
            let p = Int(stack[top])
            var j = Int(stackNext[top])
            var descended = false
            while j < Int(edgeStart[p + 1]) {
                let t = edgeTarget[j]
                j += 1
                if t >= 0 && !mark[Int(t)] {
                    stackNext[top] = Int32(j)
                    mark[Int(t)] = true
                    stack.append(t); stackNext.append(edgeStart[Int(t)])
                    descended = true
                    break
                }
            }
            if descended { continue }
            stack.removeLast(); stackNext.removeLast()
            order.append(Int32(p))
        }
        // Open addressing over block numbers, keyed by row hash.
        var blockHash: [UInt64] = coreHash
        var capacity = 16
        while capacity < 2 * (nU + n) { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        func insert(_ b: Int32, _ h: UInt64, _ slots: inout [Int32]) {
            var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = b
        }
        for s in 0 ..< nU where coreReached[s] { insert(Int32(s), coreHash[s], &slots) }
        var row = Row(k), other = Row(k)
        for p32 in order {
            let p = Int(p32)
            let s = pairU[p]
            load(p, into: &row)
            var h = coreHash[Int(s)]
            if pairAccepts[p] != u.accepting[Int(s)] { h = pairAccepts[p] ? h &+ KeyComplement.acceptMix : h &- KeyComplement.acceptMix }
            var live = pairAccepts[p]
            for j in Int(edgeStart[p]) ..< Int(edgeStart[p + 1]) {
                let c = Int(edgeClass[j])
                let v = row.value[c]
                if v >= 0 { live = true }
                h = h &- weight[c] &* KeyComplement.g(coreTarget(s, c)) &+ weight[c] &* KeyComplement.g(v)
            }
            if !live {
                // Dead unless a class without an edge leads into the (trimmed) universe.
                for c in 0 ..< k where row.stamp[c] != row.current && coreTarget(s, c) >= 0 { live = true; break }
                if !live { continue }
            }
            // Look the row up among the blocks with this hash.
            var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            var found: Int32 = -1
            while slots[i] >= 0 {
                let b = Int(slots[i])
                if blockHash[b] == h && equal(p, row, b, &other) { found = Int32(b); break }
                i = (i + 1) & mask
            }
            if found >= 0 { pairBlock[p] = found; continue }
            let b = Int32(nU + blockRep.count)
            blockRep.append(p32)
            blockHash.append(h)
            pairBlock[p] = b
            slots[i] = b
        }
    }

    /// Whether pair `p` (loaded in `row`) has block `b`'s row and acceptance.
    func equal(_ p: Int, _ row: Row, _ b: Int, _ other: inout Row) -> Bool {
        let s = pairU[p]
        if b < nU {
            if pairAccepts[p] != u.accepting[b] { return false }
            if Int(s) == b {
                for j in Int(edgeStart[p]) ..< Int(edgeStart[p + 1]) where row.value[Int(edgeClass[j])] != coreTarget(s, Int(edgeClass[j])) { return false }
                return true
            }
            for c in 0 ..< k where cell(p, c, row) != coreTarget(Int32(b), c) { return false }
            return true
        }
        let q = Int(blockRep[b - nU])
        if pairAccepts[p] != pairAccepts[q] { return false }
        load(q, into: &other)
        if pairU[q] == s {
            for j in Int(edgeStart[p]) ..< Int(edgeStart[p + 1]) {
                let c = Int(edgeClass[j])
                if row.value[c] != cell(q, c, other) { return false }
            }
            for j in Int(edgeStart[q]) ..< Int(edgeStart[q + 1]) {
                let c = Int(edgeClass[j])
                if other.value[c] != cell(p, c, row) { return false }
            }
            return true
        }
        for c in 0 ..< k where cell(p, c, row) != cell(q, c, other) { return false }
        return true
    }

    /// The canonical DFA: classes merged where every block's column agrees, blocks numbered
    /// breadth-first from the start in merged-class order (`DFABuilder.canonical`'s form).
    func output() -> ByteDFA? {
        let start = pairBlock[0]
        if start < 0 { return nil }
        let pairBlocks = blockRep.count
        // Every block that exists is reached from the start: pairs were found from it, the core
        // entered from them.
        var used: [Int] = []
        for s in 0 ..< nU where coreReached[s] { used.append(s) }
        for j in 0 ..< pairBlocks { used.append(nU + j) }
        // Column hashes: Σ over blocks of v(block) × g(target), split into the universe rows'
        // part (per universe class, summed per universe state) and the pairs' edge corrections.
        var stateWeight = [UInt64](repeating: 0, count: nU)
        for s in 0 ..< nU where coreReached[s] { stateWeight[s] &+= KeyComplement.blockWeight(s) }
        for j in 0 ..< pairBlocks { stateWeight[Int(pairU[Int(blockRep[j])])] &+= KeyComplement.blockWeight(nU + j) }
        var base = [UInt64](repeating: 0, count: kU)
        for s in 0 ..< nU where stateWeight[s] != 0 {
            for cu in 0 ..< kU { base[cu] &+= stateWeight[s] &* KeyComplement.g(u.table[s * kU + cu]) }
        }
        var column = (0 ..< k).map { base[classU[$0]] }
        // Per class, the pair blocks with an edge there (where its column leaves the universe's).
        var users = [[Int32]](repeating: [], count: k)
        for j in 0 ..< pairBlocks {
            let p = Int(blockRep[j])
            let s = pairU[p]
            let w = KeyComplement.blockWeight(nU + j)
            for e in Int(edgeStart[p]) ..< Int(edgeStart[p + 1]) {
                let c = Int(edgeClass[e]), t = edgeTarget[e]
                column[c] = column[c] &- w &* KeyComplement.g(coreTarget(s, c)) &+ w &* KeyComplement.g(t < 0 ? -1 : pairBlock[Int(t)])
                users[c].append(Int32(j))
            }
        }
        var row = Row(k)
        // Block b's target at class c, its representative loaded into `row` on first need.
        func blockCell(_ b: Int, _ c: Int, _ row: inout Row, _ loaded: inout Int) -> Int32 {
            if b < nU { return coreTarget(Int32(b), c) }
            if loaded != b { load(Int(blockRep[b - nU]), into: &row); loaded = b }
            return cell(Int(blockRep[b - nU]), c, row)
        }
        var classMap = [Int](repeating: -1, count: k)
        var representative: [Int] = []
        for c in 0 ..< k {
            var found = -1
            for (j, rc) in representative.enumerated() where column[rc] == column[c] {
                var same = true
                var loaded = -1
                if classU[rc] == classU[c] {
                    // Same universe column: only the pair blocks with an edge on either differ.
                    for jb in users[c] + users[rc] {
                        let b = nU + Int(jb)
                        if blockCell(b, c, &row, &loaded) != blockCell(b, rc, &row, &loaded) { same = false; break }
                    }
                } else {
                    for b in used where blockCell(b, c, &row, &loaded) != blockCell(b, rc, &row, &loaded) { same = false; break }
                }
                if same { found = j; break }
            }
            if found < 0 { found = representative.count; representative.append(c) }
            classMap[c] = found
        }
        let k2 = representative.count
        var newByteClass = [UInt8](repeating: 0, count: 256)
        for x in 0 ..< 256 { newByteClass[x] = UInt8(classMap[Int(byteClass[x])]) }
        // Breadth-first numbering over blocks; one output row per block met. A block's row in
        // merged classes: its universe state's row (`coreRow`, made once per state), with a
        // pair's edges written over it where their class represents its merged class.
        // Each row is written in place in the output (block targets, then renumbered), through
        // raw buffers: checked, uniquely-referenced array writes were a third of this pass.
        let total = nU + pairBlocks
        var accepting = [Bool](repeating: false, count: total)
        var m = 0
        var baseState = [Int32](repeating: 0, count: total)
        let table = [Int32](unsafeUninitializedCapacity: total * k2) { out, initialized in
            let coreRow = UnsafeMutableBufferPointer<Int32>.allocate(capacity: nU * k2)
            let coreRowMade = UnsafeMutableBufferPointer<Bool>.allocate(capacity: nU)
            let number = UnsafeMutableBufferPointer<Int32>.allocate(capacity: total)
            let order = UnsafeMutableBufferPointer<Int32>.allocate(capacity: total)
            defer { coreRow.deallocate(); coreRowMade.deallocate(); number.deallocate(); order.deallocate() }
            coreRowMade.initialize(repeating: false)
            number.initialize(repeating: -1)
            order[0] = start
            number[Int(start)] = 0
            var count = 1, oi = 0
            accepting.withUnsafeMutableBufferPointer { acc in
                while oi < count {
                    let b = Int(order[oi])
                    let s = b < nU ? b : Int(pairU[Int(blockRep[b - nU])])
                    baseState[oi] = Int32(s)
                    if !coreRowMade[s] {
                        coreRowMade[s] = true
                        for nc in 0 ..< k2 { coreRow[s * k2 + nc] = coreTarget(Int32(s), representative[nc]) }
                    }
                    let row = out.baseAddress! + oi * k2
                    for nc in 0 ..< k2 { row[nc] = coreRow[s * k2 + nc] }
                    if b < nU {
                        acc[oi] = u.accepting[b]
                    } else {
                        let p = Int(blockRep[b - nU])
                        acc[oi] = pairAccepts[p]
                        for j in Int(edgeStart[p]) ..< Int(edgeStart[p + 1]) {
                            let c = Int(edgeClass[j]), nc = classMap[c]
                            if representative[nc] == c { row[nc] = edgeTarget[j] < 0 ? ByteDFA.dead : pairBlock[Int(edgeTarget[j])] }
                        }
                    }
                    // Blocks to output states, numbered on first sight.
                    for nc in 0 ..< k2 {
                        let t = Int(row[nc])
                        if t < 0 { continue }
                        if number[t] < 0 { number[t] = Int32(count); order[count] = Int32(t); count += 1 }
                        row[nc] = number[t]
                    }
                    oi += 1
                }
            }
            m = count
            initialized = count * k2
        }
        accepting.removeSubrange(m...)
        baseState.removeSubrange(m...)
        // A core block is its universe state; a pair block's language is its representative's
        // universe state's less the suffixes the spelling trie holds from its node (finitely many).
        return ByteDFA(stateCount: m, start: 0, byteClass: newByteClass, classCount: k2, table: table, accepting: accepting,
                       finiteDifference: ByteDFA.FiniteDifference(universe: u, base: baseState))
    }

    @inline(__always) static func blockWeight(_ b: Int) -> UInt64 { StampedSetTable.mix64(UInt64(b) &+ 0xB10C) | 1 }
}
