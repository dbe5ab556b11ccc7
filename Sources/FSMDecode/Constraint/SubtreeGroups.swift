/// Which byte groups occur below each node of a vocabulary's trie, so that a walk reaching a
/// DFA state that loops on every byte of a subtree takes the subtree whole instead of node by
/// node: every descendant stays in that state (or, inside a multi-byte character, in a live
/// non-accepting one), so every token below is allowed, and none ends a lexeme when the state
/// does not accept. This serves the wide states no slice admits — strings that must not
/// contain a word (the other keys of `patternProperties`, unanchored patterns), bodies over a
/// narrower alphabet (`^[A-Za-z0-9_-]+$`) — whose walks otherwise visit most of the 128k-token
/// trie (0.6–2 ms each on maskbench-dev). Exact: a group is taken only when every byte (every
/// character) of it loops. Length counters and fixed-width fields loop on nothing but step
/// through a run of states on the same bytes: with each node's subtree height, a state whose
/// next h states all stay live and non-accepting on a subtree's groups takes a subtree of
/// height at most h whole too (`chains`; `^[A-Za-z0-9_-]{1,255}$`'s masks went from ~260 µs
/// to ~35 µs each). Built once per vocabulary (9 bytes a node, ~2.3 MB for Llama-3), shared
/// through `Vocabulary.maskWalkTables`. Immutable.
final class SubtreeGroups: Sendable {
    /// ASCII bytes in 61 groups, finest where patterns differ: one per letter, digits together,
    /// `-`, `_`, `.`, space, `"` and `\` alone, other punctuation (and DEL) together, control
    /// bytes together.
    static let groupOf: [UInt8] = (0..<128).map { b -> UInt8 in
        switch b {
        case 0x00...0x1F: return 0
        case 0x20: return 1
        case 0x22: return 2
        case 0x5C: return 3
        case 0x30...0x39: return 4
        case 0x61...0x7A: return UInt8(5 + b - 0x61)
        case 0x41...0x5A: return UInt8(31 + b - 0x41)
        case 0x2D: return 57
        case 0x5F: return 58
        case 0x2E: return 59
        default: return 60
        }
    }
    /// Bytes ≥ 0x80 below a node whose every path below, read from a character boundary, is
    /// well-formed UTF-8 (the last character may be cut short): a state loops on this group
    /// when every multi-byte character leads it back to itself through live, non-accepting
    /// states.
    static let wholeCharacters: UInt64 = 1 << 61
    /// Bytes ≥ 0x80 below a node otherwise: no state loops on this group.
    static let otherNonASCII: UInt64 = 1 << 62
    private static let asciiGroups: UInt64 = (1 << 61) - 1

    /// UTF-8's automaton over bytes ≥ 0x80 (`TokenSlice.next`'s states; ASCII keeps state 0).
    private static func utf8Next(_ u: Int8, _ b: UInt8) -> Int8 {
        if b < 0x80 { return u == 0 ? 0 : -1 }
        return TokenSlice.next[Int(u) * 256 + Int(b)]
    }

    /// Per node of the vocabulary's trie: bit g set when a descendant's byte is in group g
    /// (`wholeCharacters` or `otherNonASCII` for bytes ≥ 0x80).
    let below: [UInt64]
    /// Per node: how many levels its subtree reaches below it (0: a leaf), at most 255.
    let height: [UInt8]

    init(_ trie: TokenTrie) {
        var below = [UInt64](repeating: 0, count: trie.nodeCount)
        var height = [UInt8](repeating: 0, count: trie.nodeCount)
        // Per node, the UTF-8 states from which every path below stays well-formed.
        var wellFormed = [UInt8](repeating: 0xFF, count: trie.nodeCount)
        // Children follow their parents: one backward pass folds each node into its parent.
        for i in stride(from: trie.nodeCount - 1, to: 0, by: -1) {
            let b = trie.byte[i]
            let p = Int(trie.parent[i])
            below[p] |= below[i] | (b < 0x80 ? 1 << UInt64(SubtreeGroups.groupOf[Int(b)]) : SubtreeGroups.wholeCharacters)
            if height[i] >= height[p] { height[p] = height[i] == 255 ? 255 : height[i] + 1 }
            var from: UInt8 = 0
            for u in 0..<8 {
                let u2 = SubtreeGroups.utf8Next(Int8(u), b)
                if u2 >= 0 && wellFormed[i] & (1 << UInt8(u2)) != 0 { from |= 1 << UInt8(u) }
            }
            wellFormed[p] &= from
        }
        for i in 0..<trie.nodeCount where below[i] & SubtreeGroups.wholeCharacters != 0 && wellFormed[i] & 1 == 0 {
            below[i] = below[i] & ~SubtreeGroups.wholeCharacters | SubtreeGroups.otherNonASCII
        }
        self.below = below
        self.height = height
    }

    /// How many bytes `chains` reaches.
    static let chainDepth = 16

    /// Runs of bounded length, for the states of length counters (`^[A-Za-z0-9_-]{1,255}$`, a
    /// fixed-width field), which loop on nothing: per state q and 1 ≤ h ≤ `chainDepth`, at
    /// `q * chainDepth + h - 1`, ASCII groups such that every string of at most h bytes from
    /// them leads q through live, non-accepting states only. A walk at a node in state q whose
    /// subtree reaches h levels down, all of its bytes in those groups, takes the subtree whole
    /// (its tokens are allowed; no lexeme ends inside it). Built from one step per state: the
    /// groups whose bytes all lead q to one live, non-accepting state t(q) (the target of the
    /// class holding the most groups) are G(q); then chains(q, 1) = G(q) and chains(q, h) = G(q) ∩ chains(t(q),
    /// h - 1), by induction on h. nil when no state has such a group.
    static func chains(_ dfa: ByteDFA) -> [UInt64]? {
        let n = dfa.stateCount, k = dfa.classCount, depth = chainDepth
        // Per class, the ASCII groups whose bytes all fall in it; the groups split across
        // classes, with their classes (a DFA that singles out some digits, say).
        var classesOf = [[Int]](repeating: [], count: 61)
        for b in 0..<128 {
            let g = Int(groupOf[b]), c = Int(dfa.byteClass[b])
            if !classesOf[g].contains(c) { classesOf[g].append(c) }
        }
        var whole = [UInt64](repeating: 0, count: k)
        var split: [(group: UInt64, classes: [Int])] = []
        for g in 0..<61 {
            if classesOf[g].count == 1 { whole[classesOf[g][0]] |= 1 << UInt64(g) } else { split.append((1 << UInt64(g), classesOf[g])) }
        }
        var step = [UInt64](repeating: 0, count: n)
        var target = [Int32](repeating: -1, count: n)
        var any = false
        dfa.table.withUnsafeBufferPointer { table in
            for q in 0..<n {
                let row = q * k
                // t(q): the live, non-accepting target of the class holding the most groups.
                var best = -1, most = 0
                for c in 0..<k where whole[c] != 0 {
                    let t = table[row + c]
                    if t < 0 || dfa.accepting[Int(t)] { continue }
                    let m = whole[c].nonzeroBitCount
                    if m > most { most = m; best = c }
                }
                if best < 0 { continue }
                let t = table[row + best]
                var groups: UInt64 = 0
                for c in 0..<k where table[row + c] == t { groups |= whole[c] }
                for s in split where s.classes.allSatisfy({ table[row + $0] == t }) { groups |= s.group }
                step[q] = groups
                target[q] = t
                any = true
            }
        }
        if !any { return nil }
        var chains = [UInt64](repeating: 0, count: n * depth)
        for q in 0..<n { chains[q * depth] = step[q] }
        for h in 1..<depth {
            for q in 0..<n where target[q] >= 0 {
                chains[q * depth + h] = step[q] & chains[Int(target[q]) * depth + h - 1]
            }
        }
        return chains
    }

    /// Per state of `dfa`: the groups it loops on (0 for none), or nil when no state loops on
    /// a whole group.
    static func loops(_ dfa: ByteDFA) -> [UInt64]? {
        var classGroups = [UInt64](repeating: 0, count: dfa.classCount)
        for b in 0..<128 { classGroups[Int(dfa.byteClass[b])] |= 1 << UInt64(groupOf[b]) }
        var loops = [UInt64](repeating: 0, count: dfa.stateCount)
        var any = false
        for q in 0..<dfa.stateCount {
            var broken: UInt64 = otherNonASCII | wholeCharacters
            for c in 0..<dfa.classCount where dfa.table[q * dfa.classCount + c] != Int32(q) { broken |= classGroups[c] }
            // Characters matter only below bytes that loop (a subtree is taken on all its groups).
            if broken & asciiGroups != asciiGroups && loopsOnCharacters(dfa, Int32(q)) { broken &= ~wholeCharacters }
            loops[q] = ~broken & (asciiGroups | wholeCharacters)
            any = any || loops[q] != 0
        }
        return any ? loops : nil
    }

    /// Whether every multi-byte character leads `q` back to `q` through live, non-accepting
    /// states (a search over (UTF-8 state, DFA state) pairs; at most 7 × states of them).
    private static func loopsOnCharacters(_ dfa: ByteDFA, _ q: Int32) -> Bool {
        var work: [(Int8, Int32)] = [(0, q)]
        var seen = TokenSlice.PairSet()
        while let (u, s) = work.popLast() {
            for b in 0x80...0xFF {
                let u2 = utf8Next(u, UInt8(b))
                if u2 < 0 { continue }
                let s2 = dfa.next(s, UInt8(b))
                if u2 == 0 {
                    if s2 != q { return false }
                } else {
                    if s2 < 0 || dfa.accepting[Int(s2)] { return false }
                    if seen.insert(Int(s2) << 3 | Int(u2)) { work.append((u2, s2)) }
                }
            }
        }
        return true
    }
}
