/// NFA → minimal, trimmed, canonically numbered `ByteDFA`, with per-state accept labels.
///
/// 1. Byte equivalence classes from the NFA's range boundaries (contiguous byte intervals).
/// 2. Subset construction over classes (`SubsetConstruction`); a DFA state is the set of
///    "important" NFA states (byte-range and accept states) of an epsilon closure. Capped at
///    `maxStates` DFA states and at `maxWork` NFA-state visits (both `.budget` errors).
/// 3. Trim: drop states that cannot reach an accepting state.
/// 4. Hopcroft partition refinement, initial partition by accept label set (steps 3–4 are
///    `finish`; tables that are a minimal core plus an acyclic rest, the JSON-string tries and
///    products, take `finishOverCore` instead: bottom-up, O(states × classes)).
/// 5. Canonical form: byte classes recomputed from the minimal table (bytes with identical
///    columns merge, classes numbered by first byte), states numbered breadth-first from the
///    start following classes in order. Equal languages (and labels) give `==` DFAs.
/// Cost: O(states × classes × average closure) for 2, O(states × classes × log states) for 4.
enum DFABuilder {
    struct Result {
        var dfa: ByteDFA
        /// Per state of `dfa`: sorted labels of the accept states it contains (empty = not accepting).
        var labels: [[Int32]]
    }

    /// The default work budget: NFA-state visits allowed per allowed DFA state. Every corpus
    /// pattern that fits the state budget stays far below it (the most costly, a 20k-state
    /// lexer, needs ~300 visits per state); constructions whose sets hold thousands of NFA
    /// states fail in well under a second instead of grinding towards `maxStates`.
    static let workPerState = 2_000

    /// `nil` when the language is empty. `maxWork` caps the subset construction's NFA-state
    /// visits (seed lists plus epsilon-closure traversals), `nil` = `maxStates × workPerState`.
    static func build(_ nfa: ByteNFA, maxStates: Int, maxWork: Int? = nil, patternForErrors: String) throws -> Result? {
        // 1. Byte classes: a boundary before every range start and after every range end.
        var boundary = [Bool](repeating: false, count: 257)
        for s in nfa.states where s.kind == .byteRange {
            boundary[Int(s.lo)] = true
            boundary[Int(s.hi) + 1] = true
        }
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classCount = 0
        for b in 0 ..< 256 {
            if b > 0 && boundary[b] { classCount += 1 }
            byteClass[b] = UInt8(classCount)
        }
        classCount += 1
        let k = classCount

        // 2. Subset construction.
        let workLimit = maxWork ?? (maxStates > Int.max / workPerState ? Int.max : maxStates * workPerState)
        var sc = SubsetConstruction(nfa, byteClass: byteClass, classCount: k)
        defer { sc.release() }
        try sc.run(maxStates: maxStates, maxWork: workLimit, patternForErrors: patternForErrors)
        let count = sc.stateCount
        let table = sc.takeTable()
        let (labelOf, labelKey) = sc.labels()
        sc.release()
        return finish(table: table, count: count, byteClass: byteClass, classCount: k, labelOf: labelOf, labelKey: labelKey)
    }

    /// Steps 3–5 for any deterministic table (the subset construction's, or a product's):
    /// `table` is `count × k` (start state 0, -1 = dead), `labelOf` each state's labels and
    /// `labelKey` a number equal for equal label sets (0 = none). nil when no accepting state
    /// is reachable.
    static func finish(table: [Int32], count: Int, byteClass: [UInt8], classCount k: Int, labelOf: [[Int32]], labelKey: [Int32]) -> Result? {
        // 3. Trim: keep states that reach an accepting state (reverse BFS). The reverse edges
        // (dead transitions left out) are also Hopcroft's predecessor lists; slot `count` is
        // the implicit sink, which needs none (see `hopcroft`). The table is not rewritten:
        // readers below treat a transition into a non-live state as dead.
        let (reverseCount, reverseSources, reverseClasses) = reverseEdges(table: table, count: count, classCount: k)
        var live = [Bool](repeating: false, count: count)
        var queue: [Int32] = []
        for s in 0 ..< count where !labelOf[s].isEmpty { live[s] = true; queue.append(Int32(s)) }
        var qi = 0
        while qi < queue.count {
            let t = Int(queue[qi]); qi += 1
            for j in Int(reverseCount[t]) ..< Int(reverseCount[t + 1]) {
                let s = Int(reverseSources[j])
                if !live[s] { live[s] = true; queue.append(Int32(s)) }
            }
        }
        if !live[0] { return nil }
        var key = labelKey
        // Non-live states are told apart from every live one (they go with the sink).
        if queue.count < count { for s in 0 ..< count where !live[s] { key[s] = -1 } }

        // 4. Minimize (dead states end up unreachable and are dropped in step 5).
        let block = hopcroft(count: count, classCount: k, predStart: reverseCount, predSrc: reverseSources, predCls: reverseClasses, key: key)
        return canonical(table: table, count: count, byteClass: byteClass, classCount: k, labelOf: labelOf, block: block, live: live,
                         reverse: (reverseCount, reverseSources, reverseClasses))
    }

    /// The transitions of a `count × k` table (k ≤ 256, -1 dead) by target, as Hopcroft's
    /// predecessor lists: target t's edges are `sources`/`classes[start[t] ..< start[t + 1]]`;
    /// `start` has `count + 2` entries, the last slot (the implicit sink's) empty.
    static func reverseEdges(table: [Int32], count: Int, classCount k: Int) -> (start: [Int32], sources: [Int32], classes: [UInt8]) {
        var reverseCount = [Int32](repeating: 0, count: count + 2)
        var reverseSources: [Int32] = []
        var reverseClasses: [UInt8] = []
        table.withUnsafeBufferPointer { tp in
            reverseCount.withUnsafeMutableBufferPointer { rc in
                for t in tp where t >= 0 { rc[Int(t) + 1] += 1 }
                for i in 0 ..< count { rc[i + 1] += rc[i] }
                rc[count + 1] = rc[count]
                let edges = Int(rc[count])
                var fill = Array(rc[0 ..< count])
                reverseSources = [Int32](unsafeUninitializedCapacity: edges) { src, initialized in
                    reverseClasses = [UInt8](unsafeUninitializedCapacity: edges) { cls, initializedClasses in
                        fill.withUnsafeMutableBufferPointer { f in
                            var i = 0
                            for s in 0 ..< count {
                                for c in 0 ..< k {
                                    let t = tp[i]
                                    i += 1
                                    if t < 0 { continue }
                                    let at = Int(f[Int(t)])
                                    src[at] = Int32(s)
                                    cls[at] = UInt8(c)
                                    f[Int(t)] = Int32(at + 1)
                                }
                            }
                        }
                        initializedClasses = edges
                    }
                    initialized = edges
                }
            }
        }
        return (reverseCount, reverseSources, reverseClasses)
    }

    /// Step 5 for a table whose live states (`live`, the start among them) are grouped into
    /// blocks of equivalent states (`block`: equal blocks, equal right languages and labels;
    /// any value for the others): byte classes merged where their columns are equal, states
    /// numbered breadth-first. `reverse` (the live edges by target, as `finish` builds them)
    /// lets the column hashes walk edges instead of the representatives' dense rows.
    static func canonical(table: [Int32], count: Int, byteClass: [UInt8], classCount k: Int, labelOf: [[Int32]], block: [Int32], live: [Bool],
                          reverse: (count: [Int32], sources: [Int32], classes: [UInt8])?) -> Result {
        let blockCount = Int(block.max().map { $0 + 1 } ?? 0)
        var rep = [Int32](repeating: -1, count: blockCount)
        for s in 0 ..< count where live[s] && rep[Int(block[s])] < 0 { rep[Int(block[s])] = Int32(s) }
        // Merge classes whose columns (target block per used block) are equal; classes are
        // contiguous byte intervals numbered by first byte, so class order is byte order.
        // Each class's column is hashed from the live edges of the representative rows (an
        // order-free sum, so the reverse lists serve where given; dead entries add nothing);
        // classes with equal hashes are then compared in full.
        var used: [Int32] = []
        for bl in 0 ..< blockCount where rep[bl] >= 0 { used.append(rep[bl]) }
        var classMap = [Int](repeating: -1, count: k)
        var representativeClass: [Int] = []
        table.withUnsafeBufferPointer { tp in
            block.withUnsafeBufferPointer { bp in
                live.withUnsafeBufferPointer { lp in
                    @inline(__always) func target(_ row: Int, _ c: Int) -> Int32 {
                        let t = tp[row + c]
                        return t >= 0 && lp[Int(t)] ? bp[Int(t)] : -1
                    }
                    var columnHash = [UInt64](repeating: 0, count: k)
                    columnHash.withUnsafeMutableBufferPointer { h in
                        rep.withUnsafeBufferPointer { rp in
                            if let reverse {
                                reverse.sources.withUnsafeBufferPointer { src in
                                    reverse.classes.withUnsafeBufferPointer { cls in
                                        reverse.count.withUnsafeBufferPointer { rc in
                                            for t in 0 ..< count where lp[t] {
                                                let high = UInt64(UInt32(bitPattern: bp[t]))
                                                for j in Int(rc[t]) ..< Int(rc[t + 1]) {
                                                    let s = src[j]
                                                    if rp[Int(bp[Int(s)])] != s { continue }
                                                    h[Int(cls[j])] &+= StampedSetTable.mix64(high << 32 | UInt64(UInt32(bitPattern: s)))
                                                }
                                            }
                                        }
                                    }
                                }
                            } else {
                                for s in used {
                                    let row = Int(s) * k
                                    for c in 0 ..< k {
                                        let t = tp[row + c]
                                        if t < 0 || !lp[Int(t)] { continue }
                                        let high = UInt64(UInt32(bitPattern: bp[Int(t)]))
                                        h[c] &+= StampedSetTable.mix64(high << 32 | UInt64(UInt32(bitPattern: s)))
                                    }
                                }
                            }
                        }
                    }
                    used.withUnsafeBufferPointer { up in
                        for c in 0 ..< k {
                            var found = -1
                            for (j, rc) in representativeClass.enumerated() where columnHash[rc] == columnHash[c] {
                                var same = true
                                for r in up where target(Int(r) * k, c) != target(Int(r) * k, rc) { same = false; break }
                                if same { found = j; break }
                            }
                            if found < 0 {
                                found = representativeClass.count
                                representativeClass.append(c)
                            }
                            classMap[c] = found
                        }
                    }
                }
            }
        }
        let newClassCount = representativeClass.count
        var newClassOfByte = [UInt8](repeating: 0, count: 256)
        for b in 0 ..< 256 { newClassOfByte[b] = UInt8(classMap[Int(byteClass[b])]) }
        // BFS numbering of blocks from the start block, filling each row of the output as its
        // block is dequeued (targets are numbered on first sight). At most `used.count` rows.
        let u = used.count
        var number = [Int32](repeating: -1, count: blockCount)
        var order: [Int32] = [block[0]]
        order.reserveCapacity(u)
        number[Int(block[0])] = 0
        var outTable = [Int32](repeating: ByteDFA.dead, count: u * newClassCount)
        var accepting = [Bool](repeating: false, count: u)
        var outLabels = [[Int32]](repeating: [], count: u)
        var oi = 0
        table.withUnsafeBufferPointer { tp in
            block.withUnsafeBufferPointer { bp in
                live.withUnsafeBufferPointer { lp in
                    representativeClass.withUnsafeBufferPointer { rcp in
                        outTable.withUnsafeMutableBufferPointer { out in
                            while oi < order.count {
                                let i = oi
                                let s = Int(rep[Int(order[oi])]); oi += 1
                                // Most states accept nothing: their (empty) labels are already in place.
                                if !labelOf[s].isEmpty {
                                    accepting[i] = true
                                    outLabels[i] = labelOf[s]
                                }
                                let row = s * k
                                for nc in 0 ..< newClassCount {
                                    let t = tp[row + rcp[nc]]
                                    if t < 0 || !lp[Int(t)] { continue }
                                    let tb = Int(bp[Int(t)])
                                    if number[tb] < 0 { number[tb] = Int32(order.count); order.append(Int32(tb)) }
                                    out[i * newClassCount + nc] = number[tb]
                                }
                            }
                        }
                    }
                }
            }
        }
        let m = order.count
        if m < u {
            outTable.removeSubrange((m * newClassCount)...)
            accepting.removeSubrange(m...)
            outLabels.removeSubrange(m...)
        }
        let dfa = ByteDFA(stateCount: m, start: 0, byteClass: newClassOfByte, classCount: newClassCount,
                          table: outTable, accepting: accepting)
        return Result(dfa: dfa, labels: outLabels)
    }

    /// `finish` for a table whose states are a core (`isCore`) closed under transitions, live
    /// and already minimal (no two core states equivalent), and a rest without cycles among
    /// its own states: a spelling trie of several values (no core). The undeclared-key
    /// complement, its other user, now has a sparse construction of its own
    /// (`ByteDFA+KeyComplement.swift`); the core form stays tested in `MinimalCoreTests`.
    /// The rest is minimized bottom-up (`blocksOverMinimalCore`) in O(states × classes), not by
    /// Hopcroft's refinement, which on these dense products cost most of their construction;
    /// `finish` when the rest has a cycle after all. Same result as `finish`.
    static func finishOverCore(table: [Int32], count: Int, byteClass: [UInt8], classCount k: Int, labelOf: [[Int32]],
                               labelKey: [Int32], isCore: [Bool]) -> Result? {
        guard let block = blocksOverMinimalCore(table: table, count: count, classCount: k, labelKey: labelKey, isCore: isCore) else {
            return finish(table: table, count: count, byteClass: byteClass, classCount: k, labelOf: labelOf, labelKey: labelKey)
        }
        if block[0] < 0 { return nil }
        return canonical(table: table, count: count, byteClass: byteClass, classCount: k, labelOf: labelOf, block: block,
                         live: block.map { $0 >= 0 }, reverse: nil)
    }

    /// The equivalence blocks of `finishOverCore`'s table (-1: the state reaches no accepting
    /// one), nil when the non-core states have a cycle. Core states get blocks of their own.
    /// Every other state is taken after the non-core states it leads to (a depth-first
    /// post-order), when the blocks of all its targets are known: its signature (label key, and
    /// per class the target's block or -1) is looked up among the signatures of the core and
    /// of the states already taken; equal signatures, equal right languages (by induction over
    /// the order: the core's blocks are exact, being minimal). A non-accepting state whose
    /// targets are all dead is dead. Signatures live in one flat buffer, found through an
    /// open-addressing table of state numbers.
    static func blocksOverMinimalCore(table: [Int32], count: Int, classCount k: Int, labelKey: [Int32], isCore: [Bool]) -> [Int32]? {
        // Post-order of the non-core states, iteratively; a target on the stack is a cycle.
        var mark = [UInt8](repeating: 0, count: count)  // 0 new, 1 on the stack, 2 done
        var order: [Int32] = []
        order.reserveCapacity(count)
        var stackState: [Int32] = [], stackClass: [Int32] = []
        let acyclic = table.withUnsafeBufferPointer { tp -> Bool in
            for root in 0 ..< count where !isCore[root] && mark[root] == 0 {
                mark[root] = 1
                stackState.append(Int32(root)); stackClass.append(0)
                while let s = stackState.last {
                    var c = Int(stackClass[stackClass.count - 1])
                    var descended = false
                    while c < k {
                        let t = Int(tp[Int(s) * k + c])
                        c += 1
                        if t < 0 || isCore[t] || mark[t] == 2 { continue }
                        if mark[t] == 1 { return false }
                        stackClass[stackClass.count - 1] = Int32(c)
                        mark[t] = 1
                        stackState.append(Int32(t)); stackClass.append(0)
                        descended = true
                        break
                    }
                    if descended { continue }
                    stackState.removeLast(); stackClass.removeLast()
                    mark[Int(s)] = 2
                    order.append(s)
                }
            }
            return true
        }
        if !acyclic { return nil }
        var block = [Int32](repeating: -1, count: count)
        var blocks: Int32 = 0
        for s in 0 ..< count where isCore[s] { block[s] = blocks; blocks += 1 }
        let signature = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(count * k, 1))
        var capacity = 16
        while capacity < 2 * count { capacity <<= 1 }
        let slots = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        slots.initialize(repeating: -1, count: capacity)
        defer { signature.deallocate(); slots.deallocate() }
        let mask = capacity - 1
        table.withUnsafeBufferPointer { tp in
            // Writes `s`'s signature; returns its hash, or nil for a dead state.
            func sign(_ s: Int) -> Int? {
                let row = signature + s * k
                var h = StableHasher()
                h.combine(UInt64(UInt32(bitPattern: labelKey[s])))
                var any = labelKey[s] != 0
                for c in 0 ..< k {
                    let t = tp[s * k + c]
                    let b = t < 0 ? -1 : block[Int(t)]
                    row[c] = b
                    if b >= 0 { any = true; h.combine(UInt64(c) << 32 | UInt64(UInt32(bitPattern: b))) }
                }
                return any ? Int(truncatingIfNeeded: h.finalize()) : nil
            }
            func same(_ a: Int, _ b: Int) -> Bool {
                if labelKey[a] != labelKey[b] { return false }
                let ra = signature + a * k, rb = signature + b * k
                for c in 0 ..< k where ra[c] != rb[c] { return false }
                return true
            }
            // Finds `s`'s signature among those inserted; inserts it when absent.
            func find(_ s: Int, _ hash: Int) -> Int32 {
                var i = hash & mask
                while slots[i] >= 0 {
                    if same(Int(slots[i]), s) { return block[Int(slots[i])] }
                    i = (i + 1) & mask
                }
                slots[i] = Int32(s)
                return -1
            }
            for s in 0 ..< count where isCore[s] {
                if let h = sign(s) { _ = find(s, h) }
            }
            for s32 in order {
                let s = Int(s32)
                guard let h = sign(s) else { continue }
                let b = find(s, h)
                if b >= 0 { block[s] = b } else { block[s] = blocks; blocks += 1 }
            }
        }
        return block
    }

    /// Hopcroft's algorithm over a partial DFA whose missing transitions go to an implicit
    /// dead sink. States start in blocks by `key` (equal keys, same block); the sink joins the
    /// states with key -1 (non-live ones) or gets a block of its own. Returns the block of
    /// every state; states in one block are equivalent.
    ///
    /// Flat memory: predecessors by target in one CSR array (`predStart` over `n + 1` targets,
    /// `predSrc`/`predCls`: source and class), gathered per splitter and bucketed by the
    /// classes met, so a splitter costs O(its predecessors). With the sink the DFA is complete,
    /// so the initial worklist may leave out one block (the sink's): stability against all other
    /// blocks implies stability against it. That block is never a splitter and never split
    /// (its members — the sink and non-live states — lead only into it), so the dead
    /// transitions, most of a sparse table, need no predecessor entries: the caller passes
    /// the live edges only (edges into non-live states may be present; they are never read).
    static func hopcroft(count n: Int, classCount k: Int, predStart ps: [Int32], predSrc: [Int32], predCls: [UInt8], key: [Int32]) -> [Int32] {
        let total = n + 1
        precondition(ps.count == total + 1 && predSrc.count == Int(ps[n]) && predCls.count == predSrc.count)
        // Partition: elems grouped by block; block b owns elems[first[b] ..< end[b]]; marked
        // members are moved to the front, up to mid[b].
        let blockOf = UnsafeMutablePointer<Int32>.allocate(capacity: total)
        let elems = UnsafeMutablePointer<Int32>.allocate(capacity: total)
        let loc = UnsafeMutablePointer<Int32>.allocate(capacity: total)
        let first = UnsafeMutablePointer<Int32>.allocate(capacity: total)
        let end = UnsafeMutablePointer<Int32>.allocate(capacity: total)
        let mid = UnsafeMutablePointer<Int32>.allocate(capacity: total)
        let inWork = UnsafeMutablePointer<Bool>.allocate(capacity: total)
        inWork.initialize(repeating: false, count: total)
        let work = UnsafeMutablePointer<Int32>.allocate(capacity: total)
        // Per splitter: predecessors bucketed by class.
        let classCount = UnsafeMutablePointer<Int>.allocate(capacity: k + 1)
        classCount.initialize(repeating: 0, count: k + 1)
        let classes = UnsafeMutablePointer<Int32>.allocate(capacity: k + 1)
        let gathered = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(predSrc.count, 1))
        let touched = UnsafeMutablePointer<Int32>.allocate(capacity: total)
        defer {
            blockOf.deallocate(); elems.deallocate(); loc.deallocate(); first.deallocate(); end.deallocate()
            mid.deallocate(); inWork.deallocate(); work.deallocate(); classCount.deallocate(); classes.deallocate()
            gathered.deallocate(); touched.deallocate()
        }
        return ps.withUnsafeBufferPointer { predStart in
            predSrc.withUnsafeBufferPointer { predSrc in
                predCls.withUnsafeBufferPointer { predCls in
                    refine(n: n, k: k, key: key, predStart: predStart, predSrc: predSrc, predCls: predCls,
                           blockOf: blockOf, elems: elems, loc: loc, first: first, end: end, mid: mid, inWork: inWork,
                           work: work, classCount: classCount, classes: classes, gathered: gathered, touched: touched)
                }
            }
        }
    }

    /// Hopcroft's refinement loop over preallocated scratch (see `hopcroft`).
    private static func refine(n: Int, k: Int, key: [Int32], predStart: UnsafeBufferPointer<Int32>, predSrc: UnsafeBufferPointer<Int32>,
                               predCls: UnsafeBufferPointer<UInt8>, blockOf: UnsafeMutablePointer<Int32>, elems: UnsafeMutablePointer<Int32>,
                               loc: UnsafeMutablePointer<Int32>, first: UnsafeMutablePointer<Int32>, end: UnsafeMutablePointer<Int32>,
                               mid: UnsafeMutablePointer<Int32>, inWork: UnsafeMutablePointer<Bool>, work: UnsafeMutablePointer<Int32>,
                               classCount: UnsafeMutablePointer<Int>, classes: UnsafeMutablePointer<Int32>,
                               gathered: UnsafeMutablePointer<Int32>,
                               touched: UnsafeMutablePointer<Int32>) -> [Int32] {
        let total = n + 1
        // Initial partition by key; the sink with key -1.
        var blockCount: Int32 = 0
        // Keys are small label-set numbers (or -1): an array maps them unless one is huge.
        let maxKey = Int(key.max() ?? -1)
        if maxKey < 4 * total + 64 && key.allSatisfy({ $0 >= -1 }) {
            var keyBlock = [Int32](repeating: -1, count: maxKey + 2)
            for s in 0 ..< total {
                let kk = (s < n ? Int(key[s]) : -1) + 1
                if keyBlock[kk] < 0 { keyBlock[kk] = blockCount; blockCount += 1 }
                blockOf[s] = keyBlock[kk]
            }
        } else {
            var keyBlock: [Int32: Int32] = [:]
            for s in 0 ..< total {
                let kk = s < n ? key[s] : -1
                if let b = keyBlock[kk] { blockOf[s] = b } else { keyBlock[kk] = blockCount; blockOf[s] = blockCount; blockCount += 1 }
            }
        }
        for b in 0 ..< Int(blockCount) { end[b] = 0 }
        for s in 0 ..< total { end[Int(blockOf[s])] += 1 }
        var acc: Int32 = 0
        for b in 0 ..< Int(blockCount) { first[b] = acc; mid[b] = acc; acc += end[b]; end[b] = acc }
        for b in 0 ..< Int(blockCount) { mid[b] = first[b] }
        for s in 0 ..< total {
            let b = Int(blockOf[s])
            let p = mid[b]
            elems[Int(p)] = Int32(s); loc[s] = p; mid[b] = p + 1
        }
        for b in 0 ..< Int(blockCount) { mid[b] = first[b] }

        var workCount = 0
        let sinkBlock = blockOf[n]
        for b in 0 ..< blockCount where b != sinkBlock { work[workCount] = b; workCount += 1; inWork[Int(b)] = true }

        while workCount > 0 {
            workCount -= 1
            let b = Int(work[workCount])
            inWork[b] = false
            // Predecessors of the splitter (the block as popped), bucketed by class: counted
            // per class (the classes met listed in `classes`), then placed class by class.
            // Only the classes met are visited, so a splitter costs O(its predecessors), not
            // O(classes): `classCount` is all zero between splitters.
            var classesMet = 0
            for i in Int(first[b]) ..< Int(end[b]) {
                let t = Int(elems[i])
                for j in Int(predStart[t]) ..< Int(predStart[t + 1]) {
                    let c = Int(predCls[j])
                    if classCount[c] == 0 { classes[classesMet] = Int32(c); classesMet += 1 }
                    classCount[c] += 1
                }
            }
            if classesMet == 0 { continue }
            var placed = 0
            for x in 0 ..< classesMet {
                let c = Int(classes[x])
                let n = classCount[c]
                classCount[c] = placed
                placed += n
            }
            for i in Int(first[b]) ..< Int(end[b]) {
                let t = Int(elems[i])
                for j in Int(predStart[t]) ..< Int(predStart[t + 1]) {
                    let c = Int(predCls[j])
                    gathered[classCount[c]] = predSrc[j]
                    classCount[c] += 1
                }
            }
            // classCount[c] is now the end of class c's run, which starts where the previous
            // listed class's run ends.
            var runStart = 0
            for x in 0 ..< classesMet {
                let c = Int(classes[x])
                let runEnd = classCount[c]
                classCount[c] = 0
                defer { runStart = runEnd }
                var touchedCount = 0
                for j in runStart ..< runEnd {
                    let s = Int(gathered[j])
                    let sb = Int(blockOf[s])
                    let i = loc[s], m = mid[sb]
                    if i < m { continue } // already marked
                    if m == first[sb] { touched[touchedCount] = Int32(sb); touchedCount += 1 }
                    let other = elems[Int(m)]
                    elems[Int(m)] = Int32(s); loc[s] = m
                    elems[Int(i)] = other; loc[Int(other)] = i
                    mid[sb] = m + 1
                }
                for ti in 0 ..< touchedCount {
                    let t = Int(touched[ti])
                    if mid[t] == end[t] { mid[t] = first[t]; continue }
                    // Split: the marked front part becomes a new block.
                    let nb = Int(blockCount); blockCount += 1
                    first[nb] = first[t]; end[nb] = mid[t]; mid[nb] = first[nb]
                    first[t] = mid[t]; mid[t] = first[t]
                    for i in Int(first[nb]) ..< Int(end[nb]) { blockOf[Int(elems[i])] = Int32(nb) }
                    if inWork[t] {
                        work[workCount] = Int32(nb); workCount += 1; inWork[nb] = true
                    } else {
                        let smaller = end[nb] - first[nb] <= end[t] - first[t] ? nb : t
                        work[workCount] = Int32(smaller); workCount += 1; inWork[smaller] = true
                    }
                }
            }
        }
        return Array(UnsafeBufferPointer(start: blockOf, count: n))
    }
}

/// A growable array of plain values in manually managed memory, for the subset construction's
/// arenas: no uniqueness checks or reference counting in the inner loops. `free()` once.
struct RawBuffer<T: BitwiseCopyable> {
    private(set) var base: UnsafeMutablePointer<T>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    @inline(__always) subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }

    @inline(__always) mutating func append(_ v: T) {
        if count == capacity { reserve(count + 1) }
        base[count] = v
        count += 1
    }

    /// Appends `n` copies of `v`.
    mutating func append(repeating v: T, count n: Int) {
        reserve(count + n)
        (base + count).initialize(repeating: v, count: n)
        count += n
    }

    mutating func append(from p: UnsafePointer<T>, count n: Int) {
        reserve(count + n)
        (base + count).initialize(from: p, count: n)
        count += n
    }

    mutating func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        var c = capacity * 2
        while c < needed { c *= 2 }
        let nb = UnsafeMutablePointer<T>.allocate(capacity: c)
        nb.initialize(from: base, count: count)
        base.deallocate()
        base = nb
        capacity = c
    }

    mutating func removeAll() { count = 0 }

    var array: [T] { Array(UnsafeBufferPointer(start: base, count: count)) }

    func free() { base.deallocate() }
}

/// Sets of NFA states lying back to back in one arena, unsorted, found again through an
/// open-addressing table keyed by an order-independent hash (a sum of mixed state numbers).
/// A query set is the one whose members carry the current stamp in a mark array (the closure
/// or seed scan that produced it left them there), so equality costs one pass over the stored
/// set and a new set costs no sort and no allocation of its own.
struct StampedSetTable {
    private var arena = RawBuffer<Int32>(capacity: 1024)
    private var start = RawBuffer<Int>(capacity: 64)
    private var hashes = RawBuffer<UInt64>(capacity: 64)
    /// Set index + 1, 0 = empty.
    private var slots: UnsafeMutablePointer<Int32>
    private var mask = 63
    private(set) var count = 0

    init() {
        start.append(0)
        slots = .allocate(capacity: 64)
        slots.initialize(repeating: 0, count: 64)
    }

    func free() { arena.free(); start.free(); hashes.free(); slots.deallocate() }

    @inline(__always) static func mix(_ s: Int32) -> UInt64 { mix64(UInt64(UInt32(bitPattern: s))) }

    /// SplitMix64's finalizer.
    @inline(__always) static func mix64(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) private func home(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h ^ (h >> 29)) & mask }

    /// The index of the stored set with hash `h` equal to the `size` states stamped `g` in
    /// `mark`; otherwise -1 and the slot `insert` takes.
    @inline(__always) func find(_ h: UInt64, size: Int, mark: UnsafeMutablePointer<UInt32>, _ g: UInt32) -> (index: Int, slot: Int) {
        var i = home(h)
        while true {
            let v = slots[i]
            if v == 0 { return (-1, i) }
            let id = Int(v) - 1
            if hashes[id] == h {
                let a = start[id], b = start[id + 1]
                if b - a == size {
                    var j = a
                    while j < b && mark[Int(arena[j])] == g { j += 1 }
                    if j == b { return (id, i) }
                }
            }
            i = (i + 1) & mask
        }
    }

    /// Stores `elements[0 ..< size]` (hash `h`) in `slot` from `find`; returns its index.
    mutating func insert(_ h: UInt64, _ elements: UnsafePointer<Int32>, size: Int, slot: Int) -> Int {
        let id = count
        arena.append(from: elements, count: size)
        start.append(arena.count)
        hashes.append(h)
        slots[slot] = Int32(id + 1)
        count += 1
        if count * 2 > mask {
            let size = (mask + 1) * 2
            slots.deallocate()
            slots = .allocate(capacity: size)
            slots.initialize(repeating: 0, count: size)
            mask = size - 1
            for s in 0 ..< count {
                var j = home(hashes[s])
                while slots[j] != 0 { j = (j + 1) & mask }
                slots[j] = Int32(s + 1)
            }
        }
        return id
    }

    /// The members of set `id`.
    @inline(__always) func members(_ id: Int) -> (base: UnsafeMutablePointer<Int32>, range: Range<Int>) {
        (arena.base, start[id] ..< start[id + 1])
    }
}

/// Subset construction in flat memory. A DFA state is the set of important NFA states of an
/// epsilon closure, kept in a `StampedSetTable`.
///
/// Per DFA state: targets of its byte-range states are bucketed by class (counting sort into
/// one seed buffer). The distinct seeds of a class (its kernel) determine the target state, so
/// kernels seen before are looked up in a second table (most transitions lead to known states)
/// and only a new kernel pays for an epsilon closure. The numbering of states depends on
/// traversal order, which step 5 of `DFABuilder.build` makes irrelevant; the set of reachable
/// subsets does not, so the state budget trips exactly as it always did.
struct SubsetConstruction {
    private static let byteRange: UInt8 = 0, epsilon: UInt8 = 1, accept: UInt8 = 2

    private let n: Int
    private let k: Int
    private let start: Int32
    private let kind: UnsafeMutablePointer<UInt8>
    private let next: UnsafeMutablePointer<Int32>
    private let eps2: UnsafeMutablePointer<Int32>
    /// Class range of each byte-range state.
    private let classLo: UnsafeMutablePointer<UInt8>
    private let classHi: UnsafeMutablePointer<UInt8>
    /// Closure visit stamps.
    private let mark: UnsafeMutablePointer<UInt32>
    private var generation: UInt32 = 0
    private let stack: UnsafeMutablePointer<Int32>
    /// The closure just computed (important states, unsorted).
    private let candidate: UnsafeMutablePointer<Int32>
    private var candidateCount = 0
    /// Kernel stamps and the kernel just scanned (distinct seeds).
    private let seedMark: UnsafeMutablePointer<UInt32>
    private var seedGeneration: UInt32 = 0
    private let kernel: UnsafeMutablePointer<Int32>

    /// Per class: seed count, then start offset in `seeds`.
    private let seedCount: UnsafeMutablePointer<Int32>
    private let seedStart: UnsafeMutablePointer<Int32>
    /// Per class of the state being expanded: some member's range starts at it, or ends
    /// just before it (else its seed list equals the previous class's).
    private let edge: UnsafeMutablePointer<Bool>
    private var seeds = RawBuffer<Int32>(capacity: 256)

    private var states = StampedSetTable()
    private var kernels = StampedSetTable()
    /// Target state of each kernel (dead when its closure is empty).
    private var kernelTarget = RawBuffer<Int32>(capacity: 64)
    private var table: RawBuffer<Int32>
    private var released = false

    var stateCount: Int { states.count }
    /// NFA-state visits so far (seeds plus closure pushes).
    private(set) var work = 0

    init(_ nfa: ByteNFA, byteClass: [UInt8], classCount: Int) {
        n = nfa.count
        k = classCount
        start = nfa.start
        let m = Swift.max(n, 1)
        kind = .allocate(capacity: m)
        next = .allocate(capacity: m)
        eps2 = .allocate(capacity: m)
        classLo = .allocate(capacity: m)
        classHi = .allocate(capacity: m)
        mark = .allocate(capacity: m)
        mark.initialize(repeating: 0, count: m)
        seedMark = .allocate(capacity: m)
        seedMark.initialize(repeating: 0, count: m)
        stack = .allocate(capacity: m)
        candidate = .allocate(capacity: m)
        kernel = .allocate(capacity: m)
        for (s, st) in nfa.states.enumerated() {
            kind[s] = st.kind == .byteRange ? Self.byteRange : st.kind == .epsilon ? Self.epsilon : Self.accept
            next[s] = st.next
            eps2[s] = st.eps2
            classLo[s] = byteClass[Int(st.lo)]
            classHi[s] = byteClass[Int(st.hi)]
        }
        seedCount = .allocate(capacity: classCount)
        seedStart = .allocate(capacity: classCount)
        edge = .allocate(capacity: classCount + 1)
        table = RawBuffer(capacity: 64 * classCount)
    }

    mutating func release() {
        guard !released else { return }
        released = true
        kind.deallocate(); next.deallocate(); eps2.deallocate(); classLo.deallocate(); classHi.deallocate()
        mark.deallocate(); seedMark.deallocate(); stack.deallocate(); candidate.deallocate(); kernel.deallocate()
        seedCount.deallocate(); seedStart.deallocate(); edge.deallocate(); seeds.free()
        states.free(); kernels.free(); kernelTarget.free(); table.free()
    }

    /// Important states of the epsilon closure of `seedList[0 ..< count]` (distinct) into
    /// `candidate`, stamped in `mark` with the current generation; returns the set's hash.
    private mutating func closure(_ seedList: UnsafePointer<Int32>, _ count: Int) -> UInt64 {
        generation &+= 1
        if generation == 0 {
            mark.update(repeating: 0, count: n)
            generation = 1
        }
        let g = generation
        var sp = 0, out = 0
        var h: UInt64 = 0
        for i in 0 ..< count {
            let s = Int(seedList[i])
            if mark[s] != g { mark[s] = g; stack[sp] = Int32(s); sp += 1 }
        }
        var pushes = sp
        while sp > 0 {
            sp -= 1
            let s32 = stack[sp]
            let s = Int(s32)
            if kind[s] == Self.epsilon {
                let a = next[s], b = eps2[s]
                if a >= 0 && mark[Int(a)] != g { mark[Int(a)] = g; stack[sp] = a; sp += 1; pushes += 1 }
                if b >= 0 && mark[Int(b)] != g { mark[Int(b)] = g; stack[sp] = b; sp += 1; pushes += 1 }
            } else {
                candidate[out] = s32
                out += 1
                h &+= StampedSetTable.mix(s32)
            }
        }
        candidateCount = out
        work += pushes
        return h &+ UInt64(out)
    }

    /// The state whose set is `candidate` (hash `h`), added when new.
    private mutating func findOrAdd(_ h: UInt64, maxStates: Int, patternForErrors: String) throws -> Int32 {
        let (id, slot) = states.find(h, size: candidateCount, mark: mark, generation)
        if id >= 0 { return Int32(id) }
        if states.count >= maxStates {
            throw FSMDecodeError(.budget, "\(patternForErrors) needs more than \(maxStates) DFA states (the state budget, RegexOptions.maxStates); simplify the pattern or raise the budget")
        }
        return Int32(states.insert(h, candidate, size: candidateCount, slot: slot))
    }

    /// The target of the kernel of `list[0 ..< len]`: looked up, or closed and added.
    private mutating func target(_ list: UnsafePointer<Int32>, _ len: Int, maxStates: Int, patternForErrors: String) throws -> Int32 {
        seedGeneration &+= 1
        if seedGeneration == 0 {
            seedMark.update(repeating: 0, count: n)
            seedGeneration = 1
        }
        let g = seedGeneration
        var size = 0
        var h: UInt64 = 0
        for j in 0 ..< len {
            let s = list[j]
            if seedMark[Int(s)] != g {
                seedMark[Int(s)] = g
                kernel[size] = s
                size += 1
                h &+= StampedSetTable.mix(s)
            }
        }
        h &+= UInt64(size)
        let (id, slot) = kernels.find(h, size: size, mark: seedMark, g)
        if id >= 0 { return kernelTarget[id] }
        let ch = closure(kernel, size)
        let t = candidateCount == 0 ? ByteDFA.dead : try findOrAdd(ch, maxStates: maxStates, patternForErrors: patternForErrors)
        _ = kernels.insert(h, kernel, size: size, slot: slot)
        kernelTarget.append(t)
        return t
    }

    /// Explores every reachable subset; state 0 is the start (possibly empty) set.
    mutating func run(maxStates: Int, maxWork: Int, patternForErrors: String) throws {
        var startSeed = start
        let h0 = closure(&startSeed, 1)
        _ = try findOrAdd(h0, maxStates: Int.max, patternForErrors: patternForErrors)
        var d = 0
        while d < states.count {
            let (arena, range) = states.members(d)
            // Counting sort of the targets by class.
            for c in 0 ..< k { seedCount[c] = 0 }
            edge.update(repeating: false, count: k + 1)
            for j in range {
                let s = Int(arena[j])
                guard kind[s] == Self.byteRange else { continue }
                edge[Int(classLo[s])] = true
                edge[Int(classHi[s]) + 1] = true
                for c in Int(classLo[s]) ... Int(classHi[s]) { seedCount[c] += 1 }
            }
            var total: Int32 = 0
            for c in 0 ..< k { seedStart[c] = total; total += seedCount[c] }
            seeds.removeAll()
            seeds.reserve(Int(total))
            let sp = seeds.base
            for j in range {
                let s = Int(arena[j])
                guard kind[s] == Self.byteRange else { continue }
                let t = next[s]
                for c in Int(classLo[s]) ... Int(classHi[s]) {
                    sp[Int(seedStart[c])] = t
                    seedStart[c] += 1
                }
            }
            for c in 0 ..< k { seedStart[c] -= seedCount[c] }
            work += Int(total)

            let row = table.count
            table.append(repeating: ByteDFA.dead, count: k)
            for c in 0 ..< k where seedCount[c] > 0 {
                // The same members cover c and c - 1: same seeds (in the same order), same
                // target, and no work counted either way (the kernel is known).
                if c > 0 && !edge[c] { table[row + c] = table[row + c - 1]; continue }
                table[row + c] = try target(sp + Int(seedStart[c]), Int(seedCount[c]), maxStates: maxStates, patternForErrors: patternForErrors)
                if work > maxWork {
                    throw FSMDecodeError(.budget, "\(patternForErrors) is too costly to determinize: the subset construction visited more than \(maxWork) NFA states (the work budget, RegexOptions.maxSubsetWork) after building \(states.count) DFA states; simplify the pattern or raise the budget")
                }
            }
            d += 1
        }
    }

    /// The transition table, `stateCount × classCount`.
    func takeTable() -> [Int32] { table.array }

    /// Per state: sorted, distinct labels of its accept states, and a key that is equal for
    /// states with equal label sets (0 = none; a single label l is l + 1; larger sets are interned).
    func labels() -> (labels: [[Int32]], keys: [Int32]) {
        var out = [[Int32]](repeating: [], count: stateCount)
        var keys = [Int32](repeating: 0, count: stateCount)
        var maxLabel: Int32 = -1
        for s in 0 ..< n where kind[s] == Self.accept { maxLabel = Swift.max(maxLabel, next[s]) }
        // One shared array per single label (the usual case), so most states allocate nothing.
        let single = (0 ... Swift.max(maxLabel, 0)).map { [$0] }
        var interned: [[Int32]: Int32] = [:]
        var ls: [Int32] = []
        for d in 0 ..< stateCount {
            ls.removeAll(keepingCapacity: true)
            var first: Int32 = -1
            var same = true
            let (arena, range) = states.members(d)
            for j in range {
                let s = Int(arena[j])
                if kind[s] == Self.accept {
                    let l = next[s]
                    if first < 0 { first = l } else if l != first { same = false }
                    ls.append(l)
                }
            }
            if first < 0 { continue }
            if same {
                keys[d] = first + 1
                out[d] = single[Int(first)]
                continue
            }
            ls.sort()
            var u: [Int32] = []
            for l in ls where u.last != l { u.append(l) }
            if let id = interned[u] {
                keys[d] = id
            } else {
                let id = maxLabel + 2 + Int32(interned.count)
                interned[u] = id
                keys[d] = id
            }
            out[d] = u
        }
        return (out, keys)
    }
}
