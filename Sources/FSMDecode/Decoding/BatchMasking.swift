import Dispatch

/// Masks for a batch of sequences, as inference servers step them: one matcher per row.
///
/// Layout: `masks` holds `count × wordsPerMask` words (row i at `i * wordsPerMask`), `logits`
/// holds `count × width` values (row-major, as a `[batch, vocab]` tensor). Rows are independent,
/// so fills run on all cores; each row's work is single-threaded.
public enum BatchMasking {
    /// Fills row i of `masks` from `matchers[i]`, in parallel.
    public static func fill<M: TokenMatcher & Sendable>(_ matchers: [M], into masks: UnsafeMutableBufferPointer<UInt32>) {
        guard let first = matchers.first else { return }
        let words = (first.maskWidth + 31) / 32
        precondition(masks.count >= matchers.count * words, "masks holds \(masks.count) words, \(matchers.count) rows need \(matchers.count * words)")
        let base = UncheckedPointer(masks.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: matchers.count) { i in
            // Each iteration writes only its own row.
            matchers[i].fillNextTokenMask(into: UnsafeMutableBufferPointer(start: base.pointer + i * words, count: words))
        }
    }

    /// Sets the disallowed logits of every row to −∞, in parallel.
    public static func apply(_ masks: UnsafeBufferPointer<UInt32>, wordsPerMask: Int,
                             to logits: UnsafeMutableBufferPointer<Float>, width: Int) {
        precondition(width > 0 && logits.count % width == 0, "logits is not a whole number of rows of width \(width)")
        let rows = logits.count / width
        precondition(masks.count >= rows * wordsPerMask, "one mask per row")
        let m = UncheckedPointer(UnsafeMutablePointer(mutating: masks.baseAddress!))
        let l = UncheckedPointer(logits.baseAddress!)
        DispatchQueue.concurrentPerform(iterations: rows) { r in
            MaskApplication.apply(UnsafeBufferPointer(start: m.pointer + r * wordsPerMask, count: wordsPerMask),
                                  to: UnsafeMutableBufferPointer(start: l.pointer + r * width, count: width))
        }
    }
}

/// A pointer handed to concurrent iterations that each touch a disjoint slice.
struct UncheckedPointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}
