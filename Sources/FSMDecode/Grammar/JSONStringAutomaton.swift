/// A JSON string token (quotes included) whose decoded value a code-point automaton accepts,
/// in every spelling JSON allows for each character: the schema compiler's languages that
/// have no small regex (a pattern within length bounds, key regions) as one lexer terminal.
/// `TerminalPattern.jsonStringAutomaton`; compiled by `byteDFA(options:description:)`.
public struct JSONStringAutomaton: Hashable, Sendable {
    /// One transition: the code points it reads (normalized ranges) and the state it reaches.
    public struct Edge: Hashable, Sendable {
        public let ranges: [ClosedRange<UInt32>]
        public let target: Int32
    }

    public let start: Int32
    public let accepting: [Bool]
    /// Per state, its transitions (disjoint ranges; one edge per target).
    public let edges: [[Edge]]

    public var stateCount: Int { accepting.count }

    /// The automaton's run over a decoded value (tests' reference recognizer).
    public func accepts(_ value: [UInt32]) -> Bool {
        var q = start
        for c in value {
            guard let e = edges[Int(q)].first(where: { $0.ranges.contains { $0.contains(c) } }) else { return false }
            q = e.target
        }
        return accepting[Int(q)]
    }
}
