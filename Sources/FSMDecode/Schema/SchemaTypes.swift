/// Compilation of simple (combinator-free) schema nodes, by JSON type.
extension SchemaCompiler {
    static let stringKeywords: Set<String> = ["minLength", "maxLength", "pattern", "format", "$andPattern"]
    static let numberKeywords: Set<String> = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "$notMultipleOf"]
    static let objectKeywords: Set<String> = ["properties", "required", "additionalProperties", "patternProperties", "propertyNames",
                                              "minProperties", "maxProperties", "dependentRequired", "dependencies", "$notRequired",
                                              "dependentSchemas", "unevaluatedProperties", "$someKeyOutside"]
    static let arrayKeywords: Set<String> = ["items", "prefixItems", "additionalItems", "minItems", "maxItems", "contains",
                                             "minContains", "maxContains", "uniqueItems", "unevaluatedItems"]

    mutating func simple(_ node: SchemaNode, depth: Int) throws -> SchemaExpr {
        noteUnknown(node)
        let v = node.value
        for k in ["dependentSchemas", "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef"] where v[k] != nil {
            if k == "unevaluatedProperties" || k == "unevaluatedItems", v[k] == .bool(true) { continue }
            try refuse(k, node.pointer, "not supported exactly")
        }
        if case .object(let deps)? = v["dependencies"], deps.contains(where: { $0.value.arrayValue == nil }) {
            try refuse("dependencies", node.pointer, "the schema form of 'dependencies' is not supported exactly")
        }
        var types: Set<String> = ["null", "boolean", "object", "array", "number", "string"]
        if let t = v["type"] {
            used.insert("type")
            let list = typeList(t)
            types = Set(list.map { $0 == "integer" ? "number" : $0 })
            if list.contains("integer") && !list.contains("number") { types.insert("integer"); types.remove("number") }
        }
        let excluded = v["$notEnum"]?.arrayValue ?? []
        let notSchemas = v["$notSchema"]?.arrayValue ?? []
        if !notSchemas.isEmpty && v["const"] == nil && v["enum"] == nil {
            for n in notSchemas {
                try refuse("not", n["at"]?.stringValue ?? node.pointer, "only simple forms (type, enum/const, required, properties, bounds, patterns, nested anyOf/not) can be negated exactly, or any schema next to enum/const")
            }
        }
        // `const` and `enum` may both be present (e.g. after merging): both hold.
        var literals = v["const"].map({ [$0] }) ?? v["enum"]?.arrayValue
        if v["const"] != nil, let e = v["enum"]?.arrayValue { literals = literals!.filter { e.contains($0) } }
        if let values = literals {
            used.insert(v["const"] != nil ? "const" : "enum")
            var alts: [SchemaExpr] = []
            // A set, not a list: enums of thousands of strings (time zones, codes) were
            // compared pairwise, ~1 % of the slowest twentieth of maskbench-dev compiles.
            var seen = Set<SchemaValue>()
            for value in values where seen.insert(value).inserted {
                let k = value.kindName
                let typeOK = types.contains(k) || (k == "integer" && types.contains("number")) || (k == "number" && types.contains("number"))
                guard typeOK, !excluded.contains(value), try literalValidates(value, node) else { continue }
                var negatedHolds = false
                for n in notSchemas {
                    guard let r = literalSatisfies(value, n["schema"] ?? .bool(false)) else {
                        try refuse("not", n["at"]?.stringValue ?? node.pointer, "cannot decide whether \(value.compactText.prefix(60)) satisfies the negated schema")
                        continue
                    }
                    if r { negatedHolds = true }
                }
                if negatedHolds { continue }
                alts.append(literal(value, depth: depth))
            }
            return .alt(alts)
        }
        var alts: [SchemaExpr] = []
        if types.contains("null") && !excluded.contains(.null) { alts.append(lit("null")) }
        if types.contains("boolean") {
            for b in [true, false] where !excluded.contains(.bool(b)) { alts.append(lit(b ? "true" : "false")) }
        }
        if types.contains("number") || types.contains("integer") {
            let p = try numberPattern(node, integerOnly: !types.contains("number"), excluded: excluded.compactMap(\.decimal))
            if !JSONLexemes.isNever(p) { alts.append(.term(p)) }
        }
        if types.contains("string") {
            let excludedStrings = excluded.compactMap(\.stringValue)
            if let content = try stringContent(node, excluding: excludedStrings) {
                // An asserted format alone: its (large) JSON pattern, and its DFA, are built once
                // per process.
                if excludedStrings.isEmpty, v["pattern"] == nil, let f = v["format"]?.stringValue, let cached = SchemaFormats.terminalPattern(f),
                   case .regex(let r) = content, r == SchemaFormats.regex(f) {
                    alts.append(.term(cached))
                } else {
                    alts.append(try stringExpr(content, at: node.pointer))
                }
            }
        }
        if types.contains("array") {
            if excluded.contains(where: { if case .array = $0 { return true }; return false }) {
                try refuse("not", node.pointer, "excluding array values is not supported exactly")
            }
            alts.append(try arrayExpr(node, depth: depth))
        }
        if types.contains("object") {
            if excluded.contains(where: { if case .object = $0 { return true }; return false }) {
                try refuse("not", node.pointer, "excluding object values is not supported exactly")
            }
            alts.append(try objectExpr(node, depth: depth))
        }
        return .alt(alts)
    }

    // MARK: literals (enum / const)

    /// Whether an enum/const value satisfies the node's other keywords (throws when that
    /// cannot be decided here).
    mutating func literalValidates(_ value: SchemaValue, _ node: SchemaNode) throws -> Bool {
        let v = node.value
        switch value {
        case .string(let s):
            let scalars = s.unicodeScalars.map(\.value)
            if let r = try stringRegex(node)?.regex { if !r.matches(scalars) { return false } }
            for p in try andPatterns(node) where !p.matches(scalars) { return false }
            if let a = v["minLength"]?.decimal, SchemaDecimal(scalars.count) < a { return false }
            if let b = v["maxLength"]?.decimal, SchemaDecimal(scalars.count) > b { return false }
            for n in v["$notString"]?.arrayValue ?? [] where try literalValidates(value, SchemaNode(value: n, pointer: node.pointer, synthetic: true)) { return false }
            return true
        case .number(let d):
            let (lo, hi) = bounds(node)
            if let lo, lo.exclusive ? !(lo.value < d) : d < lo.value { return false }
            if let hi, hi.exclusive ? !(d < hi.value) : hi.value < d { return false }
            // multipleOf holds and no negated one does (exact decimal arithmetic).
            let divisors = (v["multipleOf"].map { [(true, $0)] } ?? []) + (v["$notMultipleOf"]?.arrayValue ?? []).map { (false, $0) }
            for (wanted, mv) in divisors {
                guard let m = mv.decimal, !m.negative, !m.isZero else { continue }
                guard let multiple = d.isMultiple(of: m) else {
                    try refuse(wanted ? "multipleOf" : "not", node.pointer, "multipleOf \(m.shortText) with enum/const values is not checked (more than 17 digits)")
                    return false
                }
                if multiple != wanted { return false }
            }
            return true
        case .object, .array:
            let kws = value.members != nil ? Self.objectKeywords : Self.arrayKeywords
            if v.members!.contains(where: { kws.contains($0.key) }) {
                // Decided value by value (the node's own enum/const hold for it).
                var rest = v.members!
                rest.removeAll { $0.key == "enum" || $0.key == "const" || $0.key == "$notSchema" }
                guard let ok = literalSatisfies(value, .object(rest)) else {
                    try refuse(v["const"] != nil ? "const" : "enum", node.pointer, "container values next to container keywords could not be checked")
                    return true
                }
                return ok
            }
            return true
        default: return true
        }
    }

    /// The exact JSON texts of `value` (numbers in plain notation, integers also with `.0…`,
    /// strings with every escape form, members in the written order).
    mutating func literal(_ value: SchemaValue, depth: Int) -> SchemaExpr {
        switch value {
        case .null: return lit("null")
        case .bool(let b): return lit(b ? "true" : "false")
        case .number(let d):
            let b = JSONLexemes.Bound(value: d, exclusive: false)
            return .term(d.isInteger ? JSONLexemes.integerRange(lo: b, hi: b) : JSONLexemes.decimalRange(lo: b, hi: b))
        case .string(let s):
            return .term(stringLiteralPattern(s.unicodeScalars.map(\.value)))
        case .array(let a):
            if a.isEmpty { return .seq([lit("["), layout(depth).emptyInside, lit("]")]) }
            let l = layout(depth)
            var parts: [SchemaExpr] = [lit("["), l.open]
            for (i, x) in a.enumerated() { if i > 0 { parts.append(l.sep) }; parts.append(literal(x, depth: depth + 1)) }
            return .seq(parts + [l.close, lit("]")])
        case .object(let m):
            if m.isEmpty { return .seq([lit("{"), layout(depth).emptyInside, lit("}")]) }
            let l = layout(depth)
            var parts: [SchemaExpr] = [lit("{"), l.open]
            for (i, x) in m.enumerated() {
                if i > 0 { parts.append(l.sep) }
                parts += [literal(.string(x.key), depth: depth), l.colon, literal(x.value, depth: depth + 1)]
            }
            return .seq(parts + [l.close, lit("}")])
        }
    }

    // MARK: numbers

    func bounds(_ node: SchemaNode) -> (JSONLexemes.Bound?, JSONLexemes.Bound?) {
        let v = node.value
        var lo: JSONLexemes.Bound? = nil, hi: JSONLexemes.Bound? = nil
        func tighterLo(_ b: JSONLexemes.Bound) { if let c = lo, b.value < c.value || (b.value == c.value && !b.exclusive) { return }; lo = b }
        func tighterHi(_ b: JSONLexemes.Bound) { if let c = hi, c.value < b.value || (b.value == c.value && !b.exclusive) { return }; hi = b }
        if let m = v["minimum"]?.decimal { tighterLo(.init(value: m, exclusive: v["exclusiveMinimum"] == .bool(true))) }
        if let m = v["maximum"]?.decimal { tighterHi(.init(value: m, exclusive: v["exclusiveMaximum"] == .bool(true))) }
        if let m = v["exclusiveMinimum"]?.decimal { tighterLo(.init(value: m, exclusive: true)) }
        if let m = v["exclusiveMaximum"]?.decimal { tighterHi(.init(value: m, exclusive: true)) }
        return (lo, hi)
    }

    mutating func numberPattern(_ node: SchemaNode, integerOnly: Bool, excluded: [SchemaDecimal]) throws -> TerminalPattern {
        var integerOnly = integerOnly
        let v = node.value
        for k in Self.numberKeywords where v[k] != nil { used.insert(k == "$notMultipleOf" ? "multipleOf" : k) }
        // multipleOf m = factor × 10^-scale: the literals' remainder is tracked by an automaton
        // (`TerminalPattern.multipleOf`), so the language stays regular for any m whose factor
        // is small enough; a multiple of an integer is an integer.
        var multiple: (factor: Int, scale: Int)? = nil
        if let m = v["multipleOf"]?.decimal, let parts = try multipleParts(m, "multipleOf", node.pointer) {
            if parts.scale == 0 { integerOnly = true }
            // Every integer is a multiple of 1 × 10^-s.
            if !(integerOnly && parts.factor == 1) { multiple = parts }
        }
        let (lo, hi) = bounds(node)
        // Split the range at excluded values (each becomes an exclusive bound).
        var cuts = excluded.filter { d in
            (lo == nil || (lo!.exclusive ? lo!.value < d : !(d < lo!.value))) && (hi == nil || (hi!.exclusive ? d < hi!.value : !(hi!.value < d)))
                && (!integerOnly || d.isInteger)
        }
        cuts = Array(Set(cuts)).sorted()
        // `not: {multipleOf: m}`: those multiples are subtracted.
        var notMultiples: [(factor: Int, scale: Int)] = []
        for m in v["$notMultipleOf"]?.arrayValue ?? [] {
            if let m = m.decimal, let parts = try multipleParts(m, "not", node.pointer) { notMultiples.append(parts) }
        }
        if lo == nil && hi == nil && cuts.isEmpty && !integerOnly && multiple == nil && notMultiples.isEmpty { return JSONLexemes.anyNumber }
        var pieces: [TerminalPattern] = []
        var curLo = lo
        for c in cuts {
            let h = JSONLexemes.Bound(value: c, exclusive: true)
            pieces.append(integerOnly ? JSONLexemes.integerRange(lo: curLo, hi: h) : JSONLexemes.decimalRange(lo: curLo, hi: h))
            curLo = .init(value: c, exclusive: true)
        }
        pieces.append(integerOnly ? JSONLexemes.integerRange(lo: curLo, hi: hi) : JSONLexemes.decimalRange(lo: curLo, hi: hi))
        let numbers = JSONLexemes.alt(pieces.filter { !JSONLexemes.isNever($0) })
        if JSONLexemes.isNever(numbers) { return numbers }
        let kept = multiple.map { TerminalPattern.multipleOf(numbers, factor: $0.factor, scale: $0.scale) } ?? numbers
        if notMultiples.isEmpty { return kept }
        return .difference(kept, JSONLexemes.alt(notMultiples.map { .multipleOf(numbers, factor: $0.factor, scale: $0.scale) }))
    }

    /// Largest `multipleOf` factor (its digits as an integer) compiled: the remainder automaton
    /// has about factor × (scale + 2) states.
    static let maxMultipleFactor = 10_000
    static let maxMultipleStates = 50_000

    /// A `multipleOf` divisor as factor × 10^-scale, or nil after a refusal (lenient: relaxed)
    /// when it is not positive or its remainder automaton would pass the bounds above.
    mutating func multipleParts(_ m: SchemaDecimal, _ keyword: String, _ pointer: String) throws -> (factor: Int, scale: Int)? {
        if m.negative || m.isZero {
            try refuse(keyword, pointer, "multipleOf must be greater than 0 (it is \(m.shortText))")
            return nil
        }
        guard let parts = m.multipleParts(limit: Self.maxMultipleFactor), parts.factor * (parts.scale + 2) <= Self.maxMultipleStates else {
            try refuse(keyword, pointer, "multipleOf \(m.shortText) is not supported exactly: its digits as an integer must be at most \(Self.maxMultipleFactor) (and digits × (fraction digits + 2) at most \(Self.maxMultipleStates))")
            return nil
        }
        return parts
    }

    // MARK: strings

    /// The regex a string's value must match (pattern or asserted format), nil if none, with
    /// its length range when already known (a format's, kept with its regex: one pass over its
    /// big tree per process, not per string schema).
    mutating func stringRegex(_ node: SchemaNode) throws -> (regex: CodePointRegex, lengths: (Int, Int?)?)? {
        let v = node.value
        var regex: CodePointRegex? = nil
        var lengths: (Int, Int?)? = nil
        if let p = v["pattern"]?.stringValue {
            used.insert("pattern")
            do { regex = try ECMARegexParser.parseSearch(p) }
            catch let f as ECMARegexParser.Failure { try refuse("pattern", node.pointer, "/\(p)/: \(f.why)") }
        }
        if let f = v["format"]?.stringValue, let r = SchemaFormats.regex(f) {
            used.insert("format")
            // With a pattern as well, the format's regex is one of `andPatterns` (intersected).
            if regex == nil { regex = r; lengths = SchemaFormats.lengthRange(f) }
        } else if let f = v["format"]?.stringValue, Self.unassertedFormats.contains(f) {
            try refuse("format", node.pointer, "format '\(f)' has no exact grammar here (it would be an annotation)")
        } else if let f = v["format"]?.stringValue {
            warnings.append(messageText("format '\(f)' at #\(node.pointer) is not known: treated as an annotation (any string)"))
        }
        return regex.map { ($0, lengths) }
    }

    /// Standard formats whose exact grammar is not built: refused (lenient: annotations), since
    /// validators commonly assert them. Unknown (custom) formats are annotations.
    static let unassertedFormats: Set<String> = ["hostname", "regex", "iri", "iri-reference", "uri-template", "idn-email", "idn-hostname"]

    /// The string content language, or nil when no string validates.
    mutating func stringContent(_ node: SchemaNode, excluding excluded: [String]) throws -> StringLanguage? {
        let v = node.value
        var minLen = 0, maxLen: Int? = nil
        if let a = v["minLength"]?.decimal { used.insert("minLength"); minLen = Int(a.ceiling.plainText) ?? Int.max / 4 }
        if let b = v["maxLength"]?.decimal { used.insert("maxLength"); maxLen = Int(b.floor.plainText) ?? nil }
        if let m = maxLen, m < minLen { return nil }
        if minLen > 1_000_000 || (maxLen ?? 0) > 1_000_000 { throw FSMDecodeError(.budget, "\(source): maxLength at #\(node.pointer): length bounds above 1000000") }
        var content: StringLanguage
        if let found = try stringRegex(node) {
            let r = found.regex
            let (lo, hi) = found.lengths ?? r.lengthRange
            if CodePointRegex.isEmpty(lengthRange: (lo, hi)) { return nil }
            if minLen <= lo && (maxLen == nil || (hi != nil && hi! <= maxLen!)) { content = .regex(r) }
            else if let m = maxLen, lo > m { return nil }
            else if let h = hi, h < minLen { return nil }
            else if let limited = r.limitedLength(minLen, maxLen) {
                // Repetition bounds tightened: still one regex (one terminal).
                if limited.isEmptyLanguage { return nil }
                content = .regex(limited)
            } else {
                // pattern ∩ length: an automaton product.
                content = .bounded(r, min: minLen, max: maxLen, excluding: [])
            }
        } else {
            content = .regex(.rep(.any, minLen, maxLen))
        }
        if !excluded.isEmpty {
            let constrained = v["pattern"] != nil || v["format"] != nil || minLen > 0 || maxLen != nil || v["$notString"] != nil || v["$andPattern"] != nil
            if !constrained {
                content = .regex(Self.complement(of: excluded.map { $0.unicodeScalars.map(\.value) }))
            } else {
                var ex: [[UInt32]] = []
                for s in excluded where try literalValidates(.string(s), node) { ex.append(s.unicodeScalars.map(\.value)) }
                if !ex.isEmpty {
                    switch content {
                    case .regex(let r): content = .bounded(r, min: 0, max: nil, excluding: ex)
                    case .bounded(let r, let a, let b, _): content = .bounded(r, min: a, max: b, excluding: ex)
                    case .automaton: break // not produced above
                    }
                }
            }
        }
        // Further patterns (allOf): strings in all of them. `not` of string keywords: strings
        // outside those languages. One product over one alphabet for both.
        let ands = try andPatterns(node)
        var langs: [StringLanguage] = []
        for n in v["$notString"]?.arrayValue ?? [] {
            if let l = try stringContent(SchemaNode(value: n, pointer: node.pointer, synthetic: true), excluding: []) { langs.append(l) }
        }
        if !langs.isEmpty || !ands.isEmpty {
            do {
                let alphabet = CodePointAlphabet(content.parts + ands + langs.flatMap(\.parts))
                var d = try content.dfa(alphabet)
                for r in ands { d = try d.combined(CodePointDFA(r, alphabet: alphabet), .and) }
                for l in langs { d = try d.combined(l.dfa(alphabet), .andNot) }
                content = .automaton(d)
            } catch let e as FSMDecodeError where e.kind == .budget {
                if ands.isEmpty {
                    try refuse("not", node.pointer, "the negated string language is too large to complement exactly: \(e.message)")
                } else {
                    try refuse("pattern", node.pointer, "the intersection of the string's patterns (pattern, format, allOf) is too large to build exactly: \(e.message)")
                }
            }
        }
        return content
    }

    /// The regexes of `$andPattern` (patterns merged from allOf besides `pattern`), and an
    /// asserted format's next to a `pattern` (`stringRegex` returns the pattern then).
    mutating func andPatterns(_ node: SchemaNode) throws -> [CodePointRegex] {
        var out: [CodePointRegex] = []
        if node.value["pattern"] != nil, let f = node.value["format"]?.stringValue, let r = SchemaFormats.regex(f) { out.append(r) }
        for p in node.value["$andPattern"]?.arrayValue ?? [] {
            guard let text = p.stringValue else { continue }
            do { out.append(try ECMARegexParser.parseSearch(text)) }
            catch let f as ECMARegexParser.Failure { try refuse("pattern", node.pointer, "/\(text)/: \(f.why)") }
        }
        return out
    }

    /// A JSON string (quotes included) whose value is in `lang`; automata that are not small
    /// trees become one rule per state (exact, parsed character by character).
    mutating func stringExpr(_ lang: StringLanguage, at pointer: String) throws -> SchemaExpr {
        switch lang {
        case .regex(let r):
            if r.isEmptyLanguage { return .never }
            if let chunks = chunkedRepetition(r) { return .seq([lit("\""), chunks]) }
            return .term(stringPattern(r))
        case .automaton(let d): return automatonExpr(d)
        case .bounded(let r, _, _, _):
            do {
                return automatonExpr(try lang.dfa(CodePointAlphabet(lang.parts)))
            } catch let e as FSMDecodeError where e.kind == .budget {
                try refuse("pattern", pointer, "the pattern within the length bounds (or minus excluded values) is too large to intersect exactly: \(e.message)")
                return .term(stringPattern(r))
            }
        }
    }

    /// Repetitions of more than this many elements become chunked rules (`chunkedRepetition`).
    static let chunkThreshold = 1024
    /// Elements per chunk (more for bounds past 131,072, so a chain stays within 1,024 chunks).
    /// Masks near a chunk's end walk into the next chunk under a new parser context, so fewer,
    /// longer chunks cost less per token: 64 → 128 cut the mask time of maskbench-dev's
    /// long-string schemas by 18 % at no compile cost (the chunk DFA is built by
    /// `DFAComposition`); 256 gained 6 % more and cost as much compile time.
    static let chunkElements = 128

    /// `x{m,n}` with a long bound (x of fixed length), as a rule over chunk terminals: `x{k}`
    /// repeated, then a shorter tail. As one terminal its DFA is n copies of x's (~20 states
    /// per JSON character): a 32,767-character string is far over the state budget; chunk
    /// terminals stay k copies and every such string in the schema shares them. Exact:
    /// ℓ = a·k + b elements (b < k) is a chunks then b more, and the alternatives list exactly
    /// the (a, b) with m ≤ ℓ ≤ n. Nil when `r` is not such a repetition. Memoized per
    /// repetition, as one rule (kept a rule: `RuleDefinition.keepsRule`).
    mutating func chunkedRepetition(_ r: CodePointRegex) -> SchemaExpr? {
        guard case .rep(let x, let m, let n) = r else { return nil }
        let (w, w2) = x.lengthRange
        let longest = max(m, n ?? 0)
        guard w == w2, w > 0, longest > Self.chunkThreshold else { return nil }
        if let rule = chunkMemo[r] { return .ref(rule) }
        let k = max(Self.chunkElements, (longest + 1023) / 1024)
        let element = x.jsonPattern(cache: &charCache)
        let chunk = SchemaExpr.term(.repetition(element, min: k, max: k))
        func chunks(_ a: Int, _ b: Int) -> SchemaExpr { b == 0 ? .empty : .rep(chunk, a, b) }
        // x{lo,hi} (hi < k or nil) and the closing quote, as one terminal: a lexeme can only
        // end at a chunk boundary or at the quote, so mask walks branch only there.
        func tail(_ lo: Int, _ hi: Int?) -> SchemaExpr {
            .term(JSONLexemes.seq([.repetition(element, min: lo, max: hi), .literal([0x22])]))
        }
        let (qm, rm) = m.quotientAndRemainder(dividingBy: k)
        let expr: SchemaExpr
        if let n {
            let (qn, rn) = n.quotientAndRemainder(dividingBy: k)
            if qm == qn {
                expr = .seq([chunks(qm, qm), tail(rm, rn)])
            } else {
                var alts = [tail(rm, k - 1)]
                if qn - qm >= 2 { alts.append(.seq([chunks(1, qn - qm - 1), tail(0, k - 1)])) }
                alts.append(.seq([chunks(qn - qm, qn - qm), tail(0, rn)]))
                expr = .seq([chunks(qm, qm), .alt(alts)])
            }
        } else {
            expr = .seq([chunks(qm, qm), tail(rm, nil)])
        }
        let rule = newRule("chunks")
        rules[rule] = expr
        chunkMemo[r] = rule
        return .ref(rule)
    }

    mutating func automatonExpr(_ d: CodePointDFA) -> SchemaExpr {
        if d.isEmpty { return .never }
        if let r = d.regex() { return .term(stringPattern(r)) }
        // One terminal when its byte DFA fits the budget: masks from the lexer, not a parse
        // character by character (built here, so a budget failure falls back to the rules).
        if d.count <= Self.maxAutomatonTerminalStates {
            let p = TerminalPattern.jsonStringAutomaton(JSONStringAutomaton(d))
            if (try? ParseTables.compileTerminal(p, where: "\(source): string automaton", options: RegexOptions(),
                                                 description: "\(source): string automaton")) != nil {
                return .term(p)
            }
        }
        var ruleOf: [Int] = []
        for _ in 0..<d.count { ruleOf.append(newRule("chars")) }
        for q in 0..<d.count {
            var loop: SchemaExpr? = nil
            var alts: [SchemaExpr] = d.accepting[q] ? [.empty] : []
            for (t, syms) in d.transitions(q) {
                let ch = SchemaExpr.term(CodePointRegex.cls(d.alphabet.ranges(syms)).jsonPattern(cache: &charCache))
                if Int(t) == q { loop = .rep(ch, 0, nil) } else { alts.append(.seq([ch, .ref(ruleOf[Int(t)])])) }
            }
            rules[ruleOf[q]] = loop.map { .seq([$0, .alt(alts)]) } ?? .alt(alts)
        }
        return .seq([lit("\""), .ref(ruleOf[Int(d.start)]), lit("\"")])
    }

    /// Largest code-point automaton tried as one terminal (its byte DFA has about 5–20 states
    /// per automaton state).
    static let maxAutomatonTerminalStates = 1024

    /// One undeclared member: key, colon, value (a rule); never when either is empty.
    mutating func member(key: SchemaExpr, _ valueNode: SchemaNode, _ l: Layout, _ depth: Int) throws -> SchemaExpr {
        if key.isNever { return .never }
        let v = try value(valueNode, depth: depth + 1)
        if v.isNever { return .never }
        let r = newRule("additional")
        rules[r] = .seq([key, l.colon, v])
        return .ref(r)
    }

    /// A node standing for the conjunction of `nodes` (itself when there is one).
    func conjunction(_ nodes: [SchemaNode]) -> SchemaNode {
        nodes.count == 1 ? nodes[0] : SchemaNode(value: .object([SchemaMember(key: "allOf", value: .array(nodes.map(\.value)))]), pointer: nodes[0].pointer, synthetic: true)
    }

    /// The undeclared keys split by the set S of patterns they match (each key in exactly one
    /// region: ∩ S ∩ ¬(others) ∩ filter ∖ excluded); a region's values satisfy every schema of
    /// S, or `additional` when S is empty. Regions with the same value schema are merged.
    mutating func keyRegions(_ patterns: [(regex: CodePointRegex, node: SchemaNode)], additional: SchemaNode?, filter: StringLanguage?,
                             excluded: [[UInt32]]) throws -> [(StringLanguage, SchemaNode)] {
        var regexes = patterns.map(\.regex) + excluded.map { w in .seq(w.map { .cls([$0...$0]) }) }
        if let filter { regexes += filter.parts }
        let alphabet = CodePointAlphabet(regexes)
        var base = try CodePointDFA.words(excluded, alphabet: alphabet).complement()
        if let filter { base = try base.combined(filter.dfa(alphabet), .and) }
        let dfas = try patterns.map { try CodePointDFA($0.regex, alphabet: alphabet) }
        var order: [SchemaValue] = []
        var regions: [SchemaValue: (CodePointDFA, SchemaNode)] = [:]
        var steps = 0
        func go(_ i: Int, _ cur: CodePointDFA, _ hit: [SchemaNode]) throws {
            if cur.isEmpty { return }
            // Overlapping patterns can split the keys into exponentially many regions.
            steps += 1
            if steps > 2_000 { throw FSMDecodeError(.budget, "more than 2000 key-region automata") }
            if i == patterns.count {
                guard let vn = hit.isEmpty ? additional : conjunction(hit) else { return }
                if let (d, n) = regions[vn.value] { regions[vn.value] = (try d.combined(cur, .or), n) } else { order.append(vn.value); regions[vn.value] = (cur, vn) }
                return
            }
            try go(i + 1, cur.combined(dfas[i], .and), hit + [patterns[i].node])
            try go(i + 1, cur.combined(dfas[i], .andNot), hit)
        }
        try go(0, base, [])
        return order.map { (.automaton(regions[$0]!.0), regions[$0]!.1) }
    }

    /// Every string except the given ones (a trie, complemented).
    static func complement(of words: [[UInt32]]) -> CodePointRegex {
        final class Trie { var end = false; var children: [UInt32: Trie] = [:] }
        let root = Trie()
        for w in words { var t = root; for c in w { if t.children[c] == nil { t.children[c] = Trie() }; t = t.children[c]! }; t.end = true }
        func comp(_ t: Trie) -> CodePointRegex {
            var alts: [CodePointRegex] = []
            if !t.end { alts.append(.empty) }
            let keys = t.children.keys.sorted()
            let others = JSONLexemes.scalarsExcept(keys)
            alts.append(.seq([.cls(others), .rep(.any, 0, nil)]))
            for k in keys { alts.append(.seq([.cls([k...k]), comp(t.children[k]!)])) }
            return .alt(alts)
        }
        return comp(root)
    }

    // MARK: arrays

    mutating func arrayExpr(_ node: SchemaNode, depth: Int) throws -> SchemaExpr {
        let v = node.value
        if trackDepth && depth >= depthLimit { return .never }
        for k in Self.arrayKeywords where v[k] != nil { used.insert(k) }
        var prefix: [SchemaNode] = []
        var rest: SchemaNode = SchemaNode(value: .bool(true), pointer: node.pointer, synthetic: true)
        if case .array(let list)? = v["items"] {
            prefix = list.enumerated().map { node.child("items", v["items"]!).child(String($0.offset), $0.element) }
            if let a = node["additionalItems"] { rest = a }
        } else {
            if case .array(let list)? = v["prefixItems"] {
                prefix = list.enumerated().map { node.child("prefixItems", v["prefixItems"]!).child(String($0.offset), $0.element) }
            }
            if let i = node["items"] { rest = i }
        }
        let minItems = v["minItems"]?.decimal.flatMap { Int($0.ceiling.plainText) } ?? 0
        var maxItems = v["maxItems"]?.decimal.flatMap { Int($0.floor.plainText) }
        if minItems > 10_000 || (maxItems ?? 0) > 10_000 { throw FSMDecodeError(.budget, "\(source): maxItems at #\(node.pointer): item bounds above 10000") }
        let l = layout(depth)
        if v["uniqueItems"] == .bool(true) && (maxItems ?? 2) > 1 {
            if prefix.isEmpty, node["contains"] == nil, let values = try finiteValues(rest, limit: Self.maxUniqueValues) {
                return uniqueArray(values, min: minItems, max: maxItems, l, depth: depth)
            }
            try refuse("uniqueItems", node.pointer, "uniqueItems is exact only for items from at most \(Self.maxUniqueValues) values (enum/const/boolean/null) without prefixItems or contains; in general it cannot be expressed by a context-free grammar")
        }
        let restExpr = try value(rest, depth: depth + 1)
        if restExpr.isNever { maxItems = min(maxItems ?? prefix.count, prefix.count) }
        if let m = maxItems, m < minItems { return .never }
        if let c = node["contains"] {
            let minC = v["minContains"]?.decimal.flatMap { Int($0.plainText) } ?? 1
            // minItems 1 adds nothing to a match of contains (one item at least).
            guard prefix.isEmpty, minItems <= 1, maxItems == nil, v["maxContains"] == nil, minC <= 1 else {
                try refuse("contains", node.pointer, "contains is supported only without prefixItems, maxItems, maxContains and minItems above 1")
                return .never
            }
            if minC == 1 {
                let both = SchemaNode(value: .object([SchemaMember(key: "allOf", value: .array([rest.value, c.value]))]), pointer: c.pointer, synthetic: true)
                let hit = try value(both, depth: depth + 1)
                let body = SchemaExpr.seq([.rep(.seq([restExpr, l.sep]), 0, nil), hit, .rep(.seq([l.sep, restExpr]), 0, nil)])
                return .seq([lit("["), l.open, body, l.close, lit("]")])
            }
        }
        // B(j): what may follow after j items.
        var prefixExprs: [SchemaExpr] = []
        for p in prefix { prefixExprs.append(try value(p, depth: depth + 1)) }
        func tail(_ j: Int) -> SchemaExpr {
            if j >= prefix.count {
                let a = max(0, minItems - j), b = maxItems.map { max(0, $0 - j) }
                if let b, b < a { return .never }
                return .rep(.seq([l.sep, restExpr]), a, b)
            }
            var alts: [SchemaExpr] = []
            if j >= minItems { alts.append(.empty) }
            if maxItems == nil || j < maxItems! { alts.append(.seq([l.sep, prefixExprs[j], tail(j + 1)])) }
            return .alt(alts)
        }
        var out: [SchemaExpr] = []
        if minItems == 0 { out.append(.seq([lit("["), l.emptyInside, lit("]")])) }
        if maxItems != 0 {
            let first = prefix.isEmpty ? restExpr : prefixExprs[0]
            out.append(.seq([lit("["), l.open, first, tail(1), l.close, lit("]")]))
        }
        return .alt(out)
    }

    /// Most distinct item values for an exact `uniqueItems` (one rule per subset: 2^n).
    static let maxUniqueValues = 8

    /// The values `node` admits when they are finitely many (enum/const, boolean, null; other
    /// keywords only those `literalValidates` decides), at most `limit` distinct ones; nil
    /// otherwise.
    mutating func finiteValues(_ node: SchemaNode, limit: Int) throws -> [SchemaValue]? {
        var out: [SchemaValue] = []
        for alt in try expand(node) {
            let v = alt.value
            for m in v.members ?? [] {
                let k = m.key
                if k == "type" || k == "enum" || k == "const" || Self.annotations.contains(k) || Self.stringKeywords.contains(k) || Self.numberKeywords.contains(k) { continue }
                return nil
            }
            let types = v["type"].map { Set(typeList($0)) }
            var candidates: [SchemaValue]
            if let c = v["const"] {
                candidates = [c]
                if let e = v["enum"]?.arrayValue, !e.contains(c) { candidates = [] }
            } else if let e = v["enum"]?.arrayValue {
                candidates = e
            } else if let types, types.isSubset(of: ["boolean", "null"]) {
                candidates = (types.contains("null") ? [.null] : []) + (types.contains("boolean") ? [.bool(false), .bool(true)] : [])
            } else {
                return nil
            }
            for c in candidates where !out.contains(c) {
                let k = c.kindName
                if let types, !(types.contains(k) || (k == "integer" && types.contains("number"))) { continue }
                guard try literalValidates(c, alt) else { continue }
                out.append(c)
                if out.count > limit { return nil }
            }
        }
        return out
    }

    /// Arrays of distinct values from `values` (`uniqueItems` over a finite item set), with
    /// `lo ... hi` items: one rule per set of values used so far, so the grammar is exact.
    mutating func uniqueArray(_ values: [SchemaValue], min lo: Int, max hi: Int?, _ l: Layout, depth: Int) -> SchemaExpr {
        let n = values.count
        let items = values.map { literal($0, depth: depth + 1) }
        var rule = [Int](repeating: -1, count: 1 << n)
        for used in 1..<(1 << n) { rule[used] = newRule("unique") }
        // After the (non-empty) set `used`: the end, or a separator and an unused value.
        for used in 1..<(1 << n) {
            let count = used.nonzeroBitCount
            var alts: [SchemaExpr] = count >= lo ? [.empty] : []
            if hi == nil || count < hi! {
                for i in 0..<n where used & (1 << i) == 0 { alts.append(.seq([l.sep, items[i], .ref(rule[used | 1 << i])])) }
            }
            rules[rule[used]] = .alt(alts)
        }
        var out: [SchemaExpr] = []
        if lo == 0 { out.append(.seq([lit("["), l.emptyInside, lit("]")])) }
        if hi != 0 && n > 0 {
            let first = SchemaExpr.alt((0..<n).map { .seq([items[$0], .ref(rule[1 << $0])]) })
            out.append(.seq([lit("["), l.open, first, l.close, lit("]")]))
        }
        return .alt(out)
    }

    // MARK: objects

    mutating func objectExpr(_ node: SchemaNode, depth: Int) throws -> SchemaExpr {
        let v = node.value
        if trackDepth && depth >= depthLimit { return .never }
        for k in Self.objectKeywords where v[k] != nil && k != "$someKeyOutside" { used.insert(k) }
        let l = layout(depth)
        let required = Set((v["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        var names: [String] = []
        var schemas: [SchemaNode] = []
        if let props = node["properties"] {
            for m in props.value.members ?? [] { names.append(m.key); schemas.append(props.child(m.key, m.value)) }
        }
        // Additional members: value schema (nil: none allowed).
        var additional: SchemaNode? = node["additionalProperties"] ?? SchemaNode(value: .bool(true), pointer: node.pointer, synthetic: true)
        if additional?.value == .bool(false) { additional = nil }
        // patternProperties: a key matching patterns S must satisfy all of S's schemas (and a
        // declared one its property schema too); keys matching none follow additionalProperties.
        var patterns: [(regex: CodePointRegex, node: SchemaNode)] = []
        if let pp = v["patternProperties"]?.members, !pp.isEmpty,
           !(pp.allSatisfy({ isTrivial($0.value) }) && additional != nil && isTrivial(additional!.value)) {
            let ppNode = node.child("patternProperties", v["patternProperties"]!)
            for m in pp {
                do { patterns.append((try ECMARegexParser.parseSearch(m.key), ppNode.child(m.key, m.value))) }
                catch let f as ECMARegexParser.Failure { try refuse("patternProperties", ppNode.pointer, "/\(m.key)/: \(f.why)"); return .never }
            }
            if patterns.count > 24 { try refuse("patternProperties", ppNode.pointer, "more than 24 patterns"); return .never }
        }
        /// The schema of an undeclared key's value (nil: the key may not appear undeclared).
        func undeclaredValue(_ key: String) -> SchemaNode? {
            let s = key.unicodeScalars.map(\.value)
            let hit = patterns.filter { $0.regex.matches(s) }.map(\.node)
            return hit.isEmpty ? additional : conjunction(hit)
        }
        for (i, n) in names.enumerated() {
            let s = n.unicodeScalars.map(\.value)
            let hit = patterns.filter { $0.regex.matches(s) }.map(\.node)
            if !hit.isEmpty { schemas[i] = conjunction([schemas[i]] + hit) }
        }
        // propertyNames: a filter on every key.
        var nameFilter: SchemaNode? = nil
        var filterLang: StringLanguage? = nil
        if let pn = node["propertyNames"], !isTrivial(pn.value) {
            let alts = try expand(pn)
            guard alts.count == 1, (alts[0].value.members ?? []).allSatisfy({ Self.stringKeywords.contains($0.key) || $0.key == "type" || $0.key == "enum" || $0.key == "const" || Self.annotations.contains($0.key) }) else {
                try refuse("propertyNames", pn.pointer, "only string keywords (pattern, length, format, enum/const) are supported")
                return .never
            }
            nameFilter = alts[0]
            if let vals = alts[0].value["const"].map({ [$0] }) ?? alts[0].value["enum"]?.arrayValue {
                var strs: [String] = []
                for s in vals.compactMap(\.stringValue) where try literalValidates(.string(s), alts[0]) { strs.append(s) }
                filterLang = .regex(.alt(strs.map { s in .seq(s.unicodeScalars.map { .cls([$0.value...$0.value]) }) }))
            } else {
                filterLang = try stringContent(alts[0], excluding: []) ?? .regex(.alt([]))
            }
        }
        func keyAllowed(_ k: String) throws -> Bool {
            guard let f = nameFilter else { return true }
            if let vals = f.value["const"].map({ [$0] }) ?? f.value["enum"]?.arrayValue, !vals.contains(.string(k)) { return false }
            return try literalValidates(.string(k), f)
        }
        // Keys that must or may appear without being declared are tracked individually.
        var dependent: [(String, [String])] = []
        if case .object(let deps)? = v["dependentRequired"] { for d in deps { dependent.append((d.key, (d.value.arrayValue ?? []).compactMap(\.stringValue))) } }
        if case .object(let deps)? = v["dependencies"] { for d in deps { if let a = d.value.arrayValue { dependent.append((d.key, a.compactMap(\.stringValue))) } } }
        let notRequired = (v["$notRequired"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.stringValue) }
        // `not {additionalProperties: false}`: some member's key is outside the names that
        // schema declared (`inside`); members then tell whether they are such a key.
        let outsideLists = (v["$someKeyOutside"]?.arrayValue ?? []).map { Set(($0.arrayValue ?? []).compactMap(\.stringValue)) }
        if outsideLists.count > 1 { try refuse("not", node.pointer, "more than one negated additionalProperties on one object is not supported exactly"); return .never }
        let inside = outsideLists.first
        if inside != nil && (!patterns.isEmpty || nameFilter != nil) {
            try refuse("not", node.pointer, "a negated additionalProperties next to patternProperties or propertyNames is not supported exactly")
            return .never
        }
        var mentioned = required.sorted()
        for (k, ds) in dependent { mentioned.append(k); mentioned += ds }
        for s in notRequired { mentioned += s }
        var extraKeys: [String] = []
        var extraNodes: [SchemaNode] = []
        for k in mentioned where !names.contains(k) && !extraKeys.contains(k) {
            guard let vn = undeclaredValue(k), try keyAllowed(k) else { continue }
            extraKeys.append(k)
            extraNodes.append(vn)
        }
        if required.contains(where: { !names.contains($0) && !extraKeys.contains($0) }) { return .never }
        // Filter declared names by propertyNames.
        var allowed = [Bool](repeating: true, count: names.count)
        for (i, n) in names.enumerated() { allowed[i] = try keyAllowed(n) }
        var valueExprs: [SchemaExpr] = []
        for (i, s) in schemas.enumerated() { valueExprs.append(allowed[i] ? try value(s, depth: depth + 1) : .never) }
        for (i, n) in names.enumerated() where required.contains(n) && valueExprs[i].isNever { return .never }
        let requiredExtra = extraKeys.filter { required.contains($0) }
        let tracked = Array(Set(dependent.flatMap { [$0.0] + $0.1 } + notRequired.flatMap { $0 } + requiredExtra))
            .filter { names.contains($0) || extraKeys.contains($0) }.sorted()
        if tracked.count > 10 { try refuse("dependentRequired", node.pointer, "more than 10 keys involved in dependencies"); return .never }
        let bit = Dictionary(uniqueKeysWithValues: tracked.enumerated().map { ($0.element, $0.offset) })
        // One more bit: a key outside `inside` was seen.
        let outsideBit = inside == nil ? 0 : 1 << tracked.count
        func outsideFlag(_ k: String) -> Int { inside?.contains(k) == false ? outsideBit : 0 }
        func predicate(_ mask: Int) -> Bool {
            if mask & outsideBit != outsideBit { return false }
            func has(_ k: String) -> Bool { bit[k].map { mask & (1 << $0) != 0 } ?? false }
            for (k, ds) in dependent where has(k) { if ds.contains(where: { !has($0) }) { return false } }
            for s in notRequired where s.allSatisfy(has) { return false }
            for k in requiredExtra where !has(k) { return false }
            return true
        }
        let minP = v["minProperties"]?.decimal.flatMap { Int($0.ceiling.plainText) } ?? 0
        let maxP = v["maxProperties"]?.decimal.flatMap { Int($0.floor.plainText) }
        if let m = maxP, m < minP { return .never }
        if minP > 1000 || (maxP ?? 0) > 1000 { throw FSMDecodeError(.budget, "\(source): maxProperties at #\(node.pointer): bounds above 1000") }
        let cap = max(minP, maxP ?? 0, 1)
        if (names.count + 1) * (cap + 1) * (1 << tracked.count) * (inside == nil ? 1 : 2) > 50_000 {
            throw FSMDecodeError(.budget, "\(source): properties at #\(node.pointer): object state space too large")
        }
        // Other undeclared members: key regions (disjoint key languages) with their value schemas.
        var addAlts: [SchemaExpr] = []
        // With `inside`: undeclared members whose key is outside it (they set the outside bit);
        // the undeclared keys inside it stay in `addAlts`. Without: never.
        var addOutside: SchemaExpr = .never
        let excludedKeys = (names + extraKeys).map { $0.unicodeScalars.map(\.value) }
        if patterns.isEmpty, nameFilter == nil, let inside {
            if let a = additional {
                let insideKeys = inside.filter { !names.contains($0) && !extraKeys.contains($0) }.sorted().map { $0.unicodeScalars.map(\.value) }
                addOutside = try member(key: .term(keyComplementPattern(excludedKeys + insideKeys)), a, l, depth)
                if !insideKeys.isEmpty { addAlts.append(try member(key: .term(.jsonString(values: insideKeys)), a, l, depth)) }
            }
        } else if patterns.isEmpty, nameFilter == nil {
            if let a = additional { addAlts.append(try member(key: .term(keyComplementPattern(excludedKeys)), a, l, depth)) }
        } else if patterns.isEmpty, case .regex(let r)? = filterLang, !names.contains(where: { r.matches($0.unicodeScalars.map(\.value)) }),
                  !extraKeys.contains(where: { r.matches($0.unicodeScalars.map(\.value)) }) {
            // propertyNames alone, disjoint from the tracked keys: its language as it is.
            if let a = additional { addAlts.append(try member(key: try stringExpr(.regex(r), at: node.pointer), a, l, depth)) }
        } else {
            do {
                for (keys, vn) in try keyRegions(patterns, additional: additional, filter: filterLang, excluded: excludedKeys) {
                    addAlts.append(try member(key: stringExpr(keys, at: node.pointer), vn, l, depth))
                }
            } catch let e as FSMDecodeError where e.kind == .budget {
                try refuse("patternProperties", node.pointer, "the key languages are too large to separate exactly (\(e.message))")
                return .never
            }
        }
        let addKey: SchemaExpr = addAlts.filter { !$0.isNever }.isEmpty ? .never : .alt(addAlts.filter { !$0.isNever })
        // Each member (key, colon, value) is one rule: object states share it, so its big
        // terminals occur once in the grammar.
        var keyExprs: [SchemaExpr] = []
        for (i, name) in names.enumerated() {
            let r = newRule("member")
            rules[r] = .seq([literal(.string(name), depth: depth), l.colon, valueExprs[i]])
            keyExprs.append(valueExprs[i].isNever ? .never : .ref(r))
        }
        var extraValues: [SchemaExpr] = []
        for e in extraNodes { extraValues.append(try value(e, depth: depth + 1)) }
        let extraKeyExprs = extraKeys.map { literal(.string($0), depth: depth) }
        var states: [Int: Int] = [:]
        let n = names.count
        // Undeclared members may appear between declared ones (a model need not put them
        // last). To keep the grammar unambiguous, a state is either P(i): "just after declared
        // key i-1 (or at the start); undeclared members may follow", or Q(i): "choosing the
        // next declared key, index >= i". Undeclared members are only emitted from P states,
        // so every text has one parse. Without undeclared members, P(i) is Q(i).
        let interleave = !addKey.isNever || !addOutside.isNever || extraValues.contains { !$0.isNever }
        // Build P/Q(i, c, m) on demand: i = next declared index, c = members so far (capped),
        // m = bit set of tracked keys seen.
        func stateKey(_ i: Int, _ c: Int, _ m: Int, _ q: Bool) -> Int { ((i * (cap + 1) + c) * 2 + (q ? 1 : 0)) << 11 | m }
        var work: [(Int, Int, Int, Bool)] = []
        func ref(_ i: Int, _ c: Int, _ m: Int, q: Bool) -> SchemaExpr {
            let q = q || !interleave
            let key = stateKey(i, c, m, q)
            if let r = states[key] { return .ref(r) }
            let r = newRule("obj")
            states[key] = r
            work.append((i, c, m, q))
            return .ref(r)
        }
        let start = ref(0, 0, 0, q: false)
        while let (i, c, m, q) = work.popLast() {
            let r = states[stateKey(i, c, m, q)]!
            let sep: SchemaExpr = c > 0 ? l.sep : .empty
            let canEmit = maxP == nil || c < maxP!
            var alts: [SchemaExpr] = []
            if !q {
                // P(i): undeclared members, then on to Q(i).
                alts.append(ref(i, c, m, q: true))
                if canEmit && !addKey.isNever { alts.append(.seq([sep, addKey, ref(i, min(c + 1, cap), m, q: false)])) }
                if canEmit && !addOutside.isNever { alts.append(.seq([sep, addOutside, ref(i, min(c + 1, cap), m | outsideBit, q: false)])) }
                for (j, k) in extraKeys.enumerated() where canEmit && !extraValues[j].isNever {
                    // Extra keys are tracked individually, so none is seen twice.
                    guard let b = bit[k] else { continue }
                    if m & (1 << b) != 0 { continue }
                    alts.append(.seq([sep, extraKeyExprs[j], l.colon, extraValues[j], ref(i, min(c + 1, cap), m | (1 << b) | outsideFlag(k), q: false)]))
                }
            } else if i < n {
                if canEmit && !valueExprs[i].isNever {
                    let m2 = (bit[names[i]].map { m | (1 << $0) } ?? m) | outsideFlag(names[i])
                    alts.append(.seq([sep, keyExprs[i], ref(i + 1, min(c + 1, cap), m2, q: false)]))
                }
                if !required.contains(names[i]) { alts.append(ref(i + 1, c, m, q: true)) }
            } else {
                if c > 0 && c >= minP && predicate(m) { alts.append(.empty) }
            }
            rules[r] = .alt(alts)
        }
        var out: [SchemaExpr] = []
        if minP == 0 && required.isEmpty && predicate(0) { out.append(.seq([lit("{"), l.emptyInside, lit("}")])) }
        out.append(.seq([lit("{"), l.open, start, l.close, lit("}")]))
        return .alt(out)
    }

    func isTrivial(_ s: SchemaValue) -> Bool {
        if s == .bool(true) { return true }
        guard let m = s.members else { return false }
        return m.allSatisfy { Self.annotations.contains($0.key) }
    }
}
