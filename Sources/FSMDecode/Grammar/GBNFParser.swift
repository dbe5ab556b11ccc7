extension Grammar {
    /// Parses a GBNF grammar exactly as llama.cpp defines it (`src/llama-grammar.cpp`):
    /// `name ::= alternates` rules (names `[a-zA-Z0-9_-]+`: llama.cpp's plus `_`, which
    /// grammars converted by other tools use), literals `"..."` and classes
    /// `[...]`/`[^...]` with escapes `\n \t \r \\ \" \[ \] \- \xHH \uHHHH \UHHHHHHHH`, `.`,
    /// groups, `| * + ? {m} {m,} {m,n}`, `#` comments, rules continued over lines after
    /// `::=`, `|` or inside parentheses, and tokens `<[id]>`, `<text>`, `!<...>`.
    /// A rule defined twice is replaced by its last definition (as llama.cpp does), with a
    /// warning. Deliberate differences, each stricter or exact where llama.cpp is not:
    /// empty classes `[]` and inverted ranges `[z-a]` are errors; `{m,n}` bounds are exact up to
    /// `limits.maxRepetitionBound` (llama.cpp turns a maximum above 2000 into "unbounded");
    /// left recursion is accepted (the Earley runtime handles it; llama.cpp refuses it).
    public static func gbnf(_ text: String, file: String = "<gbnf>", start: String = "root",
                            limits: GrammarLimits = GrammarLimits()) throws -> Grammar {
        try gbnf(bytes: Array(text.utf8), file: file, start: start, limits: limits)
    }

    public static func gbnf(bytes: [UInt8], file: String, start: String = "root",
                            limits: GrammarLimits = GrammarLimits()) throws -> Grammar {
        let src = try SourceText(bytes: bytes, file: file, limits: limits)
        var parser = GBNFParser(src: src, limits: limits)
        let defs = try parser.parseGrammar()
        var builder = GrammarBuilder(source: file, format: .gbnf, lexing: .characterLevel, limits: limits)
        for w in parser.warnings { builder.warn(w) }
        return try builder.build(rules: defs, start: start)
    }

    /// Loads a grammar file, choosing the front-end by extension (`.gbnf`, `.lark`).
    public static func load(path: String, start: String? = nil, limits: GrammarLimits = GrammarLimits()) throws -> Grammar {
        let bytes = try readFile(path)
        if path.hasSuffix(".gbnf") || path.hasSuffix(".ebnf") {
            return try gbnf(bytes: bytes, file: path, start: start ?? "root", limits: limits)
        }
        if path.hasSuffix(".lark") {
            return try lark(bytes: bytes, file: path, start: start ?? "start", limits: limits)
        }
        throw FSMDecodeError(.usage, "\(path): unknown grammar format (expected a .gbnf or .lark file)")
    }
}

/// Recursive descent over scalars; recursion only through groups, bounded by
/// `limits.maxNestingDepth`.
struct GBNFParser {
    let src: SourceText
    let limits: GrammarLimits
    var pos = 0
    var warnings: [String] = []

    init(src: SourceText, limits: GrammarLimits) {
        self.src = src
        self.limits = limits
    }

    private static func isWordChar(_ c: Unicode.Scalar?) -> Bool {
        guard let c else { return false }
        return ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    private static func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { ("0"..."9").contains($0) } ?? false }

    /// Skips spaces, tabs and `#` comments; also line breaks when `newlineOK`.
    private mutating func skipSpace(newlineOK: Bool) {
        while let c = src[pos] {
            if c == " " || c == "\t" || (newlineOK && (c == "\r" || c == "\n")) {
                pos += 1
            } else if c == "#" {
                while let d = src[pos], d != "\r", d != "\n" { pos += 1 }
            } else {
                break
            }
        }
    }

    private mutating func parseName() throws -> String {
        let begin = pos
        while GBNFParser.isWordChar(src[pos]) { pos += 1 }
        if pos == begin { throw src.error(pos, "expecting a rule name at \(src.quote(pos))") }
        return String(String.UnicodeScalarView(src.scalars[begin..<pos]))
    }

    mutating func parseGrammar() throws -> [RuleDefinition] {
        var defs: [RuleDefinition] = []
        var index: [String: Int] = [:]
        skipSpace(newlineOK: true)
        while pos < src.scalars.count {
            let begin = pos
            let name = try parseName()
            skipSpace(newlineOK: false)
            guard src[pos] == ":", src[pos + 1] == ":", src[pos + 2] == "=" else {
                throw src.error(pos, "expecting '::=' after rule name '\(name)', found \(src.quote(pos))")
            }
            pos += 3
            skipSpace(newlineOK: true)
            let (body, _) = try parseAlternates(nested: false, depth: 0)
            let def = RuleDefinition(name: name, location: src.location(of: begin), body: body)
            if let old = index[name] {
                warnings.append("\(def.location): rule '\(name)' is defined again; this definition replaces the one at \(defs[old].location) (as llama.cpp does)")
                defs[old].body = body
                defs[old].location = def.location
            } else {
                index[name] = defs.count
                defs.append(def)
            }
            switch src[pos] {
            case "\r"?: pos += src[pos + 1] == "\n" ? 2 : 1
            case "\n"?: pos += 1
            case nil: break
            default:
                throw src.error(pos, "expecting a newline or the end after rule '\(name)', found \(src.quote(pos))")
            }
            skipSpace(newlineOK: true)
        }
        return defs
    }

    private mutating func parseAlternates(nested: Bool, depth: Int) throws -> (GrammarExpr, Int) {
        var alts: [GrammarExpr] = []
        var maxDepth = 0
        let (first, d0) = try parseSequence(nested: nested, depth: depth)
        alts.append(first)
        maxDepth = d0
        while src[pos] == "|" {
            pos += 1
            skipSpace(newlineOK: true)
            let (next, d) = try parseSequence(nested: nested, depth: depth)
            alts.append(next)
            maxDepth = max(maxDepth, d)
        }
        return (alts.count == 1 ? alts[0] : .alternation(alts), maxDepth)
    }

    /// Parses items until none follows; returns the sequence and its nesting depth.
    private mutating func parseSequence(nested: Bool, depth: Int) throws -> (GrammarExpr, Int) {
        var items: [(expr: GrammarExpr, depth: Int)] = []
        var maxDepth = 0
        while let c = src[pos] {
            let begin = pos
            let loc = src.location(of: begin)
            if c == "\"" {
                pos += 1
                var bytes: [UInt8] = []
                while src[pos] != "\"" {
                    guard src[pos] != nil else { throw src.error(begin, "unterminated string literal") }
                    let ch = try parseChar()
                    bytes += Array(String(Character(ch)).utf8)
                }
                pos += 1
                items.append((.pattern(.literal(bytes), text: messageText(spelling(begin)), loc), 1))
                skipSpace(newlineOK: nested)
            } else if c == "[" {
                pos += 1
                var negated = false
                if src[pos] == "^" { negated = true; pos += 1 }
                var ranges: [ClosedRange<UInt32>] = []
                while src[pos] != "]" {
                    guard src[pos] != nil else { throw src.error(begin, "unterminated character class") }
                    let charPos = pos
                    let lo = try parseChar().value
                    var hi = lo
                    if src[pos] == "-", let n = src[pos + 1], n != "]" {
                        pos += 1
                        hi = try parseChar().value
                        if hi < lo { throw src.error(charPos, "character range \(spelling(charPos, to: pos)) is empty (its end is below its start)") }
                    }
                    ranges.append(lo...hi)
                }
                pos += 1
                if ranges.isEmpty { throw src.error(begin, "empty character class \(spelling(begin))") }
                let set = TerminalPattern.normalizeClass(ranges, negated: negated)
                // As `[]`: a class that matches nothing (`[^\x00-\U0010FFFF]`, or only surrogates) is an error here, where it is written.
                if set.isEmpty { throw src.error(begin, "character class \(spelling(begin)) matches no character") }
                items.append((.pattern(.codePointClass(set), text: messageText(spelling(begin)), loc), 1))
                skipSpace(newlineOK: nested)
            } else if c == "<" || c == "!" {
                var negated = false
                if c == "!" {
                    negated = true
                    pos += 1
                    guard src[pos] == "<" else { throw src.error(pos, "expecting '<' after '!' (a negated token), found \(src.quote(pos))") }
                }
                items.append((.pattern(try parseToken(negated: negated), text: messageText(spelling(begin)), loc), 1))
                skipSpace(newlineOK: nested)
            } else if GBNFParser.isWordChar(c) {
                let name = try parseName()
                items.append((.named(name, loc), 1))
                skipSpace(newlineOK: nested)
            } else if c == "(" {
                if depth + 1 > limits.maxNestingDepth {
                    throw FSMDecodeError(.budget, "\(loc): groups nest deeper than \(limits.maxNestingDepth) levels (GrammarLimits.maxNestingDepth)")
                }
                pos += 1
                skipSpace(newlineOK: true)
                let (inner, d) = try parseAlternates(nested: true, depth: depth + 1)
                guard src[pos] == ")" else {
                    throw src.error(pos, "expecting ')' to close the group opened at \(loc.line):\(loc.column), found \(src.quote(pos))")
                }
                pos += 1
                items.append((inner, d + 1))
                skipSpace(newlineOK: nested)
            } else if c == "." {
                pos += 1
                items.append((.pattern(.codePointClass(TerminalPattern.anyScalar), text: ".", loc), 1))
                skipSpace(newlineOK: nested)
            } else if c == "*" || c == "+" || c == "?" || c == "{" {
                var minCount = 0, maxCount: Int? = nil
                pos += 1
                skipSpace(newlineOK: nested)
                switch c {
                case "*": break
                case "+": minCount = 1
                case "?": maxCount = 1
                default:
                    minCount = try parseInt(what: "an integer after '{'")
                    skipSpace(newlineOK: nested)
                    if src[pos] == "}" {
                        maxCount = minCount
                    } else if src[pos] == "," {
                        pos += 1
                        skipSpace(newlineOK: nested)
                        if GBNFParser.isDigit(src[pos]) {
                            maxCount = try parseInt(what: "an integer")
                            skipSpace(newlineOK: nested)
                        }
                        guard src[pos] == "}" else { throw src.error(pos, "expecting '}' to close the repetition, found \(src.quote(pos))") }
                    } else {
                        throw src.error(pos, "expecting ',' or '}' in the repetition, found \(src.quote(pos))")
                    }
                    pos += 1
                    skipSpace(newlineOK: nested)
                }
                guard let last = items.popLast() else {
                    throw src.error(begin, "expecting an item before '\(c)' (repetition needs something to repeat)")
                }
                if last.depth + 1 > limits.maxNestingDepth {
                    throw FSMDecodeError(.budget, "\(loc): repetition operators nest deeper than \(limits.maxNestingDepth) levels (GrammarLimits.maxNestingDepth)")
                }
                if let m = maxCount, m < minCount {
                    throw src.error(begin, "repetition {\(minCount),\(m)}: the maximum is below the minimum")
                }
                items.append((.repetition(last.expr, min: minCount, max: maxCount, loc), last.depth + 1))
            } else {
                break
            }
        }
        for i in items { maxDepth = max(maxDepth, i.depth) }
        if items.isEmpty { return (.empty, 0) }
        return (items.count == 1 ? items[0].expr : .sequence(items.map(\.expr)), maxDepth)
    }

    private func spelling(_ begin: Int, to end: Int? = nil) -> String {
        String(String.UnicodeScalarView(src.scalars[begin..<(end ?? pos)]))
    }

    private mutating func parseInt(what: String) throws -> Int {
        let begin = pos
        var value = 0
        while GBNFParser.isDigit(src[pos]) {
            if value <= 1_000_000_000 { value = value * 10 + Int(src[pos]!.value - 48) }
            pos += 1
        }
        if pos == begin { throw src.error(pos, "expecting \(what), found \(src.quote(pos))") }
        if value > 1_000_000_000 { throw src.error(begin, "number \(spelling(begin)) is too large (at most 1000000000)") }
        return value
    }

    /// One character of a literal or class: an escape or a raw scalar.
    private mutating func parseChar() throws -> Unicode.Scalar {
        let begin = pos
        guard let c = src[pos] else { throw src.error(pos, "unexpected end of input") }
        pos += 1
        guard c == "\\" else { return c }
        guard let e = src[pos] else { throw src.error(begin, "unexpected end of input after '\\'") }
        pos += 1
        switch e {
        case "x": return try parseHex(2, begin)
        case "u": return try parseHex(4, begin)
        case "U": return try parseHex(8, begin)
        case "t": return "\t"
        case "r": return "\r"
        case "n": return "\n"
        case "\\", "\"", "[", "]", "-": return e
        default: throw src.error(begin, "unknown escape '\\\(Character(e))'")
        }
    }

    private mutating func parseHex(_ digits: Int, _ begin: Int) throws -> Unicode.Scalar {
        var v: UInt32 = 0
        for _ in 0..<digits {
            guard let c = src[pos], c.isASCII, let d = UInt32(String(Character(c)), radix: 16) else {
                throw src.error(begin, "expecting \(digits) hex digits in the escape at \(src.quote(begin))")
            }
            v = v << 4 | d
            pos += 1
        }
        guard let s = Unicode.Scalar(v) else {
            throw src.error(begin, "escape \(spelling(begin)) is not a Unicode scalar value (surrogate or above U+10FFFF)")
        }
        return s
    }

    /// `<[id]>` or `<text>` (pos at '<').
    private mutating func parseToken(negated: Bool) throws -> TerminalPattern {
        let begin = pos
        pos += 1
        if src[pos] == "[" {
            pos += 1
            let id = try parseInt(what: "a token id")
            guard src[pos] == "]", src[pos + 1] == ">" else { throw src.error(pos, "expecting ']>' to close the token id, found \(src.quote(pos))") }
            pos += 2
            guard id <= Int(UInt32.max) else { throw src.error(begin, "token id \(id) is out of range") }
            return .token(id: UInt32(id), negated: negated)
        }
        while let c = src[pos], c != ">" { pos += 1 }
        guard src[pos] == ">" else { throw src.error(begin, "expecting '>' to close the token \(src.quote(begin))") }
        pos += 1
        return .tokenText(spelling(begin), negated: negated)
    }
}
