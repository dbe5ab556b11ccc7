/// A parsed regular expression, reduced to what determines its language: code-point sets,
/// concatenation, alternation and bounded/unbounded repetition. Captures, names, laziness and
/// the end anchors are gone (they do not change whole-string match semantics).
///
/// The CFG lexer builds terminals from these directly (`literal`, `.scalars`) or from
/// `RegexParser.parse`, and compiles a union with `RegexCompiler.compileLexer`.
/// Depth is bounded by the parser's nesting limit; recursive walks over parsed trees are safe.
public indirect enum RegexAST: Sendable, Hashable {
    /// Matches the empty string.
    case empty
    /// Matches one code point of the set (an empty set matches nothing).
    case scalars(CodePointSet)
    case concat([RegexAST])
    case alternation([RegexAST])
    /// `min ... max` copies; `max == nil` is unbounded. `max >= min` when given.
    case repetition(RegexAST, min: Int, max: Int?)
    /// The language of an already compiled automaton (a `TerminalPattern.difference`, which
    /// no NFA construction expresses). Never produced by `RegexParser`.
    case automaton(ByteDFA)

    /// The code points of `text`, in sequence.
    public static func literal(_ text: String) -> RegexAST {
        let items = text.unicodeScalars.map { RegexAST.scalars(CodePointSet(scalar: $0.value)) }
        return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
    }

    /// The pattern in PCRE2 syntax (UTF mode) with every class spelled out as explicit
    /// code-point ranges, so PCRE2's own meaning of `\d \w \s .` never enters. Used as the
    /// differential-testing oracle's input. Recursion depth = tree depth. Defined for the
    /// parser's trees: an `.automaton` node has no PCRE2 spelling (a precondition failure).
    public var pcre2Syntax: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .empty:
            out += "(?:)"
        case .scalars(let set):
            // Surrogates never occur in UTF-8 text, and PCRE2 refuses them as range ends.
            var rs: [ClosedRange<UInt32>] = []
            for r in set.ranges {
                if r.upperBound < 0xD800 || r.lowerBound > 0xDFFF { rs.append(r); continue }
                if r.lowerBound < 0xD800 { rs.append(r.lowerBound ... 0xD7FF) }
                if r.upperBound > 0xDFFF { rs.append(0xE000 ... r.upperBound) }
            }
            if rs.isEmpty { out += "(?!)"; return }
            if rs.count == 1 && rs[0].lowerBound == rs[0].upperBound { out += Self.hex(rs[0].lowerBound); return }
            out += "["
            for r in rs {
                out += Self.hex(r.lowerBound)
                if r.upperBound != r.lowerBound { out += "-" + Self.hex(r.upperBound) }
            }
            out += "]"
        case .concat(let items):
            for item in items {
                if case .alternation = item { out += "(?:"; item.write(to: &out); out += ")" } else { item.write(to: &out) }
            }
        case .alternation(let items):
            for (i, item) in items.enumerated() {
                if i > 0 { out += "|" }
                item.write(to: &out)
            }
        case .repetition(let item, let min, let max):
            out += "(?:"
            item.write(to: &out)
            out += ")"
            switch (min, max) {
            case (0, nil): out += "*"
            case (1, nil): out += "+"
            case (0, 1): out += "?"
            case (_, nil): out += "{\(min),}"
            case (_, let m?) where m == min: out += "{\(min)}"
            case (_, let m?): out += "{\(min),\(m)}"
            }
        case .automaton:
            preconditionFailure("RegexAST.pcre2Syntax: an embedded automaton has no PCRE2 spelling")
        }
    }

    private static func hex(_ c: UInt32) -> String { "\\x{" + String(c, radix: 16) + "}" }
}
