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
        var index: [UInt64: Int32] = [:]
        var pairs: [(Int32, Int32)] = []
        var table: [Int32] = []
        func id(_ a: Int32, _ b: Int32) throws -> Int32 {
            let slot = Int(a) * width + Int(b) + 1
            if flat, flatIndex[slot] >= 0 { return flatIndex[slot] }
            let key = UInt64(slot)
            if !flat, let s = index[key] { return s }
            if pairs.count >= maxStates {
                throw FSMDecodeError(.budget, "\(description): the difference of two automata needs more than \(maxStates) DFA states")
            }
            let s = Int32(pairs.count)
            if flat { flatIndex[slot] = s } else { index[key] = s }
            pairs.append((a, b))
            return s
        }
        _ = try id(start, other.start)
        var i = 0
        while i < pairs.count {
            let (a, b) = pairs[i]
            i += 1
            let rowA = Int(a) * classCount, rowB = Int(b) * other.classCount
            for c in 0 ..< k {
                let ta = self.table[rowA + classA[c]]
                if ta < 0 { table.append(ByteDFA.dead); continue }
                let tb = b < 0 ? ByteDFA.dead : other.table[rowB + classB[c]]
                table.append(try id(ta, tb))
            }
        }
        let accepted: [Int32] = [0]
        var labelOf: [[Int32]] = [], labelKey: [Int32] = []
        for (a, b) in pairs {
            let accepts = accepting[Int(a)] && !(b >= 0 && other.accepting[Int(b)])
            labelOf.append(accepts ? accepted : [])
            labelKey.append(accepts ? 1 : 0)
        }
        return DFABuilder.finish(table: table, count: pairs.count, byteClass: byteClass, classCount: k,
                                 labelOf: labelOf, labelKey: labelKey)?.dfa
    }
}
