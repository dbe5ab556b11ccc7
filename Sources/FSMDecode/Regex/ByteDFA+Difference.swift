extension ByteDFA {
    /// The strings `self` matches and `other` does not, as a minimal canonical DFA (nil: no
    /// such string). The product of the two automata over the pairs reachable from the
    /// starts, where `other` may have died already: O(pairs × joint byte classes), no NFA and
    /// no subset construction. `.budget` error past `maxStates` pairs.
    public func subtracting(_ other: ByteDFA, maxStates: Int, description: String) throws -> ByteDFA? {
        // Joint byte classes: one per distinct (class here, class there), numbered by first
        // byte (the canonical numbering `DFABuilder.finish` expects).
        var jointOf = [Int32](repeating: -1, count: classCount * other.classCount)
        var byteClass = [UInt8](repeating: 0, count: 256)
        var classA: [Int] = [], classB: [Int] = []
        for b in 0 ..< 256 {
            let ca = Int(self.byteClass[b]), cb = Int(other.byteClass[b])
            let slot = ca * other.classCount + cb
            if jointOf[slot] < 0 {
                jointOf[slot] = Int32(classA.count)
                classA.append(ca)
                classB.append(cb)
            }
            byteClass[b] = UInt8(jointOf[slot])
        }
        let k = classA.count
        // Pair (a, b), b = -1 once `other` has died: numbered in a flat index when the pair
        // space is small (the usual case: a string terminal minus a few keys), else hashed.
        let width = other.stateCount + 1
        let flat = stateCount <= (1 << 20) / width
        var flatIndex = [Int32](repeating: -1, count: flat ? stateCount * width : 0)
        var index: [Int: Int32] = [:]
        let startSlot = Int(start) * width + Int(other.start) + 1
        if flat { flatIndex[startSlot] = 0 } else { index[startSlot] = 0 }
        var pairA: [Int32] = [start], pairB: [Int32] = [other.start]
        var table: [Int32] = []
        // One row at a time: the product's rows are appended whole.
        var row = [Int32](repeating: ByteDFA.dead, count: k)
        var i = 0
        while i < pairA.count {
            let a = pairA[i], b = pairB[i]
            i += 1
            let rowA = Int(a) * classCount, rowB = Int(b) * other.classCount
            for c in 0 ..< k {
                let ta = self.table[rowA + classA[c]]
                if ta < 0 { row[c] = ByteDFA.dead; continue }
                let tb = b < 0 ? ByteDFA.dead : other.table[rowB + classB[c]]
                let slot = Int(ta) * width + Int(tb) + 1
                var id = flat ? flatIndex[slot] : index[slot] ?? -1
                if id < 0 {
                    if pairA.count >= maxStates {
                        throw FSMDecodeError(.budget, "\(description): the difference of two automata needs more than \(maxStates) DFA states")
                    }
                    id = Int32(pairA.count)
                    if flat { flatIndex[slot] = id } else { index[slot] = id }
                    pairA.append(ta)
                    pairB.append(tb)
                }
                row[c] = id
            }
            table.append(contentsOf: row)
        }
        let accepted: [Int32] = [0]
        var labelOf: [[Int32]] = [], labelKey: [Int32] = []
        for (a, b) in zip(pairA, pairB) {
            let accepts = accepting[Int(a)] && !(b >= 0 && other.accepting[Int(b)])
            labelOf.append(accepts ? accepted : [])
            labelKey.append(accepts ? 1 : 0)
        }
        return DFABuilder.finish(table: table, count: pairA.count, byteClass: byteClass, classCount: k,
                                 labelOf: labelOf, labelKey: labelKey)?.dfa
    }
}
