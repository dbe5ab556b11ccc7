/// A deterministic automaton over bytes, the product of regex compilation and the lexer's unit.
///
/// States are `0 ..< stateCount`; there is no explicit dead state: a missing transition is
/// `ByteDFA.dead` (-1). Bytes are grouped into equivalence classes (`byteClass`), so the table
/// is `stateCount × classCount` instead of `stateCount × 256`.
/// Invariants: every state is reachable from `start` and can reach an accepting state (a
/// trimmed DFA), so "the transition is not dead" means "this prefix can still match".
public struct ByteDFA: Sendable, Equatable {
    public static let dead: Int32 = -1

    public let stateCount: Int
    public let start: Int32
    /// `byteClass[b]` is the class of byte b.
    public let byteClass: [UInt8]
    public let classCount: Int
    /// `table[state * classCount + class]` is the next state, or `dead`.
    public let table: [Int32]
    public let accepting: [Bool]
    /// The bytes outside the most common byte class (the lowest-numbered of the most common),
    /// by class then byte: `commonByteClasses` refines by these bytes alone, the rest keeping
    /// their classes. A literal's few bytes, a number's digits and signs; most of a JSON
    /// string's (its printable ASCII class is the most common).
    var minorityBytes: [UInt8] { notes.minorityBytes }
    /// Set when this DFA was built as a bigger DFA less finitely many words (not part of its
    /// language: `==` ignores it).
    var finiteDifference: FiniteDifference? { notes.finiteDifference }
    /// `minorityBytes` and `finiteDifference` behind one reference: copying a ByteDFA retains
    /// each reference it holds, and lexers and walks copy them in their inner loops (a fifth
    /// reference added ~2 % retain/release to maskbench-dev's fill instructions).
    private let notes: Notes

    private final class Notes: Sendable {
        let minorityBytes: [UInt8]
        let finiteDifference: FiniteDifference?
        init(minorityBytes: [UInt8], finiteDifference: FiniteDifference?) {
            self.minorityBytes = minorityBytes
            self.finiteDifference = finiteDifference
        }
    }

    public init(stateCount: Int, start: Int32, byteClass: [UInt8], classCount: Int, table: [Int32], accepting: [Bool]) {
        self.init(stateCount: stateCount, start: start, byteClass: byteClass, classCount: classCount, table: table,
                  accepting: accepting, finiteDifference: nil)
    }

    init(stateCount: Int, start: Int32, byteClass: [UInt8], classCount: Int, table: [Int32], accepting: [Bool],
         finiteDifference: FiniteDifference?) {
        precondition(byteClass.count == 256 && table.count == stateCount * classCount && accepting.count == stateCount)
        precondition(finiteDifference.map { $0.base.count == stateCount } ?? true)
        self.stateCount = stateCount
        self.start = start
        self.byteClass = byteClass
        self.classCount = classCount
        self.table = table
        self.accepting = accepting
        self.notes = Notes(minorityBytes: ByteDFA.minorityBytes(byteClass, classCount: classCount), finiteDifference: finiteDifference)
    }

    /// Equal automata (the same states, numbering and byte classes), hence equal languages
    /// for canonical DFAs.
    public static func == (a: ByteDFA, b: ByteDFA) -> Bool {
        a.stateCount == b.stateCount && a.start == b.start && a.classCount == b.classCount
            && a.byteClass == b.byteClass && a.table == b.table && a.accepting == b.accepting
    }

    /// How a DFA relates to the DFA it was cut from (`jsonStringsComplement`: the any-string
    /// DFA less the declared member names): state q's language is `universe`'s state
    /// `base[q]`'s less a finite set of words. A property of every long enough word, such as
    /// admitting the unbounded token slice, can then be decided on the small universe
    /// rather than by a search over the product's states.
    final class FiniteDifference: Sendable {
        let universe: ByteDFA
        let base: [Int32]
        init(universe: ByteDFA, base: [Int32]) { self.universe = universe; self.base = base }
    }

    private static func minorityBytes(_ byteClass: [UInt8], classCount: Int) -> [UInt8] {
        if classCount <= 1 { return [] }
        return byteClass.withUnsafeBufferPointer { bc in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: classCount + 1) { start in
                // Counting sort of the bytes by class, the most common class left out.
                start.initialize(repeating: 0)
                for b in 0..<256 { start[Int(bc[b]) + 1] += 1 }
                var major = 0
                for c in 1..<classCount where start[c + 1] > start[major + 1] { major = c }
                let majorSize = start[major + 1]
                start[major + 1] = 0
                for c in 0..<classCount { start[c + 1] += start[c] }
                return [UInt8](unsafeUninitializedCapacity: 256 - majorSize) { out, n in
                    for b in 0..<256 where Int(bc[b]) != major {
                        out[start[Int(bc[b])]] = UInt8(b)
                        start[Int(bc[b])] += 1
                    }
                    n = 256 - majorSize
                }
            }
        }
    }

    @inlinable public func next(_ state: Int32, _ byte: UInt8) -> Int32 {
        table[Int(state) * classCount + Int(byteClass[Int(byte)])]
    }

    /// Runs `bytes` from `state`; `dead` as soon as no match is possible.
    @inlinable public func run<S: Sequence>(_ bytes: S, from state: Int32? = nil) -> Int32 where S.Element == UInt8 {
        var s = state ?? start
        for b in bytes {
            s = next(s, b)
            if s == ByteDFA.dead { return s }
        }
        return s
    }

    /// True when the whole of `bytes` is in the language.
    public func matches<S: Sequence>(_ bytes: S) -> Bool where S.Element == UInt8 {
        let s = run(bytes)
        return s != ByteDFA.dead && accepting[Int(s)]
    }
}

extension ByteDFA {
    /// The common refinement of the DFAs' byte classes, numbered by first byte: two bytes share
    /// a class iff they share one in every DFA (a product's or a composition's classes).
    static func commonByteClasses(_ dfas: [ByteDFA]) -> (byteClass: [UInt8], count: Int) {
        commonByteClasses(dfas.count) { dfas[$0] }
    }

    /// `commonByteClasses` of the DFAs present (nil: left out).
    static func commonByteClasses(_ dfas: [ByteDFA?]) -> (byteClass: [UInt8], count: Int) {
        commonByteClasses(dfas.count) { dfas[$0] }
    }

    /// Over `n` DFAs read by index (a lexer's parts: an object's member names, so the loop
    /// reads each DFA in place instead of copying it). Each DFA splits only its
    /// `minorityBytes` off their current classes, the bytes of its most common class keeping
    /// theirs: O(those bytes) per DFA rather than a pass over all 256 and a (class × class)
    /// table, which was half of a lexer's creation. Class ids grow sparse (a class whose
    /// bytes all moved leaves its id unused) and are renumbered by first byte when they run
    /// short and at the end.
    @inline(__always)
    private static func commonByteClasses(_ n: Int, _ dfa: (Int) -> ByteDFA?) -> (byteClass: [UInt8], count: Int) {
        // One DFA with more than one class (a lexer of one terminal, or of one beside
        // single-class ones): its own classes, already numbered by first byte (canonical).
        var only = -1
        for i in 0..<n where (dfa(i)?.classCount ?? 1) > 1 {
            if only >= 0 { only = -2; break }
            only = i
        }
        if only >= 0, let d = dfa(only) { return (d.byteClass, d.classCount) }
        if only == -1 { return ([UInt8](repeating: 0, count: 256), 1) }
        // A step adds at most 255 ids; it starts at most `idLimit - 255` ids in (dense ids
        // are at most 256), renumbering first when needed.
        let idLimit = 512
        var count = 1
        var dense = true
        // `newID[c]`: the id of current class c's bytes in the DFA class being split off,
        // valid while `stampOf[c]` is that class's stamp.
        var stamp: Int32 = 0
        return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 256) { cls in
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: idLimit) { renumbered in
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: idLimit) { stampOf in
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: idLimit) { newID in
            cls.initialize(repeating: 0)
            stampOf.initialize(repeating: 0)
            func renumber() {
                if dense { return }
                renumbered.initialize(repeating: -1)
                var next: Int16 = 0
                for b in 0..<256 {
                    let id = Int(cls[b])
                    if renumbered[id] < 0 { renumbered[id] = next; next += 1 }
                    cls[b] = UInt16(renumbered[id])
                }
                count = Int(next)
                dense = true
            }
            for i in 0..<n {
                guard let d = dfa(i), d.classCount > 1 else { continue }
                let minority = d.minorityBytes
                if count + minority.count > idLimit { renumber() }
                d.byteClass.withUnsafeBufferPointer { dc in
                    // The bytes come class by class: each class a new stamp, and each
                    // (current class, DFA class) pair met a new id.
                    var last = -1
                    for b in minority {
                        let dclass = Int(dc[Int(b)])
                        if dclass != last { stamp += 1; last = dclass }
                        let c = Int(cls[Int(b)])
                        if stampOf[c] != stamp { stampOf[c] = stamp; newID[c] = UInt16(count); count += 1 }
                        cls[Int(b)] = newID[c]
                    }
                }
                dense = false
            }
            renumber()
            let byteClass = [UInt8](unsafeUninitializedCapacity: 256) { out, m in
                for b in 0..<256 { out[b] = UInt8(cls[b]) }
                m = 256
            }
            return (byteClass, count)
        }
        }
        }
        }
    }

    /// The lowest byte of each of `count` classes in a byte → class map.
    static func classRepresentatives(_ byteClass: UnsafeBufferPointer<UInt8>, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for b in (0..<256).reversed() { out[Int(byteClass[b])] = UInt8(b) }
        return out
    }

    /// The first byte of each run of equal byte classes (0 first): a state's transitions are
    /// constant on each run. With `kinds` (a class per byte of another automaton), runs also
    /// split where that class changes.
    func classRuns(splitting kinds: [UInt8]? = nil) -> [UInt8] {
        // One pass over flat buffers into the result's own storage (the optional's closure per
        // byte, and appends, were most of a token slice's cost). Without `kinds`, splitting by
        // the DFA's own classes adds no run.
        let kinds = kinds ?? byteClass
        precondition(byteClass.count == 256 && kinds.count == 256)
        return [UInt8](unsafeUninitializedCapacity: 256) { out, n in
            byteClass.withUnsafeBufferPointer { bc in
                kinds.withUnsafeBufferPointer { kd in
                    out[0] = 0
                    var c = 1
                    for b in 1..<256 where bc[b] != bc[b - 1] || kd[b] != kd[b - 1] { out[c] = UInt8(b); c += 1 }
                    n = c
                }
            }
        }
    }
}

extension ByteDFA {
    /// The DFA of a fixed run of byte steps, built directly: state i reads a byte of class
    /// `steps[i]` into state i + 1, and states from `acceptFrom` on accept. With byte classes
    /// numbered by first byte and that are the coarsest for the chain (bytes share a class iff
    /// every step treats them alike), this is the minimal canonical DFA `DFABuilder` would
    /// build: the states are live, reached in chain order, and differ in how many bytes they
    /// may still read. Literals and bounded runs of one byte set (whitespace) are most of a
    /// schema's terminals.
    static func chain(byteClass: [UInt8], classCount k: Int, steps: [Int], acceptFrom: Int) -> ByteDFA {
        let n = steps.count + 1
        var table = [Int32](repeating: ByteDFA.dead, count: n * k)
        for (i, c) in steps.enumerated() { table[i * k + c] = Int32(i + 1) }
        var accepting = [Bool](repeating: false, count: n)
        for i in Swift.min(acceptFrom, n) ..< n { accepting[i] = true }
        return ByteDFA(stateCount: n, start: 0, byteClass: byteClass, classCount: k, table: table, accepting: accepting)
    }

    /// Byte classes where each byte in `bytes` is a class of its own and the rest share one,
    /// numbered by first byte (the canonical numbering): a literal's, a spelling trie's.
    static func singletonClasses<S: Sequence<UInt8>>(_ bytes: S) -> (byteClass: [UInt8], count: Int) {
        var seen = [Bool](repeating: false, count: 256)
        for b in bytes { seen[Int(b)] = true }
        var byteClass = [UInt8](repeating: 0, count: 256)
        var k = 0, other = -1
        for b in 0 ..< 256 {
            if seen[b] { byteClass[b] = UInt8(k); k += 1 }
            else { if other < 0 { other = k; k += 1 }; byteClass[b] = UInt8(other) }
        }
        return (byteClass, k)
    }

    /// The DFA of exactly `bytes`: each distinct byte a class, the rest one class.
    static func literal(_ bytes: [UInt8]) -> ByteDFA {
        let (byteClass, k) = singletonClasses(bytes)
        return chain(byteClass: byteClass, classCount: k, steps: bytes.map { Int(byteClass[Int($0)]) }, acceptFrom: bytes.count)
    }

    /// The DFA of `min ... max` bytes from `set` (a bounded whitespace run); nil when `set` is
    /// empty or every byte.
    static func boundedRun(of set: [Bool], min: Int, max: Int) -> ByteDFA? {
        guard set.contains(true), set.contains(false), min <= max else { return nil }
        if max == 0 { return literal([]) }
        let inSet: UInt8 = set[0] ? 0 : 1
        let byteClass = set.map { $0 ? inSet : 1 - inSet }
        return chain(byteClass: byteClass, classCount: 2, steps: [Int](repeating: Int(inSet), count: max), acceptFrom: min)
    }
}
