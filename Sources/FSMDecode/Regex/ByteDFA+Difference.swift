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
        // Pair (a, b), b = -1 once `other` has died.
        var pairs = ProductPairs(firstCount: stateCount, secondCount: other.stateCount, start: (start, other.start))
        var table: [Int32] = []
        // One row at a time: the product's rows are appended whole.
        var row = [Int32](repeating: ByteDFA.dead, count: k)
        var i = 0
        while i < pairs.count {
            let a = pairs.first[i], b = pairs.second[i]
            i += 1
            let rowA = Int(a) * classCount, rowB = Int(b) * other.classCount
            for c in 0 ..< k {
                let ta = self.table[rowA + classA[c]]
                if ta < 0 { row[c] = ByteDFA.dead; continue }
                let tb = b < 0 ? ByteDFA.dead : other.table[rowB + classB[c]]
                let id = try pairs.id(ta, tb, maxStates: maxStates, description: description)
                row[c] = id
            }
            table.append(contentsOf: row)
        }
        let accepted: [Int32] = [0]
        var labelOf: [[Int32]] = [], labelKey: [Int32] = []
        for (a, b) in zip(pairs.first, pairs.second) {
            let accepts = accepting[Int(a)] && !(b >= 0 && other.accepting[Int(b)])
            labelOf.append(accepts ? accepted : [])
            labelKey.append(accepts ? 1 : 0)
        }
        return DFABuilder.finish(table: table, count: pairs.count, byteClass: byteClass, classCount: k,
                                 labelOf: labelOf, labelKey: labelKey)?.dfa
    }
}

/// The state pairs of a product automaton, numbered in the order met: (a, b) with a a state of
/// the first automaton and b one of the second or -1 (it has died). A flat index when the pair
/// space is small (the usual case: a string terminal minus a few keys), else hashed.
struct ProductPairs {
    private let width: Int
    private let flat: Bool
    private var flatIndex: [Int32]
    private var hashedIndex: [Int: Int32] = [:]
    private(set) var first: [Int32] = []
    private(set) var second: [Int32] = []
    var count: Int { first.count }

    /// Pair 0 is `start`.
    init(firstCount: Int, secondCount: Int, start: (Int32, Int32)) {
        width = secondCount + 1
        flat = firstCount <= (1 << 20) / width
        flatIndex = [Int32](repeating: -1, count: flat ? firstCount * width : 0)
        let slot = Int(start.0) * width + Int(start.1) + 1
        if flat { flatIndex[slot] = 0 } else { hashedIndex[slot] = 0 }
        first = [start.0]
        second = [start.1]
    }

    /// The budget error of a difference's product (this one's, and the key complement's).
    static func overBudget(_ maxStates: Int, _ description: String) -> FSMDecodeError {
        FSMDecodeError(.budget, "\(description): the difference of two automata needs more than \(maxStates) DFA states")
    }

    /// The number of pair (a, b), added when new; a `.budget` error past `maxStates` pairs.
    mutating func id(_ a: Int32, _ b: Int32, maxStates: Int, description: String) throws -> Int32 {
        let slot = Int(a) * width + Int(b) + 1
        let known = flat ? flatIndex[slot] : hashedIndex[slot] ?? -1
        if known >= 0 { return known }
        if first.count >= maxStates { throw ProductPairs.overBudget(maxStates, description) }
        let id = Int32(first.count)
        if flat { flatIndex[slot] = id } else { hashedIndex[slot] = id }
        first.append(a)
        second.append(b)
        return id
    }
}
