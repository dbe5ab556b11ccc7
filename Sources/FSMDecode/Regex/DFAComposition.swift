/// A fast path of `RegexCompiler` for long counted repetitions. A JSON string with a
/// `maxLength` of n characters is `"` x{0,n} `"`: its NFA is n copies of x's, and the subset
/// construction rebuilds n copies of x's DFA one state at a time (~30 ms for n = 1,024, the
/// larger part of compiling such a schema). Here the items of a top-level concatenation are
/// compiled on their own; a counted repetition of a *prefix-free* item (no match extends
/// another, so each copy ends at a known state) is laid out as n copies of the item's DFA;
/// and the items are joined right to left where the join is deterministic. The table then
/// goes through `DFABuilder.finish`, so the result is the same minimal, canonical DFA as the
/// NFA path's. nil (take the NFA path) whenever a condition does not hold.
enum DFAComposition {
    /// Repetitions with fewer copies go through the NFA path: it is as fast there, and the
    /// bounded whitespace runs ({0,20}) of most terminals would pay for compiling their
    /// items twice whenever a join turns out not to be deterministic.
    static let minimumCount = 64

    /// One item as a table over the composition's common byte classes; start state 0.
    private struct Piece {
        var count: Int
        var table: [Int32]
        var accepting: [Bool]
    }

    static func compile(_ ast: RegexAST, options: RegexOptions, description: String) throws -> DFABuilder.Result? {
        guard case .concat(let items) = ast, items.contains(where: isLong) else {
            if isLong(ast) { return try compile(.concat([ast]), options: options, description: description) }
            return nil
        }
        // Item DFAs (a long repetition: its element's), compiled by the ordinary path.
        var dfas: [ByteDFA] = []
        for item in items {
            let part: RegexAST
            if case .repetition(let x, _, _) = item, isLong(item) { part = x } else { part = item }
            guard let d = try RegexCompiler.compile(part, options: options, description: description) else { return nil }
            dfas.append(d)
        }
        let (byteClass, k) = ByteDFA.commonByteClasses(dfas)
        let representative = byteClass.withUnsafeBufferPointer { ByteDFA.classRepresentatives($0, count: k) }
        var pieces: [Piece] = []
        var total = 0
        for (item, d) in zip(items, dfas) {
            var table = [Int32](repeating: ByteDFA.dead, count: d.stateCount * k)
            for s in 0..<d.stateCount {
                for c in 0..<k { table[s * k + c] = d.table[s * d.classCount + Int(d.byteClass[Int(representative[c])])] }
            }
            var piece = Piece(count: d.stateCount, table: table, accepting: d.accepting)
            if case .repetition(_, let m, let n) = item, isLong(item) {
                guard let layered = layers(piece, k: k, min: m, max: n, maxStates: options.maxStates - total) else { return nil }
                piece = layered
            }
            total += piece.count
            if total > options.maxStates { return nil }
            pieces.append(piece)
        }
        // Join right to left: each accepting state of the left piece takes the right part's
        // start row (and its acceptance), which already holds the joins further right.
        var right = pieces.removeLast()
        while let left = pieces.popLast() {
            let offset = Int32(left.count)
            var table = left.table
            var accepting = left.accepting
            for a in 0..<left.count where left.accepting[a] {
                for c in 0..<k {
                    let t = right.table[c]
                    if t == ByteDFA.dead { continue }
                    if table[a * k + c] != ByteDFA.dead { return nil }  // not deterministic
                    table[a * k + c] = t + offset
                }
                accepting[a] = right.accepting[0]
            }
            table.reserveCapacity(table.count + right.table.count)
            for t in right.table { table.append(t == ByteDFA.dead ? t : t + offset) }
            right = Piece(count: left.count + right.count, table: table, accepting: accepting + right.accepting)
        }
        let one: [Int32] = [0], none: [Int32] = []
        return DFABuilder.finish(table: right.table, count: right.count, byteClass: byteClass, classCount: k,
                                 labelOf: right.accepting.map { $0 ? one : none }, labelKey: right.accepting.map { $0 ? 1 : 0 })
    }

    private static func isLong(_ ast: RegexAST) -> Bool {
        if case .repetition(_, let m, let n) = ast { return max(m, n ?? 0) >= minimumCount }
        return false
    }

    /// x{m,n} from x's piece: copy i of x's non-accepting states for i < n (i < m + 1 when
    /// unbounded), a transition into an accepting state going to the start of copy i + 1 (copy
    /// m's own start when unbounded past m; a final state after copy n - 1). Copy i's start
    /// accepts when i >= m. nil unless x is prefix-free (its accepting states have no exits),
    /// does not match the empty string and never re-enters its start (so a copy's start is
    /// only ever "between copies"), and nil when it would have more than `maxStates` states
    /// (checked before the table is allocated: `(a{10000}){10000}` would take ~1 GB).
    private static func layers(_ x: Piece, k: Int, min m: Int, max n: Int?, maxStates: Int) -> Piece? {
        guard !x.accepting[0] else { return nil }
        var inner = [Int32](repeating: -1, count: x.count)  // non-accepting state -> index in a copy
        var w: Int32 = 0
        for s in 0..<x.count {
            for c in 0..<k {
                let t = x.table[s * k + c]
                if t == 0 { return nil }
                if x.accepting[s] && t != ByteDFA.dead { return nil }
            }
            if !x.accepting[s] { inner[s] = w; w += 1 }
        }
        let copies = n ?? (m + 1)
        let final = n != nil ? 1 : 0
        let (states, overflow) = copies.multipliedReportingOverflow(by: Int(w))
        guard !overflow, states < maxStates else { return nil }
        let count = states + final
        var table = [Int32](repeating: ByteDFA.dead, count: count * k)
        var accepting = [Bool](repeating: false, count: count)
        for i in 0..<copies {
            let base = Int32(i) * w
            let nextStart: Int32 = n != nil ? Int32(i + 1) * w : Int32(Swift.min(i + 1, m)) * w
            accepting[Int(base)] = i >= m
            for s in 0..<x.count where !x.accepting[s] {
                let row = Int(base + inner[s]) * k
                for c in 0..<k {
                    let t = x.table[s * k + c]
                    if t == ByteDFA.dead { continue }
                    table[row + c] = x.accepting[Int(t)] ? nextStart : base + inner[Int(t)]
                }
            }
        }
        if final == 1 { accepting[count - 1] = true }
        return Piece(count: count, table: table, accepting: accepting)
    }
}
