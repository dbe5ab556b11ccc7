/// A character-level grammar assembled from parts: literals, terminal patterns, whole
/// grammars compiled elsewhere (a JSON Schema's, a GBNF file's), sequences, alternations and
/// repetitions. This is how front-ends wrap one grammar in another language (tool-call tags,
/// free text before a trigger) without reaching into each other's compilers.
///
/// The result's language is exactly the composition of the parts' languages. An embedded
/// grammar is copied rule by rule (repetition helpers become repetitions again, so regular
/// rules stay regular and the runtime can still lex them as single terminals); embedding the
/// same `name` twice refers to one copy. Cost: linear in the embedded grammars' size.
public indirect enum GrammarComposition: Sendable {
    /// Exactly these bytes.
    case literal([UInt8])
    /// One terminal (a byte-level pattern, or a vocabulary token: `.tokenText`, `.token`).
    case pattern(TerminalPattern)
    /// A whole character-level grammar; `name` prefixes its rule names and identifies it.
    case embed(Grammar, name: String)
    case sequence([GrammarComposition])
    /// The union of the parts; must not be empty.
    case alternation([GrammarComposition])
    /// `min` to `max` (nil: unbounded) copies.
    case repetition(GrammarComposition, min: Int, max: Int?)

    /// The UTF-8 bytes of `s`.
    public static func text(_ s: String) -> GrammarComposition { .literal(Array(s.utf8)) }

    /// `part` or nothing.
    public static func optional(_ part: GrammarComposition) -> GrammarComposition { .repetition(part, min: 0, max: 1) }

    /// Builds the grammar (start rule `root`, GBNF-style character-level lexing). Throws a
    /// `.grammar` error when an embedded grammar is not character-level (Lark lexing cannot be
    /// embedded exactly) or an alternation is empty, and the builder's errors and budgets.
    public func grammar(source: String, limits: GrammarLimits = GrammarLimits()) throws -> Grammar {
        var composer = Composer(source: source)
        let body = try composer.lower(self, depth: 0)
        var defs = [RuleDefinition(name: "root", location: composer.location, body: body)]
        defs += composer.embedded
        var builder = GrammarBuilder(source: source, format: .gbnf, lexing: .characterLevel, limits: limits)
        return try builder.build(rules: defs, start: "root")
    }
}

private struct Composer {
    let source: String
    let location: SourcePosition
    var embedded: [RuleDefinition] = []
    /// Embedded grammar name → its start rule's new name.
    var starts: [String: String] = [:]

    init(source: String) {
        self.source = source
        location = SourcePosition(file: source, line: 1, column: 1)
    }

    mutating func lower(_ c: GrammarComposition, depth: Int) throws -> GrammarExpr {
        if depth > 100 { throw FSMDecodeError(.budget, "\(source): grammar composition nests deeper than 100") }
        switch c {
        case .literal(let b): return b.isEmpty ? .empty : .pattern(.literal(b), text: nil, location)
        case .pattern(let p): return .pattern(p, text: nil, location)
        case .embed(let g, let name): return .named(try embed(g, name: name), location)
        case .sequence(let parts): return .sequence(try parts.map { try lower($0, depth: depth + 1) })
        case .alternation(let parts):
            guard !parts.isEmpty else { throw FSMDecodeError(.grammar, "\(source): an alternation of no parts (empty language)") }
            return .alternation(try parts.map { try lower($0, depth: depth + 1) })
        case .repetition(let part, let min, let max):
            return .repetition(try lower(part, depth: depth + 1), min: min, max: max, location)
        }
    }

    /// Copies the rules of `g` reachable from its start (a repetition helper reaches only its
    /// element) as definitions named `name.RULE`; returns the start rule's new name.
    mutating func embed(_ g: Grammar, name: String) throws -> String {
        if let s = starts[name] { return s }
        guard g.lexing == .characterLevel else {
            throw FSMDecodeError(.grammar, "\(source): cannot embed \(g.source): only character-level (GBNF-style) grammars compose exactly")
        }
        func ruleName(_ r: Int) -> String { "\(name).\(g.rules[r].name)" }
        let loc = location
        func expr(_ s: GrammarSymbol) -> GrammarExpr {
            s.isTerminal ? .pattern(g.terminals[s.index].pattern, text: g.terminals[s.index].name, loc) : .named(ruleName(s.index), loc)
        }
        var reached = [Bool](repeating: false, count: g.rules.count)
        var stack = [g.start]
        reached[g.start] = true
        while let r = stack.popLast() {
            var body: GrammarExpr
            var next: [GrammarSymbol] = []
            if case .repetition(let element, let min, let max) = g.rules[r].origin {
                body = .repetition(expr(element), min: min, max: max, loc)
                next = [element]
            } else {
                var alts: [GrammarExpr] = []
                for p in g.productions(of: r) {
                    let syms = g.symbols(ofProduction: p)
                    alts.append(.sequence(syms.map(expr)))
                    next += syms
                }
                body = alts.count == 1 ? alts[0] : .alternation(alts)
            }
            embedded.append(RuleDefinition(name: ruleName(r), location: loc, body: body, keepsRule: g.rules[r].keepsRule))
            for s in next where !s.isTerminal && !reached[s.index] {
                reached[s.index] = true
                stack.append(s.index)
            }
        }
        starts[name] = ruleName(g.start)
        return ruleName(g.start)
    }
}
