import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// When a mask store computes the mask of a DFA state.
public enum MaskStoreMode: String, Sendable {
    /// Every state at construction: compile cost up front, no first-visit cost at run time.
    case eager
    /// A state on its first visit, then cached (thread-safe); compile is O(1).
    case lazy
}

/// How one distinct mask is kept: a sorted list (accept or reject, the shorter) when it has at
/// most `words / 4` ids, so that a fill costs no more than copying a bitset; otherwise a bitset.
public enum MaskEncoding: UInt8, Sendable {
    /// `ceil(maskWidth / 32)` words in the caller layout. Fill: one copy.
    case bitset = 0
    /// Sorted allowed ids. Fill: zero the words, set each id.
    case acceptList = 1
    /// Sorted ids of grammar tokens that are *not* allowed. Fill: copy the all-grammar-tokens
    /// bitset, clear each id.
    case rejectList = 2
}

/// Sizes of a mask store, for reports.
public struct MaskStoreStatistics: Sendable, Equatable {
    public var states: Int
    /// States whose mask has been computed (all of them in eager mode).
    public var computedStates: Int
    public var distinctMasks: Int
    public var bitsets: Int
    public var acceptLists: Int
    public var rejectLists: Int
    /// Bytes held: mask payloads, entry table, per-state slots and the all-grammar-tokens bitset.
    public var bytes: Int
}

/// One distinct mask. `payload` holds `count` words (bitset) or sorted ids (lists); it is owned
/// by the store, never written after publication and freed only in `deinit`.
struct MaskEntry {
    var encoding: MaskEncoding
    var count: Int32
    /// Number of grammar tokens the mask allows (EOS not included).
    var allowed: Int32
    var hash: UInt64
    var payload: UnsafePointer<UInt32>
}

/// A vocabulary's grammar tokens (in the trie, not EOS) as a bitset of
/// `TokenMask.wordCount(maskWidth)` words, computed once and shared by mask stores. Immutable.
final class GrammarTokens: @unchecked Sendable {
    let vocabulary: Vocabulary
    let wordCount: Int
    let count: Int
    let bits: UnsafeMutablePointer<UInt32>

    init(_ vocabulary: Vocabulary) {
        self.vocabulary = vocabulary
        let words = TokenMask.wordCount(vocabulary.maskWidth)
        wordCount = words
        let bits = UnsafeMutablePointer<UInt32>.allocate(capacity: max(words, 1))
        bits.initialize(repeating: 0, count: max(words, 1))
        // Computed once per vocabulary; each holder gets its own copy to point into.
        let shared = vocabulary.maskWalkTables.grammarTokenBits(vocabulary)
        shared.bits.withUnsafeBufferPointer { if let b = $0.baseAddress { bits.update(from: b, count: $0.count) } }
        count = shared.count
        self.bits = bits
    }

    deinit { bits.deallocate() }
}

/// The masks of every state of a `ByteDFA` against a `Vocabulary`.
///
/// The mask of state q is the set of grammar tokens t (in the trie, not an EOS id) with
/// `dfa.run(bytes(t), from: q) != dead`, plus the EOS ids exactly when q is accepting.
/// Special, padding, unknown and absent ids are never allowed (they are not in the trie).
/// Distinct masks (EOS excluded) are stored once, each in its smallest `MaskEncoding`.
///
/// Thread safety: immutable after construction except for lazily published masks. A state's
/// slot holds -1 until its mask is published; publishing writes the entry under `builder`'s
/// lock and then stores the slot with release ordering, readers load it with acquire ordering,
/// so a reader that sees an index sees a fully written entry. Entries and payloads are never
/// moved or freed before `deinit`. Two threads may compute the same state at once; the second
/// to take the lock finds the slot set and drops its result.
///
/// Cost: computing one state walks the token trie once, skipping every subtree whose first byte
/// is dead (O(live trie nodes)); filling a caller mask costs about one copy of the mask.
public final class MaskStore: @unchecked Sendable {
    /// Live bytes from a state below which its walk skips the token slice.
    static let wideLiveBytes = 32
    /// Live bytes from which a whole-trie walk clears dead tokens from all instead of setting
    /// the live ones (JSON-string-like states keep ~145 bytes alive).
    static let mostlyLiveBytes = 128

    /// Longest id list kept instead of a bitset of `words` words (see `MaskEncoding`).
    @inlinable static func listLimit(words: Int) -> Int { max(words / 4, 1) }

    /// The number of set bits in `bits` when it is at most `listLimit(words: bits.count)` (the
    /// id list wins), else nil (the bitset wins). Counts only nonzero words and stops past the
    /// limit: Swift's generic x86-64 target has no popcount instruction, and a full count of a
    /// 128 k-token mask cost ~40 k instructions.
    static func listCount(_ bits: UnsafeBufferPointer<UInt32>) -> Int? {
        let limit = listLimit(words: bits.count)
        var n = 0
        for w in bits where w != 0 {
            n += w.nonzeroBitCount
            if n > limit { return nil }
        }
        return n
    }

    public let dfa: ByteDFA
    public let vocabulary: Vocabulary
    public let mode: MaskStoreMode
    /// `TokenMask.wordCount(vocabulary.maskWidth)`.
    public let wordCount: Int
    /// Number of grammar tokens (in the trie, not EOS).
    public let grammarTokenCount: Int

    /// Every grammar token, as a bitset of `wordCount` words (`tokens.bits`).
    let grammarBits: UnsafeMutablePointer<UInt32>
    let tokens: GrammarTokens
    /// Computes a state's mask instead of the trie walk: sets the bits of the allowed tokens
    /// in zeroed words (EOS bits are dropped afterwards).
    private let collector: (@Sendable (Int32, UnsafeMutablePointer<UInt32>) -> Void)?
    /// When set, the trie walk of each state also records where the DFA's match can end
    /// inside tokens, published there before the state's mask.
    let boundaries: TerminalBoundaries?
    /// `dfa.classRuns()`.
    private let classRuns: [UInt8]
    /// `TokenSlice.runs(dfa)`.
    private let sliceRuns: [UInt8]
    /// Per cell of the walk table: the `SubtreeGroups` its target state loops on (empty: no
    /// state loops, or the table is too big to pair), built on the first whole-trie walk.
    private let loopCellCache = Mutex<[UInt64]?>(nil)
    /// `SubtreeGroups.chains` of the DFA (empty: none, or too many states), built on the first
    /// whole-trie walk.
    private let chainCellCache = Mutex<[UInt64]?>(nil)
    /// States known to admit a token slice, as `TokenSlice.Admission.code` (found by earlier
    /// admission searches, which prove it for states they meet between characters): a string
    /// body walked byte by byte searches once, not at every state, and a length counter every
    /// dozen characters.
    private let admitsSlice = Mutex<[Int32: Int8]>([:])
    /// For a finite difference (`dfa.finiteDifference`): the same, for its universe's states.
    private let universeAdmits = Mutex<[Int32: Int8]>([:])
    /// Per state: index into `entries`, or -1 while not computed.
    private let slots: UnsafeMutablePointer<Atomic<Int32>>
    /// Capacity `max(dfa.stateCount, 1)`: there are never more distinct masks than states.
    private let entries: UnsafeMutablePointer<MaskEntry>
    private let builder: Mutex<Builder>

    private struct Builder {
        var entryCount = 0
        var byHash: [UInt64: [Int32]] = [:]
        var payloadBytes = 0
        var computedStates = 0
        var counts: [MaskEncoding: Int] = [:]
    }

    /// Builds the store; in eager mode computes every state now.
    public convenience init(dfa: ByteDFA, vocabulary: Vocabulary, mode: MaskStoreMode) {
        self.init(dfa: dfa, vocabulary: vocabulary, mode: mode, preset: nil)
        if mode == .eager { computeAllStates() }
    }

    /// Masks read back from an artifact: `slots[q]` indexes `masks` or is -1 (computed on first
    /// visit). The caller has validated encodings, ids and indices.
    convenience init(dfa: ByteDFA, vocabulary: Vocabulary, mode: MaskStoreMode,
                     preset: (slots: [Int32], masks: [(encoding: MaskEncoding, allowed: Int32, payload: [UInt32])])?) {
        self.init(dfa: dfa, tokens: GrammarTokens(vocabulary), mode: mode, collector: nil, preset: preset)
    }

    /// A lazy store over shared `tokens`; `collector` (when given) computes a state's mask
    /// instead of the trie walk.
    convenience init(dfa: ByteDFA, tokens: GrammarTokens, collector: (@Sendable (Int32, UnsafeMutablePointer<UInt32>) -> Void)?) {
        self.init(dfa: dfa, tokens: tokens, mode: .lazy, collector: collector, preset: nil)
    }

    /// A lazy store over shared `tokens` whose walks also fill `boundaries` (one walk per state).
    convenience init(dfa: ByteDFA, tokens: GrammarTokens, boundaries: TerminalBoundaries) {
        self.init(dfa: dfa, tokens: tokens, mode: .lazy, collector: nil, preset: nil, boundaries: boundaries)
    }

    private init(dfa: ByteDFA, tokens: GrammarTokens, mode: MaskStoreMode,
                 collector: (@Sendable (Int32, UnsafeMutablePointer<UInt32>) -> Void)?,
                 preset: (slots: [Int32], masks: [(encoding: MaskEncoding, allowed: Int32, payload: [UInt32])])?,
                 boundaries: TerminalBoundaries? = nil) {
        self.boundaries = boundaries
        self.classRuns = dfa.classRuns()
        self.sliceRuns = TokenSlice.runs(dfa)
        self.dfa = dfa
        self.vocabulary = tokens.vocabulary
        self.mode = mode
        self.wordCount = tokens.wordCount
        self.grammarTokenCount = tokens.count
        self.grammarBits = tokens.bits
        self.tokens = tokens
        self.collector = collector
        let stateCapacity = max(dfa.stateCount, 1)
        slots = .allocate(capacity: stateCapacity)
        for s in 0..<stateCapacity { (slots + s).initialize(to: Atomic<Int32>(-1)) }
        entries = .allocate(capacity: stateCapacity)
        builder = Mutex(Builder())
        if let preset {
            builder.withLock { b in
                for m in preset.masks {
                    let p = UnsafeMutablePointer<UInt32>.allocate(capacity: max(m.payload.count, 1))
                    m.payload.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: m.payload.count) }
                    let h = MaskStore.hash(m.encoding, UnsafeBufferPointer(start: p, count: m.payload.count))
                    (entries + b.entryCount).initialize(to: MaskEntry(
                        encoding: m.encoding, count: Int32(m.payload.count), allowed: m.allowed, hash: h, payload: UnsafePointer(p)))
                    b.byHash[h, default: []].append(Int32(b.entryCount))
                    b.entryCount += 1
                    b.payloadBytes += m.payload.count * 4
                    b.counts[m.encoding, default: 0] += 1
                }
                for (s, e) in preset.slots.enumerated() where e >= 0 {
                    slots[s].store(e, ordering: .releasing)
                    b.computedStates += 1
                }
            }
        }
    }

    deinit {
        builder.withLock { b in
            for i in 0..<b.entryCount { UnsafeMutablePointer(mutating: entries[i].payload).deallocate() }
            entries.deinitialize(count: b.entryCount)
        }
        entries.deallocate()
        slots.deinitialize(count: max(dfa.stateCount, 1))
        slots.deallocate()
    }

    public var statistics: MaskStoreStatistics {
        builder.withLock { b in
            MaskStoreStatistics(
                states: dfa.stateCount, computedStates: b.computedStates, distinctMasks: b.entryCount,
                bitsets: b.counts[.bitset] ?? 0, acceptLists: b.counts[.acceptList] ?? 0,
                rejectLists: b.counts[.rejectList] ?? 0,
                bytes: b.payloadBytes + b.entryCount * MemoryLayout<MaskEntry>.stride
                    + dfa.stateCount * 4 + wordCount * 4)
        }
    }

    /// Number of grammar tokens allowed in `state` (EOS not counted).
    public func allowedCount(_ state: Int32) -> Int {
        Int(entries[Int(entryIndex(state))].allowed)
    }

    /// How the mask of `state` is stored (computing it on first use).
    public func encoding(of state: Int32) -> MaskEncoding {
        entries[Int(entryIndex(state))].encoding
    }

    /// Writes the mask of `state` into `out[0 ..< wordCount]` (other words untouched).
    /// Cost: one copy of the mask (bitset, reject list) or one zeroing (accept list), plus one
    /// bit per listed id; the first visit of a lazy state also walks the trie.
    public func fill(state: Int32, into out: UnsafeMutableBufferPointer<UInt32>) {
        precondition(out.count >= wordCount, "mask buffer has \(out.count) words, needs \(wordCount)")
        let dst = out.baseAddress!
        write(state: state, into: dst)
        if dfa.accepting[Int(state)] {
            for id in vocabulary.eosIDs { dst[Int(id) >> 5] |= 1 << (UInt32(id) & 31) }
        }
    }

    /// ORs the grammar-token mask of `state` (EOS never included) into `dst[0 ..< wordCount]`,
    /// with no scratch buffer: a bitset is one OR pass, an accept list one OR per touched word,
    /// a reject list one pass over the all-grammar-tokens bitset minus the listed ids.
    func formUnion(state: Int32, into dst: UnsafeMutablePointer<UInt32>) {
        let e = entries[Int(entryIndex(state))]
        switch e.encoding {
        case .bitset:
            for w in 0..<wordCount { dst[w] |= e.payload[w] }
        case .acceptList:
            MaskStore.scatter(e.payload, Int(e.count), into: dst, clearing: false)
        case .rejectList:
            var k = 0
            let n = Int(e.count)
            for w in 0..<wordCount {
                var rejected: UInt32 = 0
                while k < n && Int(e.payload[k] >> 5) == w {
                    rejected |= 1 << (e.payload[k] & 31)
                    k &+= 1
                }
                dst[w] |= grammarBits[w] & ~rejected
            }
        }
    }

    /// Writes the grammar-token mask of `state` (EOS never included) over `dst[0 ..< wordCount]`:
    /// `formUnion` into zeroed words without the zeroing pass (a bitset is one copy, a reject
    /// list one pass over the all-grammar-tokens bitset); a mask fill's first part.
    func write(state: Int32, into dst: UnsafeMutablePointer<UInt32>) {
        let e = entries[Int(entryIndex(state))]
        switch e.encoding {
        case .bitset:
            dst.update(from: e.payload, count: wordCount)
        case .acceptList:
            dst.update(repeating: 0, count: wordCount)
            MaskStore.scatter(e.payload, Int(e.count), into: dst, clearing: false)
        case .rejectList:
            dst.update(from: grammarBits, count: wordCount)
            MaskStore.scatter(e.payload, Int(e.count), into: dst, clearing: true)
        }
    }

    /// The state's allowed ids, ascending, when its mask is an accept list; nil for the other
    /// encodings. The buffer lives as long as the store (entries are never freed before it).
    func acceptList(state: Int32) -> UnsafeBufferPointer<UInt32>? {
        let e = entries[Int(entryIndex(state))]
        guard e.encoding == .acceptList else { return nil }
        return UnsafeBufferPointer(start: e.payload, count: Int(e.count))
    }

    /// Sets (or clears) the bits of `count` sorted ids; ids sharing a word are gathered in a
    /// register first, so the cost is one read-modify-write per touched word plus one OR per id.
    @inline(__always)
    static func scatter(_ ids: UnsafePointer<UInt32>, _ count: Int, into dst: UnsafeMutablePointer<UInt32>, clearing: Bool) {
        var k = 0
        while k < count {
            let word = Int(ids[k] >> 5)
            var bits: UInt32 = 1 << (ids[k] & 31)
            k &+= 1
            while k < count && Int(ids[k] >> 5) == word {
                bits |= 1 << (ids[k] & 31)
                k &+= 1
            }
            if clearing { dst[word] &= ~bits } else { dst[word] |= bits }
        }
    }

    /// The entry index of `state`, computing and publishing it on first use.
    func entryIndex(_ state: Int32) -> Int32 {
        precondition(state >= 0 && Int(state) < dfa.stateCount, "DFA state \(state) out of range 0..<\(dfa.stateCount)")
        let idx = slots[Int(state)].load(ordering: .acquiring)
        if idx >= 0 { return idx }
        return computeAndPublish(state)
    }

    /// Snapshot for serialization: per-state entry index (-1: not computed) and the entries.
    func snapshot() -> (slots: [Int32], masks: [(encoding: MaskEncoding, allowed: Int32, payload: [UInt32])]) {
        builder.withLock { b in
            let s = (0..<dfa.stateCount).map { slots[$0].load(ordering: .acquiring) }
            let m = (0..<b.entryCount).map { i -> (encoding: MaskEncoding, allowed: Int32, payload: [UInt32]) in
                let e = entries[i]
                return (e.encoding, e.allowed, Array(UnsafeBufferPointer(start: e.payload, count: Int(e.count))))
            }
            return (s, m)
        }
    }

    // MARK: - Computing one state

    private func computeAndPublish(_ state: Int32) -> Int32 {
        publish(state, compute(state))
    }

    /// One state's mask, encoded, not yet published; `payload` is owned by whoever holds it.
    private struct EncodedMask {
        var encoding: MaskEncoding
        var payload: UnsafeMutablePointer<UInt32>
        var count: Int
        var allowed: Int
        var hash: UInt64
    }

    /// Eager mode: every state, computed in parallel chunks and published in state order (so
    /// mask indices, and artifacts, do not depend on thread timing).
    private func computeAllStates() {
        let n = dfa.stateCount
        let chunk = min(n, 128)
        guard chunk > 0 else { return }
        let results = UnsafeMutablePointer<EncodedMask>.allocate(capacity: chunk)
        defer { results.deallocate() }
        var first = 0
        while first < n {
            let m = min(chunk, n - first)
            let base = first
            if m == 1 {
                results.initialize(to: compute(Int32(base)))
            } else {
                // Each iteration writes only its own slot of `results`.
                let out = UncheckedSendablePointer(pointer: results)
                DispatchQueue.concurrentPerform(iterations: m) { k in
                    (out.pointer + k).initialize(to: compute(Int32(base + k)))
                }
            }
            for k in 0..<m { _ = publish(Int32(base + k), results[k]) }
            results.deinitialize(count: m)
            first += m
        }
    }

    /// Bytes that keep `state` alive.
    private func liveBytes(_ state: Int32) -> Int {
        let row = Int(state) * dfa.classCount
        var n = 0
        for (k, b) in classRuns.enumerated() where dfa.table[row + Int(dfa.byteClass[Int(b)])] >= 0 {
            n += (k + 1 < classRuns.count ? Int(classRuns[k + 1]) : 256) - Int(b)
        }
        return n
    }

    private func compute(_ state: Int32) -> EncodedMask {
        let words = wordCount
        // Only wide states try the token slice: a walk from a state with few live bytes
        // prunes the trie at once and costs less than the slice's admission search.
        let live = liveBytes(state)
        let wide = live >= MaskStore.wideLiveBytes
        if !wide && collector == nil, let mask = computeAsList(state) { return mask }
        let bits = UnsafeMutablePointer<UInt32>.allocate(capacity: max(words, 1))
        defer { bits.deallocate() }
        bits.initialize(repeating: 0, count: max(words, 1))
        var allowed: Int
        if let collector {
            collector(state, bits)
            allowed = 0
            for w in 0..<words { allowed &+= bits[w].nonzeroBitCount }
        } else {
            allowed = collectAllowed(from: state, liveBytes: live, into: bits)
        }
        for id in vocabulary.eosIDs where bits[Int(id) >> 5] & (1 << (UInt32(id) & 31)) != 0 {
            bits[Int(id) >> 5] &= ~(1 << (UInt32(id) & 31))
            allowed -= 1
        }
        // A list only when it is at most a quarter of the bitset's size, so applying it costs
        // no more than copying the mask; otherwise the bitset. Equal sets always get equal
        // encodings, so deduplication can compare payloads directly.
        let rejected = grammarTokenCount - allowed
        let encoding: MaskEncoding
        let count: Int
        let listLimit = MaskStore.listLimit(words: words)
        if min(allowed, rejected) > listLimit {
            encoding = .bitset; count = words
        } else if allowed <= rejected {
            encoding = .acceptList; count = allowed
        } else {
            encoding = .rejectList; count = rejected
        }
        let payload = UnsafeMutablePointer<UInt32>.allocate(capacity: max(count, 1))
        switch encoding {
        case .bitset:
            payload.initialize(from: bits, count: words)
        case .acceptList:
            var k = 0
            for w in 0..<words {
                var word = bits[w]
                while word != 0 {
                    (payload + k).initialize(to: UInt32(w << 5 + word.trailingZeroBitCount)); k += 1
                    word &= word - 1
                }
            }
            precondition(k == count)
        case .rejectList:
            var k = 0
            for w in 0..<words {
                var word = grammarBits[w] & ~bits[w]
                while word != 0 {
                    (payload + k).initialize(to: UInt32(w << 5 + word.trailingZeroBitCount)); k += 1
                    word &= word - 1
                }
            }
            precondition(k == count)
        }
        let view = UnsafeBufferPointer(start: UnsafePointer(payload), count: count)
        let h = MaskStore.hash(encoding, view)
        return EncodedMask(encoding: encoding, payload: payload, count: count, allowed: allowed, hash: h)
    }

    /// A narrow state's mask when it is an accept list (the walk writes ids, not bits): no
    /// bitset to clear and scan, which for a member-name state cost more than its walk. nil
    /// when more tokens are allowed than a list holds (the bitset path walks again).
    private func computeAsList(_ state: Int32) -> EncodedMask? {
        let limit = MaskStore.listLimit(words: wordCount)
        let eos = vocabulary.eosIDs
        let capacity = limit + eos.count
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: max(capacity, 1))
        var ends: [UInt32] = []
        let n = walk(vocabulary.trie, from: state, into: nil, ids: ids, idCapacity: capacity, ends: &ends)
        var allowed = min(n, capacity)
        if n <= capacity {
            var k = 0
            for j in 0..<allowed where !eos.contains(Int32(bitPattern: ids[j])) { ids[k] = ids[j]; k += 1 }
            allowed = k
        }
        // The bitset path's choice (`compute`): an accept list iff it is the shorter list and
        // within the limit.
        guard n <= capacity, allowed <= limit, allowed <= grammarTokenCount - allowed else {
            ids.deallocate()
            return nil
        }
        boundaries?.publish(state, ends)
        var view = UnsafeMutableBufferPointer(start: ids, count: allowed)
        if allowed > MaskStore.sortedByBitsFrom { MaskStore.sortByBits(view, words: wordCount) } else { view.sort() }
        let h = MaskStore.hash(.acceptList, UnsafeBufferPointer(view))
        return EncodedMask(encoding: .acceptList, payload: ids, count: allowed, allowed: allowed, hash: h)
    }

    /// Id lists longer than this are put in order through a bitset (a pass over the mask's
    /// words) rather than by comparison sorting, which cost ~5 % of first-visit mask time on
    /// maskbench-dev with lists of up to `listLimit` (~1k) ids.
    static let sortedByBitsFrom = 128

    /// Orders `ids` (distinct, each below `words * 32`) ascending: sets their bits in a scratch
    /// bitset, then reads the bits back in order.
    static func sortByBits(_ ids: UnsafeMutableBufferPointer<UInt32>, words: Int) {
        let scratch = UnsafeMutablePointer<UInt32>.allocate(capacity: max(words, 1))
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: max(words, 1))
        for id in ids { scratch[Int(id >> 5)] |= 1 << (id & 31) }
        var k = 0
        for w in 0..<words where scratch[w] != 0 {
            var word = scratch[w]
            while word != 0 {
                ids[k] = UInt32(w << 5 + word.trailingZeroBitCount)
                k += 1
                word &= word - 1
            }
        }
        precondition(k == ids.count, "sortByBits: ids must be distinct")
    }

    /// Stores `mask` as the mask of `state` (reusing an equal stored mask), unless another
    /// thread got there first; returns the state's entry index. Takes ownership of the payload.
    private func publish(_ state: Int32, _ mask: EncodedMask) -> Int32 {
        let (encoding, payload, count, allowed, h) = (mask.encoding, mask.payload, mask.count, mask.allowed, mask.hash)
        return builder.withLock { b -> Int32 in
            let existing = slots[Int(state)].load(ordering: .acquiring)
            if existing >= 0 { payload.deallocate(); return existing }
            var index: Int32 = -1
            for candidate in b.byHash[h] ?? [] {
                let e = entries[Int(candidate)]
                if e.encoding == encoding && Int(e.count) == count
                    && (count == 0 || memcmp(e.payload, payload, count * 4) == 0) {
                    index = candidate
                    break
                }
            }
            if index >= 0 {
                payload.deallocate()
            } else {
                index = Int32(b.entryCount)
                (entries + b.entryCount).initialize(to: MaskEntry(
                    encoding: encoding, count: Int32(count), allowed: Int32(allowed), hash: h, payload: UnsafePointer(payload)))
                b.entryCount += 1
                b.byHash[h, default: []].append(index)
                b.payloadBytes += count * 4
                b.counts[encoding, default: 0] += 1
            }
            b.computedStates += 1
            slots[Int(state)].store(index, ordering: .releasing)
            return index
        }
    }

    /// The deduplication hash of a mask: every fourth 8-byte word of the payload and its last
    /// one. Equal payloads hash alike and `publish` compares equal-hash candidates in full, so
    /// sampling costs at most a comparison; hashing every word of 16 KB bitsets was ~1 % of
    /// maskbench-dev's fill instructions.
    static func hash(_ encoding: MaskEncoding, _ payload: UnsafeBufferPointer<UInt32>) -> UInt64 {
        var h = StableHasher()
        h.combine(UInt64(encoding.rawValue))
        h.combine(UInt64(payload.count))
        let raw = UnsafeRawBufferPointer(payload)
        let n = raw.count / 8
        var i = 0
        while i < n {
            h.combine(raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
            i += 4
        }
        if n > 0 { h.combine(raw.loadUnaligned(fromByteOffset: 8 * (n - 1), as: UInt64.self)) }
        if payload.count & 1 != 0 { h.combine(UInt64(payload[payload.count - 1])) }
        return h.finalize()
    }

    /// Sets the bit of every trie token whose bytes keep the DFA alive from `state`; returns how
    /// many bits it set. `bits` must hold `wordCount` zeroed words. With `boundaries`, also
    /// publishes where the match can end inside tokens. Wide states (`liveBytes`, the state's
    /// live bytes, at least `wideLiveBytes`) try the token slices first.
    private func collectAllowed(from state: Int32, liveBytes live: Int, into bits: UnsafeMutablePointer<UInt32>) -> Int {
        let wide = live >= MaskStore.wideLiveBytes
        var n: Int
        var ends: [UInt32] = []
        let admission = wide ? admittedSlice(state) : nil
        // A slice of more bytes than the character search's reach serves the state as it is
        // (a length counter admitting one has more characters left than the search looks at).
        let beyondCharacters = admission.map { (TokenSlice.levels[$0.level] ?? .max) > CharacterSlices.maxCharacters } ?? false
        if let admission, beyondCharacters {
            n = walkOutside(vocabulary.maskWalkTables.slices(vocabulary)[admission.level], cutsControls: admission.cutsControls,
                            from: state, into: bits, ends: &ends)
        } else if wide, let r = CharacterSlices.admitted(dfa, state, runs: sliceRuns) {
            // The tokens of R allowed are those of at most r characters; the rest as from R.
            let slice = vocabulary.maskWalkTables.slices(vocabulary)[0]
            let counted = vocabulary.maskWalkTables.characterSlices(vocabulary).tokens(upTo: r.characters)
            n = walkOutside(slice, cutsControls: r.cutsControls, from: state, counted: counted, into: bits, ends: &ends)
        } else if let admission {
            n = walkOutside(vocabulary.maskWalkTables.slices(vocabulary)[admission.level], cutsControls: admission.cutsControls,
                            from: state, into: bits, ends: &ends)
        } else if live >= MaskStore.mostlyLiveBytes {
            // Most tokens stay alive (~123k of 128k for a string that must not contain a
            // word): start from every grammar token and clear the dead ones, fewer bits to touch.
            bits.update(from: grammarBits, count: wordCount)
            n = grammarTokenCount - walk(vocabulary.trie, from: state, into: bits, ends: &ends, skippingLoops: true, clearingDead: true)
        } else {
            n = walk(vocabulary.trie, from: state, into: bits, ends: &ends, skippingLoops: wide)
        }
        boundaries?.publish(state, ends)
        return n
    }

    /// The walk of a state that allows every token of `slice` (or of `counted`, a part of R
    /// admitted by character count) and ends no lexeme inside them: only the other tokens are
    /// walked (`cutsControls`: but those cut by a control byte, which die), then the slice's
    /// bits are ORed in.
    private func walkOutside(_ slice: TokenSlice, cutsControls: Bool, from state: Int32, counted: (bits: [UInt32], count: Int)? = nil,
                             into bits: UnsafeMutablePointer<UInt32>, ends: inout [UInt32]) -> Int {
        let part = cutsControls ? slice.uncut : slice.rest
        var n = walk(part.trie, from: state, into: bits, ends: &ends)
        for k in ends.indices { ends[k] = part.fullNode[Int(ends[k])] }
        (counted?.bits ?? slice.bits).withUnsafeBufferPointer { sb in
            for w in 0..<sb.count { bits[w] |= sb[w] }
        }
        n += counted?.count ?? slice.count
        return n
    }

    /// `TokenSlice.widestAdmitted` for `state`, reading and filling `admitsSlice` (the lower
    /// code wins: a wider level, then cutting controls).
    private func admittedSlice(_ state: Int32) -> TokenSlice.Admission? {
        if let known = admitsSlice.withLock({ $0[state] }) { return TokenSlice.Admission(code: known) }
        if let a = admittedThroughUniverse(state) {
            admitsSlice.withLock { $0[state] = a.code }
            return a
        }
        var proven: [(state: Int32, admission: TokenSlice.Admission)] = []
        let admission = TokenSlice.widestAdmitted(dfa, state, runs: sliceRuns, proven: &proven)
        if !proven.isEmpty {
            admitsSlice.withLock { known in
                for p in proven where known[p.state].map({ $0 > p.admission.code }) ?? true { known[p.state] = p.admission.code }
            }
        }
        return admission
    }

    /// The unbounded slice's admission of `state` decided on the DFA it was cut from, when
    /// it is a finite difference (`ByteDFA.FiniteDifference`: an undeclared member name's DFA,
    /// whose product search over every key's states cost more than the walk it saves). If the
    /// universe's state u admits R, every word of R leads u to a state with an infinite
    /// language (R's words extend without end), so the difference's state, u's language less
    /// finitely many words, stays live, and it accepts only where u does: it admits R too.
    /// Tokens cut by a control byte die from it wherever they die from u. nil: no such DFA,
    /// or u admits no unbounded slice (the search over the difference decides then).
    /// Searches the universe once per store for most states: a search proves every state it
    /// meets between characters too (`universeAdmits` keeps them; `notAdmitted` marks a
    /// universe state that admits no unbounded slice).
    private func admittedThroughUniverse(_ state: Int32) -> TokenSlice.Admission? {
        guard let difference = dfa.finiteDifference else { return nil }
        let u = difference.base[Int(state)]
        let notAdmitted = Int8.max
        let code = universeAdmits.withLock { $0[u] } ?? {
            let universe = difference.universe
            var proven: [(state: Int32, admission: TokenSlice.Admission)] = []
            let a = TokenSlice.widestAdmitted(universe, u, runs: TokenSlice.runs(universe), proven: &proven)
            return universeAdmits.withLock { known in
                for p in proven where p.admission.level == 0 { known[p.state] = min(known[p.state] ?? notAdmitted, p.admission.code) }
                if a?.level != 0 { known[u] = notAdmitted }
                return known[u]!
            }
        }()
        return code == notAdmitted ? nil : TokenSlice.Admission(code: code)
    }

    /// The kernel over `trie` (the vocabulary's, or a slice's rest): sets the bits of the
    /// tokens whose bytes keep the DFA alive from `state`; with `boundaries`, appends the nodes
    /// (of `trie`) where the match can end inside tokens. `skippingLoops` (`trie` must be the
    /// vocabulary's): subtrees whose every byte loops on the state reached take one step.
    /// `clearingDead`: see `TrieWalk.collect`.
    private func walk(_ trie: TokenTrie, from state: Int32, into bits: UnsafeMutablePointer<UInt32>?,
                      ids: UnsafeMutablePointer<UInt32>? = nil, idCapacity: Int = 0, ends: inout [UInt32],
                      skippingLoops: Bool = false, clearingDead: Bool = false) -> Int {
        let record = boundaries != nil
        let loops = skippingLoops ? loopCells : []
        let chains = skippingLoops ? chainCells : []
        let groups = loops.isEmpty && chains.isEmpty ? nil : vocabulary.maskWalkTables.subtreeGroups(vocabulary)
        let below = groups?.below ?? [], height = chains.isEmpty ? [] : groups?.height ?? []
        return loops.withUnsafeBufferPointer { loops in
        chains.withUnsafeBufferPointer { chains in
        height.withUnsafeBufferPointer { height in
        below.withUnsafeBufferPointer { below in
        trie.byte.withUnsafeBufferPointer { byte in
            trie.depth.withUnsafeBufferPointer { depth in
                trie.subtreeEnd.withUnsafeBufferPointer { subtreeEnd in
                    trie.tokenStart.withUnsafeBufferPointer { tokenStart in
                        trie.tokenIDs.withUnsafeBufferPointer { tokenIDs in
                            trie.rootChildren.withUnsafeBufferPointer { rootChildren in
                                trie.rootChildFrom.withUnsafeBufferPointer { rootChildFrom in
                                    dfa.table.withUnsafeBufferPointer { table in
                                    dfa.byteClass.withUnsafeBufferPointer { byteClass in
                                    classRuns.withUnsafeBufferPointer { runs in
                                    dfa.accepting.withUnsafeBufferPointer { accepting in
                                        TrieWalk(byte: byte, depth: depth, subtreeEnd: subtreeEnd, tokenStart: tokenStart,
                                                 tokenIDs: tokenIDs, rootChildren: rootChildren, rootChildFrom: rootChildFrom,
                                                 table: table, byteClass: byteClass, runs: runs, classCount: dfa.classCount,
                                                 accepting: accepting, below: below, loops: loops, height: height, chains: chains)
                                            .collect(from: state, maxDepth: trie.maxDepth, into: bits,
                                                     ids: ids, idCapacity: idCapacity, recordEnds: record, ends: &ends,
                                                     clearingDead: clearingDead)
                                    }
                                    }
                                    }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        }
        }
        }
        }
    }

    /// Largest walk table given a loop table (8 bytes a cell, so at most 512 KB a store):
    /// bigger tables, length counters mostly, walk without taking subtrees whole.
    static let maxLoopCells = 1 << 16

    /// See `loopCellCache`.
    private var loopCells: [UInt64] {
        MaskStore.built(loopCellCache) {
            guard dfa.table.count <= MaskStore.maxLoopCells, let loops = SubtreeGroups.loops(dfa) else { return [] }
            return dfa.table.map { $0 < 0 ? 0 : loops[Int($0)] }
        }
    }

    /// See `chainCellCache`.
    private var chainCells: [UInt64] {
        MaskStore.built(chainCellCache) {
            guard dfa.stateCount * SubtreeGroups.chainDepth <= MaskStore.maxLoopCells else { return [] }
            return SubtreeGroups.chains(dfa) ?? []
        }
    }

    /// A table built on first use under its cache's lock (empty: none for this DFA).
    private static func built(_ cache: borrowing Mutex<[UInt64]?>, _ make: () -> [UInt64]) -> [UInt64] {
        cache.withLock { cells in
            if let cells { return cells }
            let made = make()
            cells = made
            return made
        }
    }
}

/// A pointer handed to parallel workers that write disjoint elements.
private struct UncheckedSendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
}

/// The trie × DFA walk: one audited kernel over borrowed buffers (valid only inside the
/// `withUnsafeBufferPointer` scopes that made it).
///
/// Node i at depth d steps the DFA from its parent's state by `byte[i]`; a dead step skips the
/// whole subtree (`i = subtreeEnd[i]`), a live one records the state for its children. Children
/// follow their parent, so `stack[d - 1]` always belongs to i's parent; a first child reads it
/// from a register instead. Tokens are not touched per node: the tokens of the nodes in index
/// order are `tokenIDs` in order, so the live ones are the runs between skipped subtrees, set
/// in one tight loop per run. States are the DFA's own (row = state × classCount).
/// Cost: O(live nodes + dead subtree roots + allowed tokens); memory: `maxDepth + 1` entries.
struct TrieWalk {
    let byte: UnsafeBufferPointer<UInt8>
    let depth: UnsafeBufferPointer<UInt16>
    let subtreeEnd: UnsafeBufferPointer<UInt32>
    let tokenStart: UnsafeBufferPointer<UInt32>
    let tokenIDs: UnsafeBufferPointer<Int32>
    let rootChildren: UnsafeBufferPointer<UInt32>
    /// `TokenTrie.rootChildFrom`.
    let rootChildFrom: UnsafeBufferPointer<UInt16>
    /// The DFA's own table, byte classes and accepting flags (`ByteDFA`), and its class runs
    /// (`ByteDFA.classRuns`): the root's children are taken a run at a time.
    let table: UnsafeBufferPointer<Int32>
    let byteClass: UnsafeBufferPointer<UInt8>
    let runs: UnsafeBufferPointer<UInt8>
    let classCount: Int
    let accepting: UnsafeBufferPointer<Bool>
    /// `SubtreeGroups.below` of the trie's nodes and, per cell of `table`, the groups its target
    /// loops on; both empty: no subtree is taken whole.
    let below: UnsafeBufferPointer<UInt64>
    let loops: UnsafeBufferPointer<UInt64>
    /// `SubtreeGroups.height` of the trie's nodes and `SubtreeGroups.chains` of the DFA; both
    /// empty: no subtree is taken whole by a bounded run.
    let height: UnsafeBufferPointer<UInt8>
    let chains: UnsafeBufferPointer<UInt64>

    /// Sets the bits of the tokens whose bytes stay live from state `start`;
    /// returns how many. With `recordEnds`, appends to `ends` (in node order) every live node in an accepting
    /// state that has children: where the match can end inside tokens.
    /// `ids` (instead of `bits`): the allowed ids are written there in trie order, the first
    /// `idCapacity` of them; once more than that are found the walk stops, and the count returned
    /// only tells that (the caller falls back to the bitset walk).
    /// `clearingDead` (with `bits` holding every allowed-if-live token): clears instead the bits
    /// of the tokens that die and returns how many it cleared — cheaper when most tokens live.
    func collect(from start: Int32, maxDepth: Int, into bits: UnsafeMutablePointer<UInt32>?,
                 ids: UnsafeMutablePointer<UInt32>? = nil, idCapacity: Int = 0,
                 recordEnds: Bool, ends: inout [UInt32], clearingDead: Bool = false) -> Int {
        let stack = UnsafeMutablePointer<Int32>.allocate(capacity: maxDepth + 1)
        defer { stack.deallocate() }
        stack[0] = start
        var count = 0
        @inline(__always) func flush(_ lo: Int, _ hi: Int) {
            var k = lo
            if let ids {
                while k < hi && count < idCapacity { ids[count] = UInt32(bitPattern: tokenIDs[k]); count &+= 1; k &+= 1 }
                count &+= hi &- k
                return
            }
            while k < hi {
                let id = UInt32(bitPattern: tokenIDs[k])
                bits![Int(id >> 5)] |= 1 << (id & 31)
                k &+= 1
            }
            count &+= hi &- lo
        }
        // The dead tokens of node indices lo..<hi, when clearing.
        @inline(__always) func clear(_ lo: Int, _ hi: Int) {
            var k = lo
            while k < hi {
                let id = UInt32(bitPattern: tokenIDs[k])
                let bit: UInt32 = 1 << (id & 31)
                if bits![Int(id >> 5)] & bit != 0 { bits![Int(id >> 5)] &= ~bit; count &+= 1 }
                k &+= 1
            }
        }
        let skipping = !loops.isEmpty
        let chaining = !chains.isEmpty
        let chainDepth = SubtreeGroups.chainDepth
        // Each live root child's subtree in node order (dead ones are never touched, unless
        // clearing: then their tokens are). A run of bytes has one class, so its root children
        // are all live or all dead: one lookup a run, not one a child.
        for k in 0..<runs.count {
            let firstChild = Int(rootChildFrom[Int(runs[k])])
            let endChild = Int(rootChildFrom[k &+ 1 < runs.count ? Int(runs[k &+ 1]) : 256])
            if firstChild == endChild { continue }
            if table[Int(start) &* classCount &+ Int(byteClass[Int(runs[k])])] < 0 {
                if clearingDead {
                    let last = Int(rootChildren[endChild &- 1])
                    clear(Int(tokenStart[Int(rootChildren[firstChild])]), Int(tokenStart[Int(subtreeEnd[last])]))
                }
                continue
            }
            for r in firstChild..<endChild {
                var i = Int(rootChildren[r])
                let hi = Int(subtreeEnd[i])
                // First token index of the current run of live nodes.
                var run = Int(tokenStart[i])
                var previous = 0   // depth of the last live node (-1 after a skip)
                var current = start
                while i < hi {
                    let d = Int(depth[i])
                    let parent = d == previous &+ 1 ? current : stack[d &- 1]
                    let cell = Int(parent) &* classCount &+ Int(byteClass[Int(byte[i])])
                    let next = table[cell]
                    if next < 0 {
                        if clearingDead { clear(Int(tokenStart[i]), Int(tokenStart[Int(subtreeEnd[i])])) } else { flush(run, Int(tokenStart[i])) }
                        if ids != nil && count > idCapacity { return count }
                        i = Int(subtreeEnd[i])
                        // The dead siblings that follow (most children of a narrow state's nodes):
                        // same parent, so one table lookup each and nothing to flush.
                        let row = Int(parent) &* classCount
                        while i < hi && Int(depth[i]) == d && table[row &+ Int(byteClass[Int(byte[i])])] < 0 {
                            if clearingDead { clear(Int(tokenStart[i]), Int(tokenStart[Int(subtreeEnd[i])])) }
                            i = Int(subtreeEnd[i])
                        }
                        run = Int(tokenStart[i])
                        previous = -1
                        continue
                    }
                    stack[d] = next
                    current = next
                    previous = d
                    let accepts = recordEnds && accepting[Int(next)]
                    if accepts && Int(subtreeEnd[i]) > i &+ 1 { ends.append(UInt32(i)) }
                    // Every byte below loops on `next`: the subtree stays in it, all its tokens
                    // are allowed (the run goes on) and, unless it accepts, no lexeme ends there.
                    if skipping && below[i] & ~loops[cell] == 0 && !accepts {
                        i = Int(subtreeEnd[i])
                        continue
                    }
                    // Every string below, at most `h` bytes, is a bounded run from `next`: the same.
                    if chaining && !accepts {
                        let h = Int(height[i])
                        if h >= 1 && h <= chainDepth && below[i] & ~chains[Int(next) &* chainDepth &+ h &- 1] == 0 {
                            i = Int(subtreeEnd[i])
                            continue
                        }
                    }
                    i &+= 1
                }
                if !clearingDead { flush(run, Int(tokenStart[hi])) }
                if ids != nil && count > idCapacity { return count }
            }
        }
        return count
    }
}
