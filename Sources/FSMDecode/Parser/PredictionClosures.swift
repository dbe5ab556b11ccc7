import Synchronization

/// Per rule, every rule an Earley set predicts along with it (the rule itself, and the rules
/// at the start of its productions, after any nullable prefix, transitively): what predicting
/// the rule adds to a set, found once per constraint instead of item by item in every closure.
/// A set that predicts a rule adds the productions of all of these at dot 0, and their
/// nullable-prefix advances, in one pass (`EarleyCore.predict`).
///
/// With each closure, the byte terminals its items expect next, as a bitset of
/// `terminalWords` words (`formTerminals`): what the predicted part of a set contributes to
/// the set's lexer (`EarleyCore.threadFor`), so those items need not be scanned one by one.
///
/// Computed on first use (a grammar's rules are many, a parse meets few). Thread safety: each
/// rule's list is a published cell (nil until computed): readers load it with acquire ordering;
/// a miss computes under the lock and publishes with release ordering; lists never change.
final class PredictionClosures: @unchecked Sendable {
    private let cells: UnsafeMutablePointer<Atomic<UnsafeMutablePointer<Int32>?>>
    private let ruleCount: Int
    /// Owned lists, freed at deinit.
    private let lists = Mutex<[UnsafeMutablePointer<Int32>]>([])

    /// Words of a terminal bitset (terminal x is bit x % 64 of word x / 64).
    let terminalWords: Int

    init(ruleCount: Int, terminalCount: Int) {
        self.ruleCount = ruleCount
        self.terminalWords = (terminalCount + 63) / 64
        cells = .allocate(capacity: max(ruleCount, 1))
        for r in 0..<ruleCount { (cells + r).initialize(to: Atomic<UnsafeMutablePointer<Int32>?>(nil)) }
    }

    deinit {
        cells.deinitialize(count: ruleCount)
        cells.deallocate()
        lists.withLock { for l in $0 { l.deallocate() } }
    }

    /// Rule r's closure (r first). `tables` supplies the productions.
    @inline(__always) func closure(of r: Int32, _ tables: ParseTables) -> UnsafeBufferPointer<Int32> {
        let list = cells[Int(r)].load(ordering: .acquiring) ?? compute(r, tables)
        return UnsafeBufferPointer(start: list + 1, count: Int(list[0]))
    }

    /// ORs into `bits` (`terminalWords` words) the byte terminals (`ParseTables.isByteTerminal`)
    /// that the items predicting rule r adds to a set expect next: at dot 0 of each production
    /// of its closure and after each step over a nullable prefix.
    @inline(__always) func formTerminals(of r: Int32, _ tables: ParseTables, into bits: UnsafeMutablePointer<UInt64>) {
        let list = cells[Int(r)].load(ordering: .acquiring) ?? compute(r, tables)
        let words = UnsafeRawPointer(list + Int(list[0]) + 1)
        for w in 0..<terminalWords { bits[w] |= words.loadUnaligned(fromByteOffset: w * 8, as: UInt64.self) }
    }

    private func compute(_ r: Int32, _ t: ParseTables) -> UnsafeMutablePointer<Int32> {
        lists.withLock { owned in
            if let done = cells[Int(r)].load(ordering: .acquiring) { return done }
            var order: [Int32] = [r]
            var seen: Set<Int32> = [r]
            var i = 0
            while i < order.count {
                let q = order[i]
                i += 1
                for p in t.ruleProductionStart[Int(q)]..<t.ruleProductionStart[Int(q) + 1] {
                    for e in Int(t.symbolStart[Int(p)])..<Int(t.symbolStart[Int(p) + 1]) {
                        let s = t.symbols[e]
                        if s >= 0 {
                            if seen.insert(s).inserted { order.append(s) }
                            if !t.nullable[Int(s)] { break }
                        } else if !t.terminalNullable[Int(~s)] {
                            break
                        }
                    }
                }
            }
            // The byte terminals the items `EarleyCore.predict` adds for these rules
            // (`ParseTables.predictedItems`) expect next.
            var bits = [UInt64](repeating: 0, count: terminalWords)
            for q in order {
                for j in Int(t.predictedItemStart[Int(q)])..<Int(t.predictedItemStart[Int(q) + 1]) {
                    let s = t.dottedSymbol[Int(t.predictedItems[j])]
                    if s != ParseTables.endOfProduction && s < 0 && t.isByteTerminal[Int(~s)] { bits[Int(~s) >> 6] |= 1 << UInt64(~s & 63) }
                }
            }
            // Layout: [rule count n, n rules, the bitset's words as 2 × terminalWords Int32s].
            let list = UnsafeMutablePointer<Int32>.allocate(capacity: order.count + 1 + 2 * terminalWords)
            list[0] = Int32(order.count)
            for (j, q) in order.enumerated() { list[j + 1] = q }
            let words = UnsafeMutableRawPointer(list + order.count + 1)
            for (w, x) in bits.enumerated() { words.storeBytes(of: x, toByteOffset: w * 8, as: UInt64.self) }
            owned.append(list)
            cells[Int(r)].store(list, ordering: .releasing)
            return list
        }
    }
}
