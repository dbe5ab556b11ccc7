@testable import FSMDecode
import Testing

/// `DFABuilder.finishOverCore` (bottom-up minimization of an acyclic rest over a minimal core)
/// must give exactly `finish`'s DFA and labels: on random tables built as the JSON-string
/// products are (a minimal core, and states whose edges lead only to later states, the core,
/// or nowhere), and on tables whose rest has a cycle (the fallback).
@Suite struct MinimalCoreTests {
    /// A random table: `rest` states (0 ..< rest; 0 is the start) over a core that is the
    /// minimal DFA of a random `coreSize`-state table (its states follow the rest). Rest
    /// edges go to a later rest state, a core state or nowhere; with `cycle`, class 0 chains
    /// the rest states back to the start. Labels: accepting or not (key 1 / 0), plus a second label set (key 2)
    /// on some rest states.
    private static func table(_ rng: inout SplitMix64, rest: Int, coreSize: Int, k: Int, cycle: Bool)
        -> (table: [Int32], count: Int, byteClass: [UInt8], labelOf: [[Int32]], labelKey: [Int32], isCore: [Bool])? {
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var byteClass = [UInt8](repeating: 0, count: 256)
        for b in 0 ..< 256 { byteClass[b] = UInt8(min(k - 1, b / (256 / k))) }
        // The core: a random table minimized by `finish` (all its states live, none equivalent).
        var raw = [Int32](repeating: -1, count: coreSize * k)
        for i in raw.indices where pick(3) > 0 { raw[i] = Int32(pick(coreSize)) }
        var rawLabels = (0 ..< coreSize).map { _ in [Int32]() }
        for s in 0 ..< coreSize where pick(3) == 0 { rawLabels[s] = [0] }
        rawLabels[coreSize - 1] = [0]
        guard let core = DFABuilder.finish(table: raw, count: coreSize, byteClass: byteClass, classCount: k, labelOf: rawLabels,
                                           labelKey: rawLabels.map { $0.isEmpty ? 0 : 1 })?.dfa else { return nil }
        let c = core.stateCount, count = rest + c
        var table = [Int32](repeating: -1, count: count * k)
        for s in 0 ..< c {
            for x in 0 ..< k {
                // The core's classes are merged ones: read each of ours through its first byte.
                let t = core.table[s * core.classCount + Int(core.byteClass[x * (256 / k)])]
                if t >= 0 { table[(rest + s) * k + x] = Int32(rest) + t }
            }
        }
        for s in 0 ..< rest {
            for x in 0 ..< k {
                switch pick(4) {
                case 0: break
                case 1: table[s * k + x] = Int32(rest + pick(c))
                default: if s + 1 < rest { table[s * k + x] = Int32(s + 1 + pick(rest - s - 1)) }
                }
            }
        }
        if cycle {  // a chain through the rest on class 0, back to the start
            for s in 0 ..< rest { table[s * k] = Int32((s + 1) % rest) }
        }
        var labelOf = [[Int32]](repeating: [], count: count)
        for s in 0 ..< c where core.accepting[s] { labelOf[rest + s] = [0] }
        for s in 0 ..< rest { labelOf[s] = [[], [], [0], [1]][pick(4)] }
        let labelKey = labelOf.map { $0.isEmpty ? Int32(0) : $0 == [0] ? 1 : 2 }
        return (table, count, byteClass, labelOf, labelKey, (0 ..< count).map { $0 >= rest })
    }

    @Test(arguments: [false, true])
    func equalsFinish(cycle: Bool) {
        var rng = SplitMix64(seed: cycle ? 7 : 3)
        var checked = 0
        for round in 0 ..< 400 {
            let k = 2 + round % 4
            guard let t = Self.table(&rng, rest: 1 + round % 23, coreSize: 1 + round % 7, k: k, cycle: cycle) else { continue }
            let blocks = DFABuilder.blocksOverMinimalCore(table: t.table, count: t.count, classCount: k, labelKey: t.labelKey, isCore: t.isCore)
            #expect((blocks == nil) == cycle, "round \(round): acyclic \(blocks != nil), cycle \(cycle)")
            let fast = DFABuilder.finishOverCore(table: t.table, count: t.count, byteClass: t.byteClass, classCount: k,
                                                 labelOf: t.labelOf, labelKey: t.labelKey, isCore: t.isCore)
            let reference = DFABuilder.finish(table: t.table, count: t.count, byteClass: t.byteClass, classCount: k,
                                              labelOf: t.labelOf, labelKey: t.labelKey)
            let same = fast?.dfa == reference?.dfa && fast?.labels == reference?.labels  // (not expanded: long tables)
            #expect(same, "round \(round): \(t.count) states, \(k) classes")
            checked += 1
        }
        #expect(checked > 300)
    }
}
