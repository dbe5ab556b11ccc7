/// Parses the ECMA-262 regex subset that JSON Schema `pattern` uses into a `RegexAST`.
///
/// Iterative (an explicit stack of open groups), with group nesting capped at `maxNesting`, so
/// no input can overflow the stack. Offsets in error messages count Unicode scalars from 0.
///
/// Supported: literals; escapes `\n \t \r \f \v \0 \xHH \uHHHH \u{H…} \cX`, escaped
/// punctuation; `\d \w \s \D \W \S` with ECMA meanings; `\p{…}`/`\P{…}` for general
/// categories and a few binary properties (`UnicodeProperties`); classes with ranges, negation and
/// escapes (`\b` in a class is U+0008; a class escape beside `-` makes the `-` literal, as in
/// Annex B); `.`; groups `(…)`, `(?:…)`, `(?<n>…)`, `(?P<n>…)`; `|`; `* + ? {m} {m,} {m,n}` and
/// their lazy forms; `^` where nothing can precede it and `$` where nothing can follow it
/// (whole-string semantics make them no-ops there).
/// Refused with an error naming the construct and its offset: backreferences, lookaround, `\b`,
/// `\B`, possessive quantifiers, atomic groups, inline flags, script properties (`\p{sc=…}`), unknown letter escapes,
/// POSIX brackets, `{,n}`, anchors elsewhere, counts above `maxCount`.
public struct RegexParser {
    /// Deepest group nesting accepted.
    public static let maxNesting = 256
    /// Largest repetition count accepted in `{m,n}`.
    public static let maxCount = 10_000

    private let pattern: String
    private let cs: [UInt32]
    private let dotAll: Bool
    private var pos = 0

    /// Parses `pattern`; throws `FSMDecodeError(.regex, …)` naming the construct and offset.
    public static func parse(_ pattern: String, dotAll: Bool = false) throws -> RegexAST {
        var p = RegexParser(pattern: pattern, dotAll: dotAll)
        return try p.run()
    }

    private init(pattern: String, dotAll: Bool) {
        self.pattern = pattern
        self.cs = pattern.unicodeScalars.map(\.value)
        self.dotAll = dotAll
    }

    /// `/…/` with long patterns shortened and control characters escaped, for one-line messages.
    static func display(_ pattern: String) -> String {
        let scalars = pattern.unicodeScalars
        if scalars.count <= 80 { return "/\(messageText(pattern))/" }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars.prefix(77))
        return "/\(messageText(String(s)))…/"
    }

    private func error(_ offset: Int, _ what: String) -> FSMDecodeError {
        FSMDecodeError(.regex, "regex \(Self.display(pattern)) at offset \(offset): \(messageText(what))")
    }

    /// One open group (the whole pattern is the bottom frame).
    private struct Frame {
        var alternatives: [RegexAST] = []
        var items: [RegexAST] = []
        /// `items.last` may take a quantifier.
        var lastQuantifiable = false
        /// The last item contains an anchor (a quantifier with max > 1 on it is refused).
        var lastHasAnchor = false
        /// Nothing can have been consumed before the current position (so `^` is a no-op).
        var atStart: Bool
        /// Value of `atStart` at the start of each alternative of this group.
        let altStartsAtStart: Bool
        /// Offset of a `$` (here or inside a closed child group) that nothing may follow.
        var pendingEnd: Int?
        /// Offset of the first `$` in any alternative of this group (children included).
        var anyEnd: Int?
        var hasAnchor = false
        let openOffset: Int

        // The mutators below run in place on `stack[stack.count - 1]`: copying a frame out and
        // back would share its arrays, so every append would copy them (quadratic on long
        // alternations such as `(a|b|…)` with hundreds of branches).

        /// At `|`: the current items become one alternative; the next starts empty.
        mutating func closeAlternative() {
            alternatives.append(RegexParser.sequence(Frame.take(&items)))
            lastQuantifiable = false
            lastHasAnchor = false
            atStart = altStartsAtStart
            pendingEnd = nil
        }

        /// At `)` or the end of the pattern: the group's node (its arrays are moved, not copied).
        mutating func finish() -> RegexAST {
            closeAlternative()
            if alternatives.count == 1 { return alternatives[0] }
            return .alternation(Frame.take(&alternatives))
        }

        /// A closed child group becomes this frame's last item.
        mutating func appendClosedGroup(_ node: RegexAST, hasAnchor childAnchor: Bool, anyEnd childEnd: Int?) {
            items.append(node)
            lastQuantifiable = true
            lastHasAnchor = childAnchor
            hasAnchor = hasAnchor || childAnchor
            atStart = false
            // A `$` in any alternative of the group: nothing may follow the group.
            if let e = childEnd {
                pendingEnd = pendingEnd ?? e
                anyEnd = anyEnd ?? e
            }
        }

        /// At `$`.
        mutating func appendEndAnchor(at: Int) {
            hasAnchor = true
            lastQuantifiable = false
            if pendingEnd == nil { pendingEnd = at }
            anyEnd = anyEnd ?? at
        }

        /// Moves an array out, leaving it empty (its buffer keeps a single owner).
        private static func take(_ a: inout [RegexAST]) -> [RegexAST] {
            var out: [RegexAST] = []
            swap(&out, &a)
            return out
        }
    }

    private mutating func run() throws -> RegexAST {
        var stack = [Frame(atStart: true, altStartsAtStart: true, openOffset: -1)]
        var names = Set<String>()
        while pos < cs.count {
            let c = cs[pos]
            let at = pos
            switch c {
            case 0x7C: // |
                pos += 1
                stack[stack.count - 1].closeAlternative()
            case 0x28: // (
                try parseGroupOpen(names: &names)
                if stack.count > Self.maxNesting {
                    throw error(at, "groups nested deeper than \(Self.maxNesting) are not supported")
                }
                if let e = stack[stack.count - 1].pendingEnd { throw anchorEndError(e) }
                let atStart = stack[stack.count - 1].atStart
                stack.append(Frame(atStart: atStart, altStartsAtStart: atStart, openOffset: at))
            case 0x29: // )
                guard stack.count > 1 else { throw error(at, "unmatched ')'") }
                pos += 1
                var f = stack.removeLast()
                let node = f.finish()
                stack[stack.count - 1].appendClosedGroup(node, hasAnchor: f.hasAnchor, anyEnd: f.anyEnd)
            case 0x2A, 0x2B, 0x3F: // * + ?
                pos += 1
                let (mn, mx): (Int, Int?) = c == 0x2A ? (0, nil) : c == 0x2B ? (1, nil) : (0, 1)
                try applyQuantifier(&stack[stack.count - 1], min: mn, max: mx, at: at)
            case 0x7B: // {
                if let (mn, mx) = try parseBraces() {
                    try applyQuantifier(&stack[stack.count - 1], min: mn, max: mx, at: at)
                } else {
                    pos += 1
                    try appendAtom(&stack[stack.count - 1], .scalars(CodePointSet(scalar: c)))
                }
            case 0x5E: // ^
                pos += 1
                guard stack[stack.count - 1].atStart else {
                    throw error(at, "'^' is only supported at the start of the pattern (whole-string match); this one is not")
                }
                stack[stack.count - 1].hasAnchor = true
                stack[stack.count - 1].lastQuantifiable = false
            case 0x24: // $
                pos += 1
                stack[stack.count - 1].appendEndAnchor(at: at)
            case 0x2E: // .
                pos += 1
                let set = dotAll ? CodePointSet.all : CodePointSet.lineTerminators.inverted()
                try appendAtom(&stack[stack.count - 1], .scalars(set))
            case 0x5B: // [
                let set = try parseClass()
                try appendAtom(&stack[stack.count - 1], .scalars(set))
            case 0x5C: // backslash
                let set = try parseEscape(inClass: false)
                try appendAtom(&stack[stack.count - 1], .scalars(set))
            default:
                pos += 1
                try appendAtom(&stack[stack.count - 1], .scalars(CodePointSet(scalar: c)))
            }
        }
        guard stack.count == 1 else {
            throw error(stack[stack.count - 1].openOffset, "unterminated group: '(' has no matching ')'")
        }
        var f = stack.removeLast()
        return f.finish()
    }

    private func anchorEndError(_ offset: Int) -> FSMDecodeError {
        error(offset, "'$' is only supported at the end of the pattern (whole-string match); more pattern follows it")
    }

    private static func sequence(_ items: [RegexAST]) -> RegexAST {
        if items.isEmpty { return .empty }
        if items.count == 1 { return items[0] }
        var flat: [RegexAST] = []
        flat.reserveCapacity(items.count)
        for i in items {
            switch i {
            case .concat(let inner): flat.append(contentsOf: inner)
            case .empty: continue
            default: flat.append(i)
            }
        }
        return flat.isEmpty ? .empty : flat.count == 1 ? flat[0] : .concat(flat)
    }

    private func appendAtom(_ f: inout Frame, _ node: RegexAST) throws {
        if let e = f.pendingEnd { throw anchorEndError(e) }
        f.items.append(node)
        f.lastQuantifiable = true
        f.lastHasAnchor = false
        f.atStart = false
    }

    private mutating func applyQuantifier(_ f: inout Frame, min: Int, max: Int?, at: Int) throws {
        guard f.lastQuantifiable, let last = f.items.last else {
            throw error(at, "quantifier '\(String(UnicodeScalar(cs[at])!))' has nothing to repeat")
        }
        if f.lastHasAnchor && (max ?? 2) > 1 {
            throw error(at, "a repeated group containing '^' or '$' is not supported")
        }
        if pos < cs.count && cs[pos] == 0x3F { pos += 1 } // lazy: same language
        else if pos < cs.count && cs[pos] == 0x2B {
            throw error(pos, "possessive quantifier '+' is not supported")
        }
        f.items[f.items.count - 1] = .repetition(last, min: min, max: max)
        f.lastQuantifiable = false
    }

    /// At `{`: a quantifier `{m}`, `{m,}`, `{m,n}` (consumed), or nil when the brace is a literal.
    private mutating func parseBraces() throws -> (Int, Int?)? {
        let at = pos
        var i = pos + 1
        if i < cs.count && cs[i] == 0x2C {
            throw error(at, "'{,n}' is ambiguous across regex dialects; write {0,n} (or \\{ for a literal brace)")
        }
        func number(_ i: inout Int) throws -> Int? {
            let start = i
            var v = 0
            while i < cs.count, cs[i] >= 0x30, cs[i] <= 0x39 {
                v = Swift.min(v * 10 + Int(cs[i] - 0x30), Self.maxCount + 1)
                i += 1
            }
            return i == start ? nil : v
        }
        guard let mn = try number(&i) else { return nil }
        var mx: Int? = mn
        if i < cs.count && cs[i] == 0x2C {
            i += 1
            mx = try number(&i)
        }
        guard i < cs.count && cs[i] == 0x7D else { return nil }
        let big = Swift.max(mn, mx ?? 0)
        if big > Self.maxCount {
            throw error(at, "repetition count above the limit of \(Self.maxCount) is not supported")
        }
        if let m = mx, m < mn { throw error(at, "repetition {\(mn),\(m)} has max below min") }
        pos = i + 1
        return (mn, mx)
    }

    /// At `(`: consumes the group opener, or throws for unsupported group kinds.
    private mutating func parseGroupOpen(names: inout Set<String>) throws {
        let at = pos
        pos += 1
        guard pos < cs.count, cs[pos] == 0x3F else { return } // capturing group
        pos += 1
        guard pos < cs.count else { throw error(at, "unterminated group '(?'") }
        let k = cs[pos]
        func peek(_ d: Int) -> UInt32? { pos + d < cs.count ? cs[pos + d] : nil }
        switch k {
        case 0x3A: pos += 1 // (?:
        case 0x3D: throw error(at, "lookahead '(?=' is not supported")
        case 0x21: throw error(at, "negative lookahead '(?!' is not supported")
        case 0x3E: throw error(at, "atomic group '(?>' is not supported")
        case 0x3C where peek(1) == 0x3D: throw error(at, "lookbehind '(?<=' is not supported")
        case 0x3C where peek(1) == 0x21: throw error(at, "negative lookbehind '(?<!' is not supported")
        case 0x3C: // (?<name>
            pos += 1
            try parseGroupName(names: &names, at: at)
        case 0x50 where peek(1) == 0x3C: // (?P<name>
            pos += 2
            try parseGroupName(names: &names, at: at)
        case 0x50 where peek(1) == 0x3D: throw error(at, "named backreference '(?P=' is not supported")
        case 0x50 where peek(1) == 0x3E: throw error(at, "recursion '(?P>' is not supported")
        case 0x23: throw error(at, "comment group '(?#' is not supported")
        case 0x7C: throw error(at, "branch reset group '(?|' is not supported")
        case 0x52, 0x30 ... 0x39, 0x2B, 0x26: throw error(at, "recursion/subroutine call is not supported")
        case 0x28: throw error(at, "conditional group '(?(' is not supported")
        case 0x61 ... 0x7A, 0x41 ... 0x5A, 0x2D, 0x5E:
            throw error(at, "inline flags '(?\(String(UnicodeScalar(k)!))…' are not supported")
        default:
            throw error(at, "unknown group syntax '(?\(String(UnicodeScalar(k).map(Character.init) ?? "?"))'")
        }
    }

    private mutating func parseGroupName(names: inout Set<String>, at: Int) throws {
        var name = String.UnicodeScalarView()
        while pos < cs.count && cs[pos] != 0x3E {
            let c = cs[pos]
            let ok = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || (!name.isEmpty && c >= 0x30 && c <= 0x39)
            guard ok, let u = UnicodeScalar(c) else { throw error(pos, "invalid character in group name") }
            name.append(u)
            pos += 1
        }
        guard pos < cs.count else { throw error(at, "unterminated group name") }
        guard !name.isEmpty else { throw error(at, "empty group name") }
        pos += 1
        let s = String(name)
        guard names.insert(s).inserted else { throw error(at, "duplicate group name '\(s)'") }
    }

    /// At `[`: the class's code points.
    private mutating func parseClass() throws -> CodePointSet {
        let at = pos
        pos += 1
        var negated = false
        if pos < cs.count && cs[pos] == 0x5E { negated = true; pos += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        /// One class atom: a single code point or a class escape's set.
        enum Atom { case char(UInt32), set(CodePointSet) }
        func atom(_ p: inout RegexParser) throws -> Atom {
            let c = p.cs[p.pos]
            if c == 0x5C {
                let set = try p.parseEscape(inClass: true)
                if let s = set.singleScalar, !p.lastEscapeWasClass { return .char(s) }
                return .set(set)
            }
            if c == 0x5B, p.pos + 1 < p.cs.count, [0x3A, 0x2E, 0x3D].contains(p.cs[p.pos + 1]) {
                throw p.error(p.pos, "POSIX bracket '[\(String(UnicodeScalar(p.cs[p.pos + 1])!))' inside a class is not supported (escape the '[')")
            }
            p.pos += 1
            return .char(c)
        }
        while true {
            guard pos < cs.count else { throw error(at, "unterminated character class") }
            if cs[pos] == 0x5D { pos += 1; break }
            let first = try atom(&self)
            // A range needs '-' followed by something other than ']'.
            if pos + 1 < cs.count, cs[pos] == 0x2D, cs[pos + 1] != 0x5D {
                let dashAt = pos
                pos += 1
                let second = try atom(&self)
                switch (first, second) {
                case let (.char(a), .char(b)):
                    guard a <= b else { throw error(dashAt, "class range out of order") }
                    ranges.append(a ... b)
                case let (.set(s), .char(b)):
                    ranges += s.ranges; ranges.append(0x2D ... 0x2D); ranges.append(b ... b)
                case let (.char(a), .set(s)):
                    ranges.append(a ... a); ranges.append(0x2D ... 0x2D); ranges += s.ranges
                case let (.set(s), .set(t)):
                    ranges += s.ranges; ranges.append(0x2D ... 0x2D); ranges += t.ranges
                }
                continue
            }
            switch first {
            case .char(let a): ranges.append(a ... a)
            case .set(let s): ranges += s.ranges
            }
        }
        let set = CodePointSet(ranges)
        return negated ? set.inverted() : set
    }

    /// Set by `parseEscape`: the escape was a class escape (`\d` …), not a single character.
    private var lastEscapeWasClass = false

    /// At `\`: a class escape's set or a single code point (as a one-element set).
    private mutating func parseEscape(inClass: Bool) throws -> CodePointSet {
        let at = pos
        pos += 1
        lastEscapeWasClass = false
        guard pos < cs.count else { throw error(at, "pattern ends with a lone backslash") }
        let c = cs[pos]
        pos += 1
        func single(_ v: UInt32) -> CodePointSet { CodePointSet(scalar: v) }
        func cls(_ s: CodePointSet) -> CodePointSet { lastEscapeWasClass = true; return s }
        switch c {
        case 0x64: return cls(.digit)                  // d
        case 0x44: return cls(CodePointSet.digit.inverted())
        case 0x77: return cls(.word)                   // w
        case 0x57: return cls(CodePointSet.word.inverted())
        case 0x73: return cls(.whitespace)             // s
        case 0x53: return cls(CodePointSet.whitespace.inverted())
        case 0x6E: return single(0x0A)
        case 0x74: return single(0x09)
        case 0x72: return single(0x0D)
        case 0x66: return single(0x0C)
        case 0x76: return single(0x0B)
        case 0x62: // b
            if inClass { return single(0x08) }
            throw error(at, "word boundary '\\b' is not supported")
        case 0x42: throw error(at, "non-word-boundary '\\B' is not supported")
        case 0x30:
            if pos < cs.count, cs[pos] >= 0x30, cs[pos] <= 0x39 {
                throw error(at, "octal escape '\\0\(String(UnicodeScalar(cs[pos])!))' is not supported")
            }
            return single(0)
        case 0x31 ... 0x39:
            throw error(at, inClass ? "octal escape '\\\(c - 0x30)' in a class is not supported"
                                    : "backreference '\\\(c - 0x30)' is not supported")
        case 0x6B: throw error(at, "named backreference '\\k' is not supported")
        case 0x70, 0x50: // p{Name}, P{Name}: a Unicode property, or its complement
            let letter = c == 0x70 ? "p" : "P"
            guard pos < cs.count, cs[pos] == 0x7B, let close = cs[pos...].firstIndex(of: 0x7D) else {
                throw error(at, "'\\\(letter)' must be followed by {Name}")
            }
            let name = String(String.UnicodeScalarView(cs[(pos + 1)..<close].compactMap(Unicode.Scalar.init)))
            pos = close + 1
            switch UnicodeProperties.escape(name, negated: c == 0x50) {
            case .success(let ranges): return CodePointSet(ranges)
            case .failure(let f): throw error(at, f.why)
            }
        case 0x78: // xHH
            guard let v = hexDigits(count: 2) else { throw error(at, "'\\x' must be followed by two hex digits") }
            return single(v)
        case 0x75: // uHHHH, u{H…}
            let v = try parseUnicodeEscape(at: at)
            return single(v)
        case 0x63: // cX
            guard pos < cs.count, (cs[pos] >= 0x41 && cs[pos] <= 0x5A) || (cs[pos] >= 0x61 && cs[pos] <= 0x7A) else {
                throw error(at, "'\\c' must be followed by a letter")
            }
            pos += 1
            return single(cs[pos - 1] % 32)
        case 0x30 ... 0x39, 0x41 ... 0x5A, 0x61 ... 0x7A, 0x5F:
            throw error(at, "escape '\\\(String(UnicodeScalar(c)!))' is not supported")
        default:
            // Escaped punctuation (and any other non-word character) stands for itself.
            return single(c)
        }
    }

    private mutating func hexDigits(count: Int) -> UInt32? {
        guard pos + count <= cs.count else { return nil }
        var v: UInt32 = 0
        for i in 0 ..< count {
            guard let d = hexDigitValue(cs[pos + i]) else { return nil }
            v = v * 16 + d
        }
        pos += count
        return v
    }

    /// After `\u`: `HHHH` (a surrogate pair `\uHHHH\uHHHH` combines) or `{H…}`.
    private mutating func parseUnicodeEscape(at: Int) throws -> UInt32 {
        if pos < cs.count && cs[pos] == 0x7B {
            pos += 1
            var v: UInt32 = 0
            var digits = 0
            while pos < cs.count, let d = hexDigitValue(cs[pos]) {
                v = v * 16 + d
                digits += 1
                pos += 1
                if v > CodePointSet.maxCodePoint { throw error(at, "'\\u{…}' is above U+10FFFF") }
            }
            guard digits > 0, pos < cs.count, cs[pos] == 0x7D else {
                throw error(at, "'\\u{' must be followed by hex digits and '}'")
            }
            pos += 1
            if (0xD800 ... 0xDFFF).contains(v) { throw error(at, "lone surrogate '\\u{\(String(v, radix: 16))}' cannot match UTF-8 text") }
            return v
        }
        guard let v = hexDigits(count: 4) else { throw error(at, "'\\u' must be followed by four hex digits or {…}") }
        if (0xDC00 ... 0xDFFF).contains(v) { throw error(at, "lone surrogate '\\u\(String(v, radix: 16))' cannot match UTF-8 text") }
        if (0xD800 ... 0xDBFF).contains(v) {
            let save = pos
            if pos + 1 < cs.count, cs[pos] == 0x5C, cs[pos + 1] == 0x75 {
                pos += 2
                if let lo = hexDigits(count: 4), (0xDC00 ... 0xDFFF).contains(lo) {
                    return 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
            }
            pos = save
            throw error(at, "lone surrogate '\\u\(String(v, radix: 16))' cannot match UTF-8 text")
        }
        return v
    }
}
