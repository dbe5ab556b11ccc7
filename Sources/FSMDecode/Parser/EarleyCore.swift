/// The scratch a new `EarleyCore` starts with: empty, shared, never written (a core takes
/// its own on the first set it closes).
private let noIndexSlots = ScratchBuffer<UInt64>(count: 0, value: 0)
private let noCloseWork = ScratchBuffer<Int32>(count: 0, value: 0)
private let noPredictStamp = ScratchBuffer<UInt32>(count: 0, value: 0)

/// An Earley item: a dotted production (`ParseTables.dottedSymbol`: production and dot in
/// one index, so advancing the dot is `+ 1`) and the chart set where it started.
struct EarleyItem: Hashable, Sendable {
    var dotted: Int32
    var origin: Int32
}

/// A chart set's place: its first item's index (in its core's item array), the input
/// position it is at, and the indentation state parsing on from it reads (`IndentationTracker`;
/// 0 without indentation; a set is made by the lexeme ending there, so it is a function of
/// the set).
struct ChartSet: Sendable {
    var start: Int32
    var position: Int32
    var indent: Int32
}

/// A lexeme in progress: the lexer of the set where it started, its DFA state, that set, and
/// the byte position where the lexeme began.
struct LexThread: Hashable, Sendable {
    var lexer: Int32
    var state: Int32
    var set: Int32
    var start: Int32
}

/// The incremental Earley-over-lexemes parser, driven byte by byte.
///
/// State: an append-only chart (sets of items at lexeme boundaries, in `items`/`setInfo`),
/// the byte position of each set, and an append-only log of lexer threads; `checkpoints[i]`
/// records the array lengths and the current thread range after i pushed bytes, so undoing
/// bytes is a truncation (`pop(to:)`). No recursion: closure is a worklist over the set.
///
/// A core may sit on top of a read-only *base* chart (another core's sets, shared without
/// copying): set indices below `baseSets` read the base. Mask walks use such overlays so a
/// matcher's chart is never copied.
///
/// Semantics per `ParseTables.lexing`:
/// - `.characterLevel`: every thread whose DFA reaches an accepting state completes its
///   terminals into a new set at that position (any split); threads keep running while their
///   DFA can continue. Terminals matching the empty string are stepped over at prediction.
/// - `.longestMatch`: one thread; a lexeme ends only when the next byte cannot continue its
///   DFA state (greedy), and then completes the highest-priority terminals accepting there
///   (ignored ones leave the set unchanged).
/// Cost per byte: O(threads) DFA steps, plus an Earley closure per completed lexeme.
struct EarleyCore {
    struct Checkpoint {
        var sets: Int32
        var items: Int32
        var threadLo: Int32
        var threadHi: Int32
        var position: Int32
    }

    let tables: ParseTables
    let longest: Bool
    // Read-only base chart (empty for a matcher's own core; replaced by `rebase`).
    private(set) var baseItems: [EarleyItem] = []
    private(set) var baseSetInfo: [ChartSet] = []
    private(set) var baseSets: Int32 = 0
    /// The base's completion index (see `waitStart`).
    private(set) var baseWaitStart: [Int32] = []
    private(set) var baseWaitSym: [Int32] = []
    private(set) var baseWaitItem: [Int32] = []
    // Own chart: set baseSets + j has items[setInfo[j].start ..< setInfo[j+1].start or items.count].
    var items: [EarleyItem] = []
    /// Per own set: where its items start, its position and indentation state (one array, so
    /// a mask walk's commit appends and truncates one array, not three).
    var setInfo: [ChartSet] = []
    var threadLog: [LexThread] = []
    var checkpoints: [Checkpoint] = []
    /// Completion index of a root core's closed sets (overlays index none of theirs): own set j's
    /// items that wait on a nonterminal are `waitItem[waitStart[j] ..< next start]`, sorted by
    /// that nonterminal (`waitSym`), then by item. Completing a rule into set j then reads only
    /// its parents (binary search) instead of scanning the set: the sets of enclosing arrays and
    /// objects are completed into by many commits of every mask walk.
    private var waitStart: [Int32] = []
    private var waitSym: [Int32] = []
    private var waitItem: [Int32] = []
    /// Per closed own set of a root core (kept with the wait index): a 128-bit hash of the part
    /// of the chart that parsing on from that set can read (`contextA`/`contextB`) — its items
    /// that still expect a symbol, each with its origin set replaced by that set's ancestor
    /// hash (`chainA`/`chainB`; an item predicted in the set itself gets a fixed tag). Scanning
    /// reads those items; completion reads only the origins' items that wait on a nonterminal
    /// (and theirs in turn), so an origin counts by those alone: its items waiting on a
    /// terminal are scanned only when it is the set a lexeme starts at, never on the way up (a
    /// set left by a whitespace lexeme and one where whitespace may still come read alike from
    /// below). A completed item has already done its completions into the set (an ignored
    /// lexeme's copy of the set repeats them, adding nothing new). So two sets with equal
    /// context hashes (at any positions, whatever lies between the sets they reach) parse every
    /// continuation alike: equal mask walks (`MaskMemoKey`). This is what lets a statement's or
    /// an array element's masks recur at the next one. Two independent 64-bit hashes make a
    /// false match about 2⁻¹²⁸: A is the project's `StableHasher` over A-hashes of origins, B a
    /// multiply-rotate family of its own (other rotation and constants) over B-hashes.
    private var chainA: [UInt64] = []
    private var chainB: [UInt64] = []
    private var contextA: [UInt64] = []
    private var contextB: [UInt64] = []
    /// Depth-limited context hashes (`setContext(ofSet:)`), `contextLevels` per closed own set
    /// of a root core (set j, level d at `j * contextLevels + d - 1`), over the set's items that
    /// still expect a symbol and have an origin below it, each origin replaced by its level
    /// d - 1 hash (level 0: a cut). The items predicted in the set itself are left out: they
    /// follow from those (the prediction closure of the symbols they expect). So a set d hops
    /// below j counts with its items only when d < levels: two sets with equal level-L hashes
    /// parse alike every continuation that reads sets at most L - 1 hops down
    /// (`originChainLength`). Sums of per-item mixes (a set's items are distinct).
    private var levelA: [UInt64] = []
    private var levelB: [UInt64] = []
    /// `indexSet`'s items with an origin below their set (kept between calls).
    private var levelKernel: [EarleyItem] = []
    /// Per closed own set of a root core: the distinct origins below it of its items that still
    /// expect a symbol (`kernelOrigins[kernelOriginStart[j] ..< next start]`; the edges
    /// `originChainLength` follows). An overlay reads its base's (`baseKernelOriginStart`).
    private var kernelOriginStart: [Int32] = []
    private var kernelOrigins: [Int32] = []
    private var baseKernelOriginStart: [Int32] = []
    private var baseKernelOrigins: [Int32] = []
    /// The number of depth-limited context hashes per set.
    static let contextLevels = 8
    /// The lowest base set an overlay's completions read since this was last set to `.max`:
    /// how far down the base chart a mask walk depends on. (A walk scans no base set but its
    /// lexeme's start set, which callers count in themselves.)
    var lowestBaseRead: Int32 = .max
    /// A budget error met while building a lexer (the push that met it failed).
    var error: FSMDecodeError?

    // Closing a set writes three scratch tables per item it adds; as arrays they cost a
    // uniqueness check per write (four per added item: most of a commit's instructions), so
    // they are `ScratchBuffer`s, made unshared once per set (`resetIndex`, `close`). A new
    // core starts with shared empty ones (no allocation until it closes a set).
    /// Duplicate check for the open (last) set: an open-addressing table, per slot
    /// `generation << 32 | (item index + 1)`, live where the generation is `indexGeneration`
    /// (so starting a set is O(1)). Invariant: it indexes exactly `items[openStart...]`. Load
    /// factor kept under 1/2; a power-of-two size.
    private var indexSlots = noIndexSlots
    private var indexGeneration: UInt32 = 0
    private var indexCount = 0
    private var openStart = 0
    /// `close`'s worklist (item indices; `closeWorkCount` used), kept between calls.
    private var closeWork = noCloseWork
    private var closeWorkCount = 0
    /// Rules predicted in the open set: stamped with `predictGeneration` (bumped per set, so
    /// starting a set is O(1)); sized to the rules on the first set.
    private var predictStamp = noPredictStamp
    private var predictGeneration: UInt32 = 0
    /// Lexers met by this core, newest last: terminal sets as bitsets of
    /// `PredictionClosures.terminalWords` words concatenated in `memoBits`, their lexer ids and
    /// DFA start states. Saves the registry's lock and hash for the few distinct sets a core
    /// meets; at most `memoLimit` entries.
    private var memoBits: [UInt64] = []
    private var memoLexer: [Int32] = []
    private var memoStart: [Int32] = []
    private static let memoLimit = 16

    /// A fresh parser at position 0 with the start rule predicted.
    init(tables: ParseTables) {
        self.init(tables: tables, items: [], setInfo: [])
        beginSet(position: 0, indent: IndentationTracker.initial)
        predict(tables.start, into: 0)
        close(from: 0)
        let th = threadFor(set: 0, position: 0)
        if let th { threadLog.append(th) }
        checkpoints = [Checkpoint(sets: Int32(setInfo.count), items: Int32(items.count), threadLo: 0,
                                  threadHi: Int32(threadLog.count), position: 0)]
    }

    /// An overlay over `base`'s chart (as of now), with no own sets and no threads yet.
    init(overlaying base: EarleyCore) {
        self.tables = base.tables
        self.longest = base.longest
        self.memoBits = base.memoBits
        self.memoLexer = base.memoLexer
        self.memoStart = base.memoStart
        rebase(onto: base)
    }

    /// Makes this core an overlay over `base`'s chart (as of now) at its position, with no own
    /// sets and no threads (`init(overlaying:)`, and reuse of a pooled one), keeping its own buffers' capacity and its lexer memo (same tables): a
    /// reused overlay allocates nothing once its buffers have grown.
    mutating func rebase(onto base: EarleyCore) {
        precondition(base.baseSets == 0 && base.tables === tables, "overlays sit on a root core of the same tables")
        baseItems = base.items
        baseSetInfo = base.setInfo
        baseSets = Int32(base.setInfo.count)
        baseWaitStart = base.waitStart
        baseWaitSym = base.waitSym
        baseWaitItem = base.waitItem
        baseKernelOriginStart = base.kernelOriginStart
        baseKernelOrigins = base.kernelOrigins
        restartAt(position: base.position, threads: [])
    }

    /// Lets go of the base chart (an overlay kept for reuse must not hold the matcher's arrays:
    /// the matcher's next append would copy them); `rebase` before using it again.
    mutating func dropBase() {
        baseItems = []; baseSetInfo = []
        baseWaitStart = []; baseWaitSym = []; baseWaitItem = []
        baseKernelOriginStart = []; baseKernelOrigins = []
        baseSets = 0
        restartAt(position: 0, threads: [])
    }

    // MARK: - Reading

    var position: Int32 { checkpoints[checkpoints.count - 1].position }
    var setCount: Int32 { baseSets + Int32(setInfo.count) }
    var currentThreads: ArraySlice<LexThread> {
        let c = checkpoints[checkpoints.count - 1]
        return threadLog[Int(c.threadLo)..<Int(c.threadHi)]
    }

    /// `currentThreads` as indices for `thread(at:)` (a slice retains the log; a mask fill
    /// reads the threads without that).
    var currentThreadRange: Range<Int> {
        let c = checkpoints[checkpoints.count - 1]
        return Int(c.threadLo)..<Int(c.threadHi)
    }

    @inline(__always) func thread(at i: Int) -> LexThread { threadLog[i] }

    @inline(__always) func positionOf(set k: Int32) -> Int32 {
        k < baseSets ? baseSetInfo[Int(k)].position : setInfo[Int(k - baseSets)].position
    }

    @inline(__always) func indentOf(set k: Int32) -> Int32 {
        k < baseSets ? baseSetInfo[Int(k)].indent : setInfo[Int(k - baseSets)].indent
    }

    /// Set k's items: `baseItems[lo..<hi]` when `fromBase`, else `items[lo..<hi]`.
    @inline(__always) func itemRange(ofSet k: Int32) -> (fromBase: Bool, lo: Int, hi: Int) {
        if k < baseSets {
            let hi = Int(k) + 1 < baseSetInfo.count ? Int(baseSetInfo[Int(k) + 1].start) : baseItems.count
            return (true, Int(baseSetInfo[Int(k)].start), hi)
        }
        let j = Int(k - baseSets)
        return (false, Int(setInfo[j].start), j + 1 < setInfo.count ? Int(setInfo[j + 1].start) : items.count)
    }

    /// Calls `body` with each item of set k (base or own).
    @inline(__always) func forEachItem(inSet k: Int32, _ body: (EarleyItem) -> Void) {
        let (fromBase, lo, hi) = itemRange(ofSet: k)
        if fromBase { for i in lo..<hi { body(baseItems[i]) } } else { for i in lo..<hi { body(items[i]) } }
    }

    /// The symbol after the dot (packed as `GrammarSymbol.raw`), or nil when complete.
    @inline(__always) func nextSymbol(_ it: EarleyItem) -> Int32? {
        let s = tables.dottedSymbol[Int(it.dotted)]
        return s == ParseTables.endOfProduction ? nil : s
    }

    /// Set k holds a completed start production begun at set 0.
    func isComplete(set k: Int32) -> Bool {
        var found = false
        forEachItem(inSet: k) { it in
            if !found && it.origin == 0 && tables.dottedRule[Int(it.dotted)] == tables.start && nextSymbol(it) == nil {
                found = true
            }
        }
        return found
    }

    /// The set whose position is the current position, if the last lexeme ended here.
    var setAtPosition: Int32? {
        let k = setCount - 1
        return k >= 0 && positionOf(set: k) == position ? k : nil
    }

    /// The output so far is a complete sentence.
    func isAccepting() -> Bool {
        if !longest {
            guard let k = setAtPosition else { return false }
            return isComplete(set: k)
        }
        guard let th = currentThreads.first else { return false }
        // The set the output ends in: the current lexeme committed (on an overlay) unless empty.
        var k = th.set
        var o: EarleyCore? = nil
        if th.start != position {
            let l = tables.lexer(id: th.lexer)
            let labels = l.labels(th.state)
            if labels.isEmpty {
                guard l.acceptsIgnored(th.state) else { return false }
            } else {
                o = overlay()
                k = o!.commit(from: th.set, labels: labels, ignored: l.acceptsIgnored(th.state), width: l.width(th.state), position: position)
            }
        }
        guard o != nil else { return endsInput(at: k) }
        // The indentation step closes the blocks still open, one dedent each.
        if let ind = tables.indentation, ind.openBlocks(o!.indentOf(set: k)) > 0 { k = o!.closeOpenBlocks(after: k, ind) }
        return o!.isComplete(set: k)
    }

    /// The end of the input after set k: one `dedent` set per block open at k; returns the
    /// last (k itself when none is open).
    private mutating func closeOpenBlocks(after k: Int32, _ ind: IndentationTracker) -> Int32 {
        let state = indentOf(set: k)
        var j = k
        for _ in 0..<ind.openBlocks(state) { j = scanSet(from: j, labels: [ind.dedent], ignored: false, indent: state, position: position) }
        return j
    }

    /// Set k holds a complete sentence if the input ends there (once the indentation step has
    /// closed the blocks open at k).
    private func endsInput(at k: Int32) -> Bool {
        guard let ind = tables.indentation, ind.openBlocks(indentOf(set: k)) > 0 else { return isComplete(set: k) }
        // Without an item waiting for a dedent the first one fails: no overlay needed.
        var waits = false
        forEachItem(inSet: k) { it in if !waits && nextSymbol(it) == ~ind.dedent { waits = true } }
        guard waits else { return false }
        var o = overlay()
        return o.isComplete(set: o.closeOpenBlocks(after: k, ind))
    }

    /// A core over this one's chart (copies nothing), at the current position and threads.
    func overlay() -> EarleyCore {
        if baseSets != 0 {
            // Overlays of overlays: copy this one (small: walks only) and overlay that.
            var root = EarleyCore(overlaying: self.flattenedRoot())
            root.restartAt(position: position, threads: Array(currentThreads))
            return root
        }
        var o = EarleyCore(overlaying: self)
        o.restartAt(position: position, threads: Array(currentThreads))
        return o
    }

    /// A root core holding base + own sets (used only for overlays of overlays).
    private func flattenedRoot() -> EarleyCore {
        var r = self
        var allItems = baseItems, allSets = baseSetInfo
        let shift = Int32(baseItems.count)
        allItems += items
        allSets += setInfo.map { ChartSet(start: $0.start + shift, position: $0.position, indent: $0.indent) }
        r = EarleyCore(tables: tables, items: allItems, setInfo: allSets)
        for j in r.setInfo.indices { r.indexSet(j) }
        return r
    }

    private init(tables: ParseTables, items: [EarleyItem], setInfo: [ChartSet]) {
        self.tables = tables
        self.longest = tables.lexing == .longestMatch
        self.items = items
        self.setInfo = setInfo
    }

    // MARK: - Overlay setup

    /// Resets an overlay to `threads` at `position`, with no own sets.
    mutating func restartAt(position: Int32, threads: [LexThread]) {
        items.removeAll(keepingCapacity: true)
        setInfo.removeAll(keepingCapacity: true)
        threadLog.removeAll(keepingCapacity: true)
        threadLog.append(contentsOf: threads)
        checkpoints.removeAll(keepingCapacity: true)
        checkpoints.append(Checkpoint(sets: 0, items: 0, threadLo: 0, threadHi: Int32(threadLog.count), position: position))
        error = nil
    }

    /// Resets an overlay to the state right after a lexeme ending at `position` completed
    /// `labels` (and/or an ignored terminal) begun at set `from`: its only thread is the next
    /// lexeme's. Returns false when nothing can follow (no thread and no completed set).
    mutating func restartAfterCommit(from: Int32, labels: [Int32], ignored: Bool, width: Int32, position: Int32) {
        restartAt(position: position, threads: [])
        let k = commit(from: from, labels: labels, ignored: ignored, width: width, position: position)
        if let th = threadFor(set: k, position: position) { threadLog.append(th) }
        checkpoints[0] = Checkpoint(sets: Int32(setInfo.count), items: Int32(items.count), threadLo: 0,
                                    threadHi: Int32(threadLog.count), position: position)
    }

    // MARK: - Lexeme-end walks (masks)

    /// The own chart's length, to undo walk commits with `truncate(to:)`.
    struct Mark: Equatable, Comparable {
        var sets: Int32
        var items: Int32
        static func < (a: Mark, b: Mark) -> Bool { (a.sets, a.items) < (b.sets, b.items) }
    }
    var mark: Mark { Mark(sets: Int32(setInfo.count), items: Int32(items.count)) }

    /// Drops the own sets and items added after `m` (walk commits only; threads and
    /// checkpoints are not touched).
    @inline(__always) mutating func truncate(to m: Mark) {
        if items.count > Int(m.items) { items.removeSubrange(Int(m.items)...) }
        if setInfo.count > Int(m.sets) {
            setInfo.removeSubrange(Int(m.sets)...)
            truncateWaitIndex(sets: Int(m.sets))
        }
    }

    /// Mask walks: a lexeme matching `labels` (and/or an ignored terminal) begun at set `from`
    /// ends at the current position; appends its set (unless only an ignored terminal matched)
    /// and returns the next lexeme's thread, or nil when that set expects no byte terminal.
    /// Undo with `truncate(to:)`.
    mutating func commitThread(from: Int32, labels: [Int32], ignored: Bool, width: Int32) -> LexThread? {
        let k = commit(from: from, labels: labels, ignored: ignored, width: width, position: position)
        return threadFor(set: k, position: position)
    }

    // MARK: - Pushing and popping bytes

    /// Undoes pushes until `count` remain (`checkpoints.count == count + 1`).
    @inline(__always) mutating func pop(to count: Int) {
        guard checkpoints.count > count + 1 else { return }
        checkpoints.removeSubrange((count + 1)...)
        drop(after: checkpoints[count])
    }

    /// Drops the sets, items and threads added after checkpoint `c`.
    @inline(__always) private mutating func drop(after c: Checkpoint) {
        truncate(to: Mark(sets: c.sets, items: c.items))
        threadLog.removeSubrange(Int(c.threadHi)...)
    }

    var pushedCount: Int { checkpoints.count - 1 }

    /// Advances by one byte; false (and nothing changed) when the output would stop being viable.
    mutating func push(_ b: UInt8) -> Bool {
        let c = checkpoints[checkpoints.count - 1]
        let newLo = Int32(threadLog.count)
        let ok = longest ? pushLongest(b, c) : pushCharacterLevel(b, c)
        if !ok {
            drop(after: c)
            return false
        }
        checkpoints.append(Checkpoint(sets: Int32(setInfo.count), items: Int32(items.count), threadLo: newLo,
                                      threadHi: Int32(threadLog.count), position: c.position + 1))
        return true
    }

    private mutating func pushCharacterLevel(_ b: UInt8, _ c: Checkpoint) -> Bool {
        let pos = c.position + 1
        var newSet: Int32 = -1
        var i = Int(c.threadLo)
        while i < Int(c.threadHi) {
            let th = threadLog[i]
            i += 1
            let l = tables.lexer(id: th.lexer)
            let q = l.next(th.state, b)
            if q < 0 {
                if q == Lexer.overBudget { error = l.budgetError }
                continue
            }
            if l.hasExit(q) { threadLog.append(LexThread(lexer: th.lexer, state: q, set: th.set, start: th.start)) }
            let labels = l.labels(q)
            if labels.isEmpty { continue }
            if newSet < 0 { newSet = setCount; beginSet(position: pos, indent: IndentationTracker.initial) }
            scan(from: th.set, labels: labels)
        }
        if newSet >= 0 {
            close(from: Int(setInfo[Int(newSet - baseSets)].start))
            if let th = threadFor(set: newSet, position: pos) { threadLog.append(th) }
            if error != nil { return false }
            return true
        }
        if error != nil { return false }
        return threadLog.count > Int(c.threadHi)
    }

    private mutating func pushLongest(_ b: UInt8, _ c: Checkpoint) -> Bool {
        guard c.threadHi > c.threadLo else { return false }
        let th = threadLog[Int(c.threadLo)]
        let l = tables.lexer(id: th.lexer)
        let q = l.next(th.state, b)
        if q == Lexer.overBudget { error = l.budgetError; return false }
        if q >= 0 {
            threadLog.append(LexThread(lexer: th.lexer, state: q, set: th.set, start: th.start))
            return true
        }
        // The lexeme must end before b: it must be non-empty and accepting.
        guard th.start < c.position else { return false }
        let labels = l.labels(th.state)
        let ignored = l.acceptsIgnored(th.state)
        guard !labels.isEmpty || ignored else { return false }
        let k = commit(from: th.set, labels: labels, ignored: ignored, width: l.width(th.state), position: c.position)
        guard let next = (k == th.set ? LexThread(lexer: th.lexer, state: l.start, set: k, start: c.position)
                                      : threadFor(set: k, position: c.position)) else { return false }
        let nl = tables.lexer(id: next.lexer)
        let q2 = nl.next(next.state, b)
        if q2 == Lexer.overBudget { error = nl.budgetError; return false }
        guard q2 >= 0 else { return false }
        threadLog.append(LexThread(lexer: next.lexer, state: q2, set: k, start: c.position))
        return true
    }

    /// Completes a lexeme: a new set at `position` with the items of set `from` advanced over
    /// `labels` (plus all of set `from`'s items when an ignored terminal also matched), closed.
    /// Only an ignored match (no labels) returns `from` itself: the chart does not change.
    ///
    /// With indentation (`tables.indentation`), the lexeme also moves the set's indentation
    /// state: a bracket opens or closes; a newline lexeme (`width`: its lexer state's
    /// `Lexer.width`) is dropped inside brackets (as if ignored) and outside them is followed
    /// by the `indent`/`dedent` sets it produces, each at the same position; the last set is
    /// returned. A move the indentation step rejects returns an empty set. A newline lexeme
    /// that an ignored terminal also matches is the newline (Lark's lexer picks one).
    @discardableResult
    mutating func commit(from: Int32, labels: [Int32], ignored: Bool, width: Int32, position: Int32) -> Int32 {
        if labels.isEmpty { return from }
        guard let ind = tables.indentation else {
            return scanSet(from: from, labels: labels, ignored: ignored, indent: IndentationTracker.initial, position: position)
        }
        let state = indentOf(set: from)
        if labels.contains(ind.newline) {
            if ind.bracketDepth(state) > 0 {
                let rest = labels.filter { $0 != ind.newline }
                if rest.isEmpty { return from }
                return scanSet(from: from, labels: rest, ignored: ignored, indent: state, position: position)
            }
            guard let (next, indents, dedents) = ind.afterNewline(state, width: width) else {
                return scanSet(from: from, labels: [], ignored: false, indent: state, position: position)
            }
            var k = scanSet(from: from, labels: [ind.newline], ignored: false, indent: next, position: position)
            for i in 0..<(indents + dedents) {
                k = scanSet(from: k, labels: [i < indents ? ind.indent : ind.dedent], ignored: false, indent: next, position: position)
            }
            return k
        }
        var next = state
        for t in labels {
            let d = ind.bracketDelta(t)
            if d == 0 { continue }
            guard let moved = ind.afterBracket(state, delta: d) else {
                return scanSet(from: from, labels: [], ignored: false, indent: state, position: position)
            }
            next = moved
            break
        }
        return scanSet(from: from, labels: labels, ignored: ignored, indent: next, position: position)
    }

    /// A new set at `position` with indentation state `indent`: the items of set `from`
    /// advanced over `labels` (plus all of its items when `ignored`), closed.
    private mutating func scanSet(from: Int32, labels: [Int32], ignored: Bool, indent: Int32, position: Int32) -> Int32 {
        let k = setCount
        beginSet(position: position, indent: indent)
        scan(from: from, labels: labels)
        if ignored {
            var copy: [EarleyItem] = []
            forEachItem(inSet: from) { copy.append($0) }
            for it in copy { add(it) }
        }
        close(from: Int(setInfo[Int(k - baseSets)].start))
        return k
    }

    /// Accepts a whole vocabulary token as a token terminal at the current position (after its
    /// bytes, if any, were pushed by the caller into `self`): items of `at` expecting a token
    /// terminal that matches `id` advance into the set at the current position (created, or
    /// extended and re-closed). Returns whether any item advanced.
    mutating func scanToken(_ id: Int32, at k0: Int32) -> Bool {
        var kernel: [EarleyItem] = []
        forEachItem(inSet: k0) { it in
            if let s = nextSymbol(it), s < 0, let tok = tables.terminals[Int(~s)].token, (tok.id == id) != tok.negated {
                var a = it; a.dotted += 1; kernel.append(a)
            }
        }
        if kernel.isEmpty { return false }
        let pos = position
        let c = checkpoints[checkpoints.count - 1]
        if let k = setAtPosition, k >= baseSets, k != k0 {
            // Extend the last set (created by this step's bytes) and re-close it.
            let j = Int(k - baseSets)
            resetIndex(openStart: Int(setInfo[j].start))
            newPredictionGeneration()
            for i in Int(setInfo[j].start)..<items.count {
                _ = indexInsert(items[i], at: i)
                let it = items[i]
                // Items of origin k come only from `predict` (each rule's whole block at once).
                if it.origin == k { predictStamp.base[Int(tables.dottedRule[Int(it.dotted)])] = predictGeneration }
            }
            let from = items.count
            for it in kernel { add(it) }
            close(from: from)
            // Replace this set's thread with one over its enlarged expectations.
            var lo = Int(c.threadLo)
            while lo < threadLog.count {
                if threadLog[lo].set == k { threadLog.remove(at: lo) } else { lo += 1 }
            }
            if let th = threadFor(set: k, position: pos) { threadLog.append(th) }
        } else {
            let k = setCount
            beginSet(position: pos, indent: indentOf(set: k0))
            for it in kernel { add(it) }
            close(from: Int(setInfo[Int(k - baseSets)].start))
            if let th = threadFor(set: k, position: pos) { threadLog.append(th) }
        }
        checkpoints[checkpoints.count - 1] = Checkpoint(sets: Int32(setInfo.count), items: Int32(items.count), threadLo: c.threadLo,
                                                        threadHi: Int32(threadLog.count), position: pos)
        return true
    }

    /// Appends an empty checkpoint-less step at `position` (used before `scanToken` when a
    /// token has no grammar bytes).
    mutating func advanceWithoutBytes(by n: Int32) {
        let c = checkpoints[checkpoints.count - 1]
        checkpoints.append(Checkpoint(sets: c.sets, items: c.items, threadLo: c.threadHi, threadHi: c.threadHi,
                                      position: c.position + n))
    }

    // MARK: - Earley machinery

    private mutating func beginSet(position: Int32, indent: Int32) {
        setInfo.append(ChartSet(start: Int32(items.count), position: position, indent: indent))
        resetIndex(openStart: items.count)
        newPredictionGeneration()
    }

    private mutating func resetIndex(openStart: Int) {
        self.openStart = openStart
        indexCount = 0
        // A copy of this core (`var b = a`) may share the table: take a fresh one (the open
        // set is re-indexed whole whenever it is extended, so no entry needs to survive).
        if ScratchBuffer.makeUnique(&indexSlots, minimumCount: 64, value: 0) { indexGeneration = 0 }
        indexGeneration &+= 1
        if indexGeneration == 0 {
            indexSlots.base.update(repeating: 0, count: indexSlots.count)
            indexGeneration = 1
        }
    }

    /// The item's slot hash (the high half picks the slot). Fully mixed: a multiply alone
    /// carries only upwards, so the dotted production (shifted high) would never reach the
    /// slot bits, and the items of a set sharing one origin would all probe from one slot.
    @inline(__always) private static func slotHash(_ it: EarleyItem) -> UInt64 {
        StampedSetTable.mix64(UInt64(UInt32(bitPattern: it.dotted)) << 32 ^ UInt64(UInt32(bitPattern: it.origin)))
    }

    /// Indexes `it`, to be `items[i]`, unless an equal item of the open set is indexed;
    /// returns whether it was new. Grows (rehashing `items[openStart ..< i]`) past load 1/2.
    @inline(__always) private mutating func indexInsert(_ it: EarleyItem, at i: Int) -> Bool {
        if (indexCount + 1) * 2 > indexSlots.count { growIndex(upTo: i) }
        let slots = indexSlots.base
        let mask = indexSlots.count - 1
        let live = UInt64(indexGeneration) << 32
        var h = Int(truncatingIfNeeded: EarleyCore.slotHash(it) >> 32) & mask
        while slots[h] & 0xFFFF_FFFF_0000_0000 == live {
            if items[Int(truncatingIfNeeded: slots[h] & 0xFFFF_FFFF) - 1] == it { return false }
            h = (h + 1) & mask
        }
        slots[h] = live | UInt64(i + 1)
        indexCount += 1
        return true
    }

    /// Doubles the table and re-indexes `items[openStart ..< end]`, leaving out the open
    /// set's predicted items (origin k: `predict` adds them unindexed, never looked up).
    private mutating func growIndex(upTo end: Int) {
        let n = max(indexSlots.count * 2, 64)
        indexSlots = ScratchBuffer(count: n, value: 0)
        indexGeneration = 1
        indexCount = 0
        let slots = indexSlots.base
        let mask = n - 1
        let live = UInt64(indexGeneration) << 32
        let k = setCount - 1
        var i = openStart
        while i < end {
            if items[i].origin == k { i += 1; continue }
            var h = Int(truncatingIfNeeded: EarleyCore.slotHash(items[i]) >> 32) & mask
            while slots[h] & 0xFFFF_FFFF_0000_0000 == live { h = (h + 1) & mask }
            slots[h] = live | UInt64(i + 1)
            indexCount += 1
            i += 1
        }
    }

    /// Adds an item to the open (last) set unless present.
    @discardableResult @inline(__always) private mutating func add(_ it: EarleyItem) -> Bool {
        if !indexInsert(it, at: items.count) { return false }
        items.append(it)
        return true
    }

    /// Kernel of a new set: items of `from` expecting one of `labels`, advanced.
    private mutating func scan(from: Int32, labels: [Int32]) {
        // `from` is never the open set, so adding while reading it is safe.
        let (fromBase, lo, hi) = itemRange(ofSet: from)
        for i in lo..<hi {
            let it = fromBase ? baseItems[i] : items[i]
            if let s = nextSymbol(it), s < 0, labels.contains(~s) {
                var a = it; a.dotted += 1; add(a)
            }
        }
    }

    /// A new generation of `predictStamp` (no rule predicted in the open set).
    @inline(__always) private mutating func newPredictionGeneration() {
        if ScratchBuffer.makeUnique(&predictStamp, minimumCount: max(tables.ruleNames.count, 1), value: 0) { predictGeneration = 0 }
        predictGeneration &+= 1
        if predictGeneration == 0 {
            predictStamp.base.update(repeating: 0, count: predictStamp.count)
            predictGeneration = 1
        }
    }

    /// Predicts rule `s` in the open set k (unless it already is): every rule of its
    /// prediction closure not yet predicted gets its productions at dot 0, each also advanced
    /// over its nullable prefix (Aycock–Horspool), all with origin k. No duplicate checks: items
    /// of origin k come only from here, once per rule, and need no processing by `close` (their
    /// predictions are in the closure, their advances are added here, and one completed at k
    /// derived the empty string, whose parents were advanced when they were).
    @inline(__always) private mutating func predict(_ s: Int32, into k: Int32) {
        let stamp = predictStamp.base
        if stamp[Int(s)] == predictGeneration { return }
        let t = tables
        for r in t.predictions.closure(of: s, t) where stamp[Int(r)] != predictGeneration {
            stamp[Int(r)] = predictGeneration
            // The rule's items (`ParseTables.predictedItems`) appended in one block.
            let lo = Int(t.predictedItemStart[Int(r)]), n = Int(t.predictedItemStart[Int(r) + 1]) - lo
            let at = items.count
            items.append(contentsOf: repeatElement(EarleyItem(dotted: 0, origin: k), count: n))
            items.withUnsafeMutableBufferPointer { out in
                t.predictedItems.withUnsafeBufferPointer { dotted in
                    for j in 0..<n { out[at + j].dotted = dotted[lo + j] }
                }
            }
        }
    }

    /// Predict/complete closure of the open set from item index `i0` (a worklist; no recursion).
    /// Items of origin k are `predict`'s and need nothing more; the others (the kernel and the
    /// parents completion advances) predict, step over nullable symbols and complete.
    private mutating func close(from i0: Int) {
        let k = setCount - 1
        let t = tables
        // The worklist holds the other items only, in index order (the order a scan of the
        // whole set would meet them in, so the set comes out the same): a set's predicted
        // items far outnumber its kernel and completions, and scanning past them cost more
        // than the predictions themselves. Every item `add` appends has an origin below k.
        // Used in place: taking the buffer out of `self` for the call (to keep it local) cost a
        // retain and two releases per closure (every commit of a mask walk closes a set).
        ScratchBuffer.makeUnique(&closeWork, minimumCount: 64, value: 0)
        closeWorkCount = 0
        @inline(__always) func enqueue(_ i: Int) {
            if closeWorkCount == closeWork.count {
                let grown = ScratchBuffer<Int32>(count: closeWork.count * 2, value: 0)
                grown.base.update(from: closeWork.base, count: closeWorkCount)
                closeWork = grown
            }
            closeWork.base[closeWorkCount] = Int32(truncatingIfNeeded: i)
            closeWorkCount += 1
        }
        for i in i0..<items.count where items[i].origin != k { enqueue(i) }
        @inline(__always) func push(_ a: EarleyItem) { if add(a) { enqueue(items.count - 1) } }
        var w = 0
        while w < closeWorkCount {
            let it = items[Int(closeWork.base[w])]
            w += 1
            if let s = nextSymbol(it) {
                if s >= 0 {
                    predict(s, into: k)
                    if t.nullable[Int(s)] { var a = it; a.dotted += 1; push(a) }
                } else if t.terminalNullable[Int(~s)] {
                    var a = it; a.dotted += 1; push(a)
                }
            } else {
                let lhs = t.dottedRule[Int(it.dotted)]
                if let (fromBase, lo, hi) = waitRange(set: it.origin, symbol: lhs) {
                    if fromBase && it.origin < lowestBaseRead { lowestBaseRead = it.origin }
                    for j in lo..<hi {
                        var a = fromBase ? baseItems[Int(baseWaitItem[j])] : items[Int(waitItem[j])]
                        a.dotted += 1
                        push(a)
                    }
                    continue
                }
                // The origin's items (a closed set below k: an overlay's own sets are not indexed).
                let (fromBase, lo, hi) = itemRange(ofSet: it.origin)
                if fromBase && it.origin < lowestBaseRead { lowestBaseRead = it.origin }
                for j in lo..<hi {
                    let p = fromBase ? baseItems[j] : items[j]
                    if nextSymbol(p) == lhs { var a = p; a.dotted += 1; push(a) }
                }
            }
        }
        if baseSets == 0 {
            // The open set is complete: (re)index it (a re-close after `scanToken` replaces it).
            let j = setInfo.count - 1
            truncateWaitIndex(sets: j)
            indexSet(j)
        }
    }

    /// Indexes own set j (all sets before it are indexed, it is not).
    private mutating func indexSet(_ j: Int) {
        let (_, lo, hi) = itemRange(ofSet: baseSets + Int32(j))
        // One pass: the wait index's entries, the ancestor hash and the context hash (see
        // `chainA`; root core: own set j is chart set j, and every origin below j is hashed).
        var entries: [(Int32, Int32)] = []
        // (a, b): the ancestor hash, over the items waiting on a nonterminal; (ca, cb): the
        // context hash, over every item that still expects a symbol.
        var a = StableHasher(), ca = StableHasher()
        var b: UInt64 = 0x1319_8A2E_0370_7344, cb: UInt64 = 0x1319_8A2E_0370_7344
        // The items with an origin below j, for the depth-limited hashes (`indexLevels`).
        var kernel = levelKernel
        levelKernel = []
        defer { kernel.removeAll(keepingCapacity: true); levelKernel = kernel }
        for i in lo..<hi {
            let it = items[i]
            // Completed items are left out of the hash: their completions are already in the set.
            guard let s = nextSymbol(it) else { continue }
            let w = UInt64(UInt32(bitPattern: it.dotted))
            let own = Int(it.origin) == j
            if !own { kernel.append(it) }
            let oa = own ? 0x5BE0_CD19_137E_2179 : chainA[Int(it.origin)]
            let ob = own ? 0x1F83_D9AB_FB41_BD6B : chainB[Int(it.origin)]
            ca.combine(w)
            ca.combine(oa)
            cb = EarleyCore.mixB(EarleyCore.mixB(cb, w), ob)
            if s >= 0 {
                entries.append((s, Int32(i)))
                a.combine(w)
                a.combine(oa)
                b = EarleyCore.mixB(EarleyCore.mixB(b, w), ob)
            }
        }
        entries.sort { $0 < $1 }
        waitStart.append(Int32(waitSym.count))
        for (s, i) in entries { waitSym.append(s); waitItem.append(i) }
        if tables.indentation != nil {
            let w = UInt64(UInt32(bitPattern: setInfo[j].indent))
            a.combine(w)
            b = EarleyCore.mixB(b, w ^ 0x2D35_8DCC_AA6C_78A5)
            ca.combine(w)
            cb = EarleyCore.mixB(cb, w ^ 0x2D35_8DCC_AA6C_78A5)
        }
        chainA.append(a.finalize())
        chainB.append(b)
        contextA.append(ca.finalize())
        contextB.append(cb)
        indexLevels(j, kernel: kernel)
    }

    /// Appends own set j's depth-limited hashes (see `levelA`) and kernel origins, from its
    /// items that expect a symbol and have an origin below j (`kernel`).
    private mutating func indexLevels(_ j: Int, kernel: [EarleyItem]) {
        let levels = EarleyCore.contextLevels
        let originsFrom = kernelOrigins.count
        kernelOriginStart.append(Int32(originsFrom))
        for it in kernel where !kernelOrigins[originsFrom...].contains(it.origin) { kernelOrigins.append(it.origin) }
        // Per level, (A, B) sums of the items' mixes: level 1 tags every origin with a cut,
        // level d with the origin's level d - 1 hash (stored contiguously per set).
        let indent = tables.indentation == nil ? (0, 0)
            : EarleyCore.levelMix(UInt64(UInt32(bitPattern: setInfo[j].indent)), 0x2D35_8DCC_AA6C_78A5, 0x8A2E_0370_7344_A409)
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * levels) { sums in
            for d in 0..<levels { sums[d] = indent.0; sums[levels + d] = indent.1 }
            levelA.withUnsafeBufferPointer { la in
                levelB.withUnsafeBufferPointer { lb in
                    for it in kernel {
                        let w = UInt64(UInt32(bitPattern: it.dotted))
                        let (x, y) = EarleyCore.levelMix(w, 0x6A09_E667_F3BC_C908, 0xBB67_AE85_84CA_A73B)
                        sums[0] &+= x; sums[levels] &+= y
                        let o = Int(it.origin) * levels
                        for d in 1..<levels {
                            let (x, y) = EarleyCore.levelMix(w, la[o + d - 1], lb[o + d - 1])
                            sums[d] &+= x; sums[levels + d] &+= y
                        }
                    }
                }
            }
            for d in 0..<levels {
                levelA.append(EarleyCore.finalMix(sums[d] ^ 0xA54F_F53A_5F1D_36F1))
                levelB.append(EarleyCore.finalMix(sums[levels + d] ^ 0x510E_527F_ADE6_82D1))
            }
        }
    }

    /// Two independent 64-bit mixes of an item's dotted rule with its origin's tags (light: the
    /// tags are finalized hashes already, and each level's sum is finalized again).
    @inline(__always) private static func levelMix(_ w: UInt64, _ tagA: UInt64, _ tagB: UInt64) -> (UInt64, UInt64) {
        var a = (tagA &+ w &* 0x9E37_79B9_7F4A_7C15) &* 0xD6E8_FEB8_6659_FD93
        var b = (tagB ^ w &* 0xC2B2_AE3D_27D4_EB4F) &* 0x1656_67B1_9E37_79F9
        a ^= a >> 32
        b ^= b >> 29
        return (a, b)
    }

    /// splitmix64's finalizer.
    @inline(__always) private static func finalMix(_ v: UInt64) -> UInt64 {
        var x = v
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    /// The context hashes of own set k of a root core (`contextA` and `levelA`); nil
    /// when k is not closed.
    func setContext(ofSet k: Int32) -> SetContext? {
        guard baseSets == 0, k >= 0, Int(k) < contextA.count else { return nil }
        let lo = Int(k) * EarleyCore.contextLevels, hi = lo + EarleyCore.contextLevels
        return SetContext(whole: (contextA[Int(k)], contextB[Int(k)]), levelsA: levelA[lo..<hi], levelsB: levelB[lo..<hi])
    }

    /// The number of hops of the longest chain of origins from closed set j down to sets at or
    /// above `floor` (each item that still expects a symbol leads to its origin when that lies
    /// below its set; `kernelOrigins`), or nil when it exceeds `limit`. j is a set of a root core
    /// or an overlay's base. A walk that read no set below `floor` reads sets at most this many
    /// hops below j.
    func originChainLength(from j: Int32, floor: Int32, limit: Int) -> Int? {
        baseSets == 0 ? EarleyCore.originChainLength(kernelOriginStart, kernelOrigins, from: j, floor: floor, limit: limit)
            : EarleyCore.originChainLength(baseKernelOriginStart, baseKernelOrigins, from: j, floor: floor, limit: limit)
    }

    /// Over the kernel origins `starts`/`origins` (taken as arguments: a tuple of the two
    /// arrays retained both).
    private static func originChainLength(_ starts: [Int32], _ origins: [Int32], from j: Int32, floor: Int32, limit: Int) -> Int? {
        precondition(Int(j) < starts.count, "set \(j) is not closed")
        // Each frontier holds distinct sets in j's range [floor, j), so at most j - floor + 1
        // of them: two stack buffers that swap roles each hop (this runs on every group-memo
        // miss; two heap arrays a call were most of its cost).
        let capacity = Int(j) - Int(min(floor, j)) + 1
        return starts.withUnsafeBufferPointer { starts in
        origins.withUnsafeBufferPointer { origins in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * capacity) { buffer in
            var frontier = buffer.baseAddress!, next = frontier + capacity
            frontier[0] = j
            var width = 1, hops = 0
            while true {
                var n = 0
                for f in 0..<width {
                    let x = Int(frontier[f])
                    let hi = x + 1 < starts.count ? Int(starts[x + 1]) : origins.count
                    for k in Int(starts[x])..<hi {
                        let o = origins[k]
                        guard o >= floor else { continue }
                        var seen = false
                        for m in 0..<n where next[m] == o { seen = true; break }
                        if !seen { next[n] = o; n += 1 }
                    }
                }
                if n == 0 { return hops }
                hops += 1
                if hops > limit { return nil }
                swap(&frontier, &next)
                width = n
            }
        }
        }
        }
    }

    @inline(__always) private static func mixB(_ h: UInt64, _ w: UInt64) -> UInt64 {
        (((h << 23) | (h >> 41)) ^ (w &* 0xD6E8_FEB8_6659_FD93)) &* 0xFF51_AFD7_ED55_8CCD
    }

    /// The context hash of own set k of a root core (see `chainA`); nil when k is not closed.
    func contextHash(ofSet k: Int32) -> (UInt64, UInt64)? {
        guard baseSets == 0, k >= 0, Int(k) < contextA.count else { return nil }
        return (contextA[Int(k)], contextB[Int(k)])
    }

    private mutating func truncateWaitIndex(sets n: Int) {
        guard waitStart.count > n else { return }
        let cut = Int(waitStart[n])
        waitStart.removeSubrange(n...)
        waitSym.removeSubrange(cut...)
        waitItem.removeSubrange(cut...)
        chainA.removeSubrange(n...)
        chainB.removeSubrange(n...)
        contextA.removeSubrange(n...)
        contextB.removeSubrange(n...)
        let levelCut = n * EarleyCore.contextLevels
        levelA.removeSubrange(levelCut...)
        levelB.removeSubrange(levelCut...)
        kernelOrigins.removeSubrange(Int(kernelOriginStart[n])...)
        kernelOriginStart.removeSubrange(n...)
    }

    /// The index entries of set k's items waiting on `symbol` (`baseWaitItem` when `fromBase`,
    /// else `waitItem`); nil when set k is not indexed (an overlay's own sets).
    @inline(__always) private func waitRange(set k: Int32, symbol: Int32) -> (fromBase: Bool, lo: Int, hi: Int)? {
        let fromBase = k < baseSets
        let j = Int(fromBase ? k : k - baseSets)
        let starts = fromBase ? baseWaitStart : waitStart
        guard j < starts.count else { return nil }
        let syms = fromBase ? baseWaitSym : waitSym
        var lo = Int(starts[j])
        var hi = j + 1 < starts.count ? Int(starts[j + 1]) : syms.count
        // Lower bound of `symbol`, then its end.
        var a = lo, b = hi
        while a < b { let m = (a + b) >> 1; if syms[m] < symbol { a = m + 1 } else { b = m } }
        lo = a
        b = hi
        while a < b { let m = (a + b) >> 1; if syms[m] <= symbol { a = m + 1 } else { b = m } }
        hi = a
        return (fromBase, lo, hi)
    }

    /// The thread for the next lexeme at set k: its lexer over the byte terminals the set
    /// expects (plus the ignored ones for longest-match grammars); nil when it expects none.
    private mutating func threadFor(set k: Int32, position: Int32) -> LexThread? {
        // The terminal bitset on the stack: a buffer kept in `self` cost a retain and two
        // releases per call to take out and put back (the loops must not copy `self`). One
        // word at least: a grammar may have no terminals, and an empty buffer need not have
        // an address.
        let words = tables.predictions.terminalWords
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: max(words, 1)) { bits in
            threadFor(set: k, position: position, bits: bits.baseAddress!, words: words)
        }
    }

    /// `threadFor(set:position:)` with `words` words of scratch at `bits`.
    private mutating func threadFor(set k: Int32, position: Int32, bits: UnsafeMutablePointer<UInt64>, words: Int) -> LexThread? {
        let t = tables
        bits.update(repeating: 0, count: words)
        // The expected byte terminals. Items of origin k are exactly the prediction closures of
        // the rules the other items expect (and, in set 0, of the start rule; see `predict`):
        // their terminals come per rule, as bitsets, not item by item.
        var any: UInt64 = 0
        if k == 0 { t.predictions.formTerminals(of: t.start, t, into: bits) }
        let (fromBase, lo, hi) = itemRange(ofSet: k)
        for i in lo..<hi {
            let it = fromBase ? baseItems[i] : items[i]
            if it.origin == k { continue }
            guard let s = nextSymbol(it) else { continue }
            if s >= 0 {
                t.predictions.formTerminals(of: s, t, into: bits)
            } else if t.isByteTerminal[Int(~s)] {
                bits[Int(~s) >> 6] |= 1 << UInt64(~s & 63)
            }
        }
        for w in 0..<words { any |= bits[w] }
        @inline(__always) func insert(_ x: Int32) { bits[Int(x) >> 6] |= 1 << UInt64(x & 63); any = 1 }
        // Inside brackets the indentation step drops newline lexemes: lexed like ignored ones.
        if let ind = t.indentation, ind.bracketDepth(indentOf(set: k)) > 0 { insert(ind.newline) }
        // Ignored lexemes leave the set as it is: after a set that expects no byte terminal
        // (an empty one, one waiting only for an indent) they are viable only where the input
        // may end (trailing whitespace and comments), else a dead end.
        if longest && (any != 0 || endsInput(at: k)) { for x in t.ignoredTerminals { insert(x) } }
        if any == 0 { return nil }
        var entry = 0
        while entry < memoLexer.count {
            var same = true
            for w in 0..<words where memoBits[entry * words + w] != bits[w] { same = false; break }
            if same { return LexThread(lexer: memoLexer[entry], state: memoStart[entry], set: k, start: position) }
            entry += 1
        }
        var terms: [Int32] = []
        terms.reserveCapacity((0..<words).reduce(0) { $0 + bits[$1].nonzeroBitCount })   // grown from empty, a tenth of this function
        for w in 0..<words {
            var x = bits[w]
            while x != 0 { terms.append(Int32(w << 6 + x.trailingZeroBitCount)); x &= x - 1 }
        }
        do {
            let l = try t.lexer(for: terms)
            if memoLexer.count == EarleyCore.memoLimit {
                memoBits.removeAll(keepingCapacity: true)
                memoLexer.removeAll(keepingCapacity: true); memoStart.removeAll(keepingCapacity: true)
            }
            memoBits.append(contentsOf: UnsafeBufferPointer(start: bits, count: words))
            memoLexer.append(l.id)
            memoStart.append(l.start)
            return LexThread(lexer: l.id, state: l.start, set: k, start: position)
        } catch let e as FSMDecodeError {
            error = e
            return nil
        } catch {
            self.error = FSMDecodeError(.grammar, "\(error)")
            return nil
        }
    }

    /// When the output cannot go on because of the indentation step (the current lexeme is a
    /// newline outside brackets, and the indentation of its last line is what the parser or
    /// the step refuses): why, in Python's words. Nil otherwise. For messages.
    func indentationProblem() -> String? {
        guard longest, let ind = tables.indentation, let th = currentThreads.first, th.start < position else { return nil }
        let l = tables.lexer(id: th.lexer)
        let state = indentOf(set: th.set)
        guard l.labels(th.state).contains(ind.newline), ind.bracketDepth(state) == 0 else { return nil }
        let w = l.width(th.state), open = ind.blockWidths(state)
        let top = open.last ?? 0
        guard let (_, indents, _) = ind.afterNewline(state, width: w) else {
            let levels = ([0] + open).map(String.init).joined(separator: ", ")
            return "indentation: a line indented \(w) columns matches no open block (they are indented \(levels))"
        }
        var o = overlay()
        let k = o.scanSet(from: th.set, labels: [ind.newline], ignored: false, indent: state, position: position)
        var wantsIndent = false
        o.forEachItem(inSet: k) { it in if o.nextSymbol(it) == ~ind.indent { wantsIndent = true } }
        if wantsIndent && indents == 0 { return "indentation: expected an indented block (deeper than \(top) columns), found \(w)" }
        if !wantsIndent && indents == 1 { return "indentation: unexpected indent (\(w) columns, the block is at \(top))" }
        return nil
    }

    /// Names of what set k expects next (terminals and token terminals), for messages.
    func expectedNames(set k: Int32) -> [String] {
        var names: [String] = []
        forEachItem(inSet: k) { it in
            if let s = nextSymbol(it), s < 0 {
                let n = tables.terminalName(~s)
                if !names.contains(n) { names.append(n) }
            }
        }
        return names
    }
}

/// The context hashes of a closed chart set (`EarleyCore.setContext(ofSet:)`): the whole
/// context and the depth-limited ones (level d at `levelsA.startIndex + d - 1`).
struct SetContext {
    var whole: (UInt64, UInt64)
    var levelsA: ArraySlice<UInt64>
    var levelsB: ArraySlice<UInt64>

    /// The level-`levels` hash pair (1 ≤ levels ≤ `EarleyCore.contextLevels`).
    func level(_ levels: Int) -> (UInt64, UInt64) {
        (levelsA[levelsA.startIndex + levels - 1], levelsB[levelsB.startIndex + levels - 1])
    }
}
