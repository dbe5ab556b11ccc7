import Dispatch
import Synchronization

/// Where a lexeme of one lexer ends inside tokens: its DFA reaches accepting `state` just before
/// the byte of each trie node in `starts`, where the next lexeme begins. `list` names `starts`
/// in the walk cache (`WalkCache.listID`: within the cache's budget equal ids ⇔ equal lists;
/// past it `WalkCache.uncachedList`, never cached).
struct BoundaryGroup: Sendable {
    var state: Int32
    var list: Int32
    var starts: [UInt32]

    /// An entry of `starts` that stands for every child of trie node `parent` (the lexeme ends
    /// at `parent` and the next one may start with any of them): a lexeme end inside tokens has
    /// ~3.7 children on average (Llama-3, JSON Schema grammars), and the lists are sorted,
    /// interned and bucketed entry by entry. Node numbers stay below 2³¹.
    @inline(__always) static func childrenOf(_ parent: Int) -> UInt32 { UInt32(parent) | childrenFlag }
    static let childrenFlag: UInt32 = 1 << 31

    /// The nodes `lo ..< hi` that `start` covers (each child subtree of a `childrenOf` entry,
    /// or one node's subtree), and the depth of their parent.
    @inline(__always) static func span(_ start: UInt32, _ trie: TokenTrie) -> (lo: Int, hi: Int, parentDepth: Int) {
        if start & childrenFlag != 0 {
            let p = Int(start & ~childrenFlag)
            return (p + 1, Int(trie.subtreeEnd[p]), Int(trie.depth[p]))
        }
        let c = Int(start)
        return (c, Int(trie.subtreeEnd[c]), Int(trie.depth[c]) - 1)
    }

    /// Appends the boundaries at trie node `i` (with children) where a lexeme of `lexer` ends in
    /// `state`: every child when all of them are kept (a single `childrenOf` entry), else each
    /// kept child. A child is kept when its byte may start the next lexeme: longest-match
    /// lexing drops those that continue this one, asked once per child, unless the state has
    /// no exit (a closed string's quote, a literal's last byte) and the children are not
    /// visited at all.
    @inline(__always) static func appendEnds(at i: Int, state: Int32, of lexer: Lexer, longest: Bool, _ trie: TokenTrie,
                                             into pairs: inout [UInt64]) {
        let end = Int(trie.subtreeEnd[i])
        if end <= i + 1 { return }
        if !longest || !lexer.hasExit(state) { pairs.append(WalkCache.pair(state, Int(childrenOf(i)))); return }
        @inline(__always) func keeps(_ b: UInt8) -> Bool { lexer.next(state, b) == ByteDFA.dead }
        var c = i + 1
        while c < end && keeps(trie.byte[c]) { c = Int(trie.subtreeEnd[c]) }
        if c >= end { pairs.append(WalkCache.pair(state, Int(childrenOf(i)))); return }
        // The children before `c` were kept; `c` was not; the rest are asked here.
        var k = i + 1
        while k < c { pairs.append(WalkCache.pair(state, k)); k = Int(trie.subtreeEnd[k]) }
        c = Int(trie.subtreeEnd[c])
        while c < end {
            if keeps(trie.byte[c]) { pairs.append(WalkCache.pair(state, c)) }
            c = Int(trie.subtreeEnd[c])
        }
    }
}

/// The walk of a lexer over trie subtrees from one DFA state, with the parser left out: the
/// tokens whose remaining bytes stay inside the lexeme (`inside`: sorted ids, or a bitset of
/// the mask's width when `insideIsBitset`), and where the lexeme can end with more bytes to go
/// (`groups`). Immutable.
final class LexemeWalk: Sendable {
    let inside: [UInt32]
    let insideIsBitset: Bool
    let groups: [BoundaryGroup]
    /// Longest-match lexers at the root only: where the current (non-empty, accepting) lexeme
    /// ends before the token's first byte (root children whose byte does not continue it).
    let endsHere: BoundaryGroup?
    /// A terminal state whose stored mask belongs to the inside tokens too, read from its
    /// store at each fill (`inside` then holds the other tokens as ids): a lexer state's walk
    /// over parts with one wide mask (`Lexer`'s multi-part states).
    let base: (store: MaskStore, state: Int32)?

    init(inside: [UInt32], insideIsBitset: Bool, groups: [BoundaryGroup], endsHere: BoundaryGroup?,
         base: (store: MaskStore, state: Int32)? = nil) {
        precondition(base == nil || !insideIsBitset)
        self.inside = inside
        self.insideIsBitset = insideIsBitset
        self.groups = groups
        self.endsHere = endsHere
        self.base = base
    }

    /// Inside tokens only, from a bitset of `bits.count` words: kept as a bitset when more
    /// than `MaskStore.listLimit` tokens are set, else as sorted ids.
    convenience init(insideBits bits: UnsafeBufferPointer<UInt32>) {
        guard let n = MaskStore.listCount(bits) else {
            self.init(inside: Array(bits), insideIsBitset: true, groups: [], endsHere: nil)
            return
        }
        var ids: [UInt32] = []
        ids.reserveCapacity(n)
        for (w, word) in bits.enumerated() {
            var x = word
            while x != 0 {
                ids.append(UInt32(w) << 5 | UInt32(x.trailingZeroBitCount))
                x &= x - 1
            }
        }
        self.init(inside: ids, insideIsBitset: false, groups: [], endsHere: nil)
    }

    /// Writes `inside` over the `words` mask words at `dst` (`formUnion` into zeroed words).
    @inline(__always) func write(into dst: UnsafeMutablePointer<UInt32>, words: Int) {
        inside.withUnsafeBufferPointer { ids in
            if let base {
                base.store.write(state: base.state, into: dst)
                if !ids.isEmpty { MaskStore.scatter(ids.baseAddress!, ids.count, into: dst, clearing: false) }
            } else if insideIsBitset {
                let n = min(ids.count, words)
                if n > 0 { dst.update(from: ids.baseAddress!, count: n) }
                if n < words { (dst + n).update(repeating: 0, count: words - n) }
            } else {
                dst.update(repeating: 0, count: words)
                if !ids.isEmpty { MaskStore.scatter(ids.baseAddress!, ids.count, into: dst, clearing: false) }
            }
        }
    }

    /// Group `index` of `groups`, or `endsHere` for -1 (then present).
    func group(_ index: Int32) -> BoundaryGroup { index < 0 ? endsHere! : groups[Int(index)] }
    /// `group(index)`'s end state and list, read without copying the group (its `starts` array
    /// would be retained).
    @inline(__always) func groupKey(_ index: Int32) -> (state: Int32, list: Int32) {
        index < 0 ? (endsHere!.state, endsHere!.list) : (groups[Int(index)].state, groups[Int(index)].list)
    }

    /// ORs `inside` into the mask words at `dst`.
    @inline(__always) func formUnion(into dst: UnsafeMutablePointer<UInt32>) {
        if let base { base.store.formUnion(state: base.state, into: dst) }
        inside.withUnsafeBufferPointer { ids in
            if insideIsBitset {
                for w in 0..<ids.count { dst[w] |= ids[w] }
            } else if !ids.isEmpty {
                MaskStore.scatter(ids.baseAddress!, ids.count, into: dst, clearing: false)
            }
        }
    }
}

extension Array where Element == LexemeWalk {
    /// ORs every walk into `dst`, reading the walks unretained (the array holds them): a memo
    /// hit unions tens of walks, and a retain and release each was a fair part of it.
    @inline(__always) func formUnion(into dst: UnsafeMutablePointer<UInt32>) {
        withUnsafeBufferPointer { walks in
            walks.withMemoryRebound(to: Unmanaged<LexemeWalk>.self) { unretained in
                for w in unretained { w._withUnsafeGuaranteedRef { $0.formUnion(into: dst) } }
            }
        }
    }
}

/// Lazily filled, thread-safe caches of lexeme walks: per (lexer, state) from the trie root
/// (boundaries only, from the terminals' `TerminalBoundaries`; the inside tokens are
/// `Lexer.formInside`'s), and per (start list, lexer, state) below lists of start nodes.
/// Readers take a lock for a dictionary lookup; a miss computes outside the lock and publishes
/// (first writer wins). Entries are kept while the stored ids stay under `budgetIDs`; past it
/// walks are computed and not stored.
final class WalkCache: Sendable {
    struct Key: Hashable {
        var list: Int32; var lexer: Int32; var state: Int32
        func _rawHashValue(seed: Int) -> Int {
            SeededHash.of(WordKey(list, lexer).word, UInt64(UInt32(bitPattern: state)), seed: seed)
        }
    }
    static let defaultBudgetIDs = 16 << 20
    let budgetIDs: Int
    private let state = Mutex<(walks: [Key: LexemeWalk], storedIDs: Int, lists: [WordListKey: Int32])>(([:], 0, [:]))

    init(budgetIDs: Int = WalkCache.defaultBudgetIDs) { self.budgetIDs = budgetIDs }

    func lookup(_ k: Key) -> LexemeWalk? { state.withLock { $0.walks[k] } }

    func publish(_ k: Key, _ w: LexemeWalk) -> LexemeWalk {
        state.withLock { s in
            if let old = s.walks[k] { return old }
            let size = w.inside.count + w.groups.reduce(0) { $0 + $1.starts.count } + (w.endsHere?.starts.count ?? 0)
            if s.storedIDs + size <= budgetIDs {
                s.walks[k] = w
                s.storedIDs += size
            }
            return w
        }
    }

    /// A boundary as one sortable word: the lexer state the lexeme ends in (high half, a live
    /// state, so non-negative), the trie node where the next lexeme starts (low half).
    @inline(__always) static func pair(_ state: Int32, _ node: Int) -> UInt64 {
        WordKey(state, node).word
    }

    /// The id of a sorted start list: equal lists get one id, so every lexer state whose
    /// lexeme ends before the same nodes (every state inside an identifier or keyword, say,
    /// ends before the same non-identifier bytes) shares the walks below them. Past the
    /// budget, `uncachedList`: walks below it are computed each time, never stored (so ids
    /// never run out, and no id ever names two lists).
    func listID(_ starts: [UInt32]) -> Int32 {
        let key = WordListKey(starts)
        return state.withLock { s in
            if let id = s.lists[key] { return id }
            guard s.storedIDs + starts.count <= budgetIDs else { return WalkCache.uncachedList }
            let id = Int32(s.lists.count + 1)
            s.lists[key] = id
            s.storedIDs += starts.count
            return id
        }
    }

    /// The list id of start lists past the budget (see `listID`).
    static let uncachedList: Int32 = -1
}

/// The key of a memoized lexeme-end part of a mask (`GrammarConstraint.memo`): a thread
/// (lexer, DFA state) whose lexeme began at a chart set with context hash (`contextA`,
/// `contextB`) — `EarleyCore.contextHash`, the part of the chart parsing on from that set can
/// read — and whether that lexeme is non-empty. Commits and walks from there read only that
/// part, so they are the same wherever it recurs: the next token of the same lexeme, the next
/// statement or array element in the same context, another document of the same shape.
struct MaskMemoKey: Hashable, Sendable {
    var contextA: UInt64
    var contextB: UInt64
    var lexer: Int32
    var state: Int32
    var endsHere: Bool

    func _rawHashValue(seed: Int) -> Int {
        SeededHash.of(contextA, contextB, UInt64(UInt32(bitPattern: lexer)) << 33 | UInt64(UInt32(bitPattern: state)) << 1 | (endsHere ? 1 : 0), seed: seed)
    }
}

/// The key of a memoized lexeme end below one root boundary group (`GroupWalkMemo`): a lexeme
/// of `shape.lexer` begun at a chart set ends in a state of end class `shape.endClass` (the
/// labels it commits) before each start node of `shape.list` (an interned `WalkCache.listID`), and the
/// part of the chart from that set the walk below read: with `levels` > 0 the set's
/// level-`levels` context hash (`EarleyCore.levelA`; the walk read sets at most
/// `levels` - 1 hops down), with 0 its whole context hash (`EarleyCore.contextA`). The commit,
/// and every walk and commit below it, read only that, so they are the same from every state
/// that ends alike: each position inside a formatted string or a bounded number is a DFA state
/// of its own (a miss in `memo`), but its closing quote or digit boundary ends the lexeme into
/// the same groups; and a value at another nesting path whose tokens close no deeper than the
/// levels say ends alike too.
struct GroupMemoKey: Hashable, Sendable {
    var shape: GroupWalkMemo.Shape
    var contextA: UInt64
    var contextB: UInt64
    var levels: Int32

    func _rawHashValue(seed: Int) -> Int {
        SeededHash.of(contextA, contextB ^ UInt64(UInt32(bitPattern: shape.list)) << 32 ^ UInt64(UInt32(bitPattern: levels)),
                      WordKey(shape.lexer, shape.endClass).word, seed: seed)
    }
}

/// The walks below root boundary groups (`GroupMemoKey`), each stored at the fewest levels of
/// context its walk read (keyed by the whole context alone, every new nesting path missed,
/// though most tokens close a lexeme or two). Each (lexer, end class, list) records the levels
/// its entries were stored at, so a lookup probes those only.
final class GroupWalkMemo: Sendable {
    struct Shape: Hashable {
        var lexer: Int32
        var endClass: Int32
        var list: Int32

        func _rawHashValue(seed: Int) -> Int { SeededHash.of(WordKey(lexer, endClass).word, UInt64(UInt32(bitPattern: list)), seed: seed) }
    }
    private struct State {
        var entries: BoundedTable<GroupMemoKey, [LexemeWalk]>
        /// Bit d set: an entry of the shape was stored at `levels` d (bit 0: whole context).
        /// An evicted entry leaves its bit (a wasted probe).
        var levelsUsed: [Shape: UInt32] = [:]
        /// A bit per key ever stored (`filterSlot`; never cleared, so it only errs towards a
        /// probe): a first visit probes every level a shape was stored at and finds none, a
        /// dictionary probe each (a bucket and often a cache miss; about 0.7 µs of a 7–10 µs
        /// first-visit JSON mask, timed per section).
        var stored = [UInt64](repeating: 0, count: GroupWalkMemo.filterWords)
    }
    private let state: Mutex<State>
    /// `State.stored` is indexed by this many top bits of a key's hash.
    private static let filterBits = 16
    private static let filterWords = 1 << (filterBits - 6)

    init(maxCost: Int, reserving: Int = 0) { state = Mutex(State(entries: BoundedTable(maxCost: maxCost, reserving: reserving))) }

    func get(_ shape: Shape, _ context: SetContext) -> [LexemeWalk]? {
        state.withLock { s in
            guard var used = s.levelsUsed[shape] else { return nil }
            while used != 0 {
                let levels = used.trailingZeroBitCount
                used &= used - 1
                let key = GroupWalkMemo.key(shape, context, levels)
                let (word, bit) = GroupWalkMemo.filterSlot(key)
                guard s.stored[word] & bit != 0 else { continue }
                if let known = s.entries.get(key) { return known }
            }
            return nil
        }
    }

    /// Stores `walks` at `levels` (0: whole context; else 1 ... `EarleyCore.contextLevels`).
    func put(_ shape: Shape, _ context: SetContext, levels: Int, _ walks: [LexemeWalk]) {
        let key = GroupWalkMemo.key(shape, context, levels)
        let (word, bit) = GroupWalkMemo.filterSlot(key)
        state.withLock { s in
            s.entries.put(key, walks, cost: walks.count + 1)
            s.levelsUsed[shape, default: 0] |= 1 << UInt32(levels)
            s.stored[word] |= bit
        }
    }

    /// The key's word and bit in `State.stored`, picked by the top bits of its hash (which the
    /// table's lookup reuses: `HashedKey`).
    @inline(__always) private static func filterSlot(_ k: HashedKey<GroupMemoKey>) -> (word: Int, bit: UInt64) {
        let b = Int(UInt(bitPattern: k.hashValue_) >> (UInt.bitWidth - filterBits))
        return (b >> 6, 1 << UInt64(b & 63))
    }

    /// The key at `levels`, hashed once for the filter and the table.
    private static func key(_ shape: Shape, _ context: SetContext, _ levels: Int) -> HashedKey<GroupMemoKey> {
        let (a, b) = levels == 0 ? context.whole : context.level(levels)
        return HashedKey(GroupMemoKey(shape: shape, contextA: a, contextB: b, levels: Int32(levels)))
    }

    /// Number of entries (tests).
    var count: Int { state.withLock { $0.entries.count } }
}

/// A compiled context-free constraint: the grammar's parse tables, its lexers (built on first
/// use) and their per-state token masks, against one vocabulary. Immutable apart from those
/// lazily filled, thread-safe caches; `Sendable`; create one `GrammarMatcher` per sequence.
///
/// Masks (exact): for each live lexer thread in DFA state q, the tokens whose bytes stay
/// inside the lexeme are allowed whatever the parser state (every rule is productive, so a
/// live lexeme can always be finished and the sentence completed; for longest-match grammars
/// a byte that continues the lexeme never ends it) — the union of one cached mask per
/// (terminal, terminal-DFA state) of q's parts, shared by every lexer (see `Lexer`). Tokens
/// whose bytes end the lexeme and go on are checked by walking only the trie subtrees below
/// the per-(lexer, q) boundary nodes, pushing their bytes into an overlay of the parser.
public final class GrammarConstraint: Sendable {
    public let grammar: Grammar
    public let vocabulary: Vocabulary
    /// `vocabulary.fingerprint` (stored in the vocabulary, computed when it was built).
    public var vocabularyFingerprint: UInt64 { vocabulary.fingerprint }
    let tables: ParseTables
    /// Lexeme walks for masks (filled on first use).
    let walks: WalkCache
    /// The walks each recurring mask context unions (filled on first use; an entry costs its
    /// walks + 1, oldest entries evicted past 2^18; at an estimated ~150 bytes an entry plus 8 a
    /// walk, a constraint's memo stays under ~40 MB). Saves the Earley commits of every repeat.
    /// Nil only in tests that compare against masks computed without it.
    let memo: BoundedCache<MaskMemoKey, [LexemeWalk]>?
    /// The walks below each recurring root boundary group (filled on first use; same bound and
    /// costs as `memo`). Saves the commits of lexeme states `memo` has not seen.
    let groupMemo: GroupWalkMemo?

    /// Compiles `grammar` against `vocabulary`. Throws `.grammar` for terminals the byte-level
    /// lexer cannot honour and `.budget` when a terminal's DFA exceeds `options.maxStates`.
    /// Cost: one DFA per terminal and the start lexer (their product); everything else is built
    /// on first use.
    public convenience init(grammar: Grammar, vocabulary: Vocabulary, options: RegexOptions = RegexOptions()) throws {
        try self.init(grammar: grammar, vocabulary: vocabulary, options: options, memoizingMasks: true)
    }

    /// Entries each memo makes room for when the constraint is built (about 1 MB each, estimated, of
    /// address space, touched as entries arrive: the JSON benchmark's peak RSS stayed 99 MiB):
    /// a document's first masks fill a few thousand, and a dictionary growing past a power of
    /// two rehashes every entry inside the mask that crossed it.
    static let memoReserve = 8192

    /// `walkCacheBudget`: stored ids in the walk cache (tests set it low to exercise the
    /// uncached path).
    init(grammar: Grammar, vocabulary: Vocabulary, options: RegexOptions, memoizingMasks: Bool,
         walkCacheBudget: Int = WalkCache.defaultBudgetIDs) throws {
        self.memo = memoizingMasks ? BoundedCache(maxCost: 1 << 18, reserving: GrammarConstraint.memoReserve) : nil
        self.groupMemo = memoizingMasks ? GroupWalkMemo(maxCost: 1 << 18, reserving: GrammarConstraint.memoReserve) : nil
        self.walks = WalkCache(budgetIDs: walkCacheBudget)
        self.grammar = grammar
        self.vocabulary = vocabulary
        self.tables = try ParseTables(grammar: grammar, vocabulary: vocabulary, options: options)
        // Build the start lexer now so grammar-level errors surface at compile time.
        let core = EarleyCore(tables: tables)
        if let e = core.error { throw e }
    }

    /// A matcher at the empty output.
    public func makeMatcher() -> GrammarMatcher { GrammarMatcher(self) }

    /// Mask walkers between masks (`GrammarMatcher.fillNextTokenMask`), their base dropped; at
    /// most `walkerPoolLimit` are kept (concurrent fills past that make their own).
    private let walkerPool = Mutex<[MaskWalker]>([])
    private static let walkerPoolLimit = 16

    /// A walker over `core`'s chart: a pooled one rebased, else a new one.
    fileprivate func takeWalker(over core: EarleyCore) -> MaskWalker {
        if var w = walkerPool.withLock({ $0.popLast() }) {
            w.rebase(over: core)
            return w
        }
        return MaskWalker(core)
    }

    /// Pools `walker` (its base already dropped) unless the pool is full.
    /// Moved in and out, not copied (a copy retained and released each of the overlay's arrays).
    fileprivate func giveBack(_ walker: consuming MaskWalker) {
        var moving: MaskWalker? = consume walker
        walkerPool.withLock { if $0.count < GrammarConstraint.walkerPoolLimit { $0.append(moving.take()!) } }
    }

    /// Number of lexers built so far (distinct sets of terminals met).
    public var lexerCount: Int { tables.lexers.count }
    /// Entries of the mask memo (tests).
    var memoEntryCount: Int { memo?.count ?? 0 }
    /// Entries of the group memo (tests).
    var groupMemoEntryCount: Int { groupMemo?.count ?? 0 }

    /// The lexers built so far as Graphviz DOT (one cluster-less digraph per lexer).
    public func lexerDOT() -> String {
        var out = ""
        for l in tables.lexers.all {
            out += l.materialized().dfa.dot(name: "lexer\(l.id)_" + l.terminals.map { sanitize(tables.terminalName($0)) }.joined(separator: "_"))
        }
        return out
    }

    private func sanitize(_ s: String) -> String {
        String(s.unicodeScalars.map { c -> Character in
            (c.properties.isAlphabetic || ("0"..."9").contains(c)) && c.isASCII ? Character(c) : "_"
        }.prefix(24))
    }

    /// Fills masks for many matchers at once, spreading them over all cores. `masks[i]` gets
    /// matcher i's mask; each must be `maskWidth` wide.
    public static func fillMasks(_ matchers: [GrammarMatcher], into masks: inout [TokenMask]) {
        precondition(matchers.count == masks.count, "one mask per matcher")
        let n = matchers.count
        masks.withUnsafeMutableBufferPointer { buf in
            let base = SendableMaskPointer(pointer: buf.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: n) { i in
                // Each iteration writes only masks[i].
                matchers[i].fillNextTokenMask(into: &base.pointer[i])
            }
        }
    }

    // MARK: - Lexeme walks

    /// Where `lexer`'s lexeme, in DFA state `state` at the current position, ends inside tokens
    /// (computed once per pair, then cached).
    func rootWalk(_ lexer: Lexer, _ state: Int32) -> LexemeWalk {
        let key = WalkCache.Key(list: 0, lexer: lexer.id, state: state)
        if let w = walks.lookup(key) { return w }
        return walks.publish(key, computeRootWalk(lexer, state))
    }

    /// The walk of `lexer` from `state` over the subtrees of `group.starts` (computed once per
    /// (list, lexer, state), then cached; every time for a list the cache had no room for).
    func walk(_ group: BoundaryGroup, _ lexer: Lexer, _ state: Int32) -> LexemeWalk {
        if group.list == WalkCache.uncachedList { return computeWalk(lexer, state, starts: group.starts) }
        let key = WalkCache.Key(list: group.list, lexer: lexer.id, state: state)
        if let w = walks.lookup(key) { return w }
        return walks.publish(key, computeWalk(lexer, state, starts: group.starts))
    }

    /// The lexeme ends of `lexer` from state `q` at the trie root, without walking the trie: a
    /// lexer state is a union of terminal states (its parts), and the lexeme can end at a node
    /// only where some part's terminal does, so the candidate nodes are the union of the
    /// parts' `TerminalBoundaries` (shared by every lexer with that part). Each node's path
    /// (the first `depth` bytes of any token below it) is replayed through the lexer's DFA for
    /// the state there, which keys its group; its children (longest-match: those whose byte
    /// cannot continue the lexeme) start the next lexeme. Longest-match lexers also get
    /// `endsHere`. The inside tokens are `Lexer.formInside`'s. Cost: O(candidates × depth) at
    /// worst, a path shared with the previous candidate replayed once.
    private func computeRootWalk(_ lexer: Lexer, _ q: Int32) -> LexemeWalk {
        let trie = vocabulary.trie
        let longest = tables.lexing == .longestMatch
        let parts = lexer.partCount(q)
        var nodes: [UInt32] = []
        for k in 0..<parts {
            let p = lexer.part(q, k)
            nodes += tables.boundaries(terminal: p.terminal, state: p.state)
        }
        if parts > 1 { nodes.sortAndRemoveDuplicates() }
        var pairs: [UInt64] = []
        // About four children a candidate (growing from empty reallocated ~7 times a walk).
        pairs.reserveCapacity(4 * nodes.count)
        // Candidates come in trie order, so neighbours share most of their paths: `path[d]` is
        // the previous candidate's ancestor at depth d and `states[d]` the state after it (valid
        // up to `known`); each path is replayed only below the deepest ancestor it shares with
        // that one, its nodes found through `parent` (the trie's arrays, near the node).
        // Both on the stack rather than in two heap arrays per walk.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: trie.maxDepth + 1) { states in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: trie.maxDepth + 1) { path in
            states.initialize(repeating: ByteDFA.dead)
            path.initialize(repeating: 0)
            states[0] = q
            var known = 0
            for n in nodes {
                let i = Int(n)
                let depth = Int(trie.depth[i])
                var d = min(depth, known)
                while d > 0 && !(path[d] <= i && i < Int(trie.subtreeEnd[path[d]])) { d -= 1 }
                var x = i
                for up in stride(from: depth, to: d, by: -1) { path[up] = x; x = Int(trie.parent[x]) }
                var s = states[d]
                while d < depth && s >= 0 {
                    d += 1
                    s = lexer.next(s, trie.byte[path[d]])
                    states[d] = s
                }
                known = d
                // `s` is live and accepting (some part's terminal accepts here), unless the lexer
                // ran out of its state budget on the way (then the node is left out).
                if s < 0 { continue }
                BoundaryGroup.appendEnds(at: i, state: s, of: lexer, longest: longest, trie, into: &pairs)
            }
        }
        }
        var endsHere: BoundaryGroup? = nil
        if longest && lexer.endsLexeme(q) {
            var list: [UInt32] = []
            for (c, b) in zip(trie.rootChildren, trie.rootChildBytes) where lexer.next(q, b) == ByteDFA.dead { list.append(c) }
            if !list.isEmpty { endsHere = BoundaryGroup(state: q, list: walks.listID(list), starts: list) }
        }
        return LexemeWalk(inside: [], insideIsBitset: false, groups: sortedGroups(&pairs, lexer), endsHere: endsHere)
    }

    /// The groups of (end state, start node) `pairs` (`WalkCache.pair`), ordered by (end class,
    /// state), each list sorted and unique, with its interned id. A root walk can meet tens of
    /// thousands of boundaries but few end states: the nodes are bucketed by state in the order
    /// met (mostly trie order, so a bucket rarely needs sorting); with many states, one sort of
    /// the flat words does it. (A dictionary of per-state lists cost a hash and a copy-on-write
    /// check per boundary; sorting every walk's words cost more than the walk's own bookkeeping.)
    private func sortedGroups(_ pairs: inout [UInt64], _ lexer: Lexer) -> [BoundaryGroup] {
        if pairs.isEmpty { return [] }
        // One end state (most walks below the root): its list straight from the pairs, without
        // the buckets' scratch arrays.
        let first = pairs[0] >> 32
        if pairs.allSatisfy({ $0 >> 32 == first }) {
            var list = pairs.map { UInt32(truncatingIfNeeded: $0) }
            let n = list.withUnsafeMutableBufferPointer { Self.sortUniqueNodes($0) }
            if n < list.count { list.removeSubrange(n...) }
            return [BoundaryGroup(state: Int32(truncatingIfNeeded: first), list: walks.listID(list), starts: list)]
        }
        var states: [UInt32] = []
        var start: [Int] = [0]
        var nodes = [UInt32](repeating: 0, count: pairs.count)
        if !Self.bucketByState(pairs, states: &states, start: &start, nodes: &nodes) {
            pairs.sort()
            states = []
            start = [0]
            for (k, p) in pairs.enumerated() {
                nodes[k] = UInt32(truncatingIfNeeded: p)
                if k == 0 || p >> 32 != pairs[k - 1] >> 32 {
                    if k > 0 { start.append(k) }
                    states.append(UInt32(truncatingIfNeeded: p >> 32))
                }
            }
            start.append(pairs.count)
        }
        var out: [BoundaryGroup] = []
        out.reserveCapacity(states.count)
        nodes.withUnsafeMutableBufferPointer { nb in
            for j in 0..<states.count {
                let lo = start[j], hi = start[j + 1]
                let list = Array(nb[lo..<(lo + Self.sortUniqueNodes(UnsafeMutableBufferPointer(rebasing: nb[lo..<hi])))])
                out.append(BoundaryGroup(state: Int32(bitPattern: states[j]), list: walks.listID(list), starts: list))
            }
        }
        out.sort { (lexer.endClass($0.state), $0.state) < (lexer.endClass($1.state), $1.state) }
        return out
    }

    /// Puts a bucket's nodes (met mostly in trie order) in order without repeats at its front;
    /// returns how many. A bucket already ascending is only scanned.
    private static func sortUniqueNodes(_ b: UnsafeMutableBufferPointer<UInt32>) -> Int {
        var x = 1
        while x < b.count && b[x - 1] < b[x] { x += 1 }
        if x >= b.count { return b.count }
        sortNodes(b)
        return b.removeAdjacentRepeats()
    }

    /// Sorts trie node numbers: two passes of an 11-bit radix sort for long runs (node numbers
    /// stay below 2^22), the standard sort for short ones.
    private static func sortNodes(_ a: UnsafeMutableBufferPointer<UInt32>) {
        guard a.count > 256, let top = a.max(), top < 1 << 22 else { var b = a; b.sort(); return }
        let scratch = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: a.count)
        defer { scratch.deallocate() }
        var count = [Int](repeating: 0, count: 2049)
        for (shift, from, to) in [(UInt32(0), a, scratch), (UInt32(11), scratch, a)] {
            for k in 0..<count.count { count[k] = 0 }
            for x in from { count[Int(x >> shift & 2047) + 1] += 1 }
            for k in 0..<2048 { count[k + 1] += count[k] }
            for x in from {
                let d = Int(x >> shift & 2047)
                to[count[d]] = x
                count[d] += 1
            }
        }
    }

    /// Counting sort of `pairs` by state (up to 32 distinct; false past that): `states[j]`'s
    /// nodes, in the order met, are `nodes[start[j] ..< start[j + 1]]`.
    private static func bucketByState(_ pairs: [UInt64], states: inout [UInt32], start: inout [Int], nodes: inout [UInt32]) -> Bool {
        // Scratch on the stack where it fits (three heap buffers a call were about a third of it).
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 32) { st in
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 33) { ct in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { hint in
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(pairs.count, 1)) { bucket in
            ct.initialize(repeating: 0)
            hint.initialize(repeating: 0)
            var m = 0
            let fits = pairs.withUnsafeBufferPointer { pp in
                var j = 0  // runs of one state are common: try the last state first
                for k in 0..<pp.count {
                    let s = UInt32(truncatingIfNeeded: pp[k] >> 32)
                    if j >= m || st[j] != s {
                        // Then the bucket last seen for a state with these low bits, then a scan.
                        j = Int(hint[Int(s & 63)])
                        if j >= m || st[j] != s {
                            j = 0
                            while j < m && st[j] != s { j += 1 }
                        }
                        hint[Int(s & 63)] = UInt8(j)
                        if j == m {
                            if m == 32 { return false }
                            st[m] = s
                            m += 1
                        }
                    }
                    ct[j + 1] += 1
                    bucket[k] = UInt8(j)
                }
                return true
            }
            if !fits { return false }
            states = Array(st[0..<m])
            start.reserveCapacity(m + 1)
            for j in 0..<m { start.append(start[j] + ct[j + 1]) }
            for j in 0..<m { ct[j] = start[j] }   // now each bucket's next free slot
            pairs.withUnsafeBufferPointer { pp in
                nodes.withUnsafeMutableBufferPointer { nb in
                    for k in 0..<pp.count {
                        let j = Int(bucket[k])
                        nb[ct[j]] = UInt32(truncatingIfNeeded: pp[k])
                        ct[j] += 1
                    }
                }
            }
            return true
        }
        }
        }
        }
    }

    /// One walk of the subtrees of `starts` (each node's byte first) stepping only `lexer`'s
    /// DFA from `q`: the tokens staying inside the lexeme, and the boundaries: a node in an
    /// accepting state s with children, whose children (longest-match: only those whose byte
    /// cannot continue s) start the next lexeme. Cost: O(live nodes of the subtrees).
    private func computeWalk(_ lexer: Lexer, _ q: Int32, starts: [UInt32]) -> LexemeWalk {
        let trie = vocabulary.trie
        let longest = tables.lexing == .longestMatch
        let words = TokenMask.wordCount(vocabulary.maskWidth)
        var pairs: [UInt64] = []
        // Token ids as met (unique within one subtree; nested starts can repeat them).
        var ids: [UInt32] = []
        // The state per depth, on the stack rather than in a heap array per walk.
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: trie.maxDepth + 2) { stack in
            for c0 in starts {
                let (lo, hi, base) = BoundaryGroup.span(c0, trie)
                stack[0] = q
                var i = lo
                while i < hi {
                    let d = Int(trie.depth[i]) - base
                    let s = lexer.next(stack[d - 1], trie.byte[i])
                    if s < 0 { i = Int(trie.subtreeEnd[i]); continue }
                    stack[d] = s
                    for k in Int(trie.tokenStart[i])..<Int(trie.tokenStart[i + 1]) { ids.append(UInt32(bitPattern: trie.tokenIDs[k])) }
                    if Int(trie.subtreeEnd[i]) > i + 1 && lexer.endsLexeme(s) {
                        BoundaryGroup.appendEnds(at: i, state: s, of: lexer, longest: longest, trie, into: &pairs)
                    }
                    i += 1
                }
            }
        }
        let out = sortedGroups(&pairs, lexer)
        if ids.count > MaskStore.listLimit(words: words) {
            var bits = [UInt32](repeating: 0, count: words)
            for id in ids { bits[Int(id >> 5)] |= 1 << (id & 31) }
            if bits.withUnsafeBufferPointer(MaskStore.listCount) == nil {
                return LexemeWalk(inside: bits, insideIsBitset: true, groups: out, endsHere: nil)
            }
        }
        ids.sortAndRemoveDuplicates()
        return LexemeWalk(inside: ids, insideIsBitset: false, groups: out, endsHere: nil)
    }
}

private struct SendableMaskPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<TokenMask>
}

/// One sequence's position in a `GrammarConstraint`. Cheap to create; a copy is an
/// independent fork (the chart is copy-on-write). Not for concurrent mutation.
///
/// State: the parser core (append-only chart and thread log with a checkpoint per byte) and
/// the byte checkpoint of every accepted step, so `rollback(n)` is a truncation.
public struct GrammarMatcher: TokenMatcher, Sendable {
    public let constraint: GrammarConstraint
    var core: EarleyCore
    /// `core.pushedCount` after each accepted step (`[0]` at the start).
    private var steps: [Int32] = [0]
    private var terminatedAt = 0

    public init(_ constraint: GrammarConstraint) {
        self.constraint = constraint
        self.core = EarleyCore(tables: constraint.tables)
    }

    public var maskWidth: Int { constraint.vocabulary.maskWidth }
    public var acceptedCount: Int { steps.count - 1 }
    private var eosAccepted: Bool { terminatedAt != 0 }
    public var isAccepting: Bool { eosAccepted || core.isAccepting() }
    /// Bytes accepted so far.
    public var position: Int { Int(core.position) }

    public var isTerminated: Bool {
        if eosAccepted { return true }
        return !canContinue()
    }

    /// Some byte or token can follow the output.
    private func canContinue() -> Bool {
        if let k = core.setAtPosition, constraint.tables.hasTokenTerminals, expectsTokenTerminal(k) { return true }
        for th in core.currentThreads where constraint.tables.lexer(id: th.lexer).hasExit(th.state) { return true }
        guard core.longest, let th = core.currentThreads.first, th.start < core.position else { return false }
        let l = constraint.tables.lexer(id: th.lexer)
        guard l.endsLexeme(th.state) else { return false }
        var o = EarleyCore(overlaying: core)
        o.restartAfterCommit(from: th.set, labels: l.labels(th.state), ignored: l.acceptsIgnored(th.state), width: l.width(th.state),
                              position: core.position)
        return !o.currentThreads.isEmpty
    }

    private func expectsTokenTerminal(_ k: Int32) -> Bool {
        var found = false
        core.forEachItem(inSet: k) { it in
            if let s = core.nextSymbol(it), s < 0, constraint.tables.terminals[Int(~s)].token != nil { found = true }
        }
        return found
    }

    // MARK: - Accepting

    public mutating func accept(token: Int32) -> Bool {
        // The vocabulary's fields are read through the constraint: a local copy of the whole
        // struct retained and released its ~25 references on every token.
        let c = constraint
        guard !eosAccepted, token >= 0, Int(token) < c.vocabulary.maskWidth else { return false }
        if c.vocabulary.eosIDs.contains(token) {
            guard core.isAccepting() else { return false }
            steps.append(Int32(core.pushedCount))
            terminatedAt = steps.count
            return true
        }
        let start = core.pushedCount
        let k0 = core.setAtPosition
        var bytesOK = false
        let offsets = c.vocabulary.tokenOffsets
        if c.vocabulary.isGrammarToken(Int(token)) {
            bytesOK = true
            let bytes = c.vocabulary.tokenBytes
            for k in Int(offsets[Int(token)])..<Int(offsets[Int(token) + 1]) where !core.push(bytes[k]) {
                bytesOK = false
                break
            }
            if !bytesOK { core.pop(to: start) }
        }
        var tokenOK = false
        if c.tables.hasTokenTerminals, let k0 {
            let n = Int32(offsets[Int(token) + 1] - offsets[Int(token)])
            if !bytesOK { core.advanceWithoutBytes(by: max(1, n)) }
            tokenOK = core.scanToken(token, at: k0)
            if !tokenOK && !bytesOK { core.pop(to: start) }
        }
        guard bytesOK || tokenOK else { return false }
        steps.append(Int32(core.pushedCount))
        return true
    }

    public mutating func accept(bytes: [UInt8]) -> Bool {
        guard !eosAccepted else { return false }
        let start = core.pushedCount
        for b in bytes where !core.push(b) {
            core.pop(to: start)
            return false
        }
        steps.append(Int32(core.pushedCount))
        return true
    }

    /// How many leading bytes of `bytes` keep the output viable (`bytes.count` when all do).
    public func viablePrefixLength(_ bytes: [UInt8]) -> Int {
        guard !eosAccepted else { return 0 }
        var o = EarleyCore(overlaying: core)
        o.restartAt(position: core.position, threads: Array(core.currentThreads))
        for (i, b) in bytes.enumerated() where !o.push(b) { return i }
        return bytes.count
    }

    /// As `viablePrefixLength`, but a byte refused because a lexer needed there exceeds the
    /// state budget is an error (thrown), not a mismatch: the text may well be valid.
    public func checkedViablePrefixLength(_ bytes: [UInt8]) throws -> Int {
        guard !eosAccepted else { return 0 }
        var o = EarleyCore(overlaying: core)
        o.restartAt(position: core.position, threads: Array(core.currentThreads))
        for (i, b) in bytes.enumerated() where !o.push(b) {
            if let e = o.error { throw FSMDecodeError(e.kind, "at byte \(Int(core.position) + i): \(e.message)") }
            return i
        }
        return bytes.count
    }

    /// What the grammar expects at the current position (terminal names), for messages.
    public func expectedHere() -> [String] {
        var names: [String] = []
        for th in core.currentThreads {
            let l = constraint.tables.lexer(id: th.lexer)
            for t in l.terminals where !names.contains(constraint.tables.terminalName(t)) {
                names.append(constraint.tables.terminalName(t))
            }
        }
        if let k = core.setAtPosition {
            for n in core.expectedNames(set: k) where !names.contains(n) { names.append(n) }
        }
        return names
    }

    /// Why the output cannot go on when the indentation step is the reason (a Python-style
    /// grammar's newline lexeme ends here at a width that is refused); nil otherwise.
    public func indentationProblem() -> String? { core.indentationProblem() }

    public mutating func rollback(_ count: Int) {
        precondition(count >= 0 && count <= acceptedCount, "cannot roll back \(count) steps; \(acceptedCount) accepted")
        steps.removeLast(count)
        core.pop(to: Int(steps[steps.count - 1]))
        if terminatedAt > steps.count { terminatedAt = 0 }
    }

    public mutating func reset() {
        rollback(acceptedCount)
        terminatedAt = 0
    }

    public func forcedBytes() -> [UInt8] {
        guard !eosAccepted else { return [] }
        var o = EarleyCore(overlaying: core)
        o.restartAt(position: core.position, threads: Array(core.currentThreads))
        if let k = core.setAtPosition, constraint.tables.hasTokenTerminals, expectsTokenTerminal(k) { return [] }
        var out: [UInt8] = []
        while out.count < 4096 && !o.isAccepting() {
            var only = -1
            for b in 0..<256 {
                if o.push(UInt8(b)) {
                    o.pop(to: o.pushedCount - 1)
                    if only >= 0 { return out }
                    only = b
                }
            }
            guard only >= 0, o.push(UInt8(only)) else { return out }
            out.append(UInt8(only))
        }
        return out
    }

    // MARK: - Masks

    public func fillNextTokenMask(into mask: UnsafeMutableBufferPointer<UInt32>) {
        let words = TokenMask.wordCount(maskWidth)
        precondition(mask.count >= words, "mask buffer has \(mask.count) words, needs \(words)")
        let dst = mask.baseAddress!
        let tables = constraint.tables
        let threads = core.currentThreadRange
        // The first thread's inside mask is written over the words instead of ORed into zeroed
        // ones (the zeroing pass was about a third of a memo hit); the rest is ORed in. The
        // stores span exactly `words` words (`GrammarTokens` of the same vocabulary).
        var written = eosAccepted || threads.isEmpty
        if written { dst.update(repeating: 0, count: words) }
        if eosAccepted { return }
        // Inside tokens per thread (one cached mask each), then the lexeme ends inside tokens:
        // memoized per parse context, else walked (`walkLexemeEnds`). The overlay the walks
        // commit on is taken on the first memo miss only (from the constraint's pool: a fresh
        // one grows and frees a dozen buffers, a fifth of a miss), and given back at the end.
        var walker: MaskWalker? = nil
        defer { if walker != nil { walker!.dropBase(); constraint.giveBack(walker.take()!) } }
        for t in threads {
            let th = core.thread(at: t)
            let overwrite = !written
            tables.unretainedLexer(id: th.lexer)._withUnsafeGuaranteedRef { l in
                if overwrite { l.writeInside(th.state, into: dst) } else { l.formInside(th.state, into: dst) }
            }
            written = true
            let context = core.contextHash(ofSet: th.set)
            let key = context.map {
                MaskMemoKey(contextA: $0.0, contextB: $0.1, lexer: th.lexer, state: th.state, endsHere: th.start < core.position)
            }
            if let key, let known = constraint.memo?.get(key) {
                known.formUnion(into: dst)
                continue
            }
            if walker == nil { walker = constraint.takeWalker(over: core) }
            let applied = walker!.walkLexemeEnds(of: th, context: core.setContext(ofSet: th.set), constraint, into: dst)
            if let key, let applied { constraint.memo?.put(key, applied, cost: applied.count + 1) }
        }
        if tables.hasTokenTerminals, let k = core.setAtPosition {
            core.forEachItem(inSet: k) { it in
                guard let s = core.nextSymbol(it), s < 0, let tok = tables.terminals[Int(~s)].token else { return }
                if tok.negated {
                    let all = tables.grammarTokens!.bits
                    for w in 0..<words { dst[w] |= all[w] }
                    // Cleared below unless another terminal allows it.
                } else {
                    dst[Int(tok.id) >> 5] |= 1 << (UInt32(tok.id) & 31)
                }
            }
            // A negated terminal allows every grammar token except its id; the id stays allowed
            // only when its bytes or a positive terminal allow it (re-checked exactly).
            core.forEachItem(inSet: k) { it in
                guard let s = core.nextSymbol(it), s < 0, let tok = tables.terminals[Int(~s)].token, tok.negated else { return }
                var m = self
                if !m.accept(token: tok.id) { dst[Int(tok.id) >> 5] &= ~(1 << (UInt32(tok.id) & 31)) }
            }
        }
        for id in constraint.vocabulary.eosIDs { dst[Int(id) >> 5] &= ~(1 << (UInt32(id) & 31)) }
        if core.isAccepting() {
            for id in constraint.vocabulary.eosIDs { dst[Int(id) >> 5] |= 1 << (UInt32(id) & 31) }
        }
    }
}

/// The lexeme-end part of a mask for threads the memo does not know: a depth-first walk over
/// (commit, next lexer, cached walk of the start nodes) on an overlay of the matcher's chart,
/// whose parser work is one commit per distinct chain of lexeme ends, shared by all tokens.
private struct MaskWalker {
    var o: EarleyCore
    var frames: [WalkFrame] = []
    var commits: [WalkCommit] = []
    /// `walkLexemeEnds`' list of applied walks, kept between calls (empty between them): grown
    /// from empty on every call it was reallocated at 1, 2, 4, … walks, and a first visit
    /// applies dozens.
    var appliedScratch: [LexemeWalk] = []

    init(_ core: EarleyCore) { o = EarleyCore(overlaying: core) }

    /// Reuse over another chart of the same constraint (buffers kept; see `EarleyCore.rebase`).
    mutating func rebase(over core: EarleyCore) {
        o.rebase(onto: core)
        frames.removeAll(keepingCapacity: true)
        commits.removeAll(keepingCapacity: true)
    }

    /// Drops the references to the matcher's chart before pooling.
    mutating func dropBase() { o.dropBase() }

    /// Walks this walker looked up lately (`WalkCache` keys and walks, direct-mapped): a pooled
    /// walker meets the same few walks mask after mask, and a hit here skips the cache's lock
    /// and hash. Walks are immutable and a key's walk is always the same, so an entry never
    /// goes stale. The walks are held by `recentOwners` and read through `recentWalks`, so a
    /// hit retains only for `applied`.
    private var recentKeys = [WalkCache.Key](repeating: WalkCache.Key(list: 0, lexer: -1, state: -1), count: MaskWalker.recentSlots)
    private var recentWalks: [Unmanaged<LexemeWalk>?] = Array(repeating: nil, count: MaskWalker.recentSlots)
    private var recentOwners: [LexemeWalk?] = Array(repeating: nil, count: MaskWalker.recentSlots)
    private static let recentSlots = 256

    /// `GrammarConstraint.walk` of group `index` of `parent` (`LexemeWalk.group`) for `next`'s
    /// lexer and state, through `recentKeys`; appended to `applied`, which keeps it alive.
    private mutating func recentWalk(_ parent: Unmanaged<LexemeWalk>, _ index: Int32, list: Int32, _ next: LexThread, _ constraint: GrammarConstraint,
                                     applied: inout [LexemeWalk]) -> Unmanaged<LexemeWalk> {
        let key = WalkCache.Key(list: list, lexer: next.lexer, state: next.state)
        let h = WordKey(key.list, key.state).word &* 0x9E37_79B9_7F4A_7C15
            ^ UInt64(UInt32(bitPattern: key.lexer)) &* 0xC2B2_AE3D_27D4_EB4F
        let slot = Int(truncatingIfNeeded: h >> 56)
        if list != WalkCache.uncachedList && recentKeys[slot] == key, let w = recentWalks[slot] {
            applied.append(w.takeUnretainedValue())
            return w
        }
        let w = parent._withUnsafeGuaranteedRef { constraint.walk($0.group(index), constraint.tables.lexer(id: next.lexer), next.state) }
        applied.append(w)
        if list != WalkCache.uncachedList {
            recentKeys[slot] = key
            recentOwners[slot] = w
            recentWalks[slot] = Unmanaged.passUnretained(w)
        }
        return Unmanaged.passUnretained(w)
    }

    /// ORs into `dst` the tokens whose bytes end `th`'s lexeme and go on viably; returns the
    /// walks it unioned (for the memo), or nil when a lexer hit its budget on the way.
    /// `context`: the context hashes of `th.set` (nil: no group memo).
    mutating func walkLexemeEnds(of th: LexThread, context: SetContext?, _ constraint: GrammarConstraint,
                                 into dst: UnsafeMutablePointer<UInt32>) -> [LexemeWalk]? {
        let tables = constraint.tables
        let lexer = tables.lexer(id: th.lexer)
        var applied = appliedScratch
        appliedScratch = []
        let root = constraint.rootWalk(lexer, th.state)
        let m = o.mark
        commits.removeAll(keepingCapacity: true)
        var complete = true
        // Each root group on its own (memoized by context, end class and start list), the
        // walk below it run to the end before the next. Frames refer to `root` unretained.
        withExtendedLifetime(root) {
            let r = Unmanaged.passUnretained(root)
            for k in 0..<root.groups.count {
                walkGroup(r, Int32(k), of: th, lexer, mark: m, context: context, constraint, into: dst, applied: &applied, complete: &complete)
            }
            if root.endsHere != nil, th.start < o.position {
                walkGroup(r, -1, of: th, lexer, mark: m, context: context, constraint, into: dst, applied: &applied, complete: &complete)
            }
        }
        o.truncate(to: m)
        // An exact-size copy for the memo (`Array(applied)` would share the buffer, and the
        // scratch would reallocate); the scratch keeps its capacity.
        let result: [LexemeWalk]? = !complete ? nil : applied.withUnsafeBufferPointer { src in
            [LexemeWalk](unsafeUninitializedCapacity: src.count) { dst, n in
                _ = dst.initialize(from: src)
                n = src.count
            }
        }
        applied.removeAll(keepingCapacity: true)
        appliedScratch = applied
        return result
    }

    /// `mark`: the chart before any of the lexeme's ends was committed (every root frame
    /// commits on it; commits left by earlier groups are reused or truncated away).
    /// `root`'s group `index` (`LexemeWalk.group`).
    private mutating func walkGroup(_ root: Unmanaged<LexemeWalk>, _ index: Int32, of th: LexThread, _ lexer: Lexer, mark: EarleyCore.Mark, context: SetContext?, _ constraint: GrammarConstraint,
                                    into dst: UnsafeMutablePointer<UInt32>, applied: inout [LexemeWalk], complete: inout Bool) {
        let (state, list) = root._withUnsafeGuaranteedRef { $0.groupKey(index) }
        let shape = context == nil || list == WalkCache.uncachedList ? nil
            : GroupWalkMemo.Shape(lexer: th.lexer, endClass: lexer.endClass(state), list: list)
        if let shape, let known = constraint.groupMemo?.get(shape, context!) {
            known.formUnion(into: dst)
            applied += known
            return
        }
        let first = applied.count
        let errorBefore = o.error != nil
        frames.append(WalkFrame(set: th.set, lexer: th.lexer, walk: root, index: index, mark: mark))
        o.lowestBaseRead = .max
        runFrames(constraint, into: dst, applied: &applied)
        if o.error != nil { complete = false }
        if let shape, !errorBefore, o.error == nil {
            // The fewest levels covering every set the walk read (by its commits, and by those
            // it reused from earlier groups: `WalkCommit.lowestRead`).
            let hops = o.originChainLength(from: th.set, floor: min(o.lowestBaseRead, th.set), limit: EarleyCore.contextLevels - 1)
            constraint.groupMemo?.put(shape, context!, levels: hops.map { $0 + 1 } ?? 0, Array(applied[first...]))
        }
    }

    /// Runs the pending frames depth first, ORing each walk into `dst` and appending it to
    /// `applied`.
    private mutating func runFrames(_ constraint: GrammarConstraint, into dst: UnsafeMutablePointer<UInt32>, applied: inout [LexemeWalk]) {
        let tables = constraint.tables
        // Groups of one walk that end the lexeme alike are adjacent (`computeWalk` orders
        // them by end class), so sibling frames often need the same commit: same set, lexer,
        // end class and chart below (`mark`). `commits` keeps the commits whose sets are
        // still in the chart (marks increasing); truncating to t drops those ending past t,
        // so a kept entry's chart up to `after` is exactly what its commit left.
        while let f = frames.popLast() {
            let fl = tables.unretainedLexer(id: f.lexer)
            let (s, list) = f.walk._withUnsafeGuaranteedRef { $0.groupKey(f.index) }
            let cls = fl._withUnsafeGuaranteedRef { $0.endClass(s) }
            var next: LexThread? = nil
            var hit = false
            // The latest commit on the same chart, if any (an index loop: no array retain).
            var ci = commits.count - 1
            while ci >= 0 && commits[ci].mark != f.mark { ci -= 1 }
            if ci >= 0 {
                let c = commits[ci]
                if c.set == f.set && c.lexer == f.lexer && c.endClass == cls {
                    hit = true
                    next = c.next
                    o.lowestBaseRead = min(o.lowestBaseRead, c.lowestRead)
                    o.truncate(to: c.after)
                    while let top = commits.last, top.after > c.after { commits.removeLast() }
                }
            }
            if !hit {
                o.truncate(to: f.mark)
                while let top = commits.last, top.after > f.mark { commits.removeLast() }
                let (labels, ignored, width) = fl._withUnsafeGuaranteedRef { ($0.labels(s), $0.acceptsIgnored(s), $0.width(s)) }
                next = o.commitThread(from: f.set, labels: labels, ignored: ignored, width: width)
                commits.append(WalkCommit(set: f.set, lexer: f.lexer, endClass: cls, mark: f.mark, after: o.mark, next: next,
                                          lowestRead: o.lowestBaseRead))
            }
            guard let next else { continue }
            let w = recentWalk(f.walk, f.index, list: list, next, constraint, applied: &applied)
            let children = w._withUnsafeGuaranteedRef { w in
                w.formUnion(into: dst)
                return w.groups.count
            }
            let m = o.mark
            for k in 0..<children { frames.append(WalkFrame(set: next.set, lexer: next.lexer, walk: w, index: Int32(k), mark: m)) }
        }
    }
}

/// A lexeme end committed in a mask walk: from `set` with `lexer`'s end class `endClass` on
/// the chart up to `mark`, leaving the chart up to `after` and the next lexeme's thread;
/// `lowestRead`: the overlay's `lowestBaseRead` just after it (covers the base sets it read).
private struct WalkCommit {
    var set: Int32
    var lexer: Int32
    var endClass: Int32
    var mark: EarleyCore.Mark
    var after: EarleyCore.Mark
    var next: LexThread?
    var lowestRead: Int32
}

/// A pending lexeme end in a mask walk: the lexeme begun at `set`, lexed by `lexer`, ends in
/// `group.state` before each of `group.starts`; `mark` is the chart to commit it on.
private struct WalkFrame {
    var set: Int32
    var lexer: Int32
    /// The group: `walk.group(index)`. Unretained (a frame is pushed and popped per lexeme
    /// end): the walk is the root walk or one in the walker's `applied` list, alive while
    /// frames run.
    var walk: Unmanaged<LexemeWalk>
    var index: Int32
    var mark: EarleyCore.Mark
}
