/// A fixed-size block of plain values owned by a class (freed at deinit): scratch that a hot
/// loop writes through `base`, without the uniqueness check an array stored in a struct costs
/// on every write. The owning struct keeps it unshared itself: it checks
/// `isKnownUniquelyReferenced` once before a batch of writes and takes a fresh buffer when a
/// copy of the struct still shares it (scratch contents never need to survive that), and it
/// replaces the buffer to grow it. Sendable as an array is: a value that holds it writes it
/// only while that value is its sole owner (copies sent elsewhere take fresh buffers first).
final class ScratchBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
    let count: Int

    /// `count` elements, each `value`.
    init(count: Int, value: Element) {
        self.count = count
        base = .allocate(capacity: Swift.max(count, 1))
        base.initialize(repeating: value, count: Swift.max(count, 1))
    }

    deinit { base.deallocate() }

    /// Makes `buffer` its owner's own before a batch of writes: a fresh one of at least
    /// `minimumCount` elements (each `value`) when a copy of the owner shares it or it is
    /// smaller. Returns whether it was replaced (its contents are then `value`s).
    @inline(__always) @discardableResult
    static func makeUnique(_ buffer: inout ScratchBuffer, minimumCount: Int, value: Element) -> Bool {
        if isKnownUniquelyReferenced(&buffer) && buffer.count >= minimumCount { return false }
        buffer = ScratchBuffer(count: Swift.max(buffer.count, minimumCount), value: value)
        return true
    }
}
