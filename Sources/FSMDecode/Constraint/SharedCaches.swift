import Synchronization

/// Compile products that depend only on their inputs, shared by every constraint of the
/// process: a server compiling schema after schema meets the same terminals (JSON strings,
/// numbers, whitespace, keys) again and again. Entries are immutable
/// values; the caches are bounded (oldest entries dropped first) and thread-safe.
///
/// What is shared, and what stays per constraint:
/// - terminal DFAs, keyed by the terminal's pattern and the budgets (`terminalDFAs`), and
///   apart, those of the engine's own constant patterns (`constantDFAs`: `format` strings);
/// - per vocabulary, the token slices and grammar-token bits of mask walks
///   (`Vocabulary.maskWalkTables`, a `MaskWalkTables`).
/// Parse tables, lexers, mask stores, walk caches and matchers stay per constraint.
///
/// `clear()` empties the process-wide ones (benchmarks use it to measure cold compiles), not
/// the constants'.
public enum SharedCaches {
    /// A terminal's pattern and the budgets it is compiled under (they decide where a
    /// compile fails, and the conversion's prebuilt lexemes and differences). Hashed by the
    /// pattern's `structuralHash` (computed once, at init), compared in full.
    struct TerminalKey: Hashable, Sendable {
        let pattern: TerminalPattern
        let maxStates: Int
        let maxNFAStates: Int
        let maxSubsetWork: Int?
        let patternHash: UInt64

        init(pattern: TerminalPattern, options: RegexOptions) {
            self.pattern = pattern
            maxStates = options.maxStates
            maxNFAStates = options.maxNFAStates
            maxSubsetWork = options.maxSubsetWork
            patternHash = pattern.structuralHash
        }

        func hash(into h: inout Hasher) {
            h.combine(patternHash)
            h.combine(maxStates)
            h.combine(maxNFAStates)
            h.combine(maxSubsetWork)
        }

        static func == (a: TerminalKey, b: TerminalKey) -> Bool {
            a.patternHash == b.patternHash && a.maxStates == b.maxStates && a.maxNFAStates == b.maxNFAStates
                && a.maxSubsetWork == b.maxSubsetWork && a.pattern == b.pattern
        }
    }

    /// Terminal pattern → minimal DFA (nil: matches nothing). Failures are not cached. Cost bound:
    /// 16 M table cells (~64 MB).
    static let terminalDFAs = BoundedCache<TerminalKey, ByteDFA?>(maxCost: 16 << 20)

    /// The DFAs of the engine's constant patterns (`registerConstant`): fixed languages no
    /// schema changes, kept across `clear()` like the format regexes they come from
    /// (`SchemaFormats`) and like the prebuilt JSON lexemes. A `date-time` string is ~7 ms of
    /// regex compile that every cold compile of a schema with one paid again. Same bound as
    /// `terminalDFAs`.
    static let constantDFAs = BoundedCache<TerminalKey, ByteDFA?>(maxCost: 16 << 20)
    /// `structuralHash` of each registered constant pattern. A pattern that only shares the
    /// hash is cached with the constants too: harmless, entries are still told apart by `==`.
    private static let constantHashes = Mutex<Set<UInt64>>([])

    /// Marks `pattern` as an engine constant: its DFA goes to `constantDFAs`.
    static func registerConstant(_ pattern: TerminalPattern) {
        let h = pattern.structuralHash
        constantHashes.withLock { _ = $0.insert(h) }
    }

    /// The cache for the terminal of `key`: `constantDFAs` for registered constants, else
    /// `terminalDFAs`.
    static func dfaCache(for key: TerminalKey) -> BoundedCache<TerminalKey, ByteDFA?> {
        constantHashes.withLock { $0.contains(key.patternHash) } ? constantDFAs : terminalDFAs
    }

    /// Empties the process-wide caches (not the vocabularies' masks, not `constantDFAs`).
    public static func clear() {
        terminalDFAs.clear()
    }
}

/// A key whose hash is computed once: big keys (regex trees, DFA tables) would
/// otherwise be rehashed whole at every dictionary resize.
struct HashedKey<T: Hashable & Sendable>: Hashable, Sendable {
    let value: T
    let hashValue_: Int

    init(_ value: T) {
        self.value = value
        hashValue_ = value.hashValue
    }

    func hash(into h: inout Hasher) { h.combine(hashValue_) }
    func _rawHashValue(seed: Int) -> Int { SeededHash.of(UInt64(UInt(bitPattern: hashValue_)), seed: seed) }
    static func == (a: HashedKey, b: HashedKey) -> Bool { a.hashValue_ == b.hashValue_ && a.value == b.value }
}

/// A list of integers as a dictionary key, hashed once, 8 bytes per step (`StableHasher`)
/// rather than by the standard library's per-element SipHash, which costs several times more
/// on the long lists hashed on first visits (walk start lists) and in the compile's interning
/// dictionaries (Moore refinement signatures, lexer terminal sets, end classes). A type of its
/// own, not a second `HashedKey` initializer, so a list has one hash however its key is made.
/// Equality still compares the lists; the dictionary's seed goes into its bucket hash
/// (`SeededHash`), but the list's own 64-bit hash is unseeded: use it where a budget bounds
/// the number of keys (states, lexers, walk lists), so crafted collisions cost probes, not
/// an unbounded blow-up.
struct IntListKey<Element: FixedWidthInteger & BitwiseCopyable & Sendable>: Hashable, Sendable {
    let values: [Element]
    private let hash: Int

    init(_ values: [Element]) {
        self.values = values
        var h = StableHasher()
        h.combine(array: values)
        hash = Int(truncatingIfNeeded: h.finalize())
    }

    func hash(into h: inout Hasher) { h.combine(hash) }
    func _rawHashValue(seed: Int) -> Int { SeededHash.of(UInt64(UInt(bitPattern: hash)), seed: seed) }
    static func == (a: IntListKey, b: IntListKey) -> Bool { a.hash == b.hash && a.values == b.values }
}

/// A walk's sorted start nodes as a key (`WalkCache.listID`).
typealias WordListKey = IntListKey<UInt32>

/// A dictionary with a total cost bound: inserting past it drops the oldest entries. Not
/// locked: `BoundedCache` (and `GroupWalkMemo`) hold one under a mutex.
struct BoundedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var values: [HashedKey<Key>: (value: Value, cost: Int)] = [:]
    /// Insertion order (keys may be stale after removal: checked on eviction).
    private var order: [HashedKey<Key>] = []
    private var head = 0
    private var cost = 0
    let maxCost: Int

    /// `reserving`: entries to make room for up front, so that a table growing while masks
    /// are filled does not rehash everything inside one of them.
    init(maxCost: Int, reserving: Int = 0) {
        self.maxCost = maxCost
        values.reserveCapacity(reserving)
        order.reserveCapacity(reserving)
    }

    func get(_ key: Key) -> Value? { get(HashedKey(key)) }

    /// `get` with the key hashed by the caller (who read its hash too).
    func get(_ key: HashedKey<Key>) -> Value? { values[key]?.value }

    /// Stores `value` unless present; an entry costing more than the whole bound is not kept.
    mutating func put(_ key: Key, _ value: Value, cost: Int) { put(HashedKey(key), value, cost: cost) }

    /// `put` with the key hashed by the caller.
    mutating func put(_ key: HashedKey<Key>, _ value: Value, cost: Int) {
        guard cost <= maxCost else { return }
        guard values[key] == nil else { return }
        while self.cost + cost > maxCost && head < order.count {
            let old = order[head]
            head += 1
            if let e = values.removeValue(forKey: old) { self.cost -= e.cost }
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        values[key] = (value, cost)
        order.append(key)
        self.cost += cost
    }

    mutating func clear() { self = BoundedTable(maxCost: maxCost) }

    var count: Int { values.count }
}

/// A `BoundedTable` behind a lock.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let table: Mutex<BoundedTable<Key, Value>>

    init(maxCost: Int, reserving: Int = 0) { table = Mutex(BoundedTable(maxCost: maxCost, reserving: reserving)) }

    func get(_ key: Key) -> Value? { table.withLock { $0.get(key) } }

    /// Stores `value` unless present; an entry costing more than the whole bound is not kept.
    func put(_ key: Key, _ value: Value, cost: Int) { table.withLock { $0.put(key, value, cost: cost) } }

    func clear() { table.withLock { $0.clear() } }

    /// Number of entries (tests).
    var count: Int { table.withLock { $0.count } }
}

/// Per-vocabulary tables every mask store over that vocabulary reads: the token slices of wide
/// walks (by byte length and by character count), the byte groups below each trie node (for
/// subtrees taken whole) and the grammar-token bits. Built on first use, then immutable; holds
/// plain data only (no reference back to the vocabulary).
///
/// Masks themselves are not shared across stores. A cross-store cache keyed by a canonical
/// signature of the language reachable from a state was tried: it cost a breadth-first search
/// of up to a token's length per first visit (~300 k instructions on counted strings) and
/// lost more than it saved, cold and warm alike on maskbench-dev.
public final class MaskWalkTables: Sendable {
    private let sliceBox = Mutex<[TokenSlice]?>(nil)
    private let characterBox = Mutex<CharacterSlices?>(nil)
    private let grammarTokenBox = Mutex<(bits: [UInt32], count: Int)?>(nil)
    private let subtreeGroupBox = Mutex<SubtreeGroups?>(nil)

    /// The vocabulary's grammar tokens (in the trie, not EOS) as mask words, and how many
    /// (computed on first use; `vocabulary` must be the owner). See `GrammarTokens`.
    func grammarTokenBits(_ vocabulary: Vocabulary) -> (bits: [UInt32], count: Int) {
        MaskWalkTables.once(grammarTokenBox) {
            var bits = [UInt32](repeating: 0, count: TokenMask.wordCount(vocabulary.maskWidth))
            for id in vocabulary.trie.tokenIDs { bits[Int(id) >> 5] |= 1 << (UInt32(id) & 31) }
            for id in vocabulary.eosIDs { bits[Int(id) >> 5] &= ~(1 << (UInt32(id) & 31)) }
            return (bits, bits.reduce(0) { $0 + $1.nonzeroBitCount })
        }
    }

    public init() {}

    /// The vocabulary's `TokenSlice`s, one per `TokenSlice.levels`, widest first (built on
    /// first use; `vocabulary` must be the owner).
    func slices(_ vocabulary: Vocabulary) -> [TokenSlice] {
        MaskWalkTables.once(sliceBox) { TokenSlice.levels.map { TokenSlice(vocabulary, maxBytes: $0) } }
    }

    /// The vocabulary's `CharacterSlices` (built on first use; `vocabulary` must be the owner).
    func characterSlices(_ vocabulary: Vocabulary) -> CharacterSlices {
        MaskWalkTables.once(characterBox) { CharacterSlices(vocabulary) }
    }

    /// The vocabulary's `SubtreeGroups` (built on first use; `vocabulary` must be the owner).
    func subtreeGroups(_ vocabulary: Vocabulary) -> SubtreeGroups {
        MaskWalkTables.once(subtreeGroupBox) { SubtreeGroups(vocabulary.trie) }
    }

    /// `box`'s value, made by `make` under its lock on first use.
    private static func once<T: Sendable>(_ box: borrowing Mutex<T?>, _ make: () -> T) -> T {
        box.withLock { value in
            if let v = value { return v }
            let v = make()
            value = v
            return v
        }
    }
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
    /// Builds the vocabulary's `TokenSlice`s, `CharacterSlices` and `SubtreeGroups` now
    /// (otherwise built on the first wide mask walk: passes over the tokens and the trie, and a
    /// trie of the other tokens), as a server would at start-up.
    public func prepareMaskWalks() {
        _ = maskWalkTables.slices(self)
        _ = maskWalkTables.characterSlices(self)
        _ = maskWalkTables.subtreeGroups(self)
    }
}
