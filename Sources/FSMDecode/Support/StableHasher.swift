/// A deterministic 64-bit hash for fingerprints, checksums and mask deduplication
/// (Swift's `Hasher` is seeded per process, so it cannot go into files), and the cheap hash of
/// in-memory lookup keys compared in full on a hit (regex trees, NFA nodes, code-point sets,
/// lexer parts): one multiply per word where `Hasher` runs SipHash per field.
///
/// Each step `h = (rotl(h, 5) ^ word) &* K` with odd `K` is a bijection of `h` for a fixed word
/// and of the word for a fixed `h`, so changing any single 8-byte word of the input always
/// changes the result; other corruptions collide with probability about 2⁻⁶⁴. Not
/// cryptographic. Cost: one multiply per 8 bytes.
struct StableHasher {
    private var state: UInt64 = 0x243F_6A88_85A3_08D3
    private var length: UInt64 = 0

    @inline(__always) mutating func combine(_ word: UInt64) {
        state = ((state << 5) | (state >> 59)) ^ word
        state = state &* 0x9E37_79B9_7F4A_7C15
        length &+= 8
    }

    /// The count, then each range as one word (lower << 32 | upper).
    @inline(__always) mutating func combine(ranges: [ClosedRange<UInt32>]) {
        combine(UInt64(ranges.count))
        for r in ranges { combine(UInt64(r.lowerBound) << 32 | UInt64(r.upperBound)) }
    }

    mutating func combine(bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            combine(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < n { tail |= UInt64(bytes[i]) << shift; shift += 8; i += 1 }
            combine(tail ^ (UInt64(n & 7) << 56))
        }
    }

    mutating func combine<T>(array: [T]) where T: BitwiseCopyable {
        combine(UInt64(array.count))
        array.withUnsafeBytes { combine(bytes: $0) }
    }

    /// The hash, with a final avalanche so nearby inputs land far apart.
    func finalize() -> UInt64 {
        var h = state ^ length
        h ^= h >> 33; h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33; h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}

/// The dictionary hash of small internal keys looked up on every mask fill (walk-cache keys,
/// memo keys, prehashed keys), through `Hashable`'s `_rawHashValue(seed:)`: the standard
/// `Hasher` runs SipHash with a seed setup per lookup, ~4 % of maskbench-dev's mask-fill
/// instructions (callgrind, every 15th file). The dictionary's seed and the words go through
/// `StableHasher` (its final avalanche included); the seed stays in, so bucket order still
/// differs per dictionary and per process.
enum SeededHash {
    @inline(__always) static func of(_ a: UInt64, _ b: UInt64 = 0, _ c: UInt64 = 0, seed: Int) -> Int {
        var h = StableHasher()
        h.combine(UInt64(bitPattern: Int64(seed)))
        h.combine(a)
        h.combine(b)
        h.combine(c)
        return Int(truncatingIfNeeded: h.finalize())
    }
}

/// A 64-bit word (a pair of small state numbers, mostly) as a dictionary key hashed by
/// `SeededHash`: the products and tries that intern state pairs look one up per transition, and
/// `Int`/`Int64` keys go through SipHash (a code-point DFA product's index alone was ~4 % of the
/// slowest schema compiles).
struct WordKey: Hashable, Sendable {
    let word: UInt64
    init(_ word: UInt64) { self.word = word }
    /// Two numbers below 2³² (or -1, as all ones), `high` in the upper half.
    init<H: BinaryInteger, L: BinaryInteger>(_ high: H, _ low: L) {
        word = UInt64(UInt32(truncatingIfNeeded: high)) << 32 | UInt64(UInt32(truncatingIfNeeded: low))
    }
    func _rawHashValue(seed: Int) -> Int { SeededHash.of(word, seed: seed) }
}

/// Where a structural walk feeds its words (`TerminalPattern`'s hashes): `StableHasher`, fast
/// and unseeded, for cache keys hashed once; the standard `Hasher`, seeded, for dictionary keys
/// built from untrusted input (crafted collisions would make interning quadratic) unless a
/// budget bounds how many there are (then `SeededHash` over the `StableHasher` value).
protocol WordHashing {
    mutating func combine(word: UInt64)
    mutating func combine(bytes: UnsafeRawBufferPointer)
}

extension StableHasher: WordHashing {
    @inline(__always) mutating func combine(word: UInt64) { combine(word) }
}

extension Hasher: WordHashing {
    @inline(__always) mutating func combine(word: UInt64) { combine(word) }
}

extension Vocabulary {
    /// Identity of everything a compiled constraint depends on: every token's bytes and flags,
    /// the mask width and the eos ids. Artifacts store it and refuse another vocabulary.
    /// Cost: one pass over the token bytes (about a millisecond for 128k tokens, release), paid
    /// once when the vocabulary is built (`fingerprint`), not per compiled constraint.
    static func fingerprint(maskWidth: Int, tokenBytes: [UInt8], tokenOffsets: [UInt32], flags: [TokenFlags], eosIDs: [Int32]) -> UInt64 {
        var h = StableHasher()
        h.combine(UInt64(maskWidth))
        h.combine(array: tokenBytes)
        h.combine(array: tokenOffsets)
        h.combine(array: flags.map(\.rawValue))
        h.combine(array: eosIDs)
        return h.finalize()
    }
}
