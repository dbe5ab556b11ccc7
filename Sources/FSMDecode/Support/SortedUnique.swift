extension Array where Element: Comparable {
    /// Sorts in place and drops repeated elements, keeping the capacity (scratch buffers reuse it).
    /// The pass runs over the buffer: indexing the array itself checked uniqueness at every write.
    mutating func sortAndRemoveDuplicates() {
        sort()
        let w = withUnsafeMutableBufferPointer { $0.removeAdjacentRepeats() }
        removeSubrange(w...)
    }
}

extension UnsafeMutableBufferPointer where Element: Equatable {
    /// Moves the first of each run of equal neighbours to the front, in order; returns how many
    /// (a sorted buffer's distinct elements, ascending).
    func removeAdjacentRepeats() -> Int {
        var w = 0
        for r in indices where r == 0 || self[r] != self[w - 1] { self[w] = self[r]; w += 1 }
        return w
    }
}

extension Array where Element == UInt32 {
    /// The union of two ascending lists without repeats, ascending, merged in linear time; nil
    /// once it would hold more than `limit` elements.
    static func sortedUnion(_ a: UnsafeBufferPointer<UInt32>, _ b: UnsafeBufferPointer<UInt32>, limit: Int) -> [UInt32]? {
        var fits = true
        let merged = [UInt32](unsafeUninitializedCapacity: a.count + b.count) { out, n in
            var i = 0, j = 0, k = 0
            while i < a.count && j < b.count {
                let x = a[i], y = b[j]
                out[k] = Swift.min(x, y)
                if x <= y { i &+= 1 }
                if y <= x { j &+= 1 }
                k &+= 1
            }
            while i < a.count { out[k] = a[i]; i &+= 1; k &+= 1 }
            while j < b.count { out[k] = b[j]; j &+= 1; k &+= 1 }
            fits = k <= limit
            n = k
        }
        return fits ? merged : nil
    }
}
