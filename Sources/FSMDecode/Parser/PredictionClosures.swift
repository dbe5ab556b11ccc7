import Synchronization

/// Per rule, every rule an Earley set predicts along with it (the rule itself, and the rules
/// at the start of its productions, after any nullable prefix, transitively): what predicting
/// the rule adds to a set, found once per constraint instead of item by item in every closure.
/// A set that predicts a rule adds the productions of all of these at dot 0, and their
/// nullable-prefix advances, in one pass (`EarleyCore.predict`).
///
/// Computed on first use (a grammar's rules are many, a parse meets few). Thread safety: each
/// rule's list is a published cell (nil until computed): readers load it with acquire ordering;
/// a miss computes under the lock and publishes with release ordering; lists never change.
final class PredictionClosures: @unchecked Sendable {
    private let cells: UnsafeMutablePointer<Atomic<UnsafeMutablePointer<Int32>?>>
    private let ruleCount: Int
    /// Owned lists, freed at deinit.
    private let lists = Mutex<[UnsafeMutablePointer<Int32>]>([])

    init(ruleCount: Int) {
        self.ruleCount = ruleCount
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
            let list = UnsafeMutablePointer<Int32>.allocate(capacity: order.count + 1)
            list[0] = Int32(order.count)
            for (j, q) in order.enumerated() { list[j + 1] = q }
            owned.append(list)
            cells[Int(r)].store(list, ordering: .releasing)
            return list
        }
    }
}
