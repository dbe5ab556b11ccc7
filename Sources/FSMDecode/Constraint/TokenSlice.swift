/// The tokens made only of JSON-string characters that need no escape, and a trie of all the
/// other tokens, so that a mask walk from a DFA state that keeps every such string alive costs
/// a walk of the (small) other trie plus one bitset OR, not a walk of the whole vocabulary.
///
/// The slice language R is the set of byte strings that are valid UTF-8 prefixes of strings of
/// code points ≥ U+0020 other than `"` and `\` (the last character may be cut short). R is
/// prefix-closed. A state q of a DFA *admits* the slice when every non-empty w ∈ R leads q to
/// a live, non-accepting state: then every token in R is allowed from q (its bytes stay
/// alive) and no lexeme ends inside it (no accepting state on its path), so the trie walk from
/// q only needs the tokens outside R — and every node below a node outside R is outside R
/// (prefix closure), so lexeme ends found in the other trie have the same subtrees in the full
/// trie. Inside a JSON string body (of any terminal: keys, values, key complements) the
/// states admit the slice; bounded or pattern-restricted strings do not (and are walked
/// whole). Exact: `admits` decides the condition on the product of R's automaton and the DFA.
///
/// Bounded strings (`maxLength`, fixed-width counters) keep every w ∈ R alive only up to some
/// length, so there are slices by token length too: R_L = the words of R of at most L bytes,
/// and a state admits R_L when every non-empty w ∈ R_L leads it to a live, non-accepting state
/// (the same argument holds: R_L is prefix-closed, and the nodes of the other trie whose path
/// is in R have more than L bytes, so no lexeme ends there before the full trie would say).
///
/// Control bytes (< 0x20) end most walks outside R at once: a JSON string dies on them. A token
/// w·c·x with w ∈ R ending between characters and c a control byte is *cut by a control*;
/// when every state between characters that words of the slice reach from q (q included)
/// has no live transition on a control byte, every such token (w of at most the slice's bytes)
/// dies from q, and the walk only needs `uncut`, the other trie without them (a third of its
/// Llama-3 tokens: 1,951 of 5,107 for R).
///
/// The idea is llguidance's token "slices"; built once per vocabulary (shared through
/// `Vocabulary.maskWalkTables`). Immutable.
final class TokenSlice: Sendable {
    /// R's automaton: 8 states (0: between characters; others: inside a UTF-8 sequence),
    /// `next[state * 256 + byte]` (-1: the string leaves R).
    static let next: [Int8] = {
        var t = [Int8](repeating: -1, count: 8 * 256)
        func set(_ s: Int, _ bytes: ClosedRange<Int>, _ to: Int8) { for b in bytes { t[s * 256 + b] = to } }
        set(0, 0x20...0x21, 0); set(0, 0x23...0x5B, 0); set(0, 0x5D...0x7F, 0)
        set(0, 0xC2...0xDF, 1); set(0, 0xE0...0xE0, 4); set(0, 0xE1...0xEC, 2); set(0, 0xED...0xED, 5)
        set(0, 0xEE...0xEF, 2); set(0, 0xF0...0xF0, 6); set(0, 0xF1...0xF3, 3); set(0, 0xF4...0xF4, 7)
        set(1, 0x80...0xBF, 0); set(2, 0x80...0xBF, 1); set(3, 0x80...0xBF, 2)
        set(4, 0xA0...0xBF, 1); set(5, 0x80...0x9F, 1); set(6, 0x90...0xBF, 2); set(7, 0x80...0x8F, 2)
        return t
    }()

    /// Per byte: an id shared by exactly the bytes with the same column in `next`.
    static let byteKind: [UInt8] = {
        var ids: [[Int8]: UInt8] = [:]
        return (0..<256).map { b in
            let col = (0..<8).map { next[$0 * 256 + b] }
            if let k = ids[col] { return k }
            let k = UInt8(ids.count)
            ids[col] = k
            return k
        }
    }()

    /// Slices by maximum token length in bytes (nil: unbounded), widest first. 32 and 12 bytes
    /// hold 99.8% and 96% of Llama-3's 123k tokens in R.
    static let levels: [Int?] = [nil, 32, 12]

    /// Longest token (bytes) in the slice; nil: no bound (R itself).
    let maxBytes: Int?
    /// The slice's tokens (trie tokens in R, of at most `maxBytes` bytes), as mask words.
    let bits: [UInt32]
    let count: Int
    /// A trie of some of the vocabulary's tokens, with each node's counterpart in the full trie.
    struct PartTrie: Sendable {
        let trie: TokenTrie
        /// Node of `trie` → the node of the full trie with the same bytes.
        let fullNode: [UInt32]
    }
    /// The trie of every other grammar token.
    let rest: PartTrie
    /// `rest` without the tokens cut by a control byte after at most `maxBytes` bytes.
    let uncut: PartTrie

    init(_ vocabulary: Vocabulary, maxBytes: Int?) {
        self.maxBytes = maxBytes
        let words = TokenMask.wordCount(vocabulary.maskWidth)
        var bits = [UInt32](repeating: 0, count: words)
        var flags = vocabulary.flags
        var n = 0
        let trie = vocabulary.trie
        for id32 in trie.tokenIDs {
            let id = Int(id32)
            if let maxBytes, Int(vocabulary.tokenOffsets[id + 1] - vocabulary.tokenOffsets[id]) > maxBytes { continue }
            if TokenSlice.characters(ofToken: id, vocabulary, atMost: .max) != nil {
                bits[id >> 5] |= 1 << UInt32(id & 31)
                flags[id].insert(.absent)
                n += 1
            }
        }
        self.bits = bits
        self.count = n
        rest = TokenSlice.partTrie(vocabulary, flags: flags)
        for id32 in rest.trie.tokenIDs where TokenSlice.cutByControl(Int(id32), vocabulary, within: maxBytes) {
            flags[Int(id32)].insert(.absent)
        }
        uncut = TokenSlice.partTrie(vocabulary, flags: flags)
    }

    /// The trie of the vocabulary's tokens not flagged `.absent` in `flags`, mapped to the full trie.
    private static func partTrie(_ vocabulary: Vocabulary, flags: [TokenFlags]) -> PartTrie {
        let part = TokenTrie(tokenBytes: vocabulary.tokenBytes, offsets: vocabulary.tokenOffsets, flags: flags)
        return PartTrie(trie: part, fullNode: fullNodes(of: part, in: vocabulary.trie))
    }

    /// Each node of `part` (a trie of some of `trie`'s tokens) mapped to the node of `trie`
    /// with the same path (children are in byte order in both; a node's parent is the last
    /// node one level up).
    private static func fullNodes(of part: TokenTrie, in trie: TokenTrie) -> [UInt32] {
        var map = [UInt32](repeating: 0, count: part.nodeCount)
        var at = [Int](repeating: 0, count: part.maxDepth + 1)
        for i in 1..<max(part.nodeCount, 1) {
            let d = Int(part.depth[i])
            let parent = at[d - 1]
            var c = parent + 1
            let end = Int(trie.subtreeEnd[parent])
            while c < end && trie.byte[c] != part.byte[i] { c = Int(trie.subtreeEnd[c]) }
            precondition(c < end, "token slice: a node of a partial trie is missing from the full trie")
            at[d] = c
            map[i] = UInt32(c)
        }
        return map
    }

    /// Whether token `id` is w·c·x with w ∈ R ending between characters, of at most `limit`
    /// bytes (nil: any), and c a control byte.
    static func cutByControl(_ id: Int, _ vocabulary: Vocabulary, within limit: Int?) -> Bool {
        var s: Int8 = 0
        let start = Int(vocabulary.tokenOffsets[id])
        for k in start..<Int(vocabulary.tokenOffsets[id + 1]) {
            let b = vocabulary.tokenBytes[k]
            if s == 0 && b < 0x20 { return limit.map { k - start <= $0 } ?? true }
            s = next[Int(s) * 256 + Int(b)]
            if s < 0 { return false }
        }
        return false
    }

    /// Whether DFA state `s` has a live transition on a control byte (`runs` = `runs(dfa)`:
    /// R's automaton treats the bytes below 0x20 alike and 0x20 apart, so the runs starting
    /// below it are exactly the control bytes').
    @inline(__always) static func controlLive(_ dfa: ByteDFA, _ s: Int32, runs: [UInt8]) -> Bool {
        for b in runs {
            if b >= 0x20 { return false }
            if dfa.next(s, b) >= 0 { return true }
        }
        return false
    }

    /// The characters of token `id` when its bytes are a word of R with at most `limit` of
    /// them (a cut-short last character counts as one), else nil.
    static func characters(ofToken id: Int, _ vocabulary: Vocabulary, atMost limit: Int) -> Int? {
        var s: Int8 = 0
        var n = 0
        for k in Int(vocabulary.tokenOffsets[id])..<Int(vocabulary.tokenOffsets[id + 1]) {
            if s == 0 {
                n += 1
                if n > limit { return nil }
            }
            s = next[Int(s) * 256 + Int(vocabulary.tokenBytes[k])]
            if s < 0 { return nil }
        }
        return n
    }

    /// First bytes of the runs of bytes on which both R's automaton and `dfa` behave alike.
    static func runs(_ dfa: ByteDFA) -> [UInt8] { dfa.classRuns(splitting: byteKind) }

    /// Depth (bytes) past the longest finite level at which the search for the unbounded slice
    /// gives up: a DFA that keeps every string of R alive closes its (R state, DFA state)
    /// pairs within a few bytes, while a length counter only fails at its bound.
    static let unboundedSearchDepth = 48

    /// The widest slice (index into `levels`) whose every non-empty string leads `q` to a live,
    /// non-accepting state of `dfa`, or nil (`runs` = `runs(dfa)`). One breadth-first search
    /// over (R state, DFA state) pairs: a pair is first met at its least depth, so the first
    /// failure is at the least failing length, and a finite level L is admitted iff nothing
    /// fails within L bytes; the unbounded one iff the search closes with no failure (given up
    /// past `unboundedSearchDepth`). Cost: O(pairs met × runs).
    ///
    /// Also appends to `proven` the DFA states met between characters (R state 0) that the
    /// search proves to admit a slice, with its level: each is reached from q by a string u of
    /// whole characters, and uw ∈ R for every w ∈ R, so when R is admitted each admits R too;
    /// otherwise one first met at depth d keeps every w ∈ R of at most f − 1 − d bytes alive
    /// (f: the least failing length, or one past the depth given up at) and is recorded when
    /// that reaches the widest finite level — a length counter's next states then need no
    /// search of their own (narrower levels are not recorded: a state's own search may find
    /// it a wider one).
    static func widestAdmitted(_ dfa: ByteDFA, _ q: Int32, runs: [UInt8],
                               proven: UnsafeMutablePointer<[(state: Int32, admission: Admission)]>? = nil) -> Admission? {
        var seen = PairSet()
        var level: [(Int8, Int32)] = [(0, q)]
        var following: [(Int8, Int32)] = []
        // States met between characters after q, with the depth each was first met at.
        var between: [(state: Int32, depth: Int32)] = []
        _ = seen.insert(Int(q) << 3)
        var depth = 0
        var failedAt: Int? = nil
        // The least depth of a state between characters with a live control byte.
        var controlLiveAt: Int? = controlLive(dfa, q, runs: runs) ? 0 : nil
        search: while !level.isEmpty {
            if depth >= unboundedSearchDepth { failedAt = depth + 1; break }
            depth += 1
            for (r, s) in level {
                // Neighbouring runs mostly lead to the same pair (every byte a DFA state does
                // not single out goes to one target): only a change of pair is looked up.
                var last = -1
                for b in runs {
                    let r2 = next[Int(r) * 256 + Int(b)]
                    if r2 < 0 { continue }
                    let s2 = dfa.next(s, b)
                    if s2 < 0 || dfa.accepting[Int(s2)] { failedAt = depth; break search }
                    let key = Int(s2) << 3 | Int(r2)
                    if key == last { continue }
                    last = key
                    if seen.insert(key) {
                        following.append((r2, s2))
                        if r2 == 0 {
                            if controlLiveAt == nil && controlLive(dfa, s2, runs: runs) { controlLiveAt = depth }
                            if proven != nil { between.append((s2, Int32(depth))) }
                        }
                    }
                }
            }
            swap(&level, &following)
            following.removeAll(keepingCapacity: true)
        }
        // A proven state reaches only states the search met (within complete levels when
        // finite), so it cuts controls when none of those has a live control byte.
        let provenCut = controlLiveAt == nil
        guard let failedAt else {
            let a = Admission(level: 0, cutsControls: provenCut)
            proven?.pointee.append((q, a))
            for b in between { proven?.pointee.append((b.state, a)) }
            return a
        }
        if let proven, let widestFinite = levels[1] {
            for b in between where failedAt - 1 - Int(b.depth) >= widestFinite {
                proven.pointee.append((b.state, Admission(level: 1, cutsControls: provenCut)))
            }
        }
        guard let level = levels.indices.first(where: { levels[$0].map { $0 < failedAt } ?? false }) else { return nil }
        return Admission(level: level, cutsControls: controlLiveAt.map { $0 > levels[level]! } ?? true)
    }

    /// A slice a state admits (index into `levels`), and whether the tokens cut by a control
    /// byte within its bytes all die from the state (so its walk needs only `uncut`).
    struct Admission: Equatable {
        var level: Int
        var cutsControls: Bool

        /// As one byte (`admitsSlice`'s cache), ordered by preference: a lower code is a wider
        /// level, then cutting controls.
        var code: Int8 { Int8(level << 1 | (cutsControls ? 0 : 1)) }
        init(level: Int, cutsControls: Bool) { self.level = level; self.cutsControls = cutsControls }
        init(code: Int8) { level = Int(code >> 1); cutsControls = code & 1 == 0 }
    }

    /// A set of (DFA state, R or UTF-8 automaton state) pairs, packed `s << 3 | r`, for the
    /// searches over such pairs (`widestAdmitted`, `CharacterSlices`, `SubtreeGroups`): an
    /// open-addressing set (a Swift `Set<Int>` hashed every insert with SipHash, ~2 % of mask
    /// instructions). Keys are non-negative; -1 marks an empty slot.
    struct PairSet {
        private(set) var slots = [Int](repeating: -1, count: 64)
        private var count = 0

        /// Adds `key`; whether it was new.
        mutating func insert(_ key: Int) -> Bool {
            if (count + 1) * 2 > slots.count { grow() }
            let mask = slots.count - 1
            var h = Int(truncatingIfNeeded: StampedSetTable.mix64(UInt64(key)) >> 32) & mask
            while slots[h] >= 0 {
                if slots[h] == key { return false }
                h = (h + 1) & mask
            }
            slots[h] = key
            count += 1
            return true
        }

        private mutating func grow() {
            let old = slots
            slots = [Int](repeating: -1, count: old.count * 2)
            count = 0
            for key in old where key >= 0 { _ = insert(key) }
        }
    }

    /// Whether `q` admits the slice of at most `maxBytes` bytes (nil: R itself).
    static func admits(_ dfa: ByteDFA, _ q: Int32, runs: [UInt8], maxBytes: Int?) -> Bool {
        guard let widest = widestAdmitted(dfa, q, runs: runs)?.level else { return false }
        guard let maxBytes else { return widest == 0 }
        return levels[widest].map { $0 >= maxBytes } ?? true
    }
}

/// Slices of R by character count, for the states of length-bounded strings (`maxLength`)
/// close to their bound, which admit no slice of `TokenSlice.levels` (their last dozen
/// characters cost a walk of the whole trie each, the slowest first visits of JSON Schema masks).
///
/// R_≤r is the set of words of R with at most r characters (a cut-short last character counts
/// as one). A state q *admits R_≤r exactly* when every non-empty word of R_≤r leads q to a live,
/// non-accepting state and every word of r whole characters followed by the first byte of
/// another character of R leads it to the dead state. Then the tokens of R allowed from q are
/// exactly those of at most r characters (a token of R with more has such a word as a prefix),
/// none of them ends a lexeme, and the walk from q only needs the tokens outside R — the rest
/// trie of the unbounded slice, whose nodes have the same subtrees in the full trie (see
/// `TokenSlice`). Built once per vocabulary (31 bitsets: ~0.5 MB for Llama-3), shared through
/// `Vocabulary.maskWalkTables`. Immutable.
final class CharacterSlices: Sendable {
    /// Largest r searched: a state that keeps every word of 32 characters alive also admits
    /// the 32-byte slice of `TokenSlice.levels`, which serves it.
    static let maxCharacters = 31

    /// `upTo[r - 1]`: the tokens of R with at most r characters, as mask words, and how many.
    private let upTo: [(bits: [UInt32], count: Int)]

    init(_ vocabulary: Vocabulary) {
        let words = TokenMask.wordCount(vocabulary.maskWidth)
        var exactly = [[UInt32]](repeating: [UInt32](repeating: 0, count: words), count: CharacterSlices.maxCharacters)
        var counts = [Int](repeating: 0, count: CharacterSlices.maxCharacters)
        for id32 in vocabulary.trie.tokenIDs {
            let id = Int(id32)
            guard let n = TokenSlice.characters(ofToken: id, vocabulary, atMost: CharacterSlices.maxCharacters), n > 0 else { continue }
            exactly[n - 1][id >> 5] |= 1 << UInt32(id & 31)
            counts[n - 1] += 1
        }
        var upTo: [(bits: [UInt32], count: Int)] = []
        var bits = [UInt32](repeating: 0, count: words)
        var total = 0
        for r in 0..<CharacterSlices.maxCharacters {
            for w in 0..<words { bits[w] |= exactly[r][w] }
            total += counts[r]
            upTo.append((bits, total))
        }
        self.upTo = upTo
    }

    /// The tokens of R with at most `r` characters (1 ≤ r ≤ `maxCharacters`) as mask words, and
    /// how many.
    func tokens(upTo r: Int) -> (bits: [UInt32], count: Int) { upTo[r - 1] }

    /// The r (1 ≤ r ≤ `maxCharacters`) for which `q` admits R_≤r exactly, or nil (`runs` =
    /// `TokenSlice.runs(dfa)`). Searches character by character: the DFA states after exactly
    /// k whole characters, and between them the (R state, DFA state) pairs inside the next
    /// character; the first dead or accepting step ends the search at k, which is admitted iff
    /// every character's first byte from every state after k characters is dead. Cost:
    /// O(r × pairs per character × runs); a length counter has one state per character.
    /// `cutsControls`: no state after at most r characters has a live control byte, so the
    /// tokens cut by a control byte die (see `TokenSlice`; a word of more characters dies first).
    static func admitted(_ dfa: ByteDFA, _ q: Int32, runs: [UInt8]) -> (characters: Int, cutsControls: Bool)? {
        var boundary: [Int32] = [q]
        var following: [Int32] = []
        var work: [(Int8, Int32)] = []
        var cutsControls = true
        for k in 0..<maxCharacters {
            var inside = TokenSlice.PairSet()
            var after = TokenSlice.PairSet()
            work.removeAll(keepingCapacity: true)
            for s in boundary {
                work.append((0, s))
                if cutsControls && TokenSlice.controlLive(dfa, s, runs: runs) { cutsControls = false }
            }
            var i = 0
            while i < work.count {
                let (r, s) = work[i]
                i += 1
                var last = -1
                for b in runs {
                    let r2 = TokenSlice.next[Int(r) * 256 + Int(b)]
                    if r2 < 0 { continue }
                    let s2 = dfa.next(s, b)
                    if s2 < 0 || dfa.accepting[Int(s2)] {
                        return k > 0 && endsEveryCharacter(dfa, boundary, runs: runs) ? (k, cutsControls) : nil
                    }
                    let key = Int(s2) << 3 | Int(r2)
                    if key == last { continue }
                    last = key
                    if r2 == 0 {
                        if after.insert(key) { following.append(s2) }
                    } else if inside.insert(key) {
                        work.append((r2, s2))
                    }
                }
            }
            swap(&boundary, &following)
            following.removeAll(keepingCapacity: true)
        }
        return nil
    }

    /// Whether the first byte of every character of R leads each of `states` to the dead state.
    private static func endsEveryCharacter(_ dfa: ByteDFA, _ states: [Int32], runs: [UInt8]) -> Bool {
        for s in states {
            for b in runs where TokenSlice.next[Int(b)] >= 0 && dfa.next(s, b) >= 0 { return false }
        }
        return true
    }
}
