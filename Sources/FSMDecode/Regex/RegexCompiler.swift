/// Options for regex compilation.
public struct RegexOptions: Sendable {
    /// `.` also matches line terminators (LF, CR, U+2028, U+2029).
    public var dotAll = false
    /// Budget on DFA states during subset construction (`.budget` error when exceeded).
    public var maxStates = 100_000
    /// Budget on NFA states after expanding repetitions (`.budget` error when exceeded).
    public var maxNFAStates = 2_000_000
    /// Budget on subset-construction work (NFA-state visits), so that constructions whose DFA
    /// states hold thousands of NFA states fail fast (`.budget`); nil = `maxStates` × 2000.
    public var maxSubsetWork: Int? = nil

    public init(dotAll: Bool = false, maxStates: Int = 100_000, maxNFAStates: Int = 2_000_000, maxSubsetWork: Int? = nil) {
        self.dotAll = dotAll
        self.maxStates = maxStates
        self.maxNFAStates = maxNFAStates
        self.maxSubsetWork = maxSubsetWork
    }
}

/// Regex → minimal trimmed `ByteDFA`. Pure functions; safe from any thread.
public enum RegexCompiler {
    /// Whole-string match semantics (the DFA accepts exactly the strings the pattern fully matches;
    /// `^`/`$` at the ends are no-ops, elsewhere an error).
    /// The result is minimal and canonical: patterns with the same language give `==` DFAs.
    /// Throws `.regex` for syntax it cannot honour exactly or a pattern that matches nothing,
    /// `.budget` when `options` budgets are exceeded.
    public static func compile(_ pattern: String, options: RegexOptions = RegexOptions()) throws -> ByteDFA {
        let ast = try RegexParser.parse(pattern, dotAll: options.dotAll)
        let name = "regex " + RegexParser.display(pattern)
        guard let result = try build([ast], options: options, description: name) else {
            throw FSMDecodeError(.regex, "regex \(RegexParser.display(pattern)) matches no string")
        }
        return result.dfa
    }

    /// Compiles an already parsed regex (whole-string semantics); nil when its language is empty.
    public static func compile(_ ast: RegexAST, options: RegexOptions = RegexOptions(), description: String = "regex") throws -> ByteDFA? {
        try build([ast], options: options, description: description)?.dfa
    }

    /// The lexer automaton for a set of terminals: one DFA for the union of `terminals`, and
    /// for each of its states the sorted indices of the terminals whose whole match ends there
    /// (empty for non-accepting states). States are distinguished by that label set, so the
    /// DFA is minimal among DFAs that preserve it. nil when no terminal matches anything.
    /// `description` names the input in budget errors (e.g. "grammar g.gbnf").
    public static func compileLexer(_ terminals: [RegexAST], options: RegexOptions = RegexOptions(),
                                    description: String = "lexer") throws -> (dfa: ByteDFA, acceptingTerminals: [[Int32]])? {
        guard let r = try build(terminals, options: options, description: description) else { return nil }
        return (r.dfa, r.labels)
    }

    private static func build(_ alternatives: [RegexAST], options: RegexOptions, description: String) throws -> DFABuilder.Result? {
        // An automaton alone is already minimal and canonical (`DFABuilder.finish` made it).
        if alternatives.count == 1, case .automaton(let d) = alternatives[0] {
            return DFABuilder.Result(dfa: d, labels: d.accepting.map { $0 ? [0] : [] })
        }
        if alternatives.count == 1, let r = try DFAComposition.compile(alternatives[0], options: options, description: description) {
            return r
        }
        var nfa = ByteNFA(maxStates: options.maxNFAStates, patternForErrors: description)
        let roots = try nfa.prepare(alternatives)
        var entries: [Int32] = []
        for (i, root) in roots.enumerated() {
            let accept = try nfa.addAccept(label: Int32(i))
            entries.append(try nfa.build(node: root, then: accept))
        }
        guard !entries.isEmpty else { return nil }
        nfa.start = try nfa.addFanOut(entries)
        return try DFABuilder.build(nfa, maxStates: options.maxStates, maxWork: options.maxSubsetWork, patternForErrors: description)
    }
}
