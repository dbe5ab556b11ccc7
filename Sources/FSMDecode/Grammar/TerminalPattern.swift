/// The language of one terminal, as the lexer will compile it to a byte DFA.
///
/// Deliberately independent of the regex compiler's internal AST: front-ends produce it, the
/// lexer (and the test-only reference recognizer) consume it. Every case denotes a set of
/// byte strings; the text-based cases (`caseInsensitiveLiteral`, `codePointClass`, `regex`)
/// only ever match valid UTF-8.
///
/// Cost: values are trees; `nodeCount` is their size. Front-ends bound the size of every
/// pattern they build (`GrammarLimits.maxPatternNodes`) and its nesting depth
/// (`GrammarLimits.maxNestingDepth`), so recursive walks over a pattern are safe.
public indirect enum TerminalPattern: Hashable, Sendable {
    /// Exactly these bytes (UTF-8 of the source text). `.literal([])` is the empty string.
    case literal([UInt8])
    /// The scalars of `text`, each compared under Unicode simple case mapping (a scalar `c`
    /// matches `c`, its lowercase and its uppercase mapping when those are single scalars),
    /// as Lark's `"text"i`. `caseInsensitiveAlternatives(of:)` gives the per-scalar sets.
    case caseInsensitiveLiteral(String)
    /// A regular expression in Lark's (Python `re`) syntax, matched against the whole lexeme.
    /// Flags other than `ignoreCase`, `dotAll` and `multiline` are resolved by the front-end
    /// (e.g. `x` is expanded into an equivalent pattern without comments and spaces).
    case regex(source: String, flags: RegexFlags)
    /// One Unicode scalar value from the set. Ranges are sorted, disjoint, non-adjacent and
    /// exclude the surrogates U+D800–U+DFFF; negated source classes (`[^...]`) are already
    /// complemented against all scalars U+0000–U+10FFFF. An empty list matches nothing.
    case codePointClass([ClosedRange<UInt32>])
    /// The concatenation of the parts (`[]` is the empty string).
    case sequence([TerminalPattern])
    /// The union of the parts (`[]` matches nothing).
    case alternation([TerminalPattern])
    /// `min` to `max` (nil: unbounded) concatenated copies of the pattern. `min <= max`.
    case repetition(TerminalPattern, min: Int, max: Int?)
    /// The strings of the first pattern that the second does not match (the JSON Schema
    /// compiler's "any key but the declared ones"). Compiled as a product of the two DFAs,
    /// not through an NFA, so the complement costs what the two parts do.
    case difference(TerminalPattern, TerminalPattern)
    /// A JSON string token, quotes included, whose decoded value is one of `values` (code
    /// points), in every spelling JSON allows (raw, short escapes, `\u` hex in either case,
    /// surrogate pairs): member names and enum strings. Built directly as a byte trie
    /// (`ByteDFA.jsonStrings`); an empty list matches nothing.
    case jsonString(values: [[UInt32]])
    /// The strings of the pattern whose value, read as a decimal number literal (`-`, digits,
    /// one optional `.` and digits; no exponent), is an integer multiple of `factor` ×
    /// 10^-`scale` (JSON Schema's `multipleOf`; `factor` ≥ 1, `scale` ≥ 0). The pattern must
    /// match only such literals. Compiled as the pattern's DFA times a remainder automaton of
    /// about `factor` × (`scale` + 2) states.
    case multipleOf(TerminalPattern, factor: Int, scale: Int)
    /// A JSON string token whose decoded value the automaton accepts, in every spelling
    /// (`JSONStringAutomaton`): a string language without a small regex, as one terminal.
    case jsonStringAutomaton(JSONStringAutomaton)
    /// A single vocabulary token, not a byte string: GBNF `<[id]>` (`negated == false`) or
    /// `!<[id]>` (any one token except `id`). The runtime matches it against token ids.
    case token(id: UInt32, negated: Bool)
    /// GBNF `<text>` / `!<text>`: a token named by its text; the runtime must resolve it
    /// against the vocabulary (it is an error there unless `text` is exactly one token).
    case tokenText(String, negated: Bool)

    /// Flags of a `regex` pattern.
    public struct RegexFlags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Case-insensitive (Lark `i`).
        public static let ignoreCase = RegexFlags(rawValue: 1)
        /// `.` also matches `\n` (Lark `s`).
        public static let dotAll = RegexFlags(rawValue: 2)
        /// `^`/`$` match at line breaks (Lark `m`).
        public static let multiline = RegexFlags(rawValue: 4)
    }

    /// Hashes a bounded prefix of the tree (the walk of `structuralHash(nodes:)`, first
    /// `hashedNodes` nodes, into the seeded `Hasher`): consistent with `==` (equal trees hash
    /// the same), and O(1) however big the pattern.
    /// Interning terminals hashes each pattern a few times (lookup, insert, table growth); a
    /// full walk made that the front-ends' main cost on JSON-string terminals of thousands of
    /// nodes. Patterns that agree on their first nodes collide and are told apart by `==`,
    /// which stops at the first difference.
    public func hash(into hasher: inout Hasher) {
        var budget = TerminalPattern.hashedNodes
        mixStructure(into: &hasher, budget: &budget)
    }

    /// A dictionary's hash of the same prefix, folded by `StableHasher` and seeded once
    /// (`SeededHash`) instead of SipHash per word: interning terminals
    /// (`GrammarBuilder.terminalIndex`) cost ~1 % of slow schema compiles in SipHash alone.
    public func _rawHashValue(seed: Int) -> Int {
        SeededHash.of(structuralHash(nodes: TerminalPattern.hashedNodes), seed: seed)
    }

    static let hashedNodes = 32

    /// `structuralHash(nodes: structuralNodes)`: keys the shared terminal DFA cache
    /// (`SharedCaches.TerminalKey`), computed once per lookup. Wider than `hash(into:)`'s
    /// prefix, so that patterns sharing a few dozen nodes (members of one object) rarely
    /// collide, and bounded, because hashing every node of the big collapsed rules of some
    /// schemas cost a seventh of their compile.
    var structuralHash: UInt64 { structuralHash(nodes: TerminalPattern.structuralNodes) }

    static let structuralNodes = 256

    /// A hash (`StableHasher`; equal trees, equal hashes) of the tree's first `nodes` nodes in
    /// pre-order, where a JSON string's values and a class's ranges count as nodes too (so an
    /// enum of thousands of strings costs no more than the budget); other leaves are hashed in
    /// full. Recursion depth = tree depth.
    func structuralHash(nodes: Int) -> UInt64 {
        var h = StableHasher()
        var budget = nodes
        mixStructure(into: &h, budget: &budget)
        return h.finalize()
    }

    private func mixStructure<H: WordHashing>(into h: inout H, budget: inout Int) {
        budget -= 1
        switch self {
        case .literal(let b):
            h.combine(word: 1 | UInt64(b.count) << 8)
            b.withUnsafeBytes { h.combine(bytes: $0) }
        case .caseInsensitiveLiteral(var s):
            h.combine(word: 2)
            s.withUTF8 { h.combine(word: UInt64($0.count)); h.combine(bytes: UnsafeRawBufferPointer($0)) }
        case .regex(var source, let flags):
            h.combine(word: 3 | UInt64(flags.rawValue) << 8)
            source.withUTF8 { h.combine(word: UInt64($0.count)); h.combine(bytes: UnsafeRawBufferPointer($0)) }
        case .codePointClass(let ranges):
            h.combine(word: 4 | UInt64(ranges.count) << 8)
            for r in ranges.prefix(Swift.max(budget, 1)) { h.combine(word: UInt64(r.lowerBound) << 32 | UInt64(r.upperBound)) }
            budget -= ranges.count
        case .sequence(let parts), .alternation(let parts):
            if case .sequence = self { h.combine(word: 5 | UInt64(parts.count) << 8) } else { h.combine(word: 6 | UInt64(parts.count) << 8) }
            for p in parts {
                if budget <= 0 { break }
                p.mixStructure(into: &h, budget: &budget)
            }
        case .repetition(let p, let min, let max):
            h.combine(word: 7 | UInt64(UInt(bitPattern: min)) << 8)
            h.combine(word: UInt64(UInt(bitPattern: max ?? -1)))
            if budget > 0 { p.mixStructure(into: &h, budget: &budget) }
        case .difference(let a, let b):
            h.combine(word: 8)
            a.mixStructure(into: &h, budget: &budget)
            if budget > 0 { b.mixStructure(into: &h, budget: &budget) }
        case .jsonString(let values):
            // Each value counts as a node.
            h.combine(word: 9 | UInt64(values.count) << 8)
            for v in values {
                if budget <= 0 { break }
                budget -= 1
                h.combine(word: UInt64(v.count))
                for x in v { h.combine(word: UInt64(x)) }
            }
        case .multipleOf(let p, let factor, let scale):
            h.combine(word: 12 | UInt64(scale) << 8)
            h.combine(word: UInt64(factor))
            p.mixStructure(into: &h, budget: &budget)
        case .jsonStringAutomaton(let a):
            // States count as nodes; an edge is its target and range bounds.
            h.combine(word: 13 | UInt64(a.stateCount) << 8 | UInt64(a.start) << 40)
            for (q, list) in a.edges.enumerated() {
                if budget <= 0 { break }
                budget -= 1
                h.combine(word: UInt64(list.count) << 1 | (a.accepting[q] ? 1 : 0))
                for e in list {
                    h.combine(word: UInt64(UInt32(bitPattern: e.target)))
                    for r in e.ranges { h.combine(word: UInt64(r.lowerBound) << 32 | UInt64(r.upperBound)) }
                }
            }
        case .token(let id, let negated):
            h.combine(word: 10 | UInt64(id) << 8 | (negated ? 1 << 63 : 0))
        case .tokenText(var text, let negated):
            h.combine(word: 11 | (negated ? 1 << 63 : 0))
            text.withUTF8 { h.combine(word: UInt64($0.count)); h.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    /// Every Unicode scalar value: the set `.` stands for in GBNF.
    public static let anyScalar: [ClosedRange<UInt32>] = [0...0xD7FF, 0xE000...0x10FFFF]

    /// Number of nodes in the tree (a bound on the work of any walk over it).
    public var nodeCount: Int {
        switch self {
        case .literal, .caseInsensitiveLiteral, .regex, .codePointClass, .token, .tokenText: return 1
        case .sequence(let parts), .alternation(let parts): return parts.reduce(1) { $0 + $1.nodeCount }
        case .repetition(let p, _, _), .multipleOf(let p, _, _): return 1 + p.nodeCount
        case .difference(let a, let b): return 1 + a.nodeCount + b.nodeCount
        case .jsonString(let values): return Self.spelledNodes(values)
        case .jsonStringAutomaton(let a): return 1 + a.stateCount
        }
    }

    /// A `.jsonString`'s size as its spellings written out as a pattern (quotes, and per
    /// character a raw/escaped alternative of about eight nodes): what it was before it became
    /// one node, so that budgets on pattern size (`GrammarLimits.maxPatternNodes`, which also
    /// decides which regular rules become one terminal) see its real size.
    static func spelledNodes(_ values: [[UInt32]]) -> Int {
        values.reduce(1) { $0 + 3 + 8 * $1.count }
    }

    /// `nodeCount` and `involvesTokens` in one walk.
    var nodeCountAndTokens: (nodes: Int, tokens: Bool) {
        var nodes = 0, tokens = false
        measure(&nodes, &tokens)
        return (nodes, tokens)
    }

    private func measure(_ nodes: inout Int, _ tokens: inout Bool) {
        nodes += 1
        switch self {
        case .literal, .caseInsensitiveLiteral, .regex, .codePointClass: break
        case .token, .tokenText: tokens = true
        case .sequence(let parts), .alternation(let parts):
            // Through the buffer: no retain/release per element.
            parts.withUnsafeBufferPointer { b in for i in b.indices { b[i].measure(&nodes, &tokens) } }
        case .repetition(let p, _, _), .multipleOf(let p, _, _): p.measure(&nodes, &tokens)
        case .difference(let a, let b): a.measure(&nodes, &tokens); b.measure(&nodes, &tokens)
        case .jsonString(let values): nodes += Self.spelledNodes(values) - 1
        case .jsonStringAutomaton(let a): nodes += a.stateCount
        }
    }

    /// True when the pattern names vocabulary tokens rather than bytes (it cannot be part of
    /// a byte-level lexeme).
    public var involvesTokens: Bool {
        switch self {
        case .token, .tokenText: return true
        case .literal, .caseInsensitiveLiteral, .regex, .codePointClass, .jsonString, .jsonStringAutomaton: return false
        case .sequence(let parts), .alternation(let parts): return parts.contains { $0.involvesTokens }
        case .repetition(let p, _, _), .multipleOf(let p, _, _): return p.involvesTokens
        case .difference(let a, let b): return a.involvesTokens || b.involvesTokens
        }
    }

    /// Whether the empty string is in the language, when that is decidable without a regex
    /// engine; nil for a `regex` part whose nullability the structure does not settle.
    public var matchesEmptyStructurally: Bool? {
        switch self {
        case .literal(let b): return b.isEmpty
        case .caseInsensitiveLiteral(let s): return s.isEmpty
        case .regex: return nil
        case .codePointClass, .token, .tokenText, .jsonString, .jsonStringAutomaton: return false
        case .sequence(let parts):
            var unknown = false
            for p in parts {
                switch p.matchesEmptyStructurally {
                case false?: return false
                case nil: unknown = true
                case true?: break
                }
            }
            return unknown ? nil : true
        case .alternation(let parts):
            var unknown = false
            for p in parts {
                switch p.matchesEmptyStructurally {
                case true?: return true
                case nil: unknown = true
                case false?: break
                }
            }
            return unknown ? nil : false
        case .repetition(let p, let min, _): return min == 0 ? true : p.matchesEmptyStructurally
        case .multipleOf(let p, _, _): return p.matchesEmptyStructurally == false ? false : nil
        case .difference(let a, let b):
            switch (a.matchesEmptyStructurally, b.matchesEmptyStructurally) {
            case (false?, _), (_, true?): return false
            case (true?, false?): return true
            default: return nil
            }
        }
    }

    /// The scalars a case-insensitive literal's scalar `c` matches: `c` and its simple
    /// lower/upper/title-case mappings that are single scalars, as a normalized class.
    public static func caseInsensitiveAlternatives(of c: Unicode.Scalar) -> [ClosedRange<UInt32>] {
        var set: [UInt32] = [c.value]
        let props = c.properties
        for mapped in [props.lowercaseMapping, props.uppercaseMapping, props.titlecaseMapping] {
            let scalars = Array(mapped.unicodeScalars)
            if scalars.count == 1 { set.append(scalars[0].value) }
        }
        return normalizeClass(set.map { $0...$0 })
    }

    /// Sorts and merges ranges, drops surrogates; the canonical `codePointClass` payload.
    public static func normalizeClass(_ ranges: [ClosedRange<UInt32>], negated: Bool = false) -> [ClosedRange<UInt32>] {
        if !negated && isNormalized(ranges) { return ranges }
        var sorted = ranges.filter { $0.lowerBound <= 0x10FFFF }
            .map { $0.lowerBound...min($0.upperBound, 0x10FFFF) }
            .sorted { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt32>] = []
        for r in sorted {
            if let last = merged.last, r.lowerBound <= last.upperBound &+ 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        if negated {
            var complement: [ClosedRange<UInt32>] = []
            var next: UInt32 = 0
            for r in merged {
                if r.lowerBound > next { complement.append(next...(r.lowerBound - 1)) }
                next = r.upperBound &+ 1
            }
            if next <= 0x10FFFF {
                complement.append(next...0x10FFFF)
            }
            merged = complement
        }
        // Remove the surrogate block.
        sorted = []
        for r in merged {
            if r.upperBound < 0xD800 || r.lowerBound > 0xDFFF { sorted.append(r); continue }
            if r.lowerBound < 0xD800 { sorted.append(r.lowerBound...0xD7FF) }
            if r.upperBound > 0xDFFF { sorted.append(0xE000...r.upperBound) }
        }
        return sorted
    }
}

extension TerminalPattern {
    /// Whether `ranges` is already a canonical class (sorted, disjoint, non-adjacent, within
    /// U+0000–U+10FFFF, no surrogates): then `normalizeClass` returns it as it is, without
    /// building new arrays (the JSON-string encoders normalize thousands of small classes).
    static func isNormalized(_ ranges: [ClosedRange<UInt32>]) -> Bool {
        var next: UInt32 = 0  // smallest lower bound the next range may have
        for (i, r) in ranges.enumerated() {
            if i > 0 && r.lowerBound < next { return false }
            if r.upperBound > 0x10FFFF || (r.lowerBound <= 0xDFFF && r.upperBound >= 0xD800) { return false }
            next = r.upperBound &+ 2
        }
        return true
    }
}

extension TerminalPattern: CustomStringConvertible {
    /// A readable, Lark-like rendering (for messages and `dot` output; not re-parsable).
    public var description: String {
        switch self {
        case .literal(let b): return quoted(String(decoding: b, as: UTF8.self))
        case .caseInsensitiveLiteral(let s): return quoted(s) + "i"
        case .regex(let source, let flags):
            var f = ""
            if flags.contains(.ignoreCase) { f += "i" }
            if flags.contains(.multiline) { f += "m" }
            if flags.contains(.dotAll) { f += "s" }
            return "/\(messageText(source))/\(f)"
        case .codePointClass(let ranges):
            if ranges == TerminalPattern.anyScalar { return "." }
            return "[" + ranges.map { r in
                r.lowerBound == r.upperBound ? classChar(r.lowerBound) : classChar(r.lowerBound) + "-" + classChar(r.upperBound)
            }.joined() + "]"
        case .sequence(let parts):
            return parts.isEmpty ? "\"\"" : "(" + parts.map(\.description).joined(separator: " ") + ")"
        case .alternation(let parts):
            return parts.isEmpty ? "(∅)" : "(" + parts.map(\.description).joined(separator: " | ") + ")"
        case .repetition(let p, let min, let max):
            switch (min, max) {
            case (0, nil): return p.description + "*"
            case (1, nil): return p.description + "+"
            case (0, 1?): return p.description + "?"
            case (_, nil): return p.description + "{\(min),}"
            case (_, let m?): return m == min ? p.description + "{\(min)}" : p.description + "{\(min),\(m)}"
            }
        case .difference(let a, let b): return "(" + a.description + " - " + b.description + ")"
        case .multipleOf(let p, let factor, let scale):
            // factor × 10^-scale in plain notation (`5`, `0.05`).
            var digits = String(factor)
            if scale > 0 {
                digits = String(repeating: "0", count: Swift.max(0, scale + 1 - digits.count)) + digits
                digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
            }
            return "(" + p.description + " multiple of " + digits + ")"
        case .jsonString(let values):
            return "(JSON " + values.map { v in quoted(String(String.UnicodeScalarView(v.compactMap(Unicode.Scalar.init)))) }.joined(separator: " | ") + ")"
        case .jsonStringAutomaton(let a): return "(JSON string automaton, \(a.stateCount) states)"
        case .token(let id, let negated): return (negated ? "!" : "") + "<[\(id)]>"
        case .tokenText(let text, let negated): return (negated ? "!" : "") + "<\(text)>"
        }
    }
}

/// A literal as GBNF / Lark source (`\xHH` for control characters).
private func quoted(_ s: String) -> String { JSONText.quote(s, controls: .grammar) }

private func classChar(_ v: UInt32) -> String {
    if v >= 0x21 && v < 0x7F {
        let c = Character(Unicode.Scalar(v)!)
        return "^-]\\[".contains(c) ? "\\" + String(c) : String(c)
    }
    return v <= 0xFF ? "\\x" + grammarHex(v, 2) : v <= 0xFFFF ? "\\u" + grammarHex(v, 4) : "\\U" + grammarHex(v, 8)
}

func grammarHex(_ v: UInt32, _ width: Int) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}
