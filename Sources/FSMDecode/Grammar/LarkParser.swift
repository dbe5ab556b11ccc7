import CPCRE2

extension Grammar {
    /// Parses a Lark grammar as SynCode and llguidance use it: `rule: ...`, `TERMINAL: ...`,
    /// `?rule`, `!rule`, `_rule`, priorities `name.n` (recorded), aliases `-> name` (ignored),
    /// `"literal"`, `"literal"i`, `/regex/flags` (flags `i`, `s`, `m`, `u`; `x` is expanded
    /// exactly; `l` is an error), `"a".."z"`, `[x]`, `x?`, `x*`, `x+`, `x ~ n`, `x ~ n..m`,
    /// `%ignore`, `%import common.NAME [-> ALIAS]` and `%import common (A, B)` from the
    /// built-in `common` library (`LarkCommonLibrary`). Everything else (templates,
    /// `%declare`, `%override`, `%extend`, other imports, llguidance extensions such as
    /// `%json`, `&`, rule attributes) is an error naming the construct and its location.
    public static func lark(_ text: String, file: String = "<lark>", start: String = "start",
                            limits: GrammarLimits = GrammarLimits()) throws -> Grammar {
        try lark(bytes: Array(text.utf8), file: file, start: start, limits: limits)
    }

    public static func lark(bytes: [UInt8], file: String, start: String = "start",
                            limits: GrammarLimits = GrammarLimits()) throws -> Grammar {
        let src = try SourceText(bytes: bytes, file: file, limits: limits)
        var module = try LarkModule.parse(src, limits: limits)
        return try module.buildGrammar(start: start)
    }
}

/// The `common` library's terminals, written for this project so that each is exact as a
/// regular language (Lark's own `ESCAPED_STRING` and `C_COMMENT` use lazy quantifiers and
/// lookbehind; the versions here denote the same strings without them).
public enum LarkCommonLibrary {
    public static let source = #"""
    DIGIT: "0".."9"
    HEXDIGIT: "a".."f"|"A".."F"|DIGIT
    INT: DIGIT+
    SIGNED_INT: ["+"|"-"] INT
    DECIMAL: INT "." INT? | "." INT
    _EXP: ("e"|"E") SIGNED_INT
    FLOAT: INT _EXP | DECIMAL _EXP?
    SIGNED_FLOAT: ["+"|"-"] FLOAT
    NUMBER: FLOAT | INT
    SIGNED_NUMBER: ["+"|"-"] NUMBER
    // "..." where a backslash escapes the next character (not a line break): the strings
    // Lark's /".*?(?<!\\)(\\\\)*?"/ matches.
    _STRING_ESC_INNER: (/[^"\\\n]/ | /\\[^\n]/)*
    ESCAPED_STRING: "\"" _STRING_ESC_INNER "\""
    LCASE_LETTER: "a".."z"
    UCASE_LETTER: "A".."Z"
    LETTER: UCASE_LETTER | LCASE_LETTER
    WORD: LETTER+
    CNAME: ("_"|LETTER) ("_"|LETTER|DIGIT)*
    WS_INLINE: (" "|/\t/)+
    WS: /[ \t\f\r\n]/+
    CR: /\r/
    LF: /\n/
    NEWLINE: (CR? LF)+
    SH_COMMENT: /#[^\n]*/
    CPP_COMMENT: /\/\/[^\n]*/
    // "/*" up to the first "*/": the strings Lark's "/*" /(.|\n)*?/ "*/" matches.
    C_COMMENT: /\/\*([^*]|\*+[^*\/])*\*+\//
    SQL_COMMENT: /--[^\n]*/
    """#
}

/// One parsed Lark file: definitions by name, in source order.
struct LarkModule: Sendable {
    struct TermDef: Sendable {
        var name: String
        var location: SourcePosition
        var priority: Int
        var body: LarkExpr
    }

    let file: String
    let limits: GrammarLimits
    var rules: [RuleDefinition] = []
    /// Rule name → index in `rules` (a linear search per definition was quadratic: 100k rules took 100 s).
    var ruleIndex: [String: Int] = [:]
    var ruleBodies: [LarkExpr] = []
    var terms: [String: TermDef] = [:]
    var termOrder: [String] = []
    /// Terminals imported from another module: local name -> (module, name there, location).
    var imports: [String: (module: LarkModule, name: String, location: SourcePosition)] = [:]
    var ignores: [(expr: LarkExpr, location: SourcePosition)] = []
    /// `%declare`d terminal names, in order (see `Indentation`).
    var declared: [(name: String, location: SourcePosition)] = []

    static let common: LarkModule = {
        let src = try! SourceText(bytes: Array(LarkCommonLibrary.source.utf8), file: "<lark common>", limits: GrammarLimits())
        return try! LarkModule.parse(src, limits: GrammarLimits())
    }()

    static func parse(_ src: SourceText, limits: GrammarLimits) throws -> LarkModule {
        var lexer = LarkLexer(src: src)
        let tokens = try lexer.tokenize()
        var p = LarkSyntaxParser(src: src, tokens: tokens, limits: limits)
        var module = LarkModule(file: src.file, limits: limits)
        try p.parseFile(into: &module)
        return module
    }

    // MARK: terminals

    /// The pattern of named terminal `name` (inlining the terminals it references).
    func terminalPattern(_ name: String, at loc: SourcePosition, resolving: inout [String], depth: Int) throws -> (TerminalPattern, priority: Int, location: SourcePosition) {
        if let imp = imports[name], terms[name] == nil {
            var inner: [String] = []
            let (p, prio, _) = try imp.module.terminalPattern(imp.name, at: imp.location, resolving: &inner, depth: depth)
            return (p, prio, imp.location)
        }
        guard let def = terms[name] else {
            throw FSMDecodeError(.grammar, "\(loc): undefined terminal '\(name)'")
        }
        if resolving.contains(name) {
            throw FSMDecodeError(.grammar, "\(def.location): terminal '\(name)' is recursive (\((resolving + [name]).joined(separator: " -> "))); terminals must be regular, use a rule instead")
        }
        if depth > limits.maxNestingDepth {
            throw FSMDecodeError(.budget, "\(loc): terminal references nest deeper than \(limits.maxNestingDepth) levels (GrammarLimits.maxNestingDepth)")
        }
        resolving.append(name)
        defer { resolving.removeLast() }
        let p = try pattern(of: def.body, resolving: &resolving, depth: depth + 1)
        if p.nodeCount > limits.maxPatternNodes {
            throw FSMDecodeError(.budget, "\(def.location): terminal '\(name)' expands to more than \(limits.maxPatternNodes) pattern nodes (GrammarLimits.maxPatternNodes)")
        }
        return (p, def.priority, def.location)
    }

    func pattern(of e: LarkExpr, resolving: inout [String], depth: Int) throws -> TerminalPattern {
        switch e {
        case .empty: return .sequence([])
        case .pattern(let p, _, _): return p
        case .named(let n, let loc):
            if !isLarkTerminalName(n) {
                throw FSMDecodeError(.grammar, "\(loc): terminal definitions cannot reference rule '\(n)' (terminals must be regular)")
            }
            return try terminalPattern(n, at: loc, resolving: &resolving, depth: depth + 1).0
        case .sequence(let parts):
            let ps = try parts.map { try pattern(of: $0, resolving: &resolving, depth: depth) }
            return ps.count == 1 ? ps[0] : .sequence(ps)
        case .alternation(let parts):
            let ps = try parts.map { try pattern(of: $0, resolving: &resolving, depth: depth) }
            return ps.count == 1 ? ps[0] : .alternation(ps)
        case .repetition(let inner, let min, let max, let loc):
            if min > limits.maxRepetitionBound || (max ?? 0) > limits.maxRepetitionBound {
                throw FSMDecodeError(.budget, "\(loc): repetition bound exceeds \(limits.maxRepetitionBound) (GrammarLimits.maxRepetitionBound)")
            }
            return .repetition(try pattern(of: inner, resolving: &resolving, depth: depth), min: min, max: max)
        }
    }

    // MARK: building

    mutating func buildGrammar(start: String) throws -> Grammar {
        var builder = GrammarBuilder(source: file, format: .lark, lexing: .longestMatch, limits: limits)
        var ignoredNames = Set<String>()
        var ignoredPatterns: [(TerminalPattern, SourcePosition)] = []
        for ig in ignores {
            if case .named(let n, let loc) = ig.expr {
                guard isLarkTerminalName(n) else { throw FSMDecodeError(.grammar, "\(loc): %ignore needs a terminal, '\(n)' is a rule") }
                guard terms[n] != nil || imports[n] != nil else { throw FSMDecodeError(.grammar, "\(loc): %ignore names undefined terminal '\(n)'") }
                ignoredNames.insert(n)
            } else {
                var r: [String] = []
                ignoredPatterns.append((try pattern(of: ig.expr, resolving: &r, depth: 0), ig.location))
            }
        }
        // Named terminals: local definitions in source order, then imports.
        var names = termOrder
        for n in imports.keys.sorted() where terms[n] == nil { names.append(n) }
        for n in names {
            var r: [String] = []
            let loc = terms[n]?.location ?? imports[n]!.location
            let (p, prio, _) = try terminalPattern(n, at: loc, resolving: &r, depth: 0)
            builder.addNamedTerminal(GrammarTerminal(name: n, location: loc, pattern: p, isIgnored: ignoredNames.contains(n), priority: prio))
        }
        for (i, (p, loc)) in ignoredPatterns.enumerated() {
            builder.addNamedTerminal(GrammarTerminal(name: "__IGNORE_\(i)", location: loc, pattern: p, isIgnored: true))
        }
        for (n, loc) in declared {
            if terms[n] != nil || imports[n] != nil { throw FSMDecodeError(.grammar, "\(loc): '\(n)' is declared and also defined") }
            builder.addNamedTerminal(GrammarTerminal(name: n, location: loc, pattern: .codePointClass([]), isDeclared: true))
        }
        var defs = rules
        for i in defs.indices { defs[i].body = try lower(ruleBodies[i]) }
        var g = try builder.build(rules: defs, start: start, ignored: ignoredNames)
        if !declared.isEmpty { g.indentation = try indentation(of: g) }
        // A terminal the lexer uses must not match the empty string (Lark refuses them too).
        var used = [Bool](repeating: false, count: g.terminals.count)
        for s in g.productionSymbols where s.isTerminal { used[s.index] = true }
        for (t, term) in g.terminals.enumerated() where (used[t] || term.isIgnored) && !term.isDeclared {
            if try larkPatternMatchesEmpty(term.pattern) {
                throw FSMDecodeError(.grammar, "\(term.location): terminal '\(term.name)' matches the empty string (\(term.pattern)); terminals cannot be empty")
            }
        }
        return g
    }

    /// The indentation step that produces the declared terminals. Lark leaves the producer to
    /// the caller (a `postlex`); the one Lark grammars declare terminals for is its
    /// `PythonIndenter`, so that is what a declaration means here: `_INDENT` and `_DEDENT`,
    /// driven by the `_NEWLINE` (or SynCode's `_NL`) terminal.
    private func indentation(of g: Grammar) throws -> Indentation {
        let names = Set(declared.map(\.name))
        guard names == ["_INDENT", "_DEDENT"] else {
            let other = declared.first { $0.name != "_INDENT" && $0.name != "_DEDENT" } ?? declared[0]
            throw FSMDecodeError(.grammar, "\(other.location): %declare \(declared.map(\.name).joined(separator: " ")): declared terminals need a producer, and the only one here is Python-style indentation, which declares exactly _INDENT and _DEDENT (as Lark's PythonIndenter)")
        }
        guard let nl = g.terminal(named: "_NEWLINE") ?? g.terminal(named: "_NL") else {
            throw FSMDecodeError(.grammar, "\(declared[0].location): %declare _INDENT _DEDENT needs a newline terminal named _NEWLINE (or _NL) to measure indentation from")
        }
        guard !g.terminals[nl].isIgnored else {
            throw FSMDecodeError(.grammar, "\(g.terminals[nl].location): the newline terminal '\(g.terminals[nl].name)' drives indentation and cannot be %ignore'd")
        }
        func brackets(_ chars: String) -> [Int] {
            g.terminals.indices.filter { t in
                guard !g.terminals[t].isIgnored, case .literal(let b) = g.terminals[t].pattern, b.count == 1 else { return false }
                return chars.utf8.contains(b[0])
            }
        }
        return Indentation(newline: nl, indent: g.terminal(named: "_INDENT")!, dedent: g.terminal(named: "_DEDENT")!,
                           openBrackets: brackets("([{"), closeBrackets: brackets(")]}"))
    }

    /// Rule bodies: names stay names; inline strings/regexes become anonymous terminals.
    private func lower(_ e: LarkExpr) throws -> GrammarExpr {
        switch e {
        case .empty: return .empty
        case .pattern(let p, let text, let loc): return .pattern(p, text: text, loc)
        case .named(let n, let loc): return .named(n, loc)
        case .sequence(let parts): return .sequence(try parts.map(lower))
        case .alternation(let parts): return .alternation(try parts.map(lower))
        case .repetition(let inner, let min, let max, let loc): return .repetition(try lower(inner), min: min, max: max, loc)
        }
    }
}

/// Whether a pattern's language contains the empty string (regex leaves asked of PCRE2).
func larkPatternMatchesEmpty(_ p: TerminalPattern) throws -> Bool {
    if let known = p.matchesEmptyStructurally { return known }
    switch p {
    case .regex(let source, let flags):
        return try PCRE2Pattern(source, options: pcre2Options(flags), jit: false).matchesWhole([])
    case .sequence(let parts):
        for q in parts where !(try larkPatternMatchesEmpty(q)) { return false }
        return true
    case .alternation(let parts):
        for q in parts where try larkPatternMatchesEmpty(q) { return true }
        return false
    case .repetition(let q, let min, _): return min == 0 ? true : try larkPatternMatchesEmpty(q)
    default: return false
    }
}

/// PCRE2 compile options for Lark regex flags.
public func pcre2Options(_ flags: TerminalPattern.RegexFlags) -> UInt32 {
    var o: UInt32 = 0
    if flags.contains(.ignoreCase) { o |= UInt32(PCRE2_CASELESS) }
    if flags.contains(.dotAll) { o |= UInt32(PCRE2_DOTALL) }
    if flags.contains(.multiline) { o |= UInt32(PCRE2_MULTILINE) }
    return o
}

/// Lark expressions (rule and terminal bodies) before name resolution.
typealias LarkExpr = GrammarExpr

// MARK: - Lexer for Lark's own syntax

struct LarkToken {
    enum Kind: Equatable {
        case name(String)       // rule or terminal name, with any `?`/`!` prefix split off
        case string(String, caseInsensitive: Bool, raw: String)
        case regex(String, TerminalPattern.RegexFlags, raw: String)
        case number(Int)
        case directive(String)  // %ignore, %import, ...
        case punct(String)      // : | ( ) [ ] ? * + ~ .. -> , { } . ! & = < >
        case newline
    }
    var kind: Kind
    var pos: Int
}

struct LarkLexer {
    let src: SourceText
    var pos = 0

    init(src: SourceText) { self.src = src }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
    private static func isNameChar(_ c: Unicode.Scalar) -> Bool { isNameStart(c) || ("0"..."9").contains(c) }

    mutating func tokenize() throws -> [LarkToken] {
        var out: [LarkToken] = []
        var depth = 0 // inside () or [] or {} newlines are spacing
        while let c = src[pos] {
            let begin = pos
            if c == " " || c == "\t" || c == "\r" || c == "\u{0C}" { pos += 1; continue }
            if c == "\n" {
                pos += 1
                if depth == 0, out.last.map({ $0.kind != .newline }) ?? false { out.append(LarkToken(kind: .newline, pos: begin)) }
                continue
            }
            if c == "/" && src[pos + 1] == "/" || c == "#" {
                while let d = src[pos], d != "\n" { pos += 1 }
                continue
            }
            if c == "\"" {
                pos += 1
                var text = ""
                while true {
                    guard let d = src[pos], d != "\n" else { throw src.error(begin, "unterminated string literal") }
                    if d == "\"" { pos += 1; break }
                    if d == "\\" {
                        text.unicodeScalars.append(try larkEscape(begin))
                        continue
                    }
                    text.unicodeScalars.append(d)
                    pos += 1
                }
                var ci = false
                if src[pos] == "i", !(src[pos + 1].map(LarkLexer.isNameChar) ?? false) { ci = true; pos += 1 }
                out.append(LarkToken(kind: .string(text, caseInsensitive: ci, raw: messageText(spelling(begin))), pos: begin))
                continue
            }
            if c == "/" {
                pos += 1
                var body = ""
                while true {
                    guard let d = src[pos], d != "\n" else { throw src.error(begin, "unterminated regular expression") }
                    if d == "/" { pos += 1; break }
                    if d == "\\", let e = src[pos + 1], e != "\n" {
                        body.unicodeScalars.append(d); body.unicodeScalars.append(e); pos += 2; continue
                    }
                    body.unicodeScalars.append(d)
                    pos += 1
                }
                var flags: TerminalPattern.RegexFlags = []
                var verbose = false
                while let f = src[pos], "imslux".unicodeScalars.contains(f) {
                    switch f {
                    case "i": flags.insert(.ignoreCase)
                    case "m": flags.insert(.multiline)
                    case "s": flags.insert(.dotAll)
                    case "x": verbose = true
                    case "u": break // Unicode matching is the default
                    default: throw src.error(pos, "regex flag 'l' (locale-dependent matching) is not supported")
                    }
                    pos += 1
                }
                if verbose { body = try stripVerbose(body, at: begin) }
                out.append(LarkToken(kind: .regex(body, flags, raw: messageText(spelling(begin))), pos: begin))
                continue
            }
            if ("0"..."9").contains(c) || (c == "-" && src[pos + 1].map { ("0"..."9").contains($0) } ?? false) {
                let neg = c == "-"
                if neg { pos += 1 }
                var v = 0
                while let d = src[pos], ("0"..."9").contains(d) {
                    if v <= 1_000_000_000 { v = v * 10 + Int(d.value - 48) }
                    pos += 1
                }
                if v > 1_000_000_000 { throw src.error(begin, "number \(spelling(begin)) is too large (at most 1000000000)") }
                out.append(LarkToken(kind: .number(neg ? -v : v), pos: begin))
                continue
            }
            if c == "%" {
                pos += 1
                while let d = src[pos], LarkLexer.isNameChar(d) { pos += 1 }
                out.append(LarkToken(kind: .directive(spelling(begin)), pos: begin))
                continue
            }
            if LarkLexer.isNameStart(c) {
                while let d = src[pos], LarkLexer.isNameChar(d) { pos += 1 }
                out.append(LarkToken(kind: .name(spelling(begin)), pos: begin))
                continue
            }
            if c == "." && src[pos + 1] == "." { pos += 2; out.append(LarkToken(kind: .punct(".."), pos: begin)); continue }
            if c == "-" && src[pos + 1] == ">" { pos += 2; out.append(LarkToken(kind: .punct("->"), pos: begin)); continue }
            if c == ":" && src[pos + 1] == ":" {
                throw src.error(begin, "parametric rules ('name::param', an llguidance extension) are not supported")
            }
            if c == "&" { throw src.error(begin, "'&' (intersection, an llguidance extension) is not supported") }
            if c == "<" { throw src.error(begin, "special tokens ('<...>', an llguidance extension) are not supported") }
            if "()[]{}".unicodeScalars.contains(c) {
                depth += "([{".unicodeScalars.contains(c) ? 1 : (depth > 0 ? -1 : 0)
            }
            if ":|()[]?*+~,{}.!&=<>".unicodeScalars.contains(c) {
                pos += 1
                out.append(LarkToken(kind: .punct(String(Character(c))), pos: begin))
                continue
            }
            throw src.error(begin, "unexpected character '\(Character(c))'")
        }
        return out
    }

    private func spelling(_ begin: Int) -> String { String(String.UnicodeScalarView(src.scalars[begin..<pos])) }

    /// A string escape (pos at the backslash), with Python's meaning; unknown escapes keep
    /// the backslash, as Python string literals do.
    private mutating func larkEscape(_ literalStart: Int) throws -> Unicode.Scalar {
        let begin = pos
        pos += 1
        guard let e = src[pos] else { throw src.error(begin, "unexpected end of input after '\\'") }
        pos += 1
        func hexDigits(_ n: Int) throws -> Unicode.Scalar {
            var v: UInt32 = 0
            for _ in 0..<n {
                guard let c = src[pos], c.isASCII, let d = UInt32(String(Character(c)), radix: 16) else {
                    throw src.error(begin, "expecting \(n) hex digits in the escape \(src.quote(begin))")
                }
                v = v << 4 | d
                pos += 1
            }
            guard let s = Unicode.Scalar(v) else { throw src.error(begin, "escape is not a Unicode scalar value") }
            return s
        }
        switch e {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "f": return "\u{0C}"
        case "v": return "\u{0B}"
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "0": return "\u{00}"
        case "\\", "\"", "'": return e
        case "x": return try hexDigits(2)
        case "u": return try hexDigits(4)
        case "U": return try hexDigits(8)
        default:
            pos -= 1 // keep "\" and let the next scalar be read normally
            return "\\"
        }
    }

    /// Python's verbose flag: drops unescaped whitespace and `#` comments outside classes.
    private func stripVerbose(_ body: String, at begin: Int) throws -> String {
        var out = ""
        let s = Array(body.unicodeScalars)
        var i = 0, inClass = false
        while i < s.count {
            let c = s[i]
            if c == "\\", i + 1 < s.count {
                out.unicodeScalars.append(c); out.unicodeScalars.append(s[i + 1]); i += 2; continue
            }
            if inClass {
                if c == "]" { inClass = false }
                out.unicodeScalars.append(c)
            } else if c == "[" {
                inClass = true
                out.unicodeScalars.append(c)
                if i + 1 < s.count, s[i + 1] == "^" { out.unicodeScalars.append("^"); i += 1 }
                if i + 1 < s.count, s[i + 1] == "]" { out.unicodeScalars.append("]"); i += 1 }
            } else if c == "#" {
                while i < s.count, s[i] != "\n" { i += 1 }
                continue
            } else if !c.properties.isWhitespace {
                out.unicodeScalars.append(c)
            }
            i += 1
        }
        return out
    }
}

// MARK: - Parser for Lark's own syntax

struct LarkSyntaxParser {
    let src: SourceText
    let tokens: [LarkToken]
    let limits: GrammarLimits
    var i = 0

    init(src: SourceText, tokens: [LarkToken], limits: GrammarLimits) {
        self.src = src
        self.tokens = tokens
        self.limits = limits
    }

    private var peek: LarkToken.Kind? { i < tokens.count ? tokens[i].kind : nil }
    private var here: Int { i < tokens.count ? tokens[i].pos : src.scalars.count }
    private func loc(_ p: Int) -> SourcePosition { src.location(of: p) }

    private func describe(_ k: LarkToken.Kind?) -> String {
        switch k {
        case nil: return "end of input"
        case .newline?: return "end of line"
        case .name(let n)?: return "'\(n)'"
        case .string(_, _, let raw)?: return raw
        case .regex(_, _, let raw)?: return raw
        case .number(let n)?: return "\(n)"
        case .directive(let d)?: return d
        case .punct(let p)?: return "'\(p)'"
        }
    }

    private mutating func expect(_ p: String, _ context: String) throws {
        guard peek == .punct(p) else { throw src.error(here, "expecting '\(p)' \(context), found \(describe(peek))") }
        i += 1
    }

    mutating func parseFile(into m: inout LarkModule) throws {
        while let k = peek {
            let begin = here
            switch k {
            case .newline: i += 1
            case .directive(let d): try parseDirective(d, into: &m)
            case .punct("?"), .punct("!"), .name:
                var inline = false, keep = false
                while peek == .punct("?") || peek == .punct("!") {
                    if peek == .punct("?") { inline = true } else { keep = true }
                    i += 1
                }
                guard case .name(let name)? = peek else { throw src.error(here, "expecting a rule or terminal name, found \(describe(peek))") }
                i += 1
                if peek == .punct("{") {
                    throw src.error(here, "templates ('\(name){...}') are not supported")
                }
                if peek == .punct("[") {
                    throw src.error(here, "rule attributes ('\(name)[...]', an llguidance extension) are not supported")
                }
                var priority = 0
                if peek == .punct(".") {
                    i += 1
                    guard case .number(let n)? = peek else { throw src.error(here, "expecting a priority number after '\(name).', found \(describe(peek))") }
                    priority = n
                    i += 1
                }
                try expect(":", "after '\(name)'")
                let (body, _) = try parseExpansions(depth: 0)
                try endOfStatement(name)
                let isTerm = isLarkTerminalName(name)
                if isTerm && (inline || keep) { throw src.error(begin, "'?' and '!' apply to rules, not to terminal '\(name)'") }
                if isTerm {
                    if let old = m.terms[name] ?? m.imports[name].map({ LarkModule.TermDef(name: name, location: $0.location, priority: 0, body: .empty) }) {
                        throw src.error(begin, "terminal '\(name)' is defined twice (first at \(old.location)); use %override to replace it (not supported)")
                    }
                    m.terms[name] = .init(name: name, location: loc(begin), priority: priority, body: body)
                    m.termOrder.append(name)
                } else {
                    if let old = m.ruleIndex[name].map({ m.rules[$0] }) {
                        throw src.error(begin, "rule '\(name)' is defined twice (first at \(old.location)); use %override to replace it (not supported)")
                    }
                    if !name.first!.isLowercase && name.first != "_" {
                        throw src.error(begin, "'\(name)' is neither a rule name (lowercase) nor a terminal name (uppercase)")
                    }
                    m.ruleIndex[name] = m.rules.count
                    m.rules.append(RuleDefinition(name: name, location: loc(begin), body: .empty, isInlined: inline || name.hasPrefix("_"),
                                                  keepsAllTokens: keep, priority: priority))
                    m.ruleBodies.append(body)
                }
            default:
                throw src.error(begin, "expecting a rule, a terminal or a directive, found \(describe(k))")
            }
        }
    }

    private mutating func endOfStatement(_ what: String) throws {
        guard peek == nil || peek == .newline else {
            if peek == .punct("&") { throw src.error(here, "'&' (intersection, an llguidance extension) is not supported") }
            throw src.error(here, "unexpected \(describe(peek)) in the definition of '\(what)'")
        }
        if peek != nil { i += 1 }
    }

    private mutating func parseDirective(_ d: String, into m: inout LarkModule) throws {
        let begin = here
        i += 1
        switch d {
        case "%ignore":
            let (e, _) = try parseExpansions(depth: 0)
            try endOfStatement("%ignore")
            m.ignores.append((e, loc(begin)))
        case "%import":
            var path: [String] = []
            if peek == .punct(".") { throw src.error(here, "relative imports ('%import .module') are not supported; only the built-in 'common' library can be imported") }
            guard case .name(let first)? = peek else { throw src.error(here, "expecting a module name after %import, found \(describe(peek))") }
            path.append(first); i += 1
            while peek == .punct(".") {
                i += 1
                guard case .name(let n)? = peek else { throw src.error(here, "expecting a name after '.', found \(describe(peek))") }
                path.append(n); i += 1
            }
            var names: [(String, String, Int)] = [] // (name in module, local name, position)
            if peek == .punct("(") {
                i += 1
                while true {
                    guard case .name(let n)? = peek else { throw src.error(here, "expecting a name in the import list, found \(describe(peek))") }
                    names.append((n, n, here)); i += 1
                    if peek == .punct(",") { i += 1; continue }
                    try expect(")", "to close the import list")
                    break
                }
            } else {
                guard path.count >= 2 else { throw src.error(begin, "'%import \(path[0])' imports nothing; write %import \(path[0]).NAME or %import \(path[0]) (A, B)") }
                let n = path.removeLast()
                var local = n
                if peek == .punct("->") {
                    i += 1
                    guard case .name(let alias)? = peek else { throw src.error(here, "expecting an alias name after '->'") }
                    local = alias; i += 1
                }
                names.append((n, local, begin))
            }
            try endOfStatement("%import")
            let moduleName = path.joined(separator: ".")
            guard moduleName == "common" else {
                throw src.error(begin, "cannot import from '\(moduleName)': only the built-in 'common' library is available")
            }
            let common = LarkModule.common
            for (n, local, p) in names {
                guard common.terms[n] != nil else {
                    let what = isLarkTerminalName(n) ? "terminal" : "rule"
                    throw src.error(p, "the common library has no \(what) '\(n)' (it has: \(common.termOrder.filter { !$0.hasPrefix("_") }.joined(separator: ", ")))")
                }
                guard isLarkTerminalName(local) else { throw src.error(p, "imported terminal '\(n)' must keep a terminal (uppercase) name, not '\(local)'") }
                if m.terms[local] != nil || m.imports[local] != nil { throw src.error(p, "'\(local)' is already defined") }
                m.imports[local] = (common, n, loc(p))
            }
        case "%declare":
            var any = false
            while case .name(let n)? = peek {
                guard isLarkTerminalName(n) else { throw src.error(here, "%declare names terminals (uppercase); '\(n)' is a rule name") }
                if m.terms[n] != nil || m.imports[n] != nil || m.declared.contains(where: { $0.name == n }) {
                    throw src.error(here, "'\(n)' is already defined")
                }
                m.declared.append((n, loc(here)))
                i += 1
                any = true
            }
            guard any else { throw src.error(here, "expecting terminal names after %declare, found \(describe(peek))") }
            try endOfStatement("%declare")
        case "%override", "%extend":
            throw src.error(begin, "\(d) is not supported")
        case "%json", "%llguidance", "%regex", "%lark", "%if":
            throw src.error(begin, "\(d) (an llguidance extension) is not supported")
        default:
            throw src.error(begin, "unknown directive \(d)")
        }
    }

    // expansions: alias ("|" alias)* ; alias: expansion ["->" NAME]
    private mutating func parseExpansions(depth: Int) throws -> (LarkExpr, Int) {
        if depth > limits.maxNestingDepth {
            throw FSMDecodeError(.budget, "\(loc(here)): groups nest deeper than \(limits.maxNestingDepth) levels (GrammarLimits.maxNestingDepth)")
        }
        var alts: [LarkExpr] = []
        var maxDepth = 0
        while true {
            let (seq, d) = try parseExpansion(depth: depth)
            alts.append(seq)
            maxDepth = max(maxDepth, d)
            if peek == .punct("->") {
                i += 1
                guard case .name? = peek else { throw src.error(here, "expecting an alias name after '->', found \(describe(peek))") }
                i += 1
            }
            // A line starting with '|' continues the definition.
            if peek == .newline, i + 1 < tokens.count, tokens[i + 1].kind == .punct("|") { i += 1 }
            guard peek == .punct("|") else { break }
            i += 1
        }
        return (alts.count == 1 ? alts[0] : .alternation(alts), maxDepth)
    }

    private mutating func parseExpansion(depth: Int) throws -> (LarkExpr, Int) {
        var items: [LarkExpr] = []
        var maxDepth = 0
        while true {
            guard var (atom, d) = try parseAtom(depth: depth) else { break }
            // Postfix operators.
            while true {
                let opPos = here
                var minC = 0, maxC: Int? = nil
                switch peek {
                case .punct("?")?: maxC = 1; i += 1
                case .punct("*")?: i += 1
                case .punct("+")?: minC = 1; i += 1
                case .punct("~")?:
                    i += 1
                    guard case .number(let a)? = peek, a >= 0 else { throw src.error(here, "expecting a count after '~', found \(describe(peek))") }
                    i += 1
                    minC = a; maxC = a
                    if peek == .punct("..") {
                        i += 1
                        guard case .number(let b)? = peek, b >= a else { throw src.error(here, "expecting an upper count >= \(a) after '..', found \(describe(peek))") }
                        i += 1
                        maxC = b
                    }
                default: break
                }
                if i == 0 || tokens[i - 1].pos < opPos { break }
                d += 1
                if d > limits.maxNestingDepth {
                    throw FSMDecodeError(.budget, "\(loc(opPos)): operators nest deeper than \(limits.maxNestingDepth) levels (GrammarLimits.maxNestingDepth)")
                }
                atom = .repetition(atom, min: minC, max: maxC, loc(opPos))
            }
            items.append(atom)
            maxDepth = max(maxDepth, d)
        }
        if items.isEmpty { return (.empty, 0) }
        return (items.count == 1 ? items[0] : .sequence(items), maxDepth)
    }

    private mutating func parseAtom(depth: Int) throws -> (LarkExpr, Int)? {
        let begin = here
        switch peek {
        case .punct("(")?:
            i += 1
            let (e, d) = try parseExpansions(depth: depth + 1)
            try expect(")", "to close the group opened at \(loc(begin).line):\(loc(begin).column)")
            return (e, d + 1)
        case .punct("[")?:
            i += 1
            let (e, d) = try parseExpansions(depth: depth + 1)
            try expect("]", "to close the optional group opened at \(loc(begin).line):\(loc(begin).column)")
            return (.repetition(e, min: 0, max: 1, loc(begin)), d + 1)
        case .string(let text, let ci, let raw)?:
            i += 1
            if peek == .punct("..") {
                i += 1
                guard case .string(let hiText, _, let hiRaw)? = peek else { throw src.error(here, "expecting a string after '..', found \(describe(peek))") }
                i += 1
                let a = Array(text.unicodeScalars), b = Array(hiText.unicodeScalars)
                guard a.count == 1, b.count == 1 else { throw src.error(begin, "a range \(raw)..\(hiRaw) needs single characters") }
                guard a[0].value <= b[0].value else { throw src.error(begin, "range \(raw)..\(hiRaw) is empty") }
                return (.pattern(.codePointClass(TerminalPattern.normalizeClass([a[0].value...b[0].value])), text: "\(raw)..\(hiRaw)", loc(begin)), 1)
            }
            let p: TerminalPattern = ci && text.unicodeScalars.contains(where: { $0.properties.changesWhenCaseMapped })
                ? .caseInsensitiveLiteral(text) : .literal(Array(text.utf8))
            return (.pattern(p, text: raw, loc(begin)), 1)
        case .regex(let body, let flags, let raw)?:
            i += 1
            // Validate now, so a bad regex is reported where it is written.
            do { _ = try PCRE2Pattern(body, options: pcre2Options(flags), jit: false) } catch let e as FSMDecodeError {
                throw src.error(begin, "invalid regular expression \(raw): \(e.message)")
            }
            return (.pattern(.regex(source: body, flags: flags), text: raw, loc(begin)), 1)
        case .name(let n)?:
            i += 1
            if peek == .punct("{") { throw src.error(here, "template use ('\(n){...}') is not supported") }
            return (.named(n, loc(begin)), 1)
        case .punct("<")?:
            throw src.error(begin, "special tokens ('<...>', an llguidance extension) are not supported")
        case .directive(let d)?:
            throw src.error(begin, "\(d) is not supported inside an expression")
        default:
            return nil
        }
    }
}
