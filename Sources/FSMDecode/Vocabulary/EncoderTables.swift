/// Flat lookup tables behind `TokenEncoder`. All are built once, immutable afterwards, and
/// `Sendable`; lookups allocate nothing.

/// Model-vocabulary piece strings (as written in the tokenizer file: `Ġthe`, `▁the`) → id.
///
/// Open addressing over FNV-1a hashes of the pieces' UTF-8 bytes; the pieces are stored
/// concatenated. A lookup may name the key as two halves (`left + right`) so that BPE merge
/// results are found without building the concatenated string.
struct PieceTable: Sendable {
    /// Piece bytes of every id, concatenated: id i is `bytes[offsets[i] ..< offsets[i+1]]`.
    let bytes: [UInt8]
    let offsets: [Int32]
    private let slots: [Int32]         // id or -1
    private let mask: Int

    /// Indexes `pieces[id]` for the ids where `include[id]`; a piece given twice keeps its lowest id.
    init(pieces: [String], include: [Bool]) {
        var bytes: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(pieces.count + 1)
        for p in pieces {
            bytes.append(contentsOf: p.utf8)
            offsets.append(Int32(bytes.count))
        }
        var capacity = 16
        while capacity < pieces.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        bytes.withUnsafeBufferPointer { b in
            for k in 0..<pieces.count where include[k] {
                let s = Int(offsets[k]), e = Int(offsets[k + 1])
                let piece = UnsafeBufferPointer(rebasing: b[s..<e])
                var slot = Int(truncatingIfNeeded: PieceTable.hash(piece, UnsafeBufferPointer(start: nil, count: 0))) & mask
                var duplicate = false
                while slots[slot] >= 0 {
                    let o = Int(slots[slot])
                    if memEqual(UnsafeBufferPointer(rebasing: b[Int(offsets[o])..<Int(offsets[o + 1])]), piece) {
                        duplicate = true; break
                    }
                    slot = (slot + 1) & mask
                }
                if !duplicate { slots[slot] = Int32(k) }
            }
        }
        self.bytes = bytes
        self.offsets = offsets
        self.slots = slots
        self.mask = mask
    }

    @inline(__always)
    static func hash(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for x in a { h = (h ^ UInt64(x)) &* 0x100000001b3 }
        for x in b { h = (h ^ UInt64(x)) &* 0x100000001b3 }
        return h ^ (h >> 29)
    }

    /// Id of the piece `left + right`, or -1.
    func lookup(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8> = UnsafeBufferPointer(start: nil, count: 0)) -> Int32 {
        let n = left.count + right.count
        var slot = Int(truncatingIfNeeded: PieceTable.hash(left, right)) & mask
        return bytes.withUnsafeBufferPointer { b in
            while true {
                let k = Int(slots[slot])
                if k < 0 { return -1 }
                let s = Int(offsets[k]), e = Int(offsets[k + 1])
                if e - s == n
                    && memEqual(UnsafeBufferPointer(rebasing: b[s..<s + left.count]), left)
                    && memEqual(UnsafeBufferPointer(rebasing: b[s + left.count..<e]), right) {
                    return Int32(k)
                }
                slot = (slot + 1) & mask
            }
        }
    }

    func lookup(_ piece: [UInt8]) -> Int32 {
        piece.withUnsafeBufferPointer { lookup($0) }
    }

    /// Id of the piece `piece(l) + piece(r)`, or -1 (BPE merge results).
    func lookupConcatenation(_ l: Int32, _ r: Int32) -> Int32 {
        bytes.withUnsafeBufferPointer { b in
            lookup(UnsafeBufferPointer(rebasing: b[Int(offsets[Int(l)])..<Int(offsets[Int(l) + 1])]),
                   UnsafeBufferPointer(rebasing: b[Int(offsets[Int(r)])..<Int(offsets[Int(r) + 1])]))
        }
    }
}

@inline(__always)
private func memEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var i = 0
    while i < a.count { if a[i] != b[i] { return false }; i += 1 }
    return true
}

/// BPE merges: (left id, right id) → (rank, merged id), open addressing on a packed 64-bit key.
///
/// Value layout: `rank << 32 | mergedID`; `MergeTable.none` when the pair does not merge.
/// A pair listed twice keeps its last rank, as Hugging Face's merge map does.
struct MergeTable: Sendable {
    static let none = UInt64.max
    private static let emptyKey = UInt64.max
    private let keys: [UInt64]
    private let values: [UInt64]
    private let shift: UInt64

    /// `merges[rank] = (left, right, merged)`.
    init(_ merges: [(Int32, Int32, Int32)]) {
        var bits: UInt64 = 4
        while (1 << bits) < merges.count * 2 { bits += 1 }
        let capacity = 1 << Int(bits)
        var keys = [UInt64](repeating: MergeTable.emptyKey, count: capacity)
        var values = [UInt64](repeating: MergeTable.none, count: capacity)
        let shift = 64 - bits
        for (rank, m) in merges.enumerated() {
            let key = MergeTable.key(m.0, m.1)
            var slot = Int(truncatingIfNeeded: (key &* 0x9E3779B97F4A7C15) >> shift)
            while keys[slot] != MergeTable.emptyKey && keys[slot] != key { slot = (slot + 1) & (capacity - 1) }
            keys[slot] = key
            values[slot] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: m.2))
        }
        self.keys = keys
        self.values = values
        self.shift = shift
    }

    @inline(__always) static func key(_ l: Int32, _ r: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
    }

    /// `rank << 32 | mergedID` for the pair, or `MergeTable.none`.
    @inline(__always) func lookup(_ l: Int32, _ r: Int32) -> UInt64 {
        let key = MergeTable.key(l, r)
        let m = keys.count - 1
        var slot = Int(truncatingIfNeeded: (key &* 0x9E3779B97F4A7C15) >> shift)
        while true {
            let k = keys[slot]
            if k == key { return values[slot] }
            if k == MergeTable.emptyKey { return MergeTable.none }
            slot = (slot + 1) & m
        }
    }
}

/// Leftmost-longest matching of added tokens (`<|begin_of_text|>`, `<s>`) in raw input bytes,
/// as Hugging Face's added vocabulary does before normalizing and pre-tokenizing.
///
/// A byte trie over the contents; `canStart[b]` filters start positions, so text without any
/// token's first byte costs one table read per byte. Worst case O(n · longest content).
struct AddedTokenMatcher: Sendable {
    private var edges: [UInt32: Int32] = [:]   // node << 8 | byte → child
    private var tokenAt: [Int32] = [-1]        // node → token id ending there, or -1
    private var canStart = [Bool](repeating: false, count: 256)

    init(_ tokens: [(content: String, id: Int32)]) {
        for (content, id) in tokens where !content.isEmpty {
            var node: Int32 = 0
            for b in content.utf8 {
                let key = UInt32(node) << 8 | UInt32(b)
                if let child = edges[key] { node = child; continue }
                let child = Int32(tokenAt.count)
                tokenAt.append(-1)
                edges[key] = child
                node = child
            }
            if tokenAt[Int(node)] < 0 { tokenAt[Int(node)] = id }
            canStart[Int(content.utf8.first!)] = true
        }
    }

    var isEmpty: Bool { tokenAt.count == 1 }

    /// The first (leftmost) match at or after `from`, longest among those starting there.
    func firstMatch(in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> (range: Range<Int>, id: Int32)? {
        var i = from
        while i < bytes.count {
            if canStart[Int(bytes[i])] {
                var node: Int32 = 0, j = i
                var best: (Int, Int32)? = nil
                while j < bytes.count, let child = edges[UInt32(node) << 8 | UInt32(bytes[j])] {
                    node = child; j += 1
                    if tokenAt[Int(node)] >= 0 { best = (j, tokenAt[Int(node)]) }
                }
                if let (end, id) = best { return (i..<end, id) }
            }
            i += 1
        }
        return nil
    }
}

/// Length of the valid UTF-8 character starting at `i` (1...4), or 0 when the bytes there are
/// not one (stray continuation, overlong form, surrogate, beyond U+10FFFF, truncated).
@inline(__always)
func validUTF8Length(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int {
    let b0 = b[i]
    if b0 < 0x80 { return 1 }
    @inline(__always) func cont(_ k: Int) -> Bool { i + k < b.count && b[i + k] & 0xC0 == 0x80 }
    switch b0 {
    case 0xC2...0xDF:
        return cont(1) ? 2 : 0
    case 0xE0...0xEF:
        guard cont(1), cont(2) else { return 0 }
        let b1 = b[i + 1]
        if b0 == 0xE0 && b1 < 0xA0 { return 0 }          // overlong
        if b0 == 0xED && b1 >= 0xA0 { return 0 }         // surrogate
        return 3
    case 0xF0...0xF4:
        guard cont(1), cont(2), cont(3) else { return 0 }
        let b1 = b[i + 1]
        if b0 == 0xF0 && b1 < 0x90 { return 0 }          // overlong
        if b0 == 0xF4 && b1 >= 0x90 { return 0 }         // beyond U+10FFFF
        return 4
    default:
        return 0
    }
}

/// Reusable per-call buffers for the BPE kernel (one per `encode` call; never shared).
struct BPEScratch {
    var ids: [Int32] = []
    var next: [Int32] = []
    var prev: [Int32] = []
    var heap: [UInt64] = []
    var piece: [UInt8] = []
    var symbols: [Int32] = []

    /// Merges the symbols in `ids` by rank (lowest rank first, leftmost first among equal ranks,
    /// exactly Hugging Face's order) and appends the resulting ids to `out`.
    /// O(n log n) in the symbol count: a binary heap of `rank << 32 | position` entries over a
    /// linked list of live symbols; stale entries are dropped when popped.
    mutating func mergeAndEmit(_ merges: MergeTable, into out: inout [Int32]) {
        let n = ids.count
        if n == 1 { out.append(ids[0]); return }
        if n == 0 { return }
        if n <= BPEScratch.shortWord { mergeShortAndEmit(merges, into: &out); return }
        next.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for i in 0..<n {
            prev.append(Int32(i - 1))
            next.append(i + 1 < n ? Int32(i + 1) : -1)
        }
        for i in 0..<(n - 1) {
            let v = merges.lookup(ids[i], ids[i + 1])
            if v != MergeTable.none { heapPush((v & 0xFFFF_FFFF_0000_0000) | UInt64(i)) }
        }
        while let top = heapPop() {
            let pos = Int(top & 0xFFFF_FFFF)
            let rank = top >> 32
            let left = ids[pos]
            let nx = Int(next[pos])
            if left < 0 || nx < 0 { continue }
            let v = merges.lookup(left, ids[nx])
            if v == MergeTable.none || v >> 32 != rank { continue }   // stale entry
            ids[pos] = Int32(truncatingIfNeeded: v & 0xFFFF_FFFF)
            ids[nx] = -1
            let after = next[nx]
            next[pos] = after
            if after >= 0 { prev[Int(after)] = Int32(pos) }
            let before = Int(prev[pos])
            if before >= 0 {
                let w = merges.lookup(ids[before], ids[pos])
                if w != MergeTable.none { heapPush((w & 0xFFFF_FFFF_0000_0000) | UInt64(before)) }
            }
            if after >= 0 {
                let w = merges.lookup(ids[pos], ids[Int(after)])
                if w != MergeTable.none { heapPush((w & 0xFFFF_FFFF_0000_0000) | UInt64(pos)) }
            }
        }
        for id in ids where id >= 0 { out.append(id) }
    }

    /// Words up to this many symbols use the scan kernel (O(n²), faster than a heap when short).
    static let shortWord = 24

    /// Same order as the heap kernel: repeatedly merge the lowest-rank adjacent pair, leftmost
    /// among equal ranks (a pair's rank is unique, so equal values mean the same merge).
    private mutating func mergeShortAndEmit(_ merges: MergeTable, into out: inout [Int32]) {
        var m = ids.count
        heap.removeAll(keepingCapacity: true)      // heap[i]: merge value of pair (i, i+1)
        for i in 0..<(m - 1) { heap.append(merges.lookup(ids[i], ids[i + 1])) }
        while m > 1 {
            var best = MergeTable.none, at = -1
            for i in 0..<(m - 1) where heap[i] < best { best = heap[i]; at = i }
            if at < 0 { break }
            ids[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            ids.remove(at: at + 1)
            heap.remove(at: at)
            m -= 1
            if at + 1 < m { heap[at] = merges.lookup(ids[at], ids[at + 1]) }
            if at > 0 { heap[at - 1] = merges.lookup(ids[at - 1], ids[at]) }
        }
        out.append(contentsOf: ids)
    }

    private mutating func heapPush(_ x: UInt64) {
        heap.append(x)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) >> 1
            if heap[p] <= x { break }
            heap[i] = heap[p]; i = p
        }
        heap[i] = x
    }

    private mutating func heapPop() -> UInt64? {
        guard let last = heap.popLast() else { return nil }
        if heap.isEmpty { return last }
        let top = heap[0]
        let n = heap.count
        var i = 0
        while true {
            var c = 2 * i + 1
            if c >= n { break }
            if c + 1 < n && heap[c + 1] < heap[c] { c += 1 }
            if heap[c] >= last { break }
            heap[i] = heap[c]; i = c
        }
        heap[i] = last
        return top
    }
}
