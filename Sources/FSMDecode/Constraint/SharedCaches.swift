import Synchronization

/// Compile products that depend only on their inputs, shared by every constraint of the
/// process: a server compiling schema after schema meets the same terminals (JSON strings,
/// numbers, whitespace, keys) again and again. Entries are immutable
/// values; the caches are bounded (oldest entries dropped first) and thread-safe.
///
/// What is shared, and what stays per constraint:
/// - terminal DFAs, keyed by the terminal's regex AST and the budgets (`terminalDFAs`);
/// - token masks and lexeme ends of terminal-DFA states, per vocabulary and keyed by the
///   language accepted from the state (`Vocabulary.sharedMasks`, a `SharedTerminalMasks`).
/// Parse tables, lexers, walk caches and matchers stay per constraint.
///
/// `clear()` empties the process-wide ones (benchmarks use it to measure cold compiles);
/// `Vocabulary.sharedMasks.clear()` empties a vocabulary's masks.
public enum SharedCaches {
    /// Hashed by the AST's `structuralHash` (computed once, at init), compared in full.
    struct TerminalKey: Hashable, Sendable {
        let ast: RegexAST
        let maxStates: Int
        let maxNFAStates: Int
        let maxSubsetWork: Int?
        let astHash: UInt64

        init(ast: RegexAST, maxStates: Int, maxNFAStates: Int, maxSubsetWork: Int?) {
            self.ast = ast
            self.maxStates = maxStates
            self.maxNFAStates = maxNFAStates
            self.maxSubsetWork = maxSubsetWork
            astHash = ast.structuralHash
        }

        func hash(into h: inout Hasher) {
            h.combine(astHash)
            h.combine(maxStates)
            h.combine(maxNFAStates)
            h.combine(maxSubsetWork)
        }

        static func == (a: TerminalKey, b: TerminalKey) -> Bool {
            a.astHash == b.astHash && a.maxStates == b.maxStates && a.maxNFAStates == b.maxNFAStates
                && a.maxSubsetWork == b.maxSubsetWork && a.ast == b.ast
        }
    }

    /// Regex AST → minimal DFA (nil: matches nothing). Failures are not cached. Cost bound:
    /// 16 M table cells (~64 MB).
    static let terminalDFAs = BoundedCache<TerminalKey, ByteDFA?>(maxCost: 16 << 20)

    /// Empties the process-wide caches (not the vocabularies' masks).
    public static func clear() {
        terminalDFAs.clear()
    }
}

/// A key whose hash is computed once: big keys (regex trees, DFA tables, signatures) would
/// otherwise be rehashed whole at every dictionary resize.
struct HashedKey<T: Hashable & Sendable>: Hashable, Sendable {
    let value: T
    let hashValue_: Int

    init(_ value: T) {
        self.value = value
        hashValue_ = value.hashValue
    }

    func hash(into h: inout Hasher) { h.combine(hashValue_) }
    static func == (a: HashedKey, b: HashedKey) -> Bool { a.hashValue_ == b.hashValue_ && a.value == b.value }
}

/// A word list as a dictionary key, hashed once, 8 bytes per step (`StableHasher`) rather than
/// by the standard library's per-element hashing, which costs several times more on the long
/// lists hashed on first visits (state signatures, walk start lists). A type of its own, not a
/// second `HashedKey` initializer, so a list has one hash however its key is made. Equality
/// still compares the lists; the dictionary seeds its own hashing of this value.
struct WordListKey: Hashable, Sendable {
    let words: [UInt32]
    private let hash: Int

    init(_ words: [UInt32]) {
        self.words = words
        var h = StableHasher()
        h.combine(array: words)
        hash = Int(truncatingIfNeeded: h.finalize())
    }

    func hash(into h: inout Hasher) { h.combine(hash) }
    static func == (a: WordListKey, b: WordListKey) -> Bool { a.hash == b.hash && a.words == b.words }
}

/// A dictionary with a total cost bound: inserting past it drops the oldest entries.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var values: [HashedKey<Key>: (value: Value, cost: Int)] = [:]
        /// Insertion order (keys may be stale after removal: checked on eviction).
        var order: [HashedKey<Key>] = []
        var head = 0
        var cost = 0
    }
    private let state = Mutex(State())
    let maxCost: Int

    init(maxCost: Int) { self.maxCost = maxCost }

    func get(_ key: Key) -> Value? {
        let k = HashedKey(key)
        return state.withLock { $0.values[k]?.value }
    }

    /// Stores `value` unless present; an entry costing more than the whole bound is not kept.
    func put(_ key: Key, _ value: Value, cost: Int) {
        guard cost <= maxCost else { return }
        let key = HashedKey(key)
        state.withLock { s in
            guard s.values[key] == nil else { return }
            while s.cost + cost > maxCost && s.head < s.order.count {
                let old = s.order[s.head]
                s.head += 1
                if let e = s.values.removeValue(forKey: old) { s.cost -= e.cost }
            }
            if s.head > 1024 && s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
            s.values[key] = (value, cost)
            s.order.append(key)
            s.cost += cost
        }
    }

    func clear() { state.withLock { $0 = State() } }
}

/// One vocabulary's token masks and lexeme ends per *language*: the mask of a DFA state q (the
/// tokens whose bytes keep q's match alive) and where the match ends inside tokens depend only
/// on the language accepted from q, so they are keyed by a canonical description of the part of
/// the DFA reachable from q (`signature`). A JSON string body met inside a key terminal, a value
/// terminal or another schema's terminal is walked once per vocabulary. Shared by the mask
/// stores of every grammar compiled against it (`MaskStore`'s `shared`); holds plain data only
/// (no reference back to the vocabulary). Bounded: past `maxBytes` of payload, new masks are
/// computed but not kept.
public final class SharedTerminalMasks: Sendable {
    /// One state's walk result: the encoded mask (as `MaskStore` encodes it) and the trie nodes
    /// where the match ends inside tokens.
    struct StateMask: Sendable {
        var encoding: MaskEncoding
        var allowed: Int32
        var payload: [UInt32]
        var hash: UInt64
        var ends: [UInt32]
    }

    /// Live bytes from a state below which its mask is not shared (its walk is cheap).
    static let minLiveBytes = 32

    /// States reachable from q beyond which no signature is made (the state is not shared).
    static let maxSignatureStates = 1024

    public static let defaultMaxBytes = 128 << 20
    private let masks: Mutex<[WordListKey: StateMask]> = Mutex([:])
    private let bytes = Atomic<Int>(0)
    let maxBytes: Int

    private let sliceBox = Mutex<[TokenSlice]?>(nil)
    private let grammarTokenBox = Mutex<(bits: [UInt32], count: Int)?>(nil)

    /// The vocabulary's grammar tokens (in the trie, not EOS) as mask words, and how many
    /// (computed on first use; `vocabulary` must be the owner). See `GrammarTokens`.
    func grammarTokenBits(_ vocabulary: Vocabulary) -> (bits: [UInt32], count: Int) {
        grammarTokenBox.withLock { box in
            if let b = box { return b }
            var bits = [UInt32](repeating: 0, count: TokenMask.wordCount(vocabulary.maskWidth))
            for id in vocabulary.trie.tokenIDs { bits[Int(id) >> 5] |= 1 << (UInt32(id) & 31) }
            for id in vocabulary.eosIDs { bits[Int(id) >> 5] &= ~(1 << (UInt32(id) & 31)) }
            let b = (bits, bits.reduce(0) { $0 + $1.nonzeroBitCount })
            box = b
            return b
        }
    }

    public init(maxBytes: Int = SharedTerminalMasks.defaultMaxBytes) { self.maxBytes = maxBytes }

    /// The vocabulary's `TokenSlice`s, one per `TokenSlice.levels`, widest first (built on
    /// first use; `vocabulary` must be the owner).
    func slices(_ vocabulary: Vocabulary) -> [TokenSlice] {
        sliceBox.withLock { box in
            if let s = box { return s }
            let s = TokenSlice.levels.map { TokenSlice(vocabulary, maxBytes: $0) }
            box = s
            return s
        }
    }

    func get(_ signature: [UInt32]) -> StateMask? {
        let k = WordListKey(signature)
        return masks.withLock { $0[k] }
    }

    func put(_ signature: [UInt32], _ mask: StateMask) {
        let n = (mask.payload.count + mask.ends.count + signature.count) * 4 + 64
        guard reserve(n) else { return }
        let k = WordListKey(signature)
        masks.withLock { m in if m[k] == nil { m[k] = mask } }
    }

    /// The first byte of each run of equal byte classes of `dfa` (0 first): a state's
    /// transitions are constant on each run. With `kinds` (a class per byte of another
    /// automaton), runs also split where that class changes.
    static func classRuns(_ dfa: ByteDFA, splitting kinds: [UInt8]? = nil) -> [UInt8] {
        var runs: [UInt8] = [0]
        for b in 1..<256 where dfa.byteClass[b] != dfa.byteClass[b - 1] || (kinds.map { $0[b] != $0[b - 1] } ?? false) {
            runs.append(UInt8(b))
        }
        return runs
    }

    /// What a state's mask depends on: the sub-DFA reachable from `q` within `depth` bytes (the
    /// longest token), canonically. States numbered breadth-first from q in byte order; per
    /// state its accepting bit, then its transitions as runs of bytes (first byte, target number
    /// or dead; adjacent runs with equal targets merged); a state `depth` bytes away is a leaf
    /// (no token's path leaves it, and no token's path ends inside a lexeme there), written as
    /// a marker alone. Equal signatures ⇒ equal behaviour on every string of at most `depth`
    /// bytes ⇒ equal masks and lexeme ends. So the states of a long count (`{0,1000}`,
    /// `maxLength: 255`) that are still more than a token's length from the bound share one
    /// mask, and within `depth` of q a minimal DFA gives equal signatures for equal languages.
    /// `runs` is `classRuns(dfa)`. Nil past `maxSignatureStates` states.
    /// Cost: O(states within depth × runs).
    static func signature(_ dfa: ByteDFA, _ q: Int32, runs: [UInt8], depth: Int) -> [UInt32]? {
        // BFS numbers in an open-addressing table (a dictionary probe per transition cost more
        // than the rest of the search), sized by the states it can hold, not by the DFA.
        var capacity = 16
        while capacity < 2 * min(dfa.stateCount, maxSignatureStates) { capacity <<= 1 }
        let mask = capacity - 1
        // Flat scratch (the search is ~100 k instructions on long counts; array accesses with
        // their checks were most of it): probe slots, the queue, each run's class.
        let slotState = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        let slotNumber = UnsafeMutablePointer<UInt32>.allocate(capacity: capacity)
        let queue = UnsafeMutablePointer<Int32>.allocate(capacity: maxSignatureStates)
        let runClass = UnsafeMutablePointer<Int>.allocate(capacity: max(runs.count, 1))
        defer { slotState.deallocate(); slotNumber.deallocate(); queue.deallocate(); runClass.deallocate() }
        slotState.initialize(repeating: -1, count: capacity)
        for (k, b) in runs.enumerated() { runClass[k] = Int(dfa.byteClass[Int(b)]) }
        let home = Int(UInt32(bitPattern: q) &* 0x9E37_79B1) & mask
        slotState[home] = q
        slotNumber[home] = 0
        queue[0] = q
        var queued = 1
        // At most one entry per state and one per run of each state.
        let out = UnsafeMutablePointer<UInt32>.allocate(capacity: min(dfa.stateCount, maxSignatureStates) * (runs.count + 1))
        defer { out.deallocate() }
        var n = 0
        var head = 0
        // BFS visits states by distance from q: distance `d` ends before queue index `levelEnd`.
        var d = 0, levelEnd = 1
        let k = dfa.classCount
        let complete = dfa.table.withUnsafeBufferPointer { table in
            dfa.accepting.withUnsafeBufferPointer { accepting in
                while head < queued {
                    if head == levelEnd { d += 1; levelEnd = queued }
                    let s = queue[head]
                    head += 1
                    if d >= depth { out[n] = 0x2000_0000; n += 1; continue }
                    out[n] = accepting[Int(s)] ? 0x8000_0000 : 0x4000_0000
                    n += 1
                    let row = Int(s) * k
                    var previous: Int32 = -2
                    for r in 0 ..< runs.count {
                        let t = table[row + runClass[r]]
                        if t == previous { continue }
                        previous = t
                        var id: UInt32 = 0xFFFF
                        if t >= 0 {
                            var i = Int(UInt32(bitPattern: t) &* 0x9E37_79B1) & mask
                            while slotState[i] >= 0 && slotState[i] != t { i = (i + 1) & mask }
                            if slotState[i] == t { id = slotNumber[i] } else {
                                guard queued < maxSignatureStates else { return false }
                                id = UInt32(queued)
                                slotState[i] = t
                                slotNumber[i] = id
                                queue[queued] = t
                                queued += 1
                            }
                        }
                        out[n] = UInt32(runs[r]) << 16 | id
                        n += 1
                    }
                }
                return true
            }
        }
        return complete ? Array(UnsafeBufferPointer(start: out, count: n)) : nil
    }

    private func reserve(_ n: Int) -> Bool {
        while true {
            let cur = bytes.load(ordering: .relaxed)
            if cur + n > maxBytes { return false }
            if bytes.compareExchange(expected: cur, desired: cur + n, ordering: .relaxed).exchanged { return true }
        }
    }

    /// Drops every shared mask (stores already built keep the masks they published).
    public func clear() {
        masks.withLock { $0 = [:] }
        bytes.store(0, ordering: .relaxed)
    }

    /// Payload bytes held.
    public var byteCount: Int { bytes.load(ordering: .relaxed) }
}

// Terminal DFAs key the shared caches (equal languages give `==` DFAs: they are canonical).
extension ByteDFA: Hashable {
    public func hash(into h: inout Hasher) {
        h.combine(stateCount)
        h.combine(start)
        h.combine(classCount)
        h.combine(table)
        h.combine(accepting)
        h.combine(byteClass)
    }
}

extension Vocabulary {
    /// Builds the vocabulary's `TokenSlice` now (otherwise built on the first wide mask walk:
    /// one pass over the tokens and a trie of the others), as a server would at start-up.
    public func prepareMaskWalks() { _ = sharedMasks.slices(self) }
}
