/// A compiled regular constraint: a byte DFA, its mask store against one vocabulary, and that
/// vocabulary's fingerprint. Immutable and `Sendable`: build it once, share it across threads,
/// and create one cheap `RegexMatcher` per sequence.
///
/// Cost of construction: O(states × byte classes) for the per-state tables, plus, in eager
/// mode, one trie walk per DFA state (see `MaskStore`).
public final class RegexConstraint: Sendable {
    public let store: MaskStore
    /// `vocabulary.fingerprint` at construction (what artifacts record and check).
    public let vocabularyFingerprint: UInt64
    /// Per state: the only byte that can follow, when the state is not accepting and exactly
    /// one byte value keeps the DFA alive; otherwise -1.
    let forcedByte: [Int16]
    /// Per state: some byte keeps the DFA alive.
    let hasExit: [Bool]

    public var dfa: ByteDFA { store.dfa }
    public var vocabulary: Vocabulary { store.vocabulary }

    /// Builds the constraint for `dfa` (which must be trimmed, as `ByteDFA` states) over `vocabulary`.
    public convenience init(dfa: ByteDFA, vocabulary: Vocabulary, mode: MaskStoreMode = .eager) {
        self.init(store: MaskStore(dfa: dfa, vocabulary: vocabulary, mode: mode), fingerprint: vocabulary.fingerprint)
    }

    init(store: MaskStore, fingerprint: UInt64) {
        precondition(store.dfa.stateCount > 0, "ByteDFA invariant: at least the start state (RegexCompiler refuses empty languages)")
        self.store = store
        self.vocabularyFingerprint = fingerprint
        let dfa = store.dfa
        var firstByte = [Int16](repeating: -1, count: dfa.classCount)
        var classSize = [Int](repeating: 0, count: dfa.classCount)
        for b in 0..<256 {
            let c = Int(dfa.byteClass[b])
            classSize[c] += 1
            if firstByte[c] < 0 { firstByte[c] = Int16(b) }
        }
        var forced = [Int16](repeating: -1, count: dfa.stateCount)
        var exit = [Bool](repeating: false, count: dfa.stateCount)
        for s in 0..<dfa.stateCount {
            var liveBytes = 0
            var only: Int16 = -1
            for c in 0..<dfa.classCount where dfa.table[s * dfa.classCount + c] != ByteDFA.dead {
                liveBytes += classSize[c]
                only = firstByte[c]
            }
            exit[s] = liveBytes > 0
            if liveBytes == 1 && !dfa.accepting[s] { forced[s] = only }
        }
        self.forcedByte = forced
        self.hasExit = exit
    }

    /// A matcher at the empty output.
    public func makeMatcher() -> RegexMatcher { RegexMatcher(self) }
}

/// One sequence's position in a `RegexConstraint`. Cheap to create and to copy (a copy is an
/// independent fork); not meant to be shared between threads while mutated.
///
/// State: the DFA state after every accepted step (`history`, starting with the start state),
/// so `rollback(n)` is a truncation, O(n) at worst and O(1) amortized.
public struct RegexMatcher: TokenMatcher, Sendable {
    public let constraint: RegexConstraint
    private var history: [Int32]
    /// `history.count` at the moment an EOS token was accepted, or 0.
    private var terminatedAt: Int = 0

    public init(_ constraint: RegexConstraint) {
        self.constraint = constraint
        self.history = [constraint.dfa.start]
        self.history.reserveCapacity(64)
    }

    /// The DFA state of the current output.
    public var state: Int32 { history[history.count - 1] }
    public var maskWidth: Int { constraint.vocabulary.maskWidth }
    public var acceptedCount: Int { history.count - 1 }
    public var isAccepting: Bool { constraint.dfa.accepting[Int(state)] }
    private var eosAccepted: Bool { terminatedAt != 0 }
    public var isTerminated: Bool { eosAccepted || !constraint.hasExit[Int(state)] }

    public func fillNextTokenMask(into mask: UnsafeMutableBufferPointer<UInt32>) {
        if eosAccepted {
            let words = constraint.store.wordCount
            precondition(mask.count >= words, "mask buffer has \(mask.count) words, needs \(words)")
            mask.baseAddress!.update(repeating: 0, count: words)
            return
        }
        constraint.store.fill(state: state, into: mask)
    }

    /// Cost: O(token length) DFA steps; agrees with the mask by construction of the store.
    public mutating func accept(token: Int32) -> Bool {
        // Fields read through the constraint, not from a copy of the whole vocabulary.
        let c = constraint
        guard !eosAccepted, token >= 0, Int(token) < c.vocabulary.maskWidth else { return false }
        if c.vocabulary.eosIDs.contains(token) {
            guard isAccepting else { return false }
            history.append(state)
            terminatedAt = history.count
            return true
        }
        guard c.vocabulary.isGrammarToken(Int(token)) else { return false }
        let dfa = c.dfa
        let offsets = c.vocabulary.tokenOffsets, bytes = c.vocabulary.tokenBytes
        var s = state
        for k in Int(offsets[Int(token)])..<Int(offsets[Int(token) + 1]) {
            s = dfa.next(s, bytes[k])
            if s == ByteDFA.dead { return false }
        }
        history.append(s)
        return true
    }

    public mutating func accept(bytes: [UInt8]) -> Bool {
        guard !eosAccepted else { return false }
        let s = constraint.dfa.run(bytes, from: state)
        guard s != ByteDFA.dead else { return false }
        history.append(s)
        return true
    }

    /// How many leading bytes of `bytes` keep the current output viable (`bytes.count` when all
    /// do): the offset of the first offending byte otherwise. Changes nothing.
    public func viablePrefixLength(_ bytes: [UInt8]) -> Int {
        guard !eosAccepted else { return 0 }
        var s = state
        for (i, b) in bytes.enumerated() {
            s = constraint.dfa.next(s, b)
            if s == ByteDFA.dead { return i }
        }
        return bytes.count
    }

    public mutating func rollback(_ count: Int) {
        precondition(count >= 0 && count <= acceptedCount, "cannot roll back \(count) steps; \(acceptedCount) accepted")
        history.removeLast(count)
        if terminatedAt > history.count { terminatedAt = 0 }
    }

    public mutating func reset() {
        history.removeAll(keepingCapacity: true)
        history.append(constraint.dfa.start)
        terminatedAt = 0
    }

    public func forcedBytes() -> [UInt8] {
        guard !eosAccepted else { return [] }
        var out: [UInt8] = []
        var s = state
        // A trimmed DFA has no cycle of forced non-accepting states, so this ends; the bound
        // guards against a DFA that breaks the invariant.
        for _ in 0..<constraint.dfa.stateCount {
            let b = constraint.forcedByte[Int(s)]
            if b < 0 { break }
            out.append(UInt8(b))
            s = constraint.dfa.next(s, UInt8(b))
        }
        return out
    }
}
