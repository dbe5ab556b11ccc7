/// Maps a token's piece (its string as written in the tokenizer file, as UTF-8 bytes) to its id,
/// without creating a `String` per piece: keys live in one flat buffer and lookups hash a byte
/// slice (FNV-1a, open addressing, load factor <= 1/2). Inserting a piece again replaces its id
/// (last wins, as llama.cpp's `token_to_id` map does). Build O(total bytes), lookup O(key bytes).
struct PieceIndex {
    private var keyBytes: [UInt8] = []
    private var keyOffsets: [UInt32] = [0]
    private var ids: [Int32] = []
    /// Entry index + 1, or 0 for an empty slot; `slots.count` is a power of two.
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: 0, count: n)
        mask = n - 1
        ids.reserveCapacity(capacity)
        keyOffsets.reserveCapacity(capacity + 1)
        keyBytes.reserveCapacity(capacity * 8)
    }

    var count: Int { ids.count }

    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    private func keyEquals(_ entry: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = Int(keyOffsets[entry]), e = Int(keyOffsets[entry + 1])
        guard e - s == key.count else { return false }
        return keyBytes.withUnsafeBufferPointer { kb in
            var i = 0
            while i < key.count { if kb[s + i] != key[i] { return false }; i += 1 }
            return true
        }
    }

    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, id: Int32) {
        if (ids.count + 1) * 2 > slots.count { grow() }
        var slot = Self.hash(key) & mask
        while slots[slot] != 0 {
            let entry = Int(slots[slot]) - 1
            if keyEquals(entry, key) { ids[entry] = id; return }
            slot = (slot + 1) & mask
        }
        keyBytes.append(contentsOf: key)
        keyOffsets.append(UInt32(keyBytes.count))
        ids.append(id)
        slots[slot] = Int32(ids.count)
    }

    func lookup(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        var slot = Self.hash(key) & mask
        while slots[slot] != 0 {
            let entry = Int(slots[slot]) - 1
            if keyEquals(entry, key) { return ids[entry] }
            slot = (slot + 1) & mask
        }
        return nil
    }

    func lookup(_ key: String) -> Int32? {
        var key = key
        return key.withUTF8 { lookup($0) }
    }

    private mutating func grow() {
        let n = slots.count * 2
        slots = [Int32](repeating: 0, count: n)
        mask = n - 1
        keyBytes.withUnsafeBufferPointer { kb in
            for entry in 0..<ids.count {
                let s = Int(keyOffsets[entry]), e = Int(keyOffsets[entry + 1])
                var slot = Self.hash(UnsafeBufferPointer(rebasing: kb[s..<e])) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(entry + 1)
            }
        }
    }
}

/// Collects tokens by id in any order (a later entry for an id replaces an earlier one), then
/// assembles a `TokenTable` in id order. Token bytes and piece bytes go to flat buffers; a
/// piece `String` is created once per id, at the end.
struct SparseTokenTable {
    private var raw: [UInt8] = []
    private var pieceBytes: [UInt8] = []
    /// Per entry: start of its bytes in `raw` and of its piece in `pieceBytes` (ends are the next start).
    private var rawStart: [UInt32] = [0]
    private var pieceStart: [UInt32] = [0]
    private var entryFlags: [TokenFlags] = []
    /// Entry index per id, or -1.
    private var entryOfID: [Int32]

    /// `size` ids, all absent until set.
    init(size: Int, expectedBytes: Int = 0) {
        entryOfID = [Int32](repeating: -1, count: size)
        raw.reserveCapacity(expectedBytes)
        pieceBytes.reserveCapacity(expectedBytes)
        rawStart.reserveCapacity(size + 1); pieceStart.reserveCapacity(size + 1); entryFlags.reserveCapacity(size)
    }

    var size: Int { entryOfID.count }

    func contains(_ id: Int) -> Bool { entryOfID[id] >= 0 }

    func flags(of id: Int) -> TokenFlags? { entryOfID[id] >= 0 ? entryFlags[Int(entryOfID[id])] : nil }

    /// Sets token `id` to `bytes`, written in the file as `piece`.
    mutating func set(id: Int, piece: UnsafeBufferPointer<UInt8>, bytes: UnsafeBufferPointer<UInt8>, flags: TokenFlags) {
        pieceBytes.append(contentsOf: piece)
        pieceStart.append(UInt32(pieceBytes.count))
        raw.append(contentsOf: bytes)
        rawStart.append(UInt32(raw.count))
        entryFlags.append(flags)
        entryOfID[id] = Int32(entryFlags.count - 1)
    }

    /// Adds flags to token `id`, which must be set.
    mutating func addFlags(id: Int, _ flags: TokenFlags) {
        let e = Int(entryOfID[id])
        entryFlags[e] = entryFlags[e].union(flags)
    }

    /// The tokens in id order; ids never set are absent.
    func assemble() -> TokenTable {
        var table = TokenTable(capacity: size)
        table.bytes.reserveCapacity(raw.count)
        raw.withUnsafeBufferPointer { rb in
            pieceBytes.withUnsafeBufferPointer { pb in
                for id in 0..<size {
                    let e = Int(entryOfID[id])
                    guard e >= 0 else { table.appendAbsent(); continue }
                    let piece = String(decoding: UnsafeBufferPointer(rebasing: pb[Int(pieceStart[e])..<Int(pieceStart[e + 1])]),
                                       as: UTF8.self)
                    table.append(bytes: UnsafeBufferPointer(rebasing: rb[Int(rawStart[e])..<Int(rawStart[e + 1])]),
                                 piece: piece, flags: entryFlags[e])
                }
            }
        }
        return table
    }
}
