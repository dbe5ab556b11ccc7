/// A position in a grammar's source text; `description` is `FILE:LINE:COLUMN` (1-based,
/// columns count Unicode scalars).
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A grammar symbol: a terminal or a nonterminal (rule), packed in one `Int32`
/// (`raw >= 0`: rule `raw`; `raw < 0`: terminal `~raw`).
public struct GrammarSymbol: Hashable, Sendable {
    public let raw: Int32

    @inlinable public static func terminal(_ index: Int) -> GrammarSymbol { GrammarSymbol(raw: ~Int32(index)) }
    @inlinable public static func rule(_ index: Int) -> GrammarSymbol { GrammarSymbol(raw: Int32(index)) }
    @inlinable init(raw: Int32) { self.raw = raw }

    @inlinable public var isTerminal: Bool { raw < 0 }
    /// The terminal index (when `isTerminal`) or the rule index.
    @inlinable public var index: Int { raw < 0 ? Int(~raw) : Int(raw) }
}

/// A terminal: a named byte-level language the lexer recognizes as one lexeme.
public struct GrammarTerminal: Hashable, Sendable {
    /// Lark's name (`NUMBER`), or the source text of an anonymous one (`"+"`, `[0-9]`); a
    /// generated terminal without one is named by its pattern, rendered when asked (JSON
    /// Schema's member-name terminals are many, and a compile that succeeds names none).
    public var name: String { givenName ?? pattern.description }
    private let givenName: String?
    /// Where it is defined (for anonymous terminals: its first use).
    public let location: SourcePosition
    public let pattern: TerminalPattern
    /// Lark `%ignore`: may occur between any two lexemes and is not seen by the parser.
    public let isIgnored: Bool
    /// Lark `TERM.n` (default 0); breaks ties between equally long matches (higher wins).
    public let priority: Int
    /// Lark `%declare`: produced by the indentation step (`Grammar.indentation`), never lexed;
    /// its pattern matches nothing.
    public let isDeclared: Bool

    /// Equal when every field is, names compared as rendered (a generated terminal equals one
    /// given its pattern's text as name); the hash leaves the name out, so hashing renders none.
    public static func == (a: GrammarTerminal, b: GrammarTerminal) -> Bool {
        a.location == b.location && a.pattern == b.pattern && a.isIgnored == b.isIgnored && a.priority == b.priority
            && a.isDeclared == b.isDeclared && (a.givenName == b.givenName || a.name == b.name)
    }

    public func hash(into h: inout Hasher) {
        h.combine(location)
        h.combine(pattern)
        h.combine(isIgnored)
        h.combine(priority)
        h.combine(isDeclared)
    }

    public init(name: String?, location: SourcePosition, pattern: TerminalPattern, isIgnored: Bool = false, priority: Int = 0,
                isDeclared: Bool = false) {
        self.givenName = name
        self.location = location
        self.pattern = pattern
        self.isIgnored = isIgnored
        self.priority = priority
        self.isDeclared = isDeclared
    }
}

/// Python-style indentation, as Lark's `PythonIndenter` post-lexer defines it: the parser sees
/// an `indent` terminal after a `newline` lexeme whose last line is indented deeper than the
/// innermost open block, one `dedent` per block it closes when shallower (it must then equal
/// an open block's indentation, else the text is rejected), and at the end of the input one
/// `dedent` per block still open. Inside brackets newline lexemes are dropped. Widths count a
/// space as 1 column and a tab as `tabWidth`, from the lexeme's last line feed to the line's
/// first other byte (Lark also counts a trailing comment's spaces; only the end of the input
/// can follow such a lexeme).
public struct Indentation: Hashable, Sendable {
    /// Terminal indices: the newline lexeme (`_NL`/`_NEWLINE`), the declared `_INDENT` and
    /// `_DEDENT`, and the bracket literals `( [ {` and `) ] }`.
    public let newline: Int
    public let indent: Int
    public let dedent: Int
    public let openBrackets: [Int]
    public let closeBrackets: [Int]
    /// Lark's `tab_len`.
    public let tabWidth: Int
    /// The widest indentation accepted, in columns: a newline lexeme whose last line is wider
    /// is rejected (the runtime counts columns in its lexer states).
    public let maxColumns: Int

    public init(newline: Int, indent: Int, dedent: Int, openBrackets: [Int], closeBrackets: [Int], tabWidth: Int = 8,
                maxColumns: Int = 256) {
        self.newline = newline
        self.indent = indent
        self.dedent = dedent
        self.openBrackets = openBrackets
        self.closeBrackets = closeBrackets
        self.tabWidth = tabWidth
        self.maxColumns = maxColumns
    }
}

/// A nonterminal. Its productions are `Grammar.productions(of:)`.
public struct GrammarRule: Hashable, Sendable {
    /// How the rule came to be. Helper rules are generated by the front-ends when they
    /// desugar groups and EBNF operators; their names contain `#` so they never clash.
    public enum Origin: Hashable, Sendable {
        /// Written by the user.
        case user
        /// A parenthesized alternation `( a | b )` inside a rule body.
        case group
        /// `element{min,max}` (max nil: unbounded), shaped for Earley:
        /// `x*` → `H ::= ε | H x`, `x+` → `H ::= x | H x`,
        /// `x{0,k}` → `H_k ::= ε | x H_(k-1)` with `H_1 ::= ε | x`. The rule's language is
        /// exactly `element{min,max}`; its self-reference is not "real" recursion.
        case repetition(element: GrammarSymbol, min: Int, max: Int?)
    }

    public let name: String
    public let location: SourcePosition
    public let origin: Origin
    /// Productions `productionRange` of the grammar belong to this rule (contiguous).
    public let productionRange: Range<Int>
    /// Lark `?rule` (inlined in the parse tree when it has one child); no effect on the language.
    public let isInlined: Bool
    /// Lark `!rule` (keeps all tokens in the parse tree); no effect on the language.
    public let keepsAllTokens: Bool
    /// Character-level: stays a rule even when regular (`RuleDefinition.keepsRule`).
    public let keepsRule: Bool
    /// Lark `rule.n` priority (recorded, default 0); no effect on the language.
    public let priority: Int
}

/// Budgets for building a grammar; exceeding one is a `.budget` error naming the construct.
public struct GrammarLimits: Sendable {
    /// Largest grammar source accepted, in bytes.
    public var maxSourceBytes = 16 << 20
    /// Deepest nesting of groups and operators (`((((`), checked while parsing so no input can
    /// exhaust the stack.
    public var maxNestingDepth = 200
    /// Total symbols over all productions after desugaring (bounded repetition expands).
    public var maxSymbols = 2_000_000
    /// Largest bound accepted in `{m}` / `{m,n}`.
    public var maxRepetitionBound = 100_000
    /// Largest `TerminalPattern` (nodes) built for one terminal or regular rule.
    public var maxPatternNodes = 50_000

    public init() {}
}

/// A context-free grammar over terminals: the front-ends' output and the runtime's input.
///
/// Immutable, `Sendable`, built once. Productions live in flat arrays: production `p` belongs
/// to rule `productionRule[p]` and its right-hand side is
/// `productionSymbols[productionStart[p] ..< productionStart[p + 1]]`. Each rule's productions
/// are contiguous (`GrammarRule.productionRange`). Invariants established by the builder:
/// every symbol index is valid; every rule is productive; the start rule derives at least
/// one string; rule and terminal names are unique.
///
/// Lexing contract (`lexing`):
/// - `.characterLevel` (GBNF): there is no lexer; the language is exactly the CFG's language
///   over the terminals' byte strings (any split is allowed). Terminals are GBNF literals and
///   classes, deduplicated by pattern.
/// - `.longestMatch` (Lark): the input is split into lexemes; at each point the lexeme is the
///   longest match among the terminals the parser can accept next plus the ignored terminals;
///   equal lengths go to the highest priority, remaining ties are all kept (the parser decides).
///   Ignored lexemes are dropped.
public struct Grammar: Sendable {
    public enum Format: String, Sendable { case gbnf, lark }
    public enum Lexing: String, Sendable { case characterLevel, longestMatch }

    /// The file name used in locations (the path, or a label such as `<string>`).
    public let source: String
    public let format: Format
    public let lexing: Lexing
    public let terminals: [GrammarTerminal]
    public let rules: [GrammarRule]
    /// The start rule (`root` in GBNF, `start` in Lark unless told otherwise).
    public let start: Int
    public let productionRule: [Int32]
    public let productionStart: [Int32]
    public let productionSymbols: [GrammarSymbol]
    /// Non-fatal findings, each `FILE:LINE:COL: ...` (unused rules and terminals, redefinitions).
    public let warnings: [String]

    // Analysis, computed at build time.

    /// `nullable[r]`: rule r derives the empty string.
    public let nullable: [Bool]
    /// `isRegular[r]`: no recursion is reachable from rule r (repetition helpers' own loops
    /// excepted), so its language is regular.
    public let isRegular: [Bool]
    /// For `.characterLevel` grammars: the rule's language as one composite pattern when the
    /// rule is regular, involves no vocabulary tokens and the pattern fits
    /// `maxPatternNodes`; the runtime may lex such a rule as a single terminal. Always nil
    /// for `.longestMatch` grammars (ignored terminals may sit between its lexemes).
    public let regularPatterns: [TerminalPattern?]
    /// Lark grammars that `%declare _INDENT _DEDENT`: the indentation step between lexer and
    /// parser. Nil otherwise.
    public internal(set) var indentation: Indentation?

    init(source: String, format: Format, lexing: Lexing, terminals: [GrammarTerminal], rules: [GrammarRule],
         start: Int, productionRule: [Int32], productionStart: [Int32], productionSymbols: [GrammarSymbol],
         warnings: [String], nullable: [Bool], isRegular: [Bool], regularPatterns: [TerminalPattern?]) {
        self.source = source
        self.format = format
        self.lexing = lexing
        self.terminals = terminals
        self.rules = rules
        self.start = start
        self.productionRule = productionRule
        self.productionStart = productionStart
        self.productionSymbols = productionSymbols
        self.warnings = warnings
        self.nullable = nullable
        self.isRegular = isRegular
        self.regularPatterns = regularPatterns
    }

    public var productionCount: Int { productionRule.count }

    /// The right-hand side of production `p`.
    @inlinable public func symbols(ofProduction p: Int) -> ArraySlice<GrammarSymbol> {
        productionSymbols[Int(productionStart[p]) ..< Int(productionStart[p + 1])]
    }

    /// The productions of rule `r`.
    public func productions(of r: Int) -> Range<Int> { rules[r].productionRange }

    /// Indices of the `%ignore`d terminals.
    public var ignoredTerminals: [Int] { terminals.indices.filter { terminals[$0].isIgnored } }

    /// The rule named `name`, if any.
    public func rule(named name: String) -> Int? { rules.firstIndex { $0.name == name } }

    /// One line on the indentation step, for reports (nil without one).
    public var indentationSummary: String? {
        guard let ind = indentation else { return nil }
        return "Python-style: \(terminals[ind.newline].name) lexemes produce \(terminals[ind.indent].name)/\(terminals[ind.dedent].name) outside \(ind.openBrackets.count) bracket kind(s); tab = \(ind.tabWidth) columns, lines up to \(ind.maxColumns) columns"
    }

    /// The terminal named `name`, if any.
    public func terminal(named name: String) -> Int? { terminals.firstIndex { $0.name == name } }

    /// A readable listing of the desugared grammar, one production per line (`*` marks the
    /// start rule), then each terminal not named by its own pattern. Terminals sharing a name
    /// (a schema's `<json lexeme>`s) are told apart by their index (`<json lexeme>#3`).
    public var listing: String {
        var nameCount: [String: Int] = [:]
        for t in terminals { nameCount[t.name, default: 0] += 1 }
        func terminalName(_ i: Int) -> String {
            nameCount[terminals[i].name, default: 0] > 1 ? "\(terminals[i].name)#\(i)" : terminals[i].name
        }
        var out = ""
        for (r, rule) in rules.enumerated() {
            for p in rule.productionRange {
                let rhs = symbols(ofProduction: p).map { s in
                    s.isTerminal ? terminalName(s.index) : rules[s.index].name
                }
                out += (r == start && p == rule.productionRange.lowerBound ? "* " : "  ")
                out += rule.name + " ::= " + (rhs.isEmpty ? "ε" : rhs.joined(separator: " ")) + "\n"
            }
        }
        for (i, t) in terminals.enumerated() where t.name != t.pattern.description || t.isIgnored {
            out += "  \(terminalName(i))\(t.isIgnored ? " (ignored)" : "")" + (t.isDeclared ? " (declared: made by the indentation step)\n" : " : \(t.pattern)\n")
        }
        return out
    }
}
