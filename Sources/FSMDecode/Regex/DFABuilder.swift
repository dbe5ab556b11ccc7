/// NFA → minimal, trimmed, canonically numbered `ByteDFA`, with per-state accept labels.
///
/// 1. Byte equivalence classes from the NFA's range boundaries (contiguous byte intervals).
/// 2. Subset construction over classes; a DFA state is the sorted set of "important" NFA
///    states (byte-range and accept states) of an epsilon closure. Capped at `maxStates`.
/// 3. Trim: drop states that cannot reach an accepting state.
/// 4. Hopcroft partition refinement, initial partition by accept label set.
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

    /// `nil` when the language is empty.
    static func build(_ nfa: ByteNFA, maxStates: Int, patternForErrors: String) throws -> Result? {
        // 1. Byte classes: a boundary before every range start and after every range end.
        var boundary = [Bool](repeating: false, count: 257)
        for s in 0 ..< nfa.count where nfa.kind[s] == .byteRange {
            boundary[Int(nfa.lo[s])] = true
            boundary[Int(nfa.hi[s]) + 1] = true
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
        let n = nfa.count
        var mark = [UInt32](repeating: 0, count: n)
        var generation: UInt32 = 0
        var stack: [Int32] = []
        var closureOut: [Int32] = []

        /// Sorted important states of the epsilon closure of `seeds`.
        func closure(_ seeds: [Int32]) -> [Int32] {
            generation &+= 1
            closureOut.removeAll(keepingCapacity: true)
            stack.removeAll(keepingCapacity: true)
            for s in seeds where mark[Int(s)] != generation {
                mark[Int(s)] = generation
                stack.append(s)
            }
            while let s = stack.popLast() {
                let i = Int(s)
                switch nfa.kind[i] {
                case .byteRange, .accept:
                    closureOut.append(s)
                case .epsilon:
                    let a = nfa.next[i], b = nfa.eps2[i]
                    if b >= 0 && mark[Int(b)] != generation { mark[Int(b)] = generation; stack.append(b) }
                    if a >= 0 && mark[Int(a)] != generation { mark[Int(a)] = generation; stack.append(a) }
                }
            }
            closureOut.sort()
            return closureOut
        }

        var ids: [[Int32]: Int32] = [:]
        var sets: [[Int32]] = []
        var table: [Int32] = []
        let startSet = closure([nfa.start])
        ids[startSet] = 0
        sets.append(startSet)
        var buckets = [[Int32]](repeating: [], count: k)
        var touched: [Int] = []
        var d = 0
        while d < sets.count {
            let set = sets[d]
            table.append(contentsOf: repeatElement(ByteDFA.dead, count: k))
            for s in set {
                let i = Int(s)
                guard nfa.kind[i] == .byteRange else { continue }
                let target = nfa.next[i]
                for c in Int(byteClass[Int(nfa.lo[i])]) ... Int(byteClass[Int(nfa.hi[i])]) {
                    if buckets[c].isEmpty { touched.append(c) }
                    buckets[c].append(target)
                }
            }
            for c in touched {
                let targetSet = closure(buckets[c])
                buckets[c].removeAll(keepingCapacity: true)
                if targetSet.isEmpty { continue }
                let id: Int32
                if let existing = ids[targetSet] {
                    id = existing
                } else {
                    if sets.count >= maxStates {
                        throw FSMDecodeError(.budget, "\(patternForErrors) needs more than \(maxStates) DFA states (the state budget, RegexOptions.maxStates); simplify the pattern or raise the budget")
                    }
                    id = Int32(sets.count)
                    ids[targetSet] = id
                    sets.append(targetSet)
                }
                table[d * k + c] = id
            }
            touched.removeAll(keepingCapacity: true)
            d += 1
        }
        let count = sets.count
        ids = [:]

        // Accept labels per DFA state.
        var labelOf = [[Int32]](repeating: [], count: count)
        for (i, set) in sets.enumerated() {
            var ls: [Int32] = []
            for s in set where nfa.kind[Int(s)] == .accept { ls.append(nfa.next[Int(s)]) }
            if ls.count > 1 { ls.sort(); ls = ls.reduce(into: []) { if $0.last != $1 { $0.append($1) } } }
            labelOf[i] = ls
        }
        sets = []

        // 3. Trim: keep states that reach an accepting state (reverse BFS).
        var reverseCount = [Int32](repeating: 0, count: count + 1)
        for t in table where t >= 0 { reverseCount[Int(t) + 1] += 1 }
        for i in 0 ..< count { reverseCount[i + 1] += reverseCount[i] }
        var reverseSources = [Int32](repeating: 0, count: Int(reverseCount[count]))
        var fill = reverseCount
        for s in 0 ..< count {
            for c in 0 ..< k {
                let t = table[s * k + c]
                if t >= 0 { reverseSources[Int(fill[Int(t)])] = Int32(s); fill[Int(t)] += 1 }
            }
        }
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
        for i in 0 ..< table.count where table[i] >= 0 && !live[Int(table[i])] { table[i] = ByteDFA.dead }

        // 4. Minimize (dead states end up unreachable and are dropped in step 5).
        let block = hopcroft(count: count, classCount: k, table: table, labels: labelOf, live: live)

        // 5. Canonical classes and numbering.
        let blockCount = Int(block.max().map { $0 + 1 } ?? 0)
        var rep = [Int32](repeating: -1, count: blockCount)
        for s in 0 ..< count where live[s] && rep[Int(block[s])] < 0 { rep[Int(block[s])] = Int32(s) }
        // Column of old class c over blocks: merge classes with equal columns.
        var columnID: [[Int32]: UInt8] = [:]
        var classMap = [Int](repeating: -1, count: k)
        var newClassOfByte = [UInt8](repeating: 0, count: 256)
        var newClassCount = 0
        var representativeClass: [Int] = []
        for b in 0 ..< 256 {
            let c = Int(byteClass[b])
            if classMap[c] < 0 {
                var col = [Int32](repeating: -1, count: blockCount)
                for bl in 0 ..< blockCount where rep[bl] >= 0 {
                    let t = table[Int(rep[bl]) * k + c]
                    col[bl] = t >= 0 ? block[Int(t)] : -1
                }
                if let existing = columnID[col] {
                    classMap[c] = Int(existing)
                } else {
                    columnID[col] = UInt8(newClassCount)
                    classMap[c] = newClassCount
                    representativeClass.append(c)
                    newClassCount += 1
                }
            }
            newClassOfByte[b] = UInt8(classMap[c])
        }
        // BFS numbering of blocks from the start block.
        var number = [Int32](repeating: -1, count: blockCount)
        var order: [Int32] = [block[0]]
        number[Int(block[0])] = 0
        var oi = 0
        while oi < order.count {
            let bl = order[oi]; oi += 1
            let s = Int(rep[Int(bl)])
            for nc in 0 ..< newClassCount {
                let t = table[s * k + representativeClass[nc]]
                if t < 0 { continue }
                let tb = Int(block[Int(t)])
                if number[tb] < 0 { number[tb] = Int32(order.count); order.append(Int32(tb)) }
            }
        }
        let m = order.count
        var outTable = [Int32](repeating: ByteDFA.dead, count: m * newClassCount)
        var accepting = [Bool](repeating: false, count: m)
        var outLabels = [[Int32]](repeating: [], count: m)
        for (i, bl) in order.enumerated() {
            let s = Int(rep[Int(bl)])
            accepting[i] = !labelOf[s].isEmpty
            outLabels[i] = labelOf[s]
            for nc in 0 ..< newClassCount {
                let t = table[s * k + representativeClass[nc]]
                if t >= 0 { outTable[i * newClassCount + nc] = number[Int(block[Int(t)])] }
            }
        }
        let dfa = ByteDFA(stateCount: m, start: 0, byteClass: newClassOfByte, classCount: newClassCount,
                          table: outTable, accepting: accepting)
        return Result(dfa: dfa, labels: outLabels)
    }

    /// Hopcroft's algorithm over a partial DFA whose missing transitions go to an implicit
    /// dead sink (kept in a block of its own, as are non-live states). Returns the block of
    /// every state; live states in one block are equivalent.
    static func hopcroft(count n: Int, classCount k: Int, table: [Int32], labels: [[Int32]], live: [Bool]) -> [Int32] {
        // Inverse transitions per (target, class), CSR. The sink is state n.
        let total = n + 1
        var invStart = [Int32](repeating: 0, count: total * k + 1)
        for s in 0 ..< n {
            for c in 0 ..< k {
                let t = table[s * k + c]
                let tt = t >= 0 ? Int(t) : n
                invStart[tt * k + c + 1] += 1
            }
        }
        for c in 0 ..< k { invStart[n * k + c + 1] += 1 } // sink loops to itself
        for i in 0 ..< total * k { invStart[i + 1] += invStart[i] }
        var invSrc = [Int32](repeating: 0, count: Int(invStart[total * k]))
        var fill = invStart
        for s in 0 ..< total {
            for c in 0 ..< k {
                let t = s < n ? table[s * k + c] : -1
                let tt = t >= 0 ? Int(t) : n
                let slot = tt * k + c
                invSrc[Int(fill[slot])] = Int32(s)
                fill[slot] += 1
            }
        }

        // Initial partition: by label set; the sink and dead states by themselves.
        var blockOf = [Int32](repeating: 0, count: total)
        var keyBlock: [[Int32]: Int32] = [:]
        var blockCount: Int32 = 0
        for s in 0 ..< n {
            let key = live[s] ? labels[s] : [-2]
            if let b = keyBlock[key] { blockOf[s] = b } else { keyBlock[key] = blockCount; blockOf[s] = blockCount; blockCount += 1 }
        }
        let deadKey: [Int32] = [-2]
        if let b = keyBlock[deadKey] { blockOf[n] = b } else { blockOf[n] = blockCount; blockCount += 1 }

        // Elements ordered by block; block b owns elems[first[b] ..< end[b]]; marked ones are
        // moved to the front, up to mid[b].
        var elems = [Int32](repeating: 0, count: total)
        var loc = [Int32](repeating: 0, count: total)
        var first = [Int32](repeating: 0, count: total)
        var end = [Int32](repeating: 0, count: total)
        var mid = [Int32](repeating: 0, count: total)
        var sizes = [Int32](repeating: 0, count: Int(blockCount))
        for s in 0 ..< total { sizes[Int(blockOf[s])] += 1 }
        var acc: Int32 = 0
        for b in 0 ..< Int(blockCount) { first[b] = acc; mid[b] = acc; acc += sizes[b]; end[b] = acc }
        var pos = first
        for s in 0 ..< total {
            let b = Int(blockOf[s])
            elems[Int(pos[b])] = Int32(s); loc[s] = pos[b]; pos[b] += 1
        }

        var inWork = [Bool](repeating: false, count: total)
        var work: [Int32] = []
        for b in 0 ..< Int(blockCount) { work.append(Int32(b)); inWork[b] = true }
        var splitter: [Int32] = []
        var touched: [Int32] = []
        var members: [Int32] = []
        while let b = work.popLast() {
            inWork[Int(b)] = false
            // The splitter is the block as popped (it may itself split below).
            members.removeAll(keepingCapacity: true)
            members.append(contentsOf: elems[Int(first[Int(b)]) ..< Int(end[Int(b)])])
            for c in 0 ..< k {
                // States with a c-transition into the splitter.
                splitter.removeAll(keepingCapacity: true)
                for t32 in members {
                    let t = Int(t32)
                    let slot = t * k + c
                    for j in Int(invStart[slot]) ..< Int(invStart[slot + 1]) { splitter.append(invSrc[j]) }
                }
                if splitter.isEmpty { continue }
                for s in splitter {
                    let sb = Int(blockOf[Int(s)])
                    let i = loc[Int(s)], m = mid[sb]
                    if i < m { continue } // already marked
                    if m == first[sb] { touched.append(Int32(sb)) }
                    let other = elems[Int(m)]
                    elems[Int(m)] = s; loc[Int(s)] = m
                    elems[Int(i)] = other; loc[Int(other)] = i
                    mid[sb] = m + 1
                }
                for tb in touched {
                    let t = Int(tb)
                    if mid[t] == end[t] { mid[t] = first[t]; continue }
                    // Split: the marked front part becomes a new block.
                    let nb = Int(blockCount); blockCount += 1
                    first[nb] = first[t]; end[nb] = mid[t]; mid[nb] = first[nb]
                    first[t] = mid[t]; mid[t] = first[t]
                    for i in Int(first[nb]) ..< Int(end[nb]) { blockOf[Int(elems[i])] = Int32(nb) }
                    if inWork[t] {
                        work.append(Int32(nb)); inWork[nb] = true
                    } else {
                        let smaller = end[nb] - first[nb] <= end[t] - first[t] ? nb : t
                        work.append(Int32(smaller)); inWork[smaller] = true
                    }
                }
                touched.removeAll(keepingCapacity: true)
            }
        }
        return Array(blockOf[0 ..< n])
    }
}
