/// A compiled constraint of any kind: what the CLI, the decoder and servers hold. Immutable
/// and `Sendable`; `makeMatcher()` gives one `Matcher` per sequence.
public enum Constraint: Sendable {
    case regular(RegexConstraint)
    case grammar(GrammarConstraint)

    /// Compiles a grammar; when its start rule is regular (no recursion, no vocabulary tokens,
    /// character-level lexing), small enough to be one terminal (`ParseTables.collapses`) and
    /// its DFA fits the budget, it becomes a `RegexConstraint` over the same language.
    public static func compile(grammar: Grammar, vocabulary: Vocabulary, mode: MaskStoreMode = .lazy,
                               options: RegexOptions = RegexOptions()) throws -> Constraint {
        if grammar.lexing == .characterLevel, let pattern = grammar.regularPatterns[grammar.start], ParseTables.collapses(pattern) {
            do {
                let ast = try ParseTables.regexAST(pattern, where: "grammar \(grammar.source)", options: options)
                if let dfa = try RegexCompiler.compile(ast, options: options, description: "grammar \(grammar.source)") {
                    return .regular(RegexConstraint(dfa: dfa, vocabulary: vocabulary, mode: mode))
                }
                throw FSMDecodeError(.grammar, "grammar \(grammar.source) matches no string")
            } catch let e as FSMDecodeError where e.kind == .budget {
                // Too big for one DFA: parsed as a grammar, its big rules lexed part by part
                // (`ParseTables` un-collapses rules whose DFAs pass the budget).
            }
        }
        return .grammar(try GrammarConstraint(grammar: grammar, vocabulary: vocabulary, options: options))
    }

    public var vocabulary: Vocabulary {
        switch self {
        case .regular(let c): return c.vocabulary
        case .grammar(let c): return c.vocabulary
        }
    }

    public func makeMatcher() -> Matcher {
        switch self {
        case .regular(let c): return .regular(c.makeMatcher())
        case .grammar(let c): return .grammar(c.makeMatcher())
        }
    }
}

/// A matcher of any constraint kind. A struct holding exactly one of the two matchers (not an
/// enum, so mutation happens in place: an enum payload bound with `var` would be copied, and
/// the grammar matcher's chart with it). Switches per call; no existentials on the hot path.
/// Reads go through optional chaining (`cfg?.…`), which works on the stored matcher in place:
/// `if let cfg` or `regex!` copy it first, retaining and releasing each of its arrays, which
/// cost about as much as a whole mask that the memo answers.
public struct Matcher: TokenMatcher, Sendable {
    private var regex: RegexMatcher?
    private var cfg: GrammarMatcher?

    public static func regular(_ m: RegexMatcher) -> Matcher { Matcher(regex: m, cfg: nil) }
    public static func grammar(_ m: GrammarMatcher) -> Matcher { Matcher(regex: nil, cfg: m) }

    /// The grammar matcher, when this is one.
    public var grammarMatcher: GrammarMatcher? { cfg }

    public var maskWidth: Int { cfg?.maskWidth ?? regex?.maskWidth ?? 0 }

    public func fillNextTokenMask(into mask: UnsafeMutableBufferPointer<UInt32>) {
        if cfg != nil { cfg?.fillNextTokenMask(into: mask) } else { regex?.fillNextTokenMask(into: mask) }
    }

    public mutating func accept(token: Int32) -> Bool {
        cfg != nil ? cfg!.accept(token: token) : regex!.accept(token: token)
    }

    public mutating func accept(bytes: [UInt8]) -> Bool {
        cfg != nil ? cfg!.accept(bytes: bytes) : regex!.accept(bytes: bytes)
    }

    public mutating func rollback(_ count: Int) {
        if cfg != nil { cfg!.rollback(count) } else { regex!.rollback(count) }
    }

    public var acceptedCount: Int { cfg?.acceptedCount ?? regex?.acceptedCount ?? 0 }
    public var isAccepting: Bool { cfg?.isAccepting ?? regex?.isAccepting ?? false }
    public var isTerminated: Bool { cfg?.isTerminated ?? regex?.isTerminated ?? false }

    public mutating func reset() {
        if cfg != nil { cfg!.reset() } else { regex!.reset() }
    }

    public func forcedBytes() -> [UInt8] { cfg?.forcedBytes() ?? regex?.forcedBytes() ?? [] }

    /// How many leading bytes of `bytes` keep the output viable (`bytes.count` when all do).
    public func viablePrefixLength(_ bytes: [UInt8]) -> Int {
        cfg?.viablePrefixLength(bytes) ?? regex?.viablePrefixLength(bytes) ?? 0
    }

    /// As `viablePrefixLength`; throws when a grammar lexer needed on the way exceeds the
    /// state budget (see `GrammarMatcher.checkedViablePrefixLength`).
    public func checkedViablePrefixLength(_ bytes: [UInt8]) throws -> Int {
        try cfg?.checkedViablePrefixLength(bytes) ?? regex?.viablePrefixLength(bytes) ?? 0
    }

    /// What the constraint expects at the current position (terminal names; empty for regexes).
    public func expectedHere() -> [String] { cfg?.expectedHere() ?? [] }

    /// See `GrammarMatcher.indentationProblem` (nil for regexes).
    public func indentationProblem() -> String? { cfg?.indentationProblem() }
}

extension ValidationFailure {
    /// The failure at byte `offset` of `bytes` (1-based line; column counts UTF-8 lead bytes).
    public static func at(_ offset: Int, in bytes: [UInt8], incomplete: Bool) -> ValidationFailure {
        var line = 1, column = 1
        for b in bytes[..<offset] {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return ValidationFailure(offset: offset, line: line, column: column, incomplete: incomplete)
    }
}
