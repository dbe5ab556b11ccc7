extension Array where Element: Comparable {
    /// Sorts in place and drops repeated elements, keeping the capacity (scratch buffers reuse it).
    /// The pass runs over the buffer: indexing the array itself checked uniqueness at every write.
    mutating func sortAndRemoveDuplicates() {
        sort()
        let w = withUnsafeMutableBufferPointer { b -> Int in
            var w = 0
            for r in b.indices where r == 0 || b[r] != b[w - 1] { b[w] = b[r]; w += 1 }
            return w
        }
        removeSubrange(w...)
    }
}
