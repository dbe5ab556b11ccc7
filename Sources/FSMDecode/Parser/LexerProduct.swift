/// A lexer's combined DFA built as the product of its terminals' already compiled DFAs, so a
/// new set of terminals costs no regex compilation (no NFA, no subset construction over
/// epsilon closures, no minimisation).
///
/// A product state is the sorted list of its live *parts*: (index of the terminal in the set,
/// state of that terminal's DFA). A byte steps every part and drops the dead ones; no part
/// left is `ByteDFA.dead`. States are numbered breadth-first from the start in byte-class
/// order (deterministic). Every state is reachable and can reach an accepting one (each
/// part's DFA is trimmed), so the result keeps `ByteDFA`'s invariants; it is not minimised
/// (equivalent states are rare for union lexers and cost only cache entries).
///
/// The parts are kept: the language from a product state is the union of its parts'
/// languages, which is what lets token masks be computed per (terminal, state) and shared.
/// Cost: O(states × classes × parts) steps plus one hash probe per transition.
enum LexerProduct {
    struct Result: Sendable {
        var dfa: ByteDFA
        /// Per state: sorted indices (into the terminal set) of the parts accepting there.
        var labels: [[Int32]]
        /// Per state: some byte leads to a live state.
        var hasExit: [Bool]
        /// State q's parts are `partTerminal/partState[partStart[q] ..< partStart[q + 1]]`.
        var partStart: [Int32]
        var partTerminal: [Int32]
        var partState: [Int32]
    }

    /// The product of `dfas` (nil entries match nothing and are left out); nil when every
    /// entry is nil. Throws `.budget` past `maxStates` states of several parts: states of one
    /// part number at most the parts' states (a union of big terminals that diverge early,
    /// like JSON object members with long string values, is as big as their sum and is fine).
    static func build(_ dfas: [ByteDFA?], maxStates: Int, description: String) throws -> Result? {
        // Byte classes: the common refinement of the parts' classes, numbered by first byte.
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classCount = 1
        for case let d? in dfas where d.classCount > 1 {
            var id = [Int32](repeating: -1, count: classCount * d.classCount)
            var next: Int32 = 0
            for b in 0..<256 {
                let k = Int(byteClass[b]) * d.classCount + Int(d.byteClass[b])
                if id[k] < 0 { id[k] = next; next += 1 }
                byteClass[b] = UInt8(id[k])
            }
            classCount = Int(next)
        }
        var representative = [UInt8](repeating: 0, count: classCount)
        for b in (0..<256).reversed() { representative[Int(byteClass[b])] = UInt8(b) }

        // The parts' tables, flattened: terminal i steps state s on product class c to
        // `tables[base[i] + s * width[i] + column[i * classCount + c]]`.
        let m = dfas.count
        var base = [Int](repeating: 0, count: m), width = [Int](repeating: 0, count: m)
        var column = [Int](repeating: 0, count: m * classCount)
        var tables: [Int32] = []
        var accepts: [Bool] = []
        var acceptBase = [Int](repeating: 0, count: m)
        var partStart: [Int32] = [0]
        var partTerminal: [Int32] = []
        var partState: [Int32] = []
        for (i, d) in dfas.enumerated() {
            guard let d else { continue }
            base[i] = tables.count
            width[i] = d.classCount
            tables += d.table
            acceptBase[i] = accepts.count
            accepts += d.accepting
            for c in 0..<classCount { column[i * classCount + c] = Int(d.byteClass[Int(representative[c])]) }
            partTerminal.append(Int32(i))
            partState.append(d.start)
        }
        if partTerminal.isEmpty { return nil }
        partStart.append(Int32(partTerminal.count))

        // Open-addressing index of states by their parts (slot = state + 1, 0 = empty).
        var slots = [Int32](repeating: 0, count: 64)
        var hashes: [UInt64] = []
        func hashParts(_ t: UnsafePointer<Int32>, _ s: UnsafePointer<Int32>, _ n: Int) -> UInt64 {
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15
            for i in 0..<n {
                h = (h ^ (UInt64(UInt32(bitPattern: t[i])) << 32 | UInt64(UInt32(bitPattern: s[i])))) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 29
            }
            return h
        }
        func insertSlot(_ q: Int, _ h: UInt64) {
            let mask = slots.count - 1
            var p = Int(truncatingIfNeeded: h >> 17) & mask
            while slots[p] != 0 { p = (p + 1) & mask }
            slots[p] = Int32(q + 1)
        }
        // Single-part states are found by (terminal, state) directly: `single[acceptBase[i] + s]`.
        var single = [Int32](repeating: -1, count: accepts.count)
        if partTerminal.count == 1 {
            single[acceptBase[Int(partTerminal[0])] + Int(partState[0])] = 0
            hashes.append(0)
        } else {
            hashes.append(hashParts(partTerminal, partState, partTerminal.count))
            insertSlot(0, hashes[0])
        }

        var table: [Int32] = []
        // States of several parts, the only ones that can multiply: the budget counts these.
        var multiPart = partTerminal.count > 1 ? 1 : 0
        // A state never has more parts than terminals.
        let scratchT = UnsafeMutablePointer<Int32>.allocate(capacity: m)
        let scratchS = UnsafeMutablePointer<Int32>.allocate(capacity: m)
        defer { scratchT.deallocate(); scratchS.deallocate() }
        /// The product state of terminal `i` alone in state `s`, added on first use. No budget
        /// check: single-part states are at most the parts' own states (each DFA already within
        /// the budget).
        func singleState(_ i: Int32, _ s: Int32) -> Int32 {
            let g = acceptBase[Int(i)] + Int(s)
            if single[g] < 0 {
                single[g] = Int32(partStart.count - 1)
                partTerminal.append(i)
                partState.append(s)
                partStart.append(Int32(partTerminal.count))
                hashes.append(0)
            }
            return single[g]
        }
        // A single-part state's row: its terminal's row (one entry per terminal class) mapped
        // to product states once, then spread over the product classes through `column`.
        var mapped = [Int32](repeating: ByteDFA.dead, count: 256)
        var q = 0
        while q < partStart.count - 1 {
            let lo = Int(partStart[q]), hi = Int(partStart[q + 1])
            if hi == lo + 1 {
                let i = Int(partTerminal[lo])
                let row = base[i] + Int(partState[lo]) * width[i]
                for j in 0..<width[i] {
                    let s = tables[row + j]
                    if s < 0 { mapped[j] = ByteDFA.dead; continue }
                    mapped[j] = singleState(Int32(i), s)
                }
                let col = i * classCount
                for c in 0..<classCount { table.append(mapped[column[col + c]]) }
                q += 1
                continue
            }
            for c in 0..<classCount {
                var n = 0
                for k in lo..<hi {
                    let i = Int(partTerminal[k])
                    let s = tables[base[i] + Int(partState[k]) * width[i] + column[i * classCount + c]]
                    if s >= 0 { scratchT[n] = Int32(i); scratchS[n] = s; n += 1 }
                }
                if n == 0 { table.append(ByteDFA.dead); continue }
                if n == 1 {
                    table.append(singleState(scratchT[0], scratchS[0]))
                    continue
                }
                let h = hashParts(scratchT, scratchS, n)
                let mask = slots.count - 1
                var p = Int(truncatingIfNeeded: h >> 17) & mask
                var found: Int32 = -1
                while slots[p] != 0 {
                    let r = Int(slots[p] - 1)
                    if hashes[r] == h {
                        let rlo = Int(partStart[r]), rhi = Int(partStart[r + 1])
                        if rhi - rlo == n {
                            var same = true
                            for i in 0..<n where partTerminal[rlo + i] != scratchT[i] || partState[rlo + i] != scratchS[i] {
                                same = false; break
                            }
                            if same { found = Int32(r); break }
                        }
                    }
                    p = (p + 1) & mask
                }
                if found < 0 {
                    found = Int32(partStart.count - 1)
                    multiPart += 1
                    if multiPart > maxStates {
                        throw FSMDecodeError(.budget, "\(description) needs more than \(maxStates) DFA states of overlapping terminals (the state budget, RegexOptions.maxStates); simplify the pattern or raise the budget")
                    }
                    partTerminal.append(contentsOf: UnsafeBufferPointer(start: scratchT, count: n))
                    partState.append(contentsOf: UnsafeBufferPointer(start: scratchS, count: n))
                    partStart.append(Int32(partTerminal.count))
                    hashes.append(h)
                    if (hashes.count + 1) * 2 > slots.count {
                        slots = [Int32](repeating: 0, count: slots.count * 2)
                        for r in hashes.indices where Int(partStart[r + 1] - partStart[r]) > 1 { insertSlot(r, hashes[r]) }
                    } else {
                        insertSlot(Int(found), h)
                    }
                }
                table.append(found)
            }
            q += 1
        }
        let n = partStart.count - 1
        var hasExit = [Bool](repeating: false, count: n)
        for q in 0..<n {
            for c in 0..<classCount where table[q * classCount + c] >= 0 { hasExit[q] = true; break }
        }
        var accepting = [Bool](repeating: false, count: n)
        var labels = [[Int32]](repeating: [], count: n)
        for q in 0..<n {
            for k in Int(partStart[q])..<Int(partStart[q + 1]) where accepts[acceptBase[Int(partTerminal[k])] + Int(partState[k])] {
                labels[q].append(partTerminal[k])
            }
            accepting[q] = !labels[q].isEmpty
        }
        let dfa = ByteDFA(stateCount: n, start: 0, byteClass: byteClass, classCount: classCount, table: table, accepting: accepting)
        return Result(dfa: dfa, labels: labels, hasExit: hasExit, partStart: partStart, partTerminal: partTerminal, partState: partState)
    }
}
