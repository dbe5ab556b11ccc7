extension Array where Element: Comparable {
    /// Sorts in place and drops repeated elements, keeping the capacity (scratch buffers reuse it).
    mutating func sortAndRemoveDuplicates() {
        sort()
        var w = 0
        for r in indices where r == 0 || self[r] != self[w - 1] { self[w] = self[r]; w += 1 }
        removeSubrange(w...)
    }
}
