/// A set of Unicode code points as sorted, disjoint, non-adjacent closed ranges within
/// `0 ... 0x10FFFF`. Value type; every operation keeps the normal form, so two sets are `==`
/// exactly when they contain the same code points.
///
/// Surrogates (U+D800–U+DFFF) may be members (a range like `[\u0000-\uFFFF]` spans them), but
/// they never encode in UTF-8, so `utf8Sequences()` leaves them out.
public struct CodePointSet: Sendable, Hashable {
    public static let maxCodePoint: UInt32 = 0x10FFFF

    /// Sorted, disjoint and non-adjacent.
    public private(set) var ranges: [ClosedRange<UInt32>]

    public init() { ranges = [] }

    /// Normalizes arbitrary (overlapping, unsorted) ranges; values above U+10FFFF are clipped.
    public init<S: Sequence>(_ input: S) where S.Element == ClosedRange<UInt32> {
        var rs = input.compactMap { r -> ClosedRange<UInt32>? in
            r.lowerBound > Self.maxCodePoint ? nil : r.lowerBound ... min(r.upperBound, Self.maxCodePoint)
        }
        rs.sort { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<UInt32>] = []
        out.reserveCapacity(rs.count)
        for r in rs {
            if let last = out.last, r.lowerBound <= last.upperBound &+ 1 {
                if r.upperBound > last.upperBound { out[out.count - 1] = last.lowerBound ... r.upperBound }
            } else {
                out.append(r)
            }
        }
        ranges = out
    }

    public init(scalar: UInt32) { ranges = [scalar ... scalar] }

    public var isEmpty: Bool { ranges.isEmpty }

    /// Number of code points (surrogates included when present).
    public var count: Int { ranges.reduce(0) { $0 + Int($1.upperBound - $1.lowerBound) + 1 } }

    /// The single member, when the set has exactly one.
    public var singleScalar: UInt32? {
        ranges.count == 1 && ranges[0].lowerBound == ranges[0].upperBound ? ranges[0].lowerBound : nil
    }

    /// O(log n).
    public func contains(_ c: UInt32) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < c { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(c)
    }

    public func union(_ other: CodePointSet) -> CodePointSet { CodePointSet(ranges + other.ranges) }

    public mutating func formUnion(_ other: CodePointSet) { self = union(other) }

    /// The complement within `0 ... 0x10FFFF`.
    public func inverted() -> CodePointSet {
        var out: [ClosedRange<UInt32>] = []
        var next: UInt32 = 0
        for r in ranges {
            if r.lowerBound > next { out.append(next ... r.lowerBound - 1) }
            next = r.upperBound + 1
        }
        if next <= Self.maxCodePoint { out.append(next ... Self.maxCodePoint) }
        var s = CodePointSet()
        s.ranges = out
        return s
    }

    /// ECMA-262 `\d`.
    public static let digit = CodePointSet([0x30 ... 0x39])
    /// ECMA-262 `\w`: `[A-Za-z0-9_]`.
    public static let word = CodePointSet([0x30 ... 0x39, 0x41 ... 0x5A, 0x5F ... 0x5F, 0x61 ... 0x7A])
    /// ECMA-262 `\s`: WhiteSpace and LineTerminator.
    public static let whitespace = CodePointSet([
        0x09 ... 0x0D, 0x20 ... 0x20, 0xA0 ... 0xA0, 0x1680 ... 0x1680, 0x2000 ... 0x200A,
        0x2028 ... 0x2029, 0x202F ... 0x202F, 0x205F ... 0x205F, 0x3000 ... 0x3000, 0xFEFF ... 0xFEFF,
    ])
    /// ECMA-262 LineTerminator: what `.` excludes without dot-all.
    public static let lineTerminators = CodePointSet([0x0A ... 0x0A, 0x0D ... 0x0D, 0x2028 ... 0x2029])
    /// Every code point.
    public static let all = CodePointSet([0 ... maxCodePoint])

    // MARK: UTF-8

    /// The set as UTF-8 byte-range sequences: a byte string of valid UTF-8 encodes a member
    /// exactly when it matches one sequence (sequence i matches bytes b0…bk-1 when every
    /// `b_j ∈ seq[j]`). Sequences are disjoint, each 1–4 ranges long; surrogates are left out.
    /// Cost: O(ranges) with a small constant (at most ~9 sequences per input range).
    public func utf8Sequences() -> [[ClosedRange<UInt8>]] {
        var out: [[ClosedRange<UInt8>]] = []
        func piece(_ a: UInt32, _ b: UInt32) {
            // Split at encoded-length boundaries.
            var lo = a
            for limit: UInt32 in Self.lengthLimits where lo <= b && lo <= limit {
                let hi = min(b, limit)
                Self.splitSameLength(lo, hi, into: &out)
                lo = hi + 1
            }
        }
        for r in ranges {
            // Cut the surrogate block out.
            if r.upperBound < 0xD800 || r.lowerBound > 0xDFFF {
                piece(r.lowerBound, r.upperBound)
            } else {
                if r.lowerBound < 0xD800 { piece(r.lowerBound, 0xD7FF) }
                if r.upperBound > 0xDFFF { piece(0xE000, r.upperBound) }
            }
        }
        return out
    }

    /// The last code point of each UTF-8 encoded length.
    private static let lengthLimits: [UInt32] = [0x7F, 0x7FF, 0xFFFF, 0x10FFFF]

    /// `lo ... hi` encode with the same length. Splits until every continuation position spans
    /// a full or aligned sub-range, so the byte ranges multiply out to exactly the code points.
    private static func splitSameLength(_ lo: UInt32, _ hi: UInt32, into out: inout [[ClosedRange<UInt8>]]) {
        let n = encodedLength(lo)
        if n > 1 {
            for i in 1 ..< n {
                let m: UInt32 = (1 << (6 * UInt32(i))) - 1
                if lo & ~m != hi & ~m {
                    if lo & m != 0 {
                        splitSameLength(lo, lo | m, into: &out)
                        splitSameLength((lo | m) + 1, hi, into: &out)
                        return
                    }
                    if hi & m != m {
                        splitSameLength(lo, (hi & ~m) - 1, into: &out)
                        splitSameLength(hi & ~m, hi, into: &out)
                        return
                    }
                }
            }
        }
        // Byte j of an n-byte encoding: the lead byte, then 6-bit groups from the top.
        func byte(_ c: UInt32, _ j: Int) -> UInt8 {
            if j == 0 { return UInt8(truncatingIfNeeded: n == 1 ? c : (n == 2 ? 0xC0 : n == 3 ? 0xE0 : 0xF0) | c >> (6 * UInt32(n - 1))) }
            return UInt8(truncatingIfNeeded: 0x80 | c >> (6 * UInt32(n - 1 - j)) & 0x3F)
        }
        var seq: [ClosedRange<UInt8>] = []
        seq.reserveCapacity(n)
        for j in 0 ..< n { seq.append(byte(lo, j) ... byte(hi, j)) }
        out.append(seq)
    }

    static func encodedLength(_ c: UInt32) -> Int { c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4 }

    /// UTF-8 encoding of a code point (surrogates are encoded naively; callers exclude them).
    public static func encode(_ c: UInt32) -> [UInt8] {
        switch encodedLength(c) {
        case 1: return [UInt8(c)]
        case 2: return [UInt8(0xC0 | c >> 6), UInt8(0x80 | c & 0x3F)]
        case 3: return [UInt8(0xE0 | c >> 12), UInt8(0x80 | c >> 6 & 0x3F), UInt8(0x80 | c & 0x3F)]
        default: return [UInt8(0xF0 | c >> 18), UInt8(0x80 | c >> 12 & 0x3F), UInt8(0x80 | c >> 6 & 0x3F), UInt8(0x80 | c & 0x3F)]
        }
    }
}
