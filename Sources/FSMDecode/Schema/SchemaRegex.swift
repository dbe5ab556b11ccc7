import Synchronization

/// A regular expression over Unicode code points (the decoded string value), parsed from an
/// ECMA-262 `pattern`. Anchors are resolved at parse time; the tree is bounded in depth.
indirect enum CodePointRegex: Hashable, Sendable {
    case cls([ClosedRange<UInt32>])
    case seq([CodePointRegex])
    case alt([CodePointRegex])
    case rep(CodePointRegex, Int, Int?)

    static let any = CodePointRegex.cls(TerminalPattern.anyScalar)
    static let empty = CodePointRegex.seq([])

    /// The JSON-string-content pattern: each character becomes all its JSON encodings.
    var jsonPattern: TerminalPattern {
        var cache: [[ClosedRange<UInt32>]: TerminalPattern] = [:]
        return jsonPattern(cache: &cache)
    }

    /// As `jsonPattern`, but characters that JSON never needs to escape (printable ASCII other
    /// than `"` and `\`) are written only as themselves. Used for asserted formats, whose
    /// languages are ASCII: every valid value keeps its plain serialisation, and the lexer DFA
    /// stays small (with every escape of every character, date-time's exact leap-second
    /// offsets exceed the DFA budget).
    var plainJSONPattern: TerminalPattern {
        switch self {
        case .cls(let r):
            let plain = r.allSatisfy { $0.lowerBound >= 0x20 && $0.upperBound <= 0x7E && !$0.contains(0x22) && !$0.contains(0x5C) }
            return plain ? .codePointClass(r) : JSONLexemes.jsonChar(r)
        case .seq(let parts): return parts.isEmpty ? .literal([]) : JSONLexemes.seq(parts.map(\.plainJSONPattern))
        case .alt(let parts): return JSONLexemes.alt(parts.map(\.plainJSONPattern))
        case .rep(let p, let a, let b): return .repetition(p.plainJSONPattern, min: a, max: b)
        }
    }

    /// As `jsonPattern`, reusing the encodings of classes seen before (key complements
    /// repeat the same classes many times).
    func jsonPattern(cache: inout [[ClosedRange<UInt32>]: TerminalPattern]) -> TerminalPattern {
        switch self {
        case .cls(let r):
            if let p = cache[r] { return p }
            let p = JSONLexemes.jsonChar(r)
            cache[r] = p
            return p
        case .seq(let parts):
            if parts.isEmpty { return .literal([]) }
            var out: [TerminalPattern] = []
            for p in parts { out.append(p.jsonPattern(cache: &cache)) }
            return JSONLexemes.seq(out)
        case .alt(let parts):
            var out: [TerminalPattern] = []
            for p in parts { out.append(p.jsonPattern(cache: &cache)) }
            return JSONLexemes.alt(out)
        case .rep(let p, let a, let b): return .repetition(p.jsonPattern(cache: &cache), min: a, max: b)
        }
    }

    /// Length bounds in code points (max nil: unbounded).
    var lengthRange: (Int, Int?) {
        switch self {
        case .cls(let r): return r.isEmpty ? (Int.max / 4, 0) : (1, 1)
        case .seq(let parts):
            var lo = 0, hi: Int? = 0
            for p in parts { let (a, b) = p.lengthRange; lo = min(lo + a, Int.max / 4); hi = (hi != nil && b != nil) ? hi! + b! : nil }
            return (lo, hi)
        case .alt(let parts):
            if parts.isEmpty { return (Int.max / 4, 0) }
            var lo = Int.max / 4, hi: Int? = 0
            for p in parts { let (a, b) = p.lengthRange; lo = min(lo, a); hi = (hi != nil && b != nil) ? max(hi!, b!) : nil }
            return (lo, hi)
        case .rep(let p, let a, let b):
            let (x, y) = p.lengthRange
            return (min(x * a, Int.max / 4), (b != nil && y != nil) ? y! * b! : (y == 0 ? 0 : nil))
        }
    }

    /// Whole-string match (backtracking over position sets; test-size inputs only).
    func matches(_ s: [UInt32]) -> Bool { ends(s, [0]).contains(s.count) }

    private func ends(_ s: [UInt32], _ starts: Set<Int>) -> Set<Int> {
        switch self {
        case .cls(let r):
            var out = Set<Int>()
            for i in starts where i < s.count && JSONLexemes.contains(r, s[i]) { out.insert(i + 1) }
            return out
        case .seq(let parts):
            var cur = starts
            for p in parts { cur = p.ends(s, cur); if cur.isEmpty { break } }
            return cur
        case .alt(let parts):
            var out = Set<Int>()
            for p in parts { out.formUnion(p.ends(s, starts)) }
            return out
        case .rep(let p, let a, let b):
            var out = Set<Int>(), cur = starts, seen = Set<Int>()
            var k = 0
            while true {
                if k >= a { out.formUnion(cur); let fresh = cur.subtracting(seen); seen.formUnion(cur); cur = fresh }
                if cur.isEmpty || (b != nil && k == b!) { break }
                cur = p.ends(s, cur); k += 1
            }
            return out
        }
    }
}

/// Parses ECMA-262 patterns (as JSON Schema uses them) into `CodePointRegex`, searching
/// semantics: an unanchored side gets `.*` (any code point). Unicode semantics, as JSON Schema
/// asks: `\u{H…}` and `\p{…}`/`\P{…}` (`UnicodeProperties`). Throws for constructs with no
/// exact regular meaning here (lookaround, backreferences, word boundaries, anchors inside).
struct ECMARegexParser {
    let source: [Unicode.Scalar]
    var pos = 0
    var depth = 0
    struct Failure: Error { let why: String }

    static let lineTerminators: [ClosedRange<UInt32>] = [0xA...0xA, 0xD...0xD, 0x2028...0x2029]
    static let digits: [ClosedRange<UInt32>] = [48...57]
    static let word: [ClosedRange<UInt32>] = [48...57, 65...90, 95...95, 97...122]
    static let space: [ClosedRange<UInt32>] = TerminalPattern.normalizeClass([9...13, 32...32, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
                                                                            0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF])

    /// The searched language: strings containing a match.
    static func parseSearch(_ pattern: String) throws -> CodePointRegex {
        var p = ECMARegexParser(source: Array(pattern.unicodeScalars))
        let alts = try p.parseTopLevel()
        var out: [CodePointRegex] = []
        for (body, startAnchored, endAnchored) in alts {
            var parts: [CodePointRegex] = []
            if !startAnchored { parts.append(.rep(.any, 0, nil)) }
            parts.append(body)
            if !endAnchored { parts.append(.rep(.any, 0, nil)) }
            out.append(.seq(parts))
        }
        return out.count == 1 ? out[0] : .alt(out)
    }

    private mutating func parseTopLevel() throws -> [(CodePointRegex, Bool, Bool)] {
        var result: [(CodePointRegex, Bool, Bool)] = []
        while true {
            var start = false
            if peek == "^" { pos += 1; start = true }
            var items: [CodePointRegex] = []
            var end = false
            while let c = peek, c != "|" {
                if c == "$" {
                    pos += 1
                    guard peek == nil || peek == "|" else { throw Failure(why: "'$' before the end of the pattern") }
                    end = true; break
                }
                items.append(try parseQuantified())
            }
            result.append((.seq(items), start, end))
            if peek == "|" { pos += 1; continue }
            break
        }
        if pos < source.count { throw Failure(why: "unbalanced ')' at offset \(pos)") }
        return result
    }

    private var peek: Unicode.Scalar? { pos < source.count ? source[pos] : nil }

    private mutating func parseAlternation() throws -> CodePointRegex {
        depth += 1
        defer { depth -= 1 }
        if depth > 100 { throw Failure(why: "nesting deeper than 100") }
        var alts: [CodePointRegex] = []
        var items: [CodePointRegex] = []
        while let c = peek, c != ")" {
            if c == "|" { pos += 1; alts.append(.seq(items)); items = []; continue }
            if c == "^" || c == "$" { throw Failure(why: "anchor '\(c)' inside a group") }
            items.append(try parseQuantified())
        }
        alts.append(.seq(items))
        return alts.count == 1 ? alts[0] : .alt(alts)
    }

    private mutating func parseQuantified() throws -> CodePointRegex {
        let atom = try parseAtom()
        guard let c = peek else { return atom }
        var lo = 0, hi: Int? = nil
        switch c {
        case "*": pos += 1
        case "+": pos += 1; lo = 1
        case "?": pos += 1; hi = 1
        case "{":
            let save = pos
            pos += 1
            guard let a = readInt() else { pos = save; return atom }
            lo = a; hi = a
            if peek == "," {
                pos += 1
                if peek == "}" { hi = nil } else { guard let b = readInt() else { pos = save; return atom }; hi = b }
            }
            guard peek == "}" else { pos = save; return atom }
            pos += 1
            if let h = hi, h < lo { throw Failure(why: "quantifier {\(lo),\(h)} out of order") }
            if lo > 10_000 || (hi ?? 0) > 10_000 { throw Failure(why: "quantifier bound above 10000") }
        default: return atom
        }
        if peek == "?" { pos += 1 } // lazy: same language
        if peek == "*" || peek == "+" || peek == "?" || peek == "{" {
            if peek != "{" { throw Failure(why: "nothing to repeat at offset \(pos)") }
        }
        return .rep(atom, lo, hi)
    }

    private mutating func readInt() -> Int? {
        var v = 0, any = false
        while let c = peek, c.properties.numericType == .decimal, c.value < 128 {
            v = min(v * 10 + Int(c.value - 48), 1_000_000); pos += 1; any = true
        }
        return any ? v : nil
    }

    private mutating func parseAtom() throws -> CodePointRegex {
        guard let c = peek else { throw Failure(why: "unexpected end") }
        pos += 1
        switch c {
        case "(":
            if peek == "?" {
                pos += 1
                if peek == ":" { pos += 1 }
                else if peek == "<" && pos + 1 < source.count && source[pos + 1] != "=" && source[pos + 1] != "!" {
                    while let d = peek, d != ">" { pos += 1 }
                    guard peek == ">" else { throw Failure(why: "unterminated group name") }
                    pos += 1
                } else { throw Failure(why: "lookaround or unsupported group '(?' at offset \(pos - 2)") }
            }
            let inner = try parseAlternation()
            guard peek == ")" else { throw Failure(why: "missing ')'") }
            pos += 1
            return inner
        case ".": return .cls(JSONLexemes.subtract(TerminalPattern.anyScalar, Self.lineTerminators))
        case "[": return .cls(try parseClass())
        case "\\": return .cls(try parseEscape(inClass: false))
        case "*", "+", "?": throw Failure(why: "nothing to repeat at offset \(pos - 1)")
        case ")": throw Failure(why: "unbalanced ')'")
        case "{", "}", "]":
            return .cls([c.value...c.value])
        default: return .cls([c.value...c.value])
        }
    }

    private mutating func parseClass() throws -> [ClosedRange<UInt32>] {
        var negated = false
        if peek == "^" { negated = true; pos += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var first = true
        while true {
            guard let c = peek else { throw Failure(why: "unterminated character class") }
            if c == "]" && !(first && false) { pos += 1; break }
            first = false
            let lo = try classAtom()
            if peek == "-", pos + 1 < source.count, source[pos + 1] != "]" {
                pos += 1
                let hi = try classAtom()
                guard lo.count == 1, hi.count == 1, lo[0].lowerBound == lo[0].upperBound, hi[0].lowerBound == hi[0].upperBound else {
                    throw Failure(why: "class escape used as a range end")
                }
                guard lo[0].lowerBound <= hi[0].lowerBound else { throw Failure(why: "range out of order in character class") }
                ranges.append(lo[0].lowerBound...hi[0].lowerBound)
            } else {
                ranges += lo
            }
        }
        return TerminalPattern.normalizeClass(ranges, negated: negated)
    }

    private mutating func classAtom() throws -> [ClosedRange<UInt32>] {
        let c = source[pos]; pos += 1
        if c == "\\" {
            if peek == "b" { pos += 1; return [8...8] }
            if peek == "-" { pos += 1; return [45...45] }
            return try parseEscape(inClass: true)
        }
        return [c.value...c.value]
    }

    private mutating func parseEscape(inClass: Bool) throws -> [ClosedRange<UInt32>] {
        guard let c = peek else { throw Failure(why: "trailing backslash") }
        pos += 1
        switch c {
        case "d": return Self.digits
        case "D": return TerminalPattern.normalizeClass(Self.digits, negated: true)
        case "w": return Self.word
        case "W": return TerminalPattern.normalizeClass(Self.word, negated: true)
        case "s": return Self.space
        case "S": return TerminalPattern.normalizeClass(Self.space, negated: true)
        case "n": return [10...10]
        case "r": return [13...13]
        case "t": return [9...9]
        case "f": return [12...12]
        case "v": return [11...11]
        case "0":
            if let d = peek, ("0"..."9").contains(d) { throw Failure(why: "octal escape") }
            return [0...0]
        case "x":
            guard let v = readHex(2) else { throw Failure(why: "malformed \\x escape") }
            return [v...v]
        case "u":
            if peek == "{" {
                // Unicode semantics: `\u{H…}`.
                guard let close = source[pos...].firstIndex(of: "}"), close > pos + 1, close - pos <= 7 else { throw Failure(why: "malformed \\u{...} escape") }
                var v: UInt32 = 0
                for d in source[(pos + 1)..<close] {
                    guard let x = hexDigitValue(d.value) else { throw Failure(why: "malformed \\u{...} escape") }
                    v = v * 16 + x
                }
                guard v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v) else { throw Failure(why: "\\u{...} is a surrogate or above U+10FFFF") }
                pos = close + 1
                return [v...v]
            }
            guard let v = readHex(4) else { throw Failure(why: "malformed \\u escape") }
            if (0xD800...0xDBFF).contains(v), peek == "\\", pos + 1 < source.count, source[pos + 1] == "u" {
                let save = pos
                pos += 2
                if let lo = readHex(4), (0xDC00...0xDFFF).contains(lo) {
                    let cp = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                    return [cp...cp]
                }
                pos = save
            }
            if (0xD800...0xDFFF).contains(v) { throw Failure(why: "lone surrogate escape") }
            return [v...v]
        case "c":
            guard let l = peek, l.isASCII, l.properties.isAlphabetic else { throw Failure(why: "malformed \\c escape") }
            pos += 1
            return [(l.value % 32)...(l.value % 32)]
        case "b", "B": throw Failure(why: "word boundary \\\(c)")
        case "p", "P":
            // Unicode semantics (JSON Schema patterns): `\p{Name}`, `\P{Name}` its complement.
            guard peek == "{", let close = source[pos...].firstIndex(of: "}") else { throw Failure(why: "malformed \\\(c) escape (expected {Name})") }
            let name = String(String.UnicodeScalarView(source[(pos + 1)..<close]))
            pos = close + 1
            switch UnicodeProperties.escape(name, negated: c == "P") {
            case .success(let ranges): return ranges
            case .failure(let f): throw Failure(why: f.why)
            }
        case "k": throw Failure(why: "named backreference")
        default:
            if ("1"..."9").contains(c) { throw Failure(why: "backreference \\\(c)") }
            if c.isASCII && c.properties.isAlphabetic { throw Failure(why: "unknown escape \\\(c)") }
            return [c.value...c.value]
        }
    }

    private mutating func readHex(_ n: Int) -> UInt32? {
        guard pos + n <= source.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<n {
            guard let d = hexDigitValue(source[pos + k].value) else { return nil }
            v = v * 16 + d
        }
        pos += n
        return v
    }
}

/// `format` values asserted exactly, as anchored ECMA patterns over the string value.
enum SchemaFormats {
    /// A format's regex and string terminal, built on first use of that format and kept
    /// for the process (the time formats enumerate every leap-second offset: ~50 ms for all
    /// formats at once, which a first schema asking for `email` need not pay).
    private static let built = Mutex<[String: Entry]>([:])

    private struct Entry: Sendable {
        let regex: CodePointRegex
        /// The string terminal of the format alone (the regex as JSON string content, in
        /// quotes), an engine constant (`SharedCaches.registerConstant`): its DFA is compiled
        /// once per process.
        let terminal: TerminalPattern
        let lengthRange: (Int, Int?)
    }

    private static func entry(_ name: String) -> Entry? {
        if let e = built.withLock({ $0[name] }) { return e }
        // The source only on a miss: `date-time`'s is ~100 KB of concatenated text.
        guard let text = source(name) else { return nil }
        // Built outside the lock (two threads may both build it; either result is the same).
        let r = try! ECMARegexParser.parseSearch(text)
        let terminal = JSONLexemes.seq([.literal([0x22]), r.plainJSONPattern, .literal([0x22])])
        SharedCaches.registerConstant(terminal)
        let e = Entry(regex: r, terminal: terminal, lengthRange: r.lengthRange)
        built.withLock { if $0[name] == nil { $0[name] = e } }
        return e
    }

    /// The asserted format's regex over the string value (nil: not an asserted format).
    static func regex(_ name: String) -> CodePointRegex? { entry(name)?.regex }
    /// `regex(name).lengthRange`, computed once: a format's tree is big (an address format's
    /// pass cost ~0.5 M instructions), and string schemas ask for it on every compile.
    static func lengthRange(_ name: String) -> (Int, Int?)? { entry(name)?.lengthRange }
    /// The JSON string terminal of the format alone: `regex(name)` as JSON string content
    /// (`plainJSONPattern`), in quotes.
    static func terminalPattern(_ name: String) -> TerminalPattern? { entry(name)?.terminal }

    /// A format's regex source (nil: not an asserted format).
    static func source(_ name: String) -> String? {
        switch name {
        case "date": return "^\(date)$"
        case "time": return "^\(time)$"
        case "date-time": return "^\(date)[Tt]\(time)$"
        default: return patterns[name]
        }
    }

    /// RFC 3339 full-date, leap days included.
    private static let date: String = {
        let leapYear = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)"
        return "(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|\(leapYear)-02-29)"
    }()

    /// RFC 3339 full-time. Built on first use of `time` or `date-time` only: its leap-second
    /// table (1,440 local times, each with the offsets that make it 23:59:60 UTC) is ~1.5 ms of
    /// string building that a first schema asking for another format need not pay.
    private static let time: String = {
        // Seconds 00-59 with any offset; a leap second only where the UTC time is 23:59:60.
        let offset = "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
        let frac = "(?:\\.[0-9]+)?"
        // Leap second: local time HH:MM:60 is valid only with the offsets that make it 23:59 UTC
        // (a trie by hour, then minute, so matching explores one branch).
        let two = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        var hours: [String] = []
        for h in 0..<24 {
            var minutes: [String] = []
            for m in 0..<60 {
                let p = (h * 60 + m + 1) % 1440, q = 1439 - (h * 60 + m)
                var offs = ["\\+\(two(p / 60)):\(two(p % 60))", "-\(two(q / 60)):\(two(q % 60))"]
                if p == 0 { offs.append("[Zz]") }
                minutes.append("\(two(m)):60\(frac)(?:" + offs.joined(separator: "|") + ")")
            }
            hours.append("\(two(h)):(?:" + minutes.joined(separator: "|") + ")")
        }
        return "(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\(frac)\(offset)|(?:" + hours.joined(separator: "|") + "))"
    }()

    /// The other formats' sources (cheap to build).
    private static let patterns: [String: String] = {
        let dec8 = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
        let ipv4 = "(?:\(dec8)\\.){3}\(dec8)"
        let h16 = "[0-9A-Fa-f]{1,4}"
        let ls32 = "(?:\(h16):\(h16)|\(ipv4))"
        let ipv6 = "(?:" + [
            "(?:\(h16):){6}\(ls32)",
            "::(?:\(h16):){5}\(ls32)",
            "(?:\(h16))?::(?:\(h16):){4}\(ls32)",
            "(?:(?:\(h16):){0,1}\(h16))?::(?:\(h16):){3}\(ls32)",
            "(?:(?:\(h16):){0,2}\(h16))?::(?:\(h16):){2}\(ls32)",
            "(?:(?:\(h16):){0,3}\(h16))?::\(h16):\(ls32)",
            "(?:(?:\(h16):){0,4}\(h16))?::\(ls32)",
            "(?:(?:\(h16):){0,5}\(h16))?::\(h16)",
            "(?:(?:\(h16):){0,6}\(h16))?::",
        ].joined(separator: "|") + ")"
        let label = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        // RFC 3986 (appendix A). reg-name covers IPv4address (digits and dots are unreserved).
        let unreserved = "A-Za-z0-9\\-._~", subDelims = "!$&'()*+,;="
        let pct = "%[0-9A-Fa-f]{2}"
        let pchar = "(?:[\(unreserved)\(subDelims):@]|\(pct))"
        let authority = "(?:(?:[\(unreserved)\(subDelims):]|\(pct))*@)?(?:\\[(?:\(ipv6)|v[0-9A-Fa-f]+\\.[\(unreserved)\(subDelims):]+)\\]|(?:[\(unreserved)\(subDelims)]|\(pct))*)(?::[0-9]*)?"
        let pathAbempty = "(?:/\(pchar)*)*"
        let pathAbsolute = "/(?:\(pchar)+(?:/\(pchar)*)*)?"
        let pathRootless = "\(pchar)+(?:/\(pchar)*)*"
        let pathNoscheme = "(?:[\(unreserved)\(subDelims)@]|\(pct))+(?:/\(pchar)*)*"
        let queryOrFragment = "(?:\\?(?:\(pchar)|[/?])*)?(?:#(?:\(pchar)|[/?])*)?"
        let uri = "[A-Za-z][A-Za-z0-9+\\-.]*:(?://\(authority)\(pathAbempty)|\(pathAbsolute)|\(pathRootless))?\(queryOrFragment)"
        let relativeRef = "(?://\(authority)\(pathAbempty)|\(pathAbsolute)|\(pathNoscheme))?\(queryOrFragment)"
        return [
            "ipv4": "^\(ipv4)$",
            "uri": "^\(uri)$",
            "uri-reference": "^(?:\(uri)|\(relativeRef))$",
            "ipv6": "^\(ipv6)$",
            "json-pointer": "^(?:/(?:[^~/]|~[01])*)*$",
            "relative-json-pointer": "^(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~[01])*)*)$",
            "uuid": "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
            "email": "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@\(label)(?:\\.\(label))*$",
            "duration": "^P(?:(?:[0-9]+D|[0-9]+M(?:[0-9]+D)?|[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?)(?:T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S))?|T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)|[0-9]+W)$",
        ]
    }()
}
