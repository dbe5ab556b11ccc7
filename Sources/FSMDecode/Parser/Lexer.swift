import Synchronization

/// A lexer over a sorted set of terminals: the product of their compiled DFAs, built lazily,
/// one transition at a time, the first time something steps it.
///
/// Why lazy: a parser meets many terminal sets (an object with n optional keys in schema
/// order meets n shrinking sets of key terminals), and a key terminal overlaps the
/// undeclared-key terminal along its whole length, so each eager product was as big as the sum
/// of the keys' DFAs (maskbench-dev Github_hard---o12337: 255 products of ~8,000 states × 74
/// classes, 0.6 s). Decoding and mask walks visit a few states of each.
///
/// A product state is the sorted list of its live *parts*: (index of the terminal in the set,
/// state of that terminal's DFA). A byte steps every part and drops the dead ones; no part
/// left is `ByteDFA.dead`. Every state is live and co-reachable (each part's DFA is trimmed).
/// States are numbered in order of discovery (the start is 0), so numbers depend on the order
/// of first visits; nothing outside the lexer depends on them.
///
/// Thread safety: transitions are published cells (`unknown` until computed). A reader loads a
/// cell with acquire ordering; a miss takes the builder lock, computes the target (creating
/// its state: parts, labels, flags) and stores the cell with release ordering. A state's info
/// and page are written before any cell naming it is published and never change after, so
/// readers read them without a lock.
///
/// Budget: states of several parts (the only ones that can multiply) are counted; a step that
/// would create one past `maxStates` returns `overBudget` (not stored, so it stays an error).
/// The parser reports it as `budgetError`; mask walks treat it as dead (a narrower mask).
final class Lexer: @unchecked Sendable {
    /// A cell not computed yet.
    static let unknown: Int32 = -2
    /// `next` when the target would pass the state budget.
    static let overBudget: Int32 = -3
    private static let pageShift = 6
    private static let pageSize = 1 << pageShift

    let id: Int32
    /// Sorted runtime terminal indices.
    let terminals: [Int32]
    let start: Int32 = 0
    let classCount: Int
    private let maxStates: Int
    private let description: String

    /// Read-only after init: the product's byte classes (the common refinement of the parts'),
    /// and per (part, product class) the part's own class.
    private let byteClass: UnsafeMutablePointer<UInt8>
    private let partDFAs: [ByteDFA?]
    private let column: [Int32]
    private let partPriority: [Int]
    private let partIgnored: [Bool]
    private let longest: Bool
    /// Per runtime terminal: its mask store (`ParseTables.terminalStores`; empty without a
    /// vocabulary).
    private let terminalStores: [MaskStore?]
    private let wordCount: Int
    /// The set index of the indentation step's newline terminal, and its DFA states' widths.
    private let newlinePart: Int?
    private let newlineWidths: [Int32]
    /// Where end classes are numbered (shared by the lexers of one grammar).
    private let endClasses: EndClasses

    /// A state's facts, written once when it is created.
    struct StateInfo {
        /// `2 × partCount` entries: (set index, terminal-DFA state), by set index.
        var parts: UnsafeMutablePointer<Int32>
        var partCount: Int32
        /// An id shared by exactly the states with equal `labels`, `acceptsIgnored` and
        /// `width` (ending the lexeme in either commits the same thing); `EndClasses` numbers
        /// them, alike in every lexer of the grammar.
        var endClass: Int32
        /// Some byte leads to a live state.
        var hasExit: Bool
        var acceptsIgnored: Bool
        /// Runtime terminals whose match ends here (longest-match: the highest priority only),
        /// ignored ones left out.
        var labels: [Int32]
        /// `!labels.isEmpty || acceptsIgnored`.
        var endsLexeme: Bool
        /// When the indentation step's newline terminal is among `labels`: the columns of the
        /// lexeme's last line (`IndentationTracker.widths`); else -1.
        var width: Int32
    }

    private struct Page {
        var info: UnsafeMutablePointer<StateInfo>
        /// `pageSize × classCount` transitions.
        var cells: UnsafeMutablePointer<Atomic<Int32>>
        /// Multi-part states: their inside tokens (an unretained `LexemeWalk`, kept alive by
        /// `Builder.insideWalks`), nil until computed.
        var inside: UnsafeMutablePointer<Atomic<UnsafeRawPointer?>>
    }

    /// Fixed capacity (every state the budget allows), so pages never move.
    private let pages: UnsafeMutablePointer<Page>
    private let pageCapacity: Int

    private struct Builder {
        var stateCount = 0
        var multiPart = 0
        /// Open-addressing index of multi-part states (slot = state + 1, 0 = empty).
        var slots = [Int32](repeating: 0, count: 64)
        var slotHashes: [UInt64] = []
        var slotStates: [Int32] = []
        /// Single-part states by (set index << 32 | terminal state).
        var single: [WordKey: Int32] = [:]
        var insideWalks: [LexemeWalk] = []
        /// Per part: the end class and labels (one array, shared) of the states where only that
        /// part's terminal ends; nil until met (empty until the first such state): `endClasses`
        /// is asked once per part.
        var partEnds: [(endClass: Int32, labels: [Int32])?] = []
        var scratch: [Int32] = []
        /// States' part lists are carved from these chunks (64 words, doubling to 1k: one
        /// allocation per many states, not one per state); freed with the lexer.
        var partChunks: [UnsafeMutablePointer<Int32>] = []
        var chunkCursor: UnsafeMutablePointer<Int32>? = nil
        var chunkFree = 0

        /// Room for `count` words that live as long as the lexer.
        mutating func partStorage(_ count: Int) -> UnsafeMutablePointer<Int32> {
            if count > chunkFree {
                let size = max(count, min(1024, 64 << partChunks.count))
                let chunk = UnsafeMutablePointer<Int32>.allocate(capacity: size)
                partChunks.append(chunk)
                chunkCursor = chunk
                chunkFree = size
            }
            let p = chunkCursor!
            chunkCursor = p + count
            chunkFree -= count
            return p
        }
    }
    private let builder: Mutex<Builder>

    /// A lexer over `terminals` (runtime indices, sorted) whose DFAs are `dfas` (nil: matches
    /// nothing; left out). `priorities`/`ignored` are per set index. Nil when every DFA is nil.
    init?(id: Int32, terminals: [Int32], dfas: [ByteDFA?], priorities: [Int], ignored: [Bool], longestMatch: Bool,
          terminalStores: [MaskStore?], wordCount: Int, maxStates: Int, description: String,
          newlinePart: Int? = nil, newlineWidths: [Int32] = [], endClasses: EndClasses = EndClasses()) {
        guard dfas.contains(where: { $0 != nil }) else { return nil }
        self.endClasses = endClasses
        self.newlinePart = newlinePart
        self.newlineWidths = newlineWidths
        self.id = id
        self.terminals = terminals
        self.partDFAs = dfas
        self.partPriority = priorities
        self.partIgnored = ignored
        self.longest = longestMatch
        self.terminalStores = terminalStores
        self.wordCount = wordCount
        self.maxStates = maxStates
        self.description = description
        // Byte classes: the common refinement of the parts' classes, numbered by first byte.
        let (classes, classCount) = ByteDFA.commonByteClasses(dfas)
        let byteClass = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        byteClass.initialize(from: classes, count: 256)
        self.byteClass = byteClass
        self.classCount = classCount
        let representative = ByteDFA.classRepresentatives(UnsafeBufferPointer(start: byteClass, count: 256), count: classCount)
        // Parts are read in place by index (a lexer over an object's members has dozens).
        var column = [Int32](repeating: 0, count: dfas.count * classCount)
        var partStates = 0
        var startParts: [Int32] = []
        startParts.reserveCapacity(2 * dfas.count)
        column.withUnsafeMutableBufferPointer { column in
            for i in dfas.indices {
                guard let n = dfas[i]?.stateCount else { continue }
                partStates += n
                startParts.append(Int32(i))
                startParts.append(dfas[i]!.start)
                dfas[i]!.byteClass.withUnsafeBufferPointer { dc in
                    for c in 0..<classCount { column[i * classCount + c] = Int32(dc[Int(representative[c])]) }
                }
            }
        }
        self.column = column
        let capacity = 1 + maxStates + partStates
        self.pageCapacity = (capacity + Lexer.pageSize - 1) >> Lexer.pageShift
        self.pages = .allocate(capacity: pageCapacity)
        self.builder = Mutex(Builder())
        builder.withLock { b in
            if startParts.count > 2 { b.multiPart = 1 }
            _ = createState(&b, startParts, hash: Lexer.hashParts(startParts))
        }
    }

    deinit {
        builder.withLock { b in
            for s in 0..<b.stateCount {
                let info = pages[s >> Lexer.pageShift].info + (s & (Lexer.pageSize - 1))
                info.deinitialize(count: 1)
            }
            let used = (b.stateCount + Lexer.pageSize - 1) >> Lexer.pageShift
            for chunk in b.partChunks { chunk.deallocate() }
            for p in 0..<used {
                pages[p].info.deallocate()
                pages[p].cells.deinitialize(count: Lexer.pageSize * classCount)
                pages[p].cells.deallocate()
                pages[p].inside.deinitialize(count: Lexer.pageSize)
                pages[p].inside.deallocate()
            }
        }
        pages.deallocate()
        byteClass.deallocate()
    }

    // MARK: - Reading (lock-free)

    @inline(__always) private func info(_ s: Int32) -> UnsafeMutablePointer<StateInfo> {
        pages[Int(s) >> Lexer.pageShift].info + (Int(s) & (Lexer.pageSize - 1))
    }

    /// The state after byte `b` from live state `s`: a state, `ByteDFA.dead`, or `overBudget`.
    @inline(__always) func next(_ s: Int32, _ b: UInt8) -> Int32 {
        let c = Int(byteClass[Int(b)])
        let v = pages[Int(s) >> Lexer.pageShift].cells[(Int(s) & (Lexer.pageSize - 1)) * classCount + c].load(ordering: .acquiring)
        return v != Lexer.unknown ? v : step(s, c)
    }

    @inline(__always) func labels(_ s: Int32) -> [Int32] { info(s).pointee.labels }
    @inline(__always) func acceptsIgnored(_ s: Int32) -> Bool { info(s).pointee.acceptsIgnored }
    @inline(__always) func hasExit(_ s: Int32) -> Bool { info(s).pointee.hasExit }
    @inline(__always) func endClass(_ s: Int32) -> Int32 { info(s).pointee.endClass }
    /// See `StateInfo.width`.
    @inline(__always) func width(_ s: Int32) -> Int32 { info(s).pointee.width }
    @inline(__always) func endsLexeme(_ s: Int32) -> Bool { info(s).pointee.endsLexeme }
    @inline(__always) func partCount(_ s: Int32) -> Int { Int(info(s).pointee.partCount) }
    /// Part k of state s: (runtime terminal, terminal-DFA state).
    @inline(__always) func part(_ s: Int32, _ k: Int) -> (terminal: Int32, state: Int32) {
        let p = info(s).pointee.parts
        return (terminals[Int(p[2 * k])], p[2 * k + 1])
    }

    /// The error a step that returned `overBudget` stands for.
    var budgetError: FSMDecodeError {
        FSMDecodeError(.budget, "\(description) needs more than \(maxStates) DFA states of overlapping terminals (the state budget, RegexOptions.maxStates); simplify the pattern or raise the budget")
    }

    /// ORs the tokens that stay inside the lexeme from `s` (EOS excluded) into `dst`: a
    /// single-part state reads its terminal's store; a multi-part state the union of its
    /// parts' masks, computed on first use.
    @inline(__always) func formInside(_ s: Int32, into dst: UnsafeMutablePointer<UInt32>) { inside(s, into: dst, overwrite: false) }

    /// `formInside` over the mask's words instead of into them (a mask fill's first part: no
    /// zeroing pass before it).
    @inline(__always) func writeInside(_ s: Int32, into dst: UnsafeMutablePointer<UInt32>) { inside(s, into: dst, overwrite: true) }

    @inline(__always) private func inside(_ s: Int32, into dst: UnsafeMutablePointer<UInt32>, overwrite: Bool) {
        let i = info(s)
        if i.pointee.partCount == 1 {
            let p = i.pointee.parts
            let store = terminalStores[Int(terminals[Int(p[0])])]!
            if overwrite { store.write(state: p[1], into: dst) } else { store.formUnion(state: p[1], into: dst) }
        } else {
            let walk = insideWalk(s)
            if overwrite { walk.write(into: dst, words: wordCount) } else { walk.formUnion(into: dst) }
        }
    }

    private func insideWalk(_ s: Int32) -> LexemeWalk {
        let slot = pages[Int(s) >> Lexer.pageShift].inside + (Int(s) & (Lexer.pageSize - 1))
        if let p = slot.pointee.load(ordering: .acquiring) { return Unmanaged<LexemeWalk>.fromOpaque(p).takeUnretainedValue() }
        let i = info(s).pointee
        let walk = Lexer.insideFromLists(i, terminals, terminalStores, wordCount) ?? {
            let bits = UnsafeMutablePointer<UInt32>.allocate(capacity: max(wordCount, 1))
            bits.initialize(repeating: 0, count: max(wordCount, 1))
            defer { bits.deallocate() }
            for k in 0..<Int(i.partCount) {
                terminalStores[Int(terminals[Int(i.parts[2 * k])])]!.formUnion(state: i.parts[2 * k + 1], into: bits)
            }
            return LexemeWalk(insideBits: UnsafeBufferPointer(start: bits, count: wordCount))
        }()
        return builder.withLock { b in
            if let p = slot.pointee.load(ordering: .acquiring) { return Unmanaged<LexemeWalk>.fromOpaque(p).takeUnretainedValue() }
            b.insideWalks.append(walk)
            slot.pointee.store(UnsafeRawPointer(Unmanaged.passUnretained(walk).toOpaque()), ordering: .releasing)
            return walk
        }
    }

    /// The inside tokens of a multi-part state as a sorted id list when every part's mask is
    /// an accept list and their union stays within `MaskStore.listLimit` (the states of an
    /// object's member names): merged, without a bitset to clear and scan. With one part whose
    /// mask is wide (the undeclared member name's string beside the declared names' literals),
    /// that part's stored mask is the walk's `base`, read in place at each fill, and the
    /// others' merged ids go on top: no bitset of the mask's width made, zeroed and kept per
    /// state (a key typed character by character made one per character, most of a big
    /// schema's memory and page faults). nil when two parts are wide or the others' ids exceed
    /// a list.
    private static func insideFromLists(_ i: StateInfo, _ terminals: [Int32], _ stores: [MaskStore?], _ words: Int) -> LexemeWalk? {
        let limit = MaskStore.listLimit(words: words)
        var ids: [UInt32] = []
        var wide = -1
        for k in 0..<Int(i.partCount) {
            guard let list = stores[Int(terminals[Int(i.parts[2 * k])])]!.acceptList(state: i.parts[2 * k + 1]),
                  list.count <= limit else {
                if wide >= 0 { return nil }
                wide = k
                continue
            }
            // Each list is ascending: merged pairwise in linear time, not concatenated and sorted.
            guard let merged = ids.withUnsafeBufferPointer({ [UInt32].sortedUnion($0, list, limit: limit) }) else { return nil }
            ids = merged
        }
        let base = wide < 0 ? nil : (store: stores[Int(terminals[Int(i.parts[2 * wide])])]!, state: i.parts[2 * wide + 1])
        return LexemeWalk(inside: ids, insideIsBitset: false, groups: [], endsHere: nil, base: base)
    }

    // MARK: - Building (under the lock)

    /// Computes, publishes and returns the transition of `s` on product class `c`.
    private func step(_ s: Int32, _ c: Int) -> Int32 {
        builder.withLock { b in
            let cell = pages[Int(s) >> Lexer.pageShift].cells + ((Int(s) & (Lexer.pageSize - 1)) * classCount + c)
            let v = cell.pointee.load(ordering: .acquiring)
            if v != Lexer.unknown { return v }
            // The state's parts and the parts' DFAs read in place (see `createState`).
            let parts = info(s).pointee.parts, partCount = Int(info(s).pointee.partCount)
            b.scratch.removeAll(keepingCapacity: true)
            partDFAs.withUnsafeBufferPointer { dfas in
                for k in 0..<partCount {
                    let i = Int(parts[2 * k])
                    let t = dfas[i]!.table[Int(parts[2 * k + 1]) * dfas[i]!.classCount + Int(column[i * classCount + c])]
                    if t >= 0 { b.scratch.append(Int32(i)); b.scratch.append(t) }
                }
            }
            let n = b.scratch.count / 2
            var target = ByteDFA.dead
            if n == 1 {
                let key = WordKey(b.scratch[0], b.scratch[1])
                if let q = b.single[key] { target = q } else { let parts = b.scratch; target = createState(&b, parts, hash: 0) }
            } else if n > 1 {
                let h = Lexer.hashParts(b.scratch)
                if let q = findMulti(b, h) {
                    target = q
                } else {
                    if b.multiPart >= maxStates { return Lexer.overBudget }
                    b.multiPart += 1
                    let parts = b.scratch
                    target = createState(&b, parts, hash: h)
                }
            }
            cell.pointee.store(target, ordering: .releasing)
            return target
        }
    }

    private static func hashParts(_ parts: [Int32]) -> UInt64 {
        var h = StableHasher()
        var k = 0
        while k < parts.count {
            h.combine(WordKey(parts[k], parts[k + 1]).word)
            k += 2
        }
        return h.finalize()
    }

    private func findMulti(_ b: Builder, _ h: UInt64) -> Int32? {
        let mask = b.slots.count - 1
        var p = Int(truncatingIfNeeded: h >> 17) & mask
        while b.slots[p] != 0 {
            let r = Int(b.slots[p] - 1)
            if b.slotHashes[r] == h {
                let q = b.slotStates[r]
                let i = info(q).pointee
                if Int(i.partCount) * 2 == b.scratch.count {
                    var same = true
                    for k in 0..<b.scratch.count where i.parts[k] != b.scratch[k] { same = false; break }
                    if same { return q }
                }
            }
            p = (p + 1) & mask
        }
        return nil
    }

    private func insertMulti(_ b: inout Builder, _ r: Int) {
        let mask = b.slots.count - 1
        var p = Int(truncatingIfNeeded: b.slotHashes[r] >> 17) & mask
        while b.slots[p] != 0 { p = (p + 1) & mask }
        b.slots[p] = Int32(r + 1)
    }

    /// Creates the state of `parts` (pairs), indexes it (several parts: under `hash`, their
    /// `hashParts`) and returns its number.
    private func createState(_ b: inout Builder, _ parts: [Int32], hash: UInt64) -> Int32 {
        let n = parts.count / 2
        let q = b.stateCount
        let page = q >> Lexer.pageShift
        precondition(page < pageCapacity, "lexer state capacity exceeded")
        if q & (Lexer.pageSize - 1) == 0 {
            let cells = UnsafeMutablePointer<Atomic<Int32>>.allocate(capacity: Lexer.pageSize * classCount)
            for k in 0..<(Lexer.pageSize * classCount) { (cells + k).initialize(to: Atomic<Int32>(Lexer.unknown)) }
            let inside = UnsafeMutablePointer<Atomic<UnsafeRawPointer?>>.allocate(capacity: Lexer.pageSize)
            for k in 0..<Lexer.pageSize { (inside + k).initialize(to: Atomic<UnsafeRawPointer?>(nil)) }
            (pages + page).initialize(to: Page(info: .allocate(capacity: Lexer.pageSize), cells: cells, inside: inside))
        }
        let stored = b.partStorage(max(2 * n, 1))
        var acceptingCount = 0, firstAccepting = -1
        var hasExit = false
        // The parts' DFAs are read in place, through the buffer's addressor (a local copy of
        // each retained and released its arrays).
        partDFAs.withUnsafeBufferPointer { dfas in
            for k in 0..<n {
                stored[2 * k] = parts[2 * k]
                stored[2 * k + 1] = parts[2 * k + 1]
                let i = Int(parts[2 * k]), st = Int(parts[2 * k + 1])
                if dfas[i]!.accepting[st] {
                    if acceptingCount == 0 { firstAccepting = i }
                    acceptingCount += 1
                }
                if !hasExit {
                    let w = dfas[i]!.classCount
                    hasExit = dfas[i]!.table.withUnsafeBufferPointer { t in
                        for j in 0..<w where t[st * w + j] >= 0 { return true }
                        return false
                    }
                }
            }
        }
        var ignored = false
        var labels: [Int32] = []
        var width: Int32 = -1
        let endClass: Int32
        if acceptingCount == 1, firstAccepting != newlinePart {
            // One terminal ends here (most accepting states): its labels and end class are kept
            // per part, so they are built (and the class looked up) once per terminal, not
            // per state.
            let i = firstAccepting
            ignored = partIgnored[i]
            if b.partEnds.isEmpty { b.partEnds = Array(repeating: nil, count: partDFAs.count) }
            if b.partEnds[i] == nil {
                let own: [Int32] = ignored ? [] : [terminals[i]]
                b.partEnds[i] = (endClasses.id(own, ignored: ignored, width: -1), own)
            }
            (endClass, labels) = b.partEnds[i]!
        } else if acceptingCount == 0 {
            // Most states end nothing: a class numbered in advance.
            endClass = EndClasses.nothing
        } else {
            // Several terminals end here, or the indentation step's newline does.
            var accepting: [Int32] = []
            for k in 0..<n where partDFAs[Int(parts[2 * k])]!.accepting[Int(parts[2 * k + 1])] { accepting.append(parts[2 * k]) }
            if longest, let top = accepting.map({ partPriority[Int($0)] }).max() {
                accepting = accepting.filter { partPriority[Int($0)] == top }
            }
            ignored = accepting.contains { partIgnored[Int($0)] }
            labels = accepting.filter { !partIgnored[Int($0)] }.map { terminals[Int($0)] }
            if let nl = newlinePart, accepting.contains(Int32(nl)) {
                for k in 0..<n where Int(parts[2 * k]) == nl { width = newlineWidths[Int(parts[2 * k + 1])] }
            }
            endClass = endClasses.id(labels, ignored: ignored, width: width)
        }
        (pages[page].info + (q & (Lexer.pageSize - 1))).initialize(to: StateInfo(
            parts: stored, partCount: Int32(n), endClass: endClass, hasExit: hasExit, acceptsIgnored: ignored,
            labels: labels, endsLexeme: !labels.isEmpty || ignored, width: width))
        b.stateCount += 1
        if n == 1 {
            if b.single.isEmpty { b.single.reserveCapacity(16) }
            b.single[WordKey(parts[0], parts[1])] = Int32(q)
        } else {
            b.slotHashes.append(hash)
            b.slotStates.append(Int32(q))
            let r = b.slotStates.count - 1
            if (r + 1) * 2 > b.slots.count {
                b.slots = [Int32](repeating: 0, count: b.slots.count * 2)
                for j in 0...r { insertMulti(&b, j) }
            } else {
                insertMulti(&b, r)
            }
        }
        return Int32(q)
    }

    // MARK: - Inspection

    /// Every state reachable from the start, as a `ByteDFA` (states renumbered breadth-first;
    /// accepting = ends a lexeme), with each state's labels. Builds every transition; states
    /// past the budget are left out (their transitions dead). For DOT output and tests.
    func materialized() -> (dfa: ByteDFA, labels: [[Int32]]) {
        let representative = ByteDFA.classRepresentatives(UnsafeBufferPointer(start: byteClass, count: 256), count: classCount)
        var order: [Int32] = [start]
        var number: [Int32: Int32] = [start: 0]
        var table: [Int32] = []
        var i = 0
        while i < order.count {
            let s = order[i]
            i += 1
            for c in 0..<classCount {
                let t = next(s, representative[c])
                if t < 0 { table.append(ByteDFA.dead); continue }
                if let n = number[t] { table.append(n); continue }
                let n = Int32(order.count)
                number[t] = n
                order.append(t)
                table.append(n)
            }
        }
        let classes = (0..<256).map { byteClass[$0] }
        let dfa = ByteDFA(stateCount: order.count, start: 0, byteClass: classes, classCount: classCount, table: table,
                          accepting: order.map { endsLexeme($0) })
        return (dfa, order.map { labels($0) })
    }
}

/// Numbers the end classes of a grammar's lexers: one id per (labels, ends an ignored lexeme,
/// newline width), the same in every lexer, so a new lexer builds no table of its own (its
/// dictionary and a key array per class: fill instructions −0.6 % on every 45th maskbench-dev
/// file). Ids are opaque: compared, hashed and sorted, never indexed by. `id` is called under
/// a lexer's builder lock and takes only its own.
final class EndClasses: Sendable {
    /// The class of the states that end nothing.
    static let nothing: Int32 = 0
    private let table = Mutex<Table>(Table())

    private struct Table {
        var ids: [IntListKey<Int32>: Int32] = [EndClasses.key([], ignored: false, width: -1): EndClasses.nothing]
        /// The classes of one label (not ignored, no width) by that label: the common case
        /// looked up without building a key.
        var single: [Int32: Int32] = [:]
    }

    init() {}

    func id(_ labels: [Int32], ignored: Bool, width: Int32) -> Int32 {
        let one = labels.count == 1 && !ignored && width == -1 ? labels[0] : nil
        return table.withLock { t in
            if let one, let c = t.single[one] { return c }
            let k = EndClasses.key(labels, ignored: ignored, width: width)
            let c = t.ids[k] ?? Int32(t.ids.count)
            t.ids[k] = c
            if let one { t.single[one] = c }
            return c
        }
    }

    /// The labels, whether an ignored lexeme ends, and the newline width (ending in states of
    /// different widths produces different indentation: apart).
    private static func key(_ labels: [Int32], ignored: Bool, width: Int32) -> IntListKey<Int32> {
        IntListKey(labels + [ignored ? -1 : -2, width])
    }
}
