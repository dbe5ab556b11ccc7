/// The caller-facing set of allowed token ids: `UInt32` words, bit `i % 32` of word `i / 32` is
/// token `i` (the layout vLLM/SGLang bitmask kernels consume).
///
/// Invariants: `words.count == TokenMask.wordCount(width)`; bits at `width...` are zero.
/// A value type; filling it from a matcher costs about a copy of `words`.
public struct TokenMask: Sendable, Equatable, Hashable {
    /// Number of token ids the mask covers (the vocabulary's `maskWidth`).
    public let width: Int
    public var words: [UInt32]

    /// Words needed for `width` ids: `ceil(width / 32)`.
    @inlinable public static func wordCount(_ width: Int) -> Int { (width + 31) >> 5 }

    /// A zeroed word buffer for `fillNextTokenMask(into:)`, as a server holds one: filled
    /// through its pointer, with no closure around the fill (`array.withUnsafeMutableBufferPointer
    /// { matcher.fill… }` copies the matcher on every call). The caller deallocates it.
    public static func allocateWords(width: Int) -> UnsafeMutableBufferPointer<UInt32> {
        let words = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: max(wordCount(width), 1))
        words.initialize(repeating: 0)
        return words
    }

    /// An empty mask (nothing allowed).
    public init(width: Int) {
        precondition(width >= 0, "mask width must be non-negative")
        self.width = width
        self.words = [UInt32](repeating: 0, count: TokenMask.wordCount(width))
    }

    /// A mask allowing exactly `ids` (each must be in `0..<width`).
    public init<S: Sequence>(width: Int, allowing ids: S) where S.Element == Int32 {
        self.init(width: width)
        for id in ids { insert(id) }
    }

    @inlinable public func contains(_ id: Int32) -> Bool {
        guard id >= 0 && Int(id) < width else { return false }
        return words[Int(id) >> 5] & (1 << (UInt32(id) & 31)) != 0
    }

    public mutating func insert(_ id: Int32) {
        precondition(id >= 0 && Int(id) < width, "token id \(id) outside mask width \(width)")
        words[Int(id) >> 5] |= 1 << (UInt32(id) & 31)
    }

    public mutating func remove(_ id: Int32) {
        precondition(id >= 0 && Int(id) < width, "token id \(id) outside mask width \(width)")
        words[Int(id) >> 5] &= ~(1 << (UInt32(id) & 31))
    }

    /// Number of allowed ids (popcount over the words).
    public var count: Int {
        var n = 0
        for w in words { n += w.nonzeroBitCount }
        return n
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// Allowed ids in ascending order.
    public var allowedIDs: [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(count)
        for (wi, w) in words.enumerated() {
            var bits = w
            while bits != 0 {
                out.append(Int32(wi << 5 + bits.trailingZeroBitCount))
                bits &= bits - 1
            }
        }
        return out
    }
}
