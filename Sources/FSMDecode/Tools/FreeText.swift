/// Patterns for the free text around tool calls. All match valid UTF-8 only (any Unicode
/// scalar, no lone surrogates), like every text-based `TerminalPattern`.
public enum FreeTextPattern {
    /// Any text, including the empty string.
    public static let anyText: TerminalPattern = .repetition(.codePointClass(TerminalPattern.anyScalar), min: 0, max: nil)

    /// JSON whitespace bytes (space, tab, LF, CR).
    static let whitespace: [ClosedRange<UInt32>] = [0x09...0x0A, 0x0D...0x0D, 0x20...0x20]

    /// Text whose first non-whitespace character is not `opener` (whitespace-only and empty
    /// text included): `[ \t\n\r]* ( ε | [^opener \t\n\r] .* )`.
    public static func notOpeningWith(_ opener: Unicode.Scalar) -> TerminalPattern {
        let ws = TerminalPattern.codePointClass(whitespace)
        let first = TerminalPattern.codePointClass(TerminalPattern.normalizeClass(whitespace + [opener.value...opener.value], negated: true))
        return .sequence([.repetition(ws, min: 0, max: nil),
                          .repetition(.sequence([first, anyText]), min: 0, max: 1)])
    }

    /// Exactly the texts that do not contain `trigger` (non-empty) as a substring.
    ///
    /// Built from the Knuth–Morris–Pratt automaton of the trigger over Unicode scalars (state
    /// i = the longest prefix of the trigger that the text ends with; reaching the full trigger
    /// is the dead state), turned into a pattern by state elimination. Self-overlapping
    /// triggers (`aab`, `<<x`) are handled by the automaton's failure links. Matching on
    /// scalars is exact at the byte level too: UTF-8 is self-synchronizing, so a byte-level
    /// occurrence of the trigger in valid UTF-8 starts on a character boundary.
    /// Cost: O(m · |alphabet|) to build the automaton for a trigger of m scalars; the
    /// pattern has O(m²) nodes for triggers without self-overlap, and is refused with a
    /// `.budget` error past `maxNodes`.
    public static func avoiding(_ trigger: String, maxNodes: Int = GrammarLimits().maxPatternNodes) throws -> TerminalPattern {
        let t = trigger.unicodeScalars.map(\.value)
        let m = t.count
        guard m > 0 else { throw FSMDecodeError(.usage, "a tool-call trigger must not be empty") }
        // Prefix function and the automaton over the trigger's distinct scalars.
        var pi = [Int](repeating: 0, count: m)
        for i in 1..<max(m, 1) {
            var k = pi[i - 1]
            while k > 0 && t[i] != t[k] { k = pi[k - 1] }
            if t[i] == t[k] { k += 1 }
            pi[i] = k
        }
        let alphabet = Array(Set(t)).sorted()
        var delta = [[Int]](repeating: [], count: m)
        for i in 0..<m {
            for (a, c) in alphabet.enumerated() {
                delta[i].append(c == t[i] ? i + 1 : i == 0 ? 0 : delta[pi[i - 1]][a])
            }
        }
        // Generalized automaton: states 0..<m, start S = m, final F = m + 1; edges[p][r] are
        // alternatives. Every automaton state is accepting.
        let S = m, F = m + 1
        var edges = [[Int: [TerminalPattern]]](repeating: [:], count: m + 2)
        edges[S][0] = [.literal([])]
        for i in 0..<m {
            edges[i][F] = [.literal([])]
            var byTarget: [Int: [UInt32]] = [:]
            var leaving: [UInt32] = []  // alphabet scalars that do not go back to state 0
            for (a, c) in alphabet.enumerated() where delta[i][a] != 0 {
                leaving.append(c)
                if delta[i][a] < m { byTarget[delta[i][a], default: []].append(c) }
            }
            edges[i][0] = [.codePointClass(TerminalPattern.normalizeClass(leaving.map { $0...$0 }, negated: true))]
            for (j, cs) in byTarget { edges[i][j, default: []].append(.codePointClass(TerminalPattern.normalizeClass(cs.map { $0...$0 }))) }
        }
        for q in stride(from: m - 1, through: 0, by: -1) {
            let loop = edges[q][q].map { Self.star(Self.alt($0)) } ?? .literal([])
            let outgoing = edges[q].filter { $0.key != q }
            for p in 0..<(m + 2) where p != q {
                guard let into = edges[p][q] else { continue }
                let head = Self.seq([Self.alt(into), loop])
                for (r, out) in outgoing {
                    edges[p][r, default: []].append(Self.seq([head, Self.alt(out)]))
                }
                edges[p][q] = nil
            }
            edges[q] = [:]
        }
        let result = Self.alt(edges[S][F] ?? [])
        if result.nodeCount > maxNodes {
            throw FSMDecodeError(.budget, "the text avoiding the trigger \(TerminalPattern.literal(Array(trigger.utf8))) needs a pattern of \(result.nodeCount) nodes, over the limit of \(maxNodes) (GrammarLimits.maxPatternNodes)")
        }
        return result
    }

    static func star(_ p: TerminalPattern) -> TerminalPattern {
        if case .literal(let b) = p, b.isEmpty { return p }
        return .repetition(p, min: 0, max: nil)
    }

    /// Concatenation, flattened, without empty parts, adjacent literals merged.
    static func seq(_ parts: [TerminalPattern]) -> TerminalPattern {
        var out: [TerminalPattern] = []
        func add(_ p: TerminalPattern) {
            switch p {
            case .sequence(let inner): inner.forEach(add)
            case .literal(let b):
                if b.isEmpty { return }
                if case .literal(let a)? = out.last { out[out.count - 1] = .literal(a + b) } else { out.append(p) }
            default: out.append(p)
            }
        }
        parts.forEach(add)
        return out.count == 1 ? out[0] : .sequence(out)
    }

    /// Union, flattened and deduplicated (order kept).
    static func alt(_ parts: [TerminalPattern]) -> TerminalPattern {
        var out: [TerminalPattern] = []
        var seen = Set<TerminalPattern>()
        func add(_ p: TerminalPattern) {
            if case .alternation(let inner) = p { inner.forEach(add); return }
            if seen.insert(p).inserted { out.append(p) }
        }
        parts.forEach(add)
        return out.count == 1 ? out[0] : .alternation(out)
    }
}
