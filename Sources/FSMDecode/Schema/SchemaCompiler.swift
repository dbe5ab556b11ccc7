/// The compiler proper. Pipeline per schema node: resolve `$ref`, expand combinators into a
/// list of "simple" alternatives (no `allOf`/`anyOf`/`oneOf`/`if`/`not`), then compile each
/// simple alternative by JSON type. Containers become numbered rules (memoized by JSON
/// pointer, so recursion through `$ref` terminates); strings and numbers become single
/// terminals. Unproductive rules (e.g. depth-limited recursion) are pruned before lowering.
struct SchemaCompiler {
    let root: SchemaValue
    let source: String
    let options: JSONSchemaOptions
    /// `$ref` siblings are ignored (draft 7 and older).
    let refIgnoresSiblings: Bool

    var rules: [SchemaExpr?] = []
    var ruleNames: [String] = []
    var memo: [String: Int] = [:]
    var warnings: [String] = []
    var used = Set<String>()
    var expansionDepth = 0
    var anyMemo: [Int: Int] = [:]
    var valueNesting = 0
    var charCache: [[ClosedRange<UInt32>]: TerminalPattern] = [:]
    /// Chunked long repetitions (`chunkedRepetition`), one rule each.
    var chunkMemo: [CodePointRegex: Int] = [:]

    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "example", "$comment", "$id", "id", "$schema", "$defs", "definitions",
        "deprecated", "readOnly", "writeOnly", "readonly", "contentMediaType", "contentEncoding", "contentSchema", "$anchor",
        "$vocabulary", "markdownDescription", "discriminator", "xml", "externalDocs", "$dynamicAnchor", "$recursiveAnchor",
    ]
    static let combinators: Set<String> = ["allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref"]
    static let known: Set<String> = [
        "type", "enum", "const", "nullable", "properties", "required", "additionalProperties", "patternProperties", "propertyNames",
        "minProperties", "maxProperties", "dependentRequired", "dependencies", "items", "prefixItems", "additionalItems",
        "minItems", "maxItems", "contains", "minContains", "maxContains", "uniqueItems", "minLength", "maxLength", "pattern",
        "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "$notMultipleOf", "$notEnum", "$notRequired", "$someKeyOutside", "$notString", "$notSchema", "$andPattern",
        "dependentSchemas", "unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef",
    ]

    init(root: SchemaValue, source: String, options: JSONSchemaOptions) {
        self.source = source
        self.options = options
        let schemaURI = root["$schema"]?.stringValue ?? ""
        let draft = schemaURI.contains("draft-04") || schemaURI.contains("draft-03") ? 4
            : schemaURI.contains("draft-06") ? 6 : schemaURI.contains("draft-07") ? 7 : schemaURI.contains("2019-09") ? 2019 : 2020
        refIgnoresSiblings = draft <= 7
        // Keywords a draft does not define are annotations there.
        var ignored: Set<String> = []
        if draft <= 7 { ignored.formUnion(["dependentRequired", "dependentSchemas", "prefixItems", "minContains", "maxContains", "unevaluatedItems", "unevaluatedProperties"]) }
        if draft <= 6 { ignored.formUnion(["if", "then", "else"]) }
        if draft <= 4 { ignored.formUnion(["const", "contains", "propertyNames"]) }
        if draft == 2019 { ignored.insert("prefixItems") }
        self.root = ignored.isEmpty ? root : Self.strip(root, ignored, depth: 0)
    }

    static let schemaMaps: Set<String> = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies"]
    static let schemaValued: Set<String> = ["additionalProperties", "additionalItems", "items", "contains", "propertyNames", "not", "if", "then",
                                            "else", "unevaluatedItems", "unevaluatedProperties", "allOf", "anyOf", "oneOf", "prefixItems"]

    /// Removes `keywords` from every schema object reachable through schema-valued keywords
    /// (data such as `enum`/`const`/`default` is left alone).
    static func strip(_ s: SchemaValue, _ keywords: Set<String>, depth: Int) -> SchemaValue {
        guard depth < 400, case .object(let members) = s else { return s }
        var out: [SchemaMember] = []
        for m in members where !keywords.contains(m.key) {
            var v = m.value
            if schemaMaps.contains(m.key), case .object(let inner) = v {
                v = .object(inner.map { SchemaMember(key: $0.key, value: strip($0.value, keywords, depth: depth + 1)) })
            } else if schemaValued.contains(m.key) {
                if case .array(let list) = v { v = .array(list.map { strip($0, keywords, depth: depth + 1) }) } else { v = strip(v, keywords, depth: depth + 1) }
            }
            out.append(SchemaMember(key: m.key, value: v))
        }
        return .object(out)
    }

    // MARK: driver

    mutating func run() throws -> JSONSchemaCompilation {
        let start = newRule("root")
        let top = SchemaNode(value: root, pointer: "", synthetic: false)
        let v = try value(top, depth: 0)
        if v.isNever { throw error("schema", "", "no JSON value validates against this schema") }
        rules[start] = .seq([outerSpace, v, outerSpace])
        prune()
        guard rules[start] != nil else { throw error("schema", "", "no finite JSON value validates against this schema (every alternative contradicts itself or recurses without end)") }
        var defs: [RuleDefinition] = []
        var literalNames: [[UInt8]: String] = [:]
        let loc = SourcePosition(file: source, line: 1, column: 1)
        let chunkRules = Set(chunkMemo.values)
        for (i, r) in rules.enumerated() {
            guard let r else { continue }
            defs.append(RuleDefinition(name: ruleNames[i], location: loc, body: lower(r, &literalNames), keepsRule: chunkRules.contains(i)))
        }
        var builder = GrammarBuilder(source: source, format: .gbnf, lexing: .characterLevel, limits: options.limits)
        let grammar = try builder.build(rules: defs, start: ruleNames[start])
        return JSONSchemaCompilation(grammar: grammar, warnings: warnings, keywordsUsed: used.sorted())
    }

    mutating func newRule(_ hint: String) -> Int {
        rules.append(nil)
        ruleNames.append("\(hint)#\(rules.count - 1)")
        return rules.count - 1
    }

    private func lower(_ e: SchemaExpr, _ literalNames: inout [[UInt8]: String]) -> GrammarExpr {
        let loc = SourcePosition(file: source, line: 1, column: 1)
        switch e {
        case .term(let p):
            // Terminal names are for listings only; big patterns get a short placeholder.
            // Literals (`,`, `:`, keys) recur: each name is rendered once.
            if case .literal(let bytes) = p {
                if let name = literalNames[bytes] { return .pattern(p, text: name, loc) }
                let name = p.description
                literalNames[bytes] = name
                return .pattern(p, text: name, loc)
            }
            if case .jsonString = p { return .pattern(p, text: nil, loc) }
            return .pattern(p, text: "<json lexeme>", loc)
        case .ref(let r): return .named(ruleNames[r], loc)
        case .seq(let parts): return .sequence(parts.map { lower($0, &literalNames) })
        case .alt(let parts): return .alternation(parts.map { lower($0, &literalNames) })
        case .rep(let x, let a, let b): return .repetition(lower(x, &literalNames), min: a, max: b, loc)
        }
    }

    /// Removes unproductive rules (fixpoint) and simplifies references to them away.
    private mutating func prune() {
        var productive = [Bool](repeating: false, count: rules.count)
        func prod(_ e: SchemaExpr) -> Bool {
            switch e {
            case .term(let p): return !JSONLexemes.isNever(p)
            case .ref(let r): return productive[r]
            case .seq(let parts): return parts.allSatisfy(prod)
            case .alt(let parts): return parts.contains(where: prod)
            case .rep(let x, let a, _): return a == 0 || prod(x)
            }
        }
        var changed = true
        while changed {
            changed = false
            // Backwards: a rule's sub-rules are mostly made after it, so one pass settles most.
            for i in rules.indices.reversed() where !productive[i] {
                if let r = rules[i], prod(r) { productive[i] = true; changed = true }
            }
        }
        func simplify(_ e: SchemaExpr) -> SchemaExpr {
            switch e {
            case .term(let p): return JSONLexemes.isNever(p) ? .never : e
            case .ref(let r): return productive[r] ? e : .never
            case .seq(let parts):
                let s = parts.map(simplify)
                return s.contains { $0.isNever } ? .never : .seq(s)
            case .alt(let parts): return .alt(parts.map(simplify).filter { !$0.isNever })
            case .rep(let x, let a, let b):
                let s = simplify(x)
                if s.isNever { return a == 0 ? .empty : .never }
                return .rep(s, a, b)
            }
        }
        /// Whether `simplify(e)` would return `e` unchanged (then it is not rebuilt).
        func settled(_ e: SchemaExpr) -> Bool {
            switch e {
            case .term(let p): return !JSONLexemes.isNever(p)
            case .ref(let r): return productive[r]
            case .seq(let parts), .alt(let parts): return parts.allSatisfy { !$0.isNever && settled($0) }
            case .rep(let x, _, _): return !x.isNever && settled(x)
            }
        }
        for i in rules.indices {
            rules[i] = productive[i] ? (settled(rules[i]!) ? rules[i]! : simplify(rules[i]!)) : nil
        }
    }

    // MARK: errors

    func error(_ keyword: String, _ pointer: String, _ why: String) -> FSMDecodeError {
        // Keys and values from the schema are quoted raw: keep the message on one line.
        FSMDecodeError(.schema, "\(source): " + messageText("\(keyword) at #\(pointer): \(why)"))
    }

    /// A construct that cannot be exact: an error, or in lenient mode a warning (the caller
    /// then relaxes it).
    mutating func refuse(_ keyword: String, _ pointer: String, _ why: String) throws {
        if options.lenient {
            warnings.append(messageText("\(keyword) at #\(pointer): \(why) (relaxed: ignored)"))
            return
        }
        throw error(keyword, pointer, why)
    }

    // MARK: layout

    var trackDepth: Bool { if case .indent = options.whitespace { return true }; return options.maxNestingDepth != nil }
    var depthLimit: Int { options.maxNestingDepth ?? 32 }

    var outerSpace: SchemaExpr {
        if case .flexible(let n) = options.whitespace { return .term(.repetition(.codePointClass([9...10, 13...13, 32...32]), min: 0, max: n)) }
        return .empty
    }
    func lit(_ s: String) -> SchemaExpr { .term(.literal(Array(s.utf8))) }

    /// Tokens around container contents at nesting `depth` (of the container itself).
    struct Layout { var open: SchemaExpr; var close: SchemaExpr; var sep: SchemaExpr; var colon: SchemaExpr; var emptyInside: SchemaExpr }
    func layout(_ depth: Int) -> Layout {
        switch options.whitespace {
        case .compact: return Layout(open: .empty, close: .empty, sep: lit(","), colon: lit(":"), emptyInside: .empty)
        case .flexible: return Layout(open: outerSpace, close: outerSpace, sep: .seq([outerSpace, lit(","), outerSpace]),
                                      colon: .seq([outerSpace, lit(":"), outerSpace]), emptyInside: outerSpace)
        case .indent(let n):
            let inner = "\n" + String(repeating: " ", count: n * (depth + 1)), outer = "\n" + String(repeating: " ", count: n * depth)
            return Layout(open: lit(inner), close: lit(outer), sep: lit("," + inner), colon: lit(": "), emptyInside: .empty)
        }
    }

    // MARK: values

    /// The grammar of instances of `node` at nesting `depth`.
    mutating func value(_ node: SchemaNode, depth: Int) throws -> SchemaExpr {
        let d = trackDepth ? depth : 0
        if case .bool(let b) = node.value { return b ? anyValue(depth: d) : .never }
        guard let members = node.value.members else { throw error("schema", node.pointer, "a schema must be an object or a boolean") }
        if let t = node.value["type"] { try checkTypeNames(t, at: node.pointer) }
        // A pure reference: compile the target (memoized by its pointer).
        if let ref = node.value["$ref"]?.stringValue, refIgnoresSiblings || members.allSatisfy({ $0.key == "$ref" || Self.annotations.contains($0.key) }) {
            expansionDepth += 1
            defer { expansionDepth -= 1 }
            if expansionDepth > 64 { throw error("$ref", node.pointer, "circular $ref chain") }
            used.insert("$ref")
            return try value(resolve(ref, at: node.pointer), depth: depth)
        }
        if members.allSatisfy({ Self.annotations.contains($0.key) || !Self.known.contains($0.key) && !Self.combinators.contains($0.key) }) {
            noteUnknown(node)
            return anyValue(depth: d)
        }
        // Memoized by pointer, or for merged (synthetic) nodes by content: merged schemas
        // that refer back to themselves through `$ref` then terminate too.
        let key = (node.synthetic ? "=" + node.value.compactText : node.pointer) + "@\(d)"
        if let r = memo[key] { return .ref(r) }
        let rule = newRule("v")
        memo[key] = rule
        valueNesting += 1
        defer { valueNesting -= 1 }
        if valueNesting > 150 {
            throw FSMDecodeError(.budget, "\(source): schema at #\(node.pointer): sub-schemas nest deeper than 150")
        }
        let alts = try expand(node)
        var exprs: [SchemaExpr] = []
        for a in alts { exprs.append(try simple(a, depth: d)) }
        rules[rule] = .alt(exprs)
        return .ref(rule)
    }

    mutating func noteUnknown(_ node: SchemaNode) {
        for m in node.value.members ?? [] where !Self.annotations.contains(m.key) && !Self.known.contains(m.key) && !Self.combinators.contains(m.key) {
            if !m.key.hasPrefix("x-") { warnings.append(messageText("unknown keyword '\(m.key)' at #\(node.pointer) ignored (an annotation per the specification)")) }
        }
    }

    /// Resolves a local `$ref` (`#`, `#/json/pointer`); remote references are errors.
    func resolve(_ ref: String, at pointer: String) throws -> SchemaNode {
        guard ref.hasPrefix("#") else { throw error("$ref", pointer, "remote reference '\(ref)' is not supported (only local '#/...' pointers)") }
        let path = String(ref.dropFirst())
        if path.isEmpty { return SchemaNode(value: root, pointer: "", synthetic: false) }
        guard path.hasPrefix("/") else { throw error("$ref", pointer, "anchor reference '\(ref)' is not supported") }
        var cur = root
        var pointerOut = ""
        for raw in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = JSONPointer.unescape(raw)
            pointerOut += "/" + String(raw)
            switch cur {
            case .object:
                guard let next = cur[token] else { throw error("$ref", pointer, "'\(ref)' does not resolve") }
                cur = next
            case .array(let a):
                guard let i = Int(token), i >= 0, i < a.count else { throw error("$ref", pointer, "'\(ref)' does not resolve") }
                cur = a[i]
            default: throw error("$ref", pointer, "'\(ref)' does not resolve")
            }
        }
        return SchemaNode(value: cur, pointer: pointerOut, synthetic: false)
    }

    /// Any JSON value at `depth`.
    mutating func anyValue(depth: Int) -> SchemaExpr {
        if let r = anyMemo[depth] { return .ref(r) }
        let r = newRule("any")
        anyMemo[depth] = r
        var alts: [SchemaExpr] = [lit("null"), lit("true"), lit("false"), .term(JSONLexemes.anyNumber), .term(JSONLexemes.anyString)]
        if !trackDepth || depth < depthLimit {
            let l = layout(depth)
            let child = anyValue(depth: trackDepth ? depth + 1 : 0)
            let member = SchemaExpr.seq([.term(JSONLexemes.anyString), l.colon, child])
            alts.append(.seq([lit("{"), l.emptyInside, lit("}")]))
            alts.append(.seq([lit("{"), l.open, member, .rep(.seq([l.sep, member]), 0, nil), l.close, lit("}")]))
            alts.append(.seq([lit("["), l.emptyInside, lit("]")]))
            alts.append(.seq([lit("["), l.open, child, .rep(.seq([l.sep, child]), 0, nil), l.close, lit("]")]))
        }
        rules[r] = .alt(alts)
        return .ref(r)
    }

    mutating func stringPattern(_ content: CodePointRegex) -> TerminalPattern {
        JSONLexemes.seq([.literal([0x22]), content.jsonPattern(cache: &charCache), .literal([0x22])])
    }

    /// The JSON strings whose value is none of `keys` (undeclared member names). A difference
    /// of the any-string terminal and the keys' spellings, compiled as one product
    /// (`ByteDFA.jsonStringsComplement`: the any-string DFA beside the keys' spelling trie; a
    /// complement written out as a pattern expands every escape of every key prefix, and cost
    /// most of a typical schema's compile). Two-node patterns, built per use: equal
    /// ones become one terminal when the grammar's terminals are interned.
    func keyComplementPattern(_ keys: [[UInt32]]) -> TerminalPattern {
        keys.isEmpty ? JSONLexemes.anyString : .difference(JSONLexemes.anyString, .jsonString(values: keys))
    }

    /// The JSON string whose value is `scalars`, in every spelling (a byte trie, not a pattern
    /// of per-character alternatives: member names are the most common terminals).
    func stringLiteralPattern(_ scalars: [UInt32]) -> TerminalPattern {
        .jsonString(values: [scalars])
    }

    /// `JSONLexemes.jsonChar` through this compilation's cache.
    mutating func jsonChar(_ ranges: [ClosedRange<UInt32>]) -> TerminalPattern {
        if let p = charCache[ranges] { return p }
        let p = JSONLexemes.jsonChar(ranges)
        charCache[ranges] = p
        return p
    }

    // MARK: expansion of combinators

    /// The node as a union of simple alternatives (no `$ref`/combinators inside; sub-schemas of
    /// `properties`/`items`/... untouched). Unsatisfiable alternatives are dropped.
    mutating func expand(_ node: SchemaNode) throws -> [SchemaNode] {
        expansionDepth += 1
        defer { expansionDepth -= 1 }
        if expansionDepth > 64 { throw error("$ref", node.pointer, "combinators nest deeper than 64 (circular $ref?)") }
        if case .bool(let b) = node.value { return b ? [SchemaNode(value: .object([]), pointer: node.pointer, synthetic: true)] : [] }
        guard var members = node.value.members else { throw error("schema", node.pointer, "a schema must be an object or a boolean") }
        var base = members
        base.removeAll { Self.combinators.contains($0.key) }
        // OpenAPI `nullable: true` widens an explicit `type`.
        if let i = base.firstIndex(where: { $0.key == "nullable" }) {
            if base[i].value == .bool(true), let ti = base.firstIndex(where: { $0.key == "type" }) {
                var types = typeList(base[ti].value)
                if !types.contains("null") { types.append("null") }
                base[ti].value = .array(types.map { .string($0) })
                used.insert("nullable")
            }
            base.remove(at: i)
        }
        // Schema-valued dependencies ("if the object has key k, it satisfies D"): objects
        // without k, or objects with k that satisfy D. Consumed here (two alternatives each).
        var dependencyBranches: [[SchemaNode]] = []
        for key in ["dependencies", "dependentSchemas"] {
            guard let i = base.firstIndex(where: { $0.key == key }), case .object(let deps) = base[i].value else { continue }
            let depsNode = node.child(key, base[i].value)
            for d in deps where d.value.arrayValue == nil {
                let k = SchemaValue.string(d.key)
                let without = SchemaNode(value: .object([SchemaMember(key: "$notRequired", value: .array([.array([k])]))]), pointer: depsNode.pointer, synthetic: true)
                let with = SchemaNode(value: .object([SchemaMember(key: "type", value: .string("object")), SchemaMember(key: "required", value: .array([k]))]),
                                      pointer: depsNode.pointer, synthetic: true)
                dependencyBranches.append([without] + (try product([with], try expand(depsNode.child(d.key, d.value)), at: depsNode.pointer)))
                used.insert(key)
            }
            let arrays = deps.filter { $0.value.arrayValue != nil }
            if arrays.isEmpty { base.remove(at: i) } else { base[i].value = .object(arrays) }
        }
        var result = [SchemaNode(value: .object(base), pointer: node.pointer, synthetic: node.synthetic)]
        for b in dependencyBranches { result = try product(result, b, at: node.pointer) }
        if let ref = node.value["$ref"]?.stringValue {
            used.insert("$ref")
            if refIgnoresSiblings { return try expand(try resolve(ref, at: node.pointer)) }
            result = try product(result, try expand(try resolve(ref, at: node.pointer)), at: node.pointer)
        }
        members = members.filter { Self.combinators.contains($0.key) }
        for m in members {
            let p = node.child(m.key, m.value)
            switch m.key {
            case "allOf":
                used.insert("allOf")
                guard let list = m.value.arrayValue else { throw error("allOf", node.pointer, "must be an array") }
                for (i, s) in list.enumerated() { result = try product(result, try expand(p.child(String(i), s)), at: p.pointer) }
            case "anyOf", "oneOf":
                used.insert(m.key)
                guard let list = m.value.arrayValue, !list.isEmpty else { throw error(m.key, node.pointer, "must be a non-empty array") }
                var branches: [[SchemaNode]] = []
                for (i, s) in list.enumerated() { branches.append(try product(result, try expand(p.child(String(i), s)), at: p.pointer)) }
                if m.key == "oneOf" { branches = try exclusiveBranches(branches, list.enumerated().map { p.child(String($0.offset), $0.element) }, at: p.pointer) }
                result = branches.flatMap { $0 }
            case "not":
                used.insert("not")
                guard let negated = try negate(p) else {
                    // Kept as a condition on enum/const values (decided value by value when the
                    // alternative is finite; refused otherwise, see `simple`).
                    let entry = SchemaValue.object([SchemaMember(key: "schema", value: m.value), SchemaMember(key: "at", value: .string(p.pointer))])
                    let cond = SchemaNode(value: .object([SchemaMember(key: "$notSchema", value: .array([entry]))]), pointer: p.pointer, synthetic: true)
                    result = try product(result, [cond], at: p.pointer)
                    continue
                }
                result = try product(result, try expand(negated), at: p.pointer)
            case "if":
                used.insert("if")
                let thenNode = node["then"] ?? SchemaNode(value: .bool(true), pointer: node.pointer + "/then", synthetic: true)
                let elseNode = node["else"] ?? SchemaNode(value: .bool(true), pointer: node.pointer + "/else", synthetic: true)
                if node["then"] == nil && node["else"] == nil { continue }
                guard let notIf = try negate(p) else {
                    try refuse("if", p.pointer, "the condition cannot be negated exactly (needed for the else branch)")
                    continue
                }
                let yes = try product(try product(result, try expand(p), at: p.pointer), try expand(thenNode), at: p.pointer)
                let no = try product(try product(result, try expand(notIf), at: p.pointer), try expand(elseNode), at: p.pointer)
                result = yes + no
            default: break // $ref handled above; then/else with if.
            }
            if result.count > 256 { throw FSMDecodeError(.budget, "\(source): \(m.key) at #\(node.pointer): more than 256 alternatives after expanding combinators") }
        }
        return result
    }

    private mutating func product(_ a: [SchemaNode], _ b: [SchemaNode], at pointer: String) throws -> [SchemaNode] {
        var out: [SchemaNode] = []
        for x in a { for y in b { if let m = try merge(x, y, at: pointer) { out.append(m) } } }
        if out.count > 256 { throw FSMDecodeError(.budget, "\(source): allOf at #\(pointer): more than 256 alternatives after expanding combinators") }
        return out
    }

    func typeList(_ v: SchemaValue) -> [String] {
        if let s = v.stringValue { return [s] }
        return (v.arrayValue ?? []).compactMap(\.stringValue)
    }

    static let allTypes = ["null", "boolean", "object", "array", "number", "string"]

    /// `type` must name JSON Schema types: a misspelt name would otherwise read as "no type
    /// allowed" and silently drop an optional property (or reject everything at the root).
    func checkTypeNames(_ t: SchemaValue, at pointer: String) throws {
        for n in t.arrayValue ?? [t] {
            guard let s = n.stringValue, s == "integer" || Self.allTypes.contains(s) else {
                throw error("type", pointer, "\(n.compactText.prefix(40)) is not a JSON Schema type (null, boolean, object, array, number, integer, string)")
            }
        }
    }

    /// Conjunction of two simple nodes as one simple node; nil when provably unsatisfiable.
    mutating func merge(_ x: SchemaNode, _ y: SchemaNode, at pointer: String) throws -> SchemaNode? {
        guard let xm = x.value.members, let ym = y.value.members else { return nil }
        if ym.isEmpty { return x }
        if xm.isEmpty { return y }
        var out = xm
        func has(_ k: String) -> Bool { out.contains { $0.key == k } }
        func get(_ k: String) -> SchemaValue? { out.first { $0.key == k }?.value }
        func set(_ k: String, _ v: SchemaValue) { if let i = out.firstIndex(where: { $0.key == k }) { out[i].value = v } else { out.append(SchemaMember(key: k, value: v)) } }
        let xProps = Set(x.value["properties"]?.members?.map(\.key) ?? [])
        let yProps = Set(y.value["properties"]?.members?.map(\.key) ?? [])
        for m in ym {
            let k = m.key
            // Annotations and unknown keywords (ignored by the compiler) need no merging.
            if Self.annotations.contains(k) || (!Self.known.contains(k) && !Self.combinators.contains(k)) { continue }
            guard let cur = get(k) else {
                // A property declared only in y is an "additional" property of x.
                if k == "properties", let extra = try constrainByAdditional(m.value, declaredIn: xProps, of: x, at: pointer) { set(k, extra) } else { set(k, m.value) }
                continue
            }
            if cur == m.value { continue }
            switch k {
            case "type":
                var a = Set(typeList(cur)), b = Set(typeList(m.value))
                if a.contains("number") { a.insert("integer") }
                if b.contains("number") { b.insert("integer") }
                var both = a.intersection(b)
                if both.contains("number") { both.remove("integer") }
                if both.isEmpty { return nil }
                set(k, .array(both.sorted().map { .string($0) }))
            case "enum", "const":
                let a = k == "const" ? [cur] : (cur.arrayValue ?? []), b = k == "const" ? [m.value] : (m.value.arrayValue ?? [])
                let both = a.filter { b.contains($0) }
                if both.isEmpty { return nil }
                set(k, k == "const" ? both[0] : .array(both))
            case "required":
                var a = cur.arrayValue ?? []
                for v in m.value.arrayValue ?? [] where !a.contains(v) { a.append(v) }
                set(k, .array(a))
            case "$notEnum", "$notRequired", "$notString", "$notSchema", "$notMultipleOf", "$someKeyOutside":
                set(k, .array((cur.arrayValue ?? []) + (m.value.arrayValue ?? [])))
            case "minLength", "minItems", "minProperties", "minimum", "minContains":
                if let a = cur.decimal, let b = m.value.decimal { set(k, .number(max(a, b))) }
            case "maxLength", "maxItems", "maxProperties", "maximum", "maxContains":
                if let a = cur.decimal, let b = m.value.decimal { set(k, .number(min(a, b))) }
            case "exclusiveMinimum" where cur.decimal != nil && m.value.decimal != nil:
                set(k, .number(max(cur.decimal!, m.value.decimal!)))
            case "exclusiveMaximum" where cur.decimal != nil && m.value.decimal != nil:
                set(k, .number(min(cur.decimal!, m.value.decimal!)))
            case "properties":
                var props = try constrainByAdditional(cur, declaredIn: yProps, of: y, at: pointer) ?? cur
                let extra = try constrainByAdditional(m.value, declaredIn: xProps, of: x, at: pointer) ?? m.value
                var list = props.members ?? []
                for p in extra.members ?? [] {
                    if let i = list.firstIndex(where: { $0.key == p.key }) {
                        list[i].value = .object([SchemaMember(key: "allOf", value: .array([list[i].value, p.value]))])
                    } else { list.append(p) }
                }
                props = .object(list)
                set(k, props)
            case "additionalProperties", "items", "additionalItems", "propertyNames", "unevaluatedProperties":
                if case .array = cur { try refuse("allOf", pointer, "two different tuple 'items' lists cannot be merged"); continue }
                set(k, .object([SchemaMember(key: "allOf", value: .array([cur, m.value]))]))
            case "patternProperties":
                // Same pattern on both sides: both schemas; others side by side (a key matching
                // several patterns satisfies all of them, as in one schema).
                var list = cur.members ?? []
                for p in m.value.members ?? [] {
                    if let i = list.firstIndex(where: { $0.key == p.key }) {
                        list[i].value = .object([SchemaMember(key: "allOf", value: .array([list[i].value, p.value]))])
                    } else { list.append(p) }
                }
                set(k, .object(list))
            case "dependentRequired":
                var list = cur.members ?? []
                for p in m.value.members ?? [] {
                    if let i = list.firstIndex(where: { $0.key == p.key }) { list[i].value = .array((list[i].value.arrayValue ?? []) + (p.value.arrayValue ?? [])) } else { list.append(p) }
                }
                set(k, .object(list))
            case "multipleOf" where cur.decimal != nil && m.value.decimal != nil:
                // Multiples of both are the multiples of their least common multiple.
                guard let l = SchemaDecimal.leastCommonMultiple(cur.decimal!, m.value.decimal!) else {
                    try refuse("allOf", pointer, "'multipleOf' values \(cur.decimal!.shortText) and \(m.value.decimal!.shortText) in two merged schemas have no common multiple computed here (each must be positive, with at most 17 digits)")
                    continue
                }
                set(k, .number(l))
            case "pattern", "$andPattern":
                // Both hold: the other patterns go to `$andPattern`, whose languages the string's
                // is intersected with (an automaton product, see `stringContent`).
                var ands = get("$andPattern")?.arrayValue ?? []
                for p in k == "pattern" ? [m.value] : (m.value.arrayValue ?? []) where !ands.contains(p) && p != get("pattern") { ands.append(p) }
                set("$andPattern", .array(ands))
            default:
                try refuse("allOf", pointer, "'\(k)' appears in two merged schemas with different values and cannot be merged exactly")
            }
        }
        // Properties declared only by x are "additional" for y (when y declares none at all;
        // the case where both declare some is handled above).
        if y.value["properties"] == nil, let xp = x.value["properties"],
           let constrained = try constrainByAdditional(xp, declaredIn: yProps, of: y, at: pointer) {
            set("properties", constrained)
        }
        // Keys matching one side's patterns would escape the other side's additionalProperties
        // in the merged schema. (Declared names matching the other side's patterns get both
        // schemas when compiled, as in one schema.)
        func hasPatterns(_ n: SchemaNode) -> Bool { !(n.value["patternProperties"]?.members ?? []).isEmpty }
        func constrainsAdditional(_ n: SchemaNode) -> Bool { n.value["additionalProperties"].map { !isTrivial($0) } ?? false }
        if (hasPatterns(x) && constrainsAdditional(y)) || (hasPatterns(y) && constrainsAdditional(x)) {
            try refuse("allOf", pointer, "patternProperties of one merged schema with additionalProperties of another are not supported exactly")
        }
        return SchemaNode(value: .object(out), pointer: x.pointer, synthetic: true)
    }

    /// `props` (declared in one conjunct) constrained by the other conjunct `other`'s
    /// `additionalProperties` where `other` does not declare them; nil if nothing changes.
    private mutating func constrainByAdditional(_ props: SchemaValue, declaredIn declared: Set<String>, of other: SchemaNode, at pointer: String) throws -> SchemaValue? {
        guard let add = other.value["additionalProperties"], add != .bool(true) else {
            return nil
        }
        // Names matching the other side's patterns follow those patterns there, not its
        // additionalProperties (the merged patternProperties apply to them when compiled).
        var patterns: [CodePointRegex] = []
        for p in other.value["patternProperties"]?.members ?? [] {
            do { patterns.append(try ECMARegexParser.parseSearch(p.key)) }
            catch let f as ECMARegexParser.Failure { try refuse("patternProperties", other.pointer, "/\(p.key)/: \(f.why)"); return nil }
        }
        var list = props.members ?? []
        var changed = false
        for i in list.indices where !declared.contains(list[i].key) {
            let name = list[i].key.unicodeScalars.map(\.value)
            if patterns.contains(where: { $0.matches(name) }) { continue }
            list[i].value = .object([SchemaMember(key: "allOf", value: .array([list[i].value, add]))])
            changed = true
        }
        return changed ? .object(list) : nil
    }

    // MARK: negation

    /// A schema equivalent to `not node`, for the simple forms; nil when none is known.
    mutating func negate(_ node: SchemaNode) throws -> SchemaNode? {
        func syn(_ v: SchemaValue) -> SchemaNode { SchemaNode(value: v, pointer: node.pointer, synthetic: true) }
        func obj(_ pairs: [(String, SchemaValue)]) -> SchemaValue { .object(pairs.map { SchemaMember(key: $0.0, value: $0.1) }) }
        if case .bool(let b) = node.value { return syn(.bool(!b)) }
        guard let members = node.value.members else { return nil }
        if let ref = node.value["$ref"]?.stringValue, members.allSatisfy({ $0.key == "$ref" || Self.annotations.contains($0.key) }) {
            expansionDepth += 1
            defer { expansionDepth -= 1 }
            if expansionDepth > 64 { return nil }
            return try negate(resolve(ref, at: node.pointer))
        }
        var disjuncts: [SchemaValue] = []
        let others = Self.allTypes
        func typeGuarded(_ t: String, _ extra: [(String, SchemaValue)]) -> [SchemaValue] {
            // Instances of other types satisfy a type-specific keyword; its negation holds only for type t.
            var types = [t]
            if t == "number" { types = ["number"] }
            return [obj([("type", .array(types.map { .string($0) }))] + extra)]
        }
        for m in members {
            let k = m.key
            if Self.annotations.contains(k) || (!Self.known.contains(k) && !Self.combinators.contains(k)) { continue }
            switch k {
            case "type":
                var t = Set(typeList(m.value))
                // Not an integer: the other types, or a number that is not a multiple of 1.
                let integerOnly = t.contains("integer") && !t.contains("number")
                if integerOnly { t.insert("number") }
                let rest = others.filter { !t.contains($0) }
                disjuncts.append(obj([("type", .array(rest.map { .string($0) }))]))
                if integerOnly { disjuncts.append(obj([("type", .string("number")), ("$notMultipleOf", .array([.number(SchemaDecimal(1))]))])) }
            case "enum": disjuncts.append(obj([("$notEnum", m.value)]))
            case "const": disjuncts.append(obj([("$notEnum", .array([m.value]))]))
            case "required":
                guard let list = m.value.arrayValue, !list.isEmpty else { continue }
                disjuncts.append(obj([("type", .string("object")), ("$notRequired", .array([.array(list)]))]))
            case "properties":
                for p in m.value.members ?? [] {
                    guard let np = try negate(node.child("properties", m.value).child(p.key, p.value)) else { return nil }
                    disjuncts.append(obj([("type", .string("object")), ("required", .array([.string(p.key)])),
                                          ("properties", obj([(p.key, np.value)]))]))
                }
            case "additionalProperties":
                // No additional member allowed: its negation is an object with a key outside
                // the declared ones (with patternProperties the key regions would be needed).
                if isTrivial(m.value) { continue }
                guard m.value == .bool(false), node.value["patternProperties"] == nil else { return nil }
                let declared = (node.value["properties"]?.members ?? []).map { SchemaValue.string($0.key) }
                disjuncts.append(obj([("type", .string("object")), ("$someKeyOutside", .array([.array(declared)]))]))
            case "pattern", "format":
                // Strings outside the language (other types satisfy string keywords).
                disjuncts.append(obj([("type", .string("string")), ("$notString", .array([obj([(k, m.value)])]))]))
            case "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum":
                guard let v = m.value.decimal else { return nil }
                let flip = ["minimum": "exclusiveMaximum", "exclusiveMinimum": "maximum", "maximum": "exclusiveMinimum", "exclusiveMaximum": "minimum"][k]!
                disjuncts += typeGuarded("number", [(flip, .number(v))])
            case "multipleOf":
                // Numbers that are not multiples (`numberPattern` subtracts them).
                guard let v = m.value.decimal, !v.negative, !v.isZero else { return nil }
                disjuncts += typeGuarded("number", [("$notMultipleOf", .array([.number(v)]))])
            case "minLength", "minItems", "minProperties":
                guard let v = m.value.decimal, v.isInteger else { return nil }
                if v.isZero { continue }
                let t = k == "minLength" ? "string" : k == "minItems" ? "array" : "object"
                disjuncts += typeGuarded(t, [("max" + k.dropFirst(3), .number(v.predecessor))])
            case "maxLength", "maxItems", "maxProperties":
                guard let v = m.value.decimal, v.isInteger else { return nil }
                let t = k == "maxLength" ? "string" : k == "maxItems" ? "array" : "object"
                disjuncts += typeGuarded(t, [("min" + k.dropFirst(3), .number(v.successor))])
            case "items":
                // Some item outside S: `contains` (the schema form only, applying to every item;
                // with prefixItems it covers only the later ones).
                if case .array = m.value { return nil }
                if node.value["prefixItems"] != nil { return nil }
                guard let ni = try negate(node.child("items", m.value)) else { return nil }
                if ni.value == .bool(false) { continue }
                disjuncts.append(obj([("type", .string("array")), ("contains", ni.value)]))
            case "allOf":
                // Some conjunct fails.
                for (i, sub) in (m.value.arrayValue ?? []).enumerated() {
                    guard let n = try negate(node.child("allOf", m.value).child(String(i), sub)) else { return nil }
                    disjuncts.append(n.value)
                }
            case "oneOf":
                // No branch matches, or two do.
                let list = m.value.arrayValue ?? []
                if list.count > 6 { return nil }
                var none: [SchemaValue] = []
                for (i, sub) in list.enumerated() {
                    guard let n = try negate(node.child("oneOf", m.value).child(String(i), sub)) else { return nil }
                    none.append(n.value)
                }
                disjuncts.append(obj([("allOf", .array(none))]))
                for i in list.indices { for j in list.indices where j > i { disjuncts.append(obj([("allOf", .array([list[i], list[j]]))])) } }
            case "dependencies", "dependentRequired", "dependentSchemas":
                // Key k present while its required keys are not all there, or its schema fails.
                for d in m.value.members ?? [] {
                    var clause: [(String, SchemaValue)] = [("type", .string("object")), ("required", .array([.string(d.key)]))]
                    if let keys = d.value.arrayValue, k != "dependentSchemas" {
                        if keys.isEmpty { continue }
                        clause.append(("$notRequired", .array([.array(keys)])))
                    } else {
                        guard let n = try negate(node.child(k, m.value).child(d.key, d.value)) else { return nil }
                        clause.append(("allOf", .array([n.value])))
                    }
                    disjuncts.append(obj(clause))
                }
            case "not":
                disjuncts.append(m.value)
            case "anyOf":
                var conj: [SchemaValue] = []
                for (i, s) in (m.value.arrayValue ?? []).enumerated() {
                    guard let n = try negate(node.child("anyOf", m.value).child(String(i), s)) else { return nil }
                    conj.append(n.value)
                }
                disjuncts.append(obj([("allOf", .array(conj))]))
            default:
                return nil
            }
        }
        if disjuncts.isEmpty { return syn(.bool(false)) }
        return syn(disjuncts.count == 1 ? disjuncts[0] : obj([("anyOf", .array(disjuncts))]))
    }

    // MARK: oneOf

    /// `oneOf` as a union: branch i becomes `Bi ∧ ¬Bj` for every branch j that is not
    /// provably disjoint from it (so a value matching two branches matches neither refined
    /// one). Needs `negate(Bj)`; refuses where a negation is not known or the expansion
    /// exceeds the alternative budget.
    private mutating func exclusiveBranches(_ branches: [[SchemaNode]], _ raw: [SchemaNode], at pointer: String) throws -> [[SchemaNode]] {
        var overlapping = [[Bool]](repeating: [Bool](repeating: false, count: branches.count), count: branches.count)
        for i in branches.indices {
            for j in branches.indices where j > i {
                var overlap = false
                for a in branches[i] { for b in branches[j] where !(try disjoint(a, b)) { overlap = true; break }; if overlap { break } }
                overlapping[i][j] = overlap
                overlapping[j][i] = overlap
            }
        }
        var negations: [Int: [SchemaNode]] = [:]
        var out = branches
        for i in branches.indices {
            for j in branches.indices where overlapping[i][j] && !out[i].isEmpty {
                if negations[j] == nil {
                    guard let n = try negate(raw[j]) else {
                        try refuse("oneOf", pointer, "branches \(min(i, j)) and \(max(i, j)) may both match the same value (not provably disjoint) and branch \(j) cannot be negated exactly")
                        return branches
                    }
                    negations[j] = try expand(n)
                }
                do {
                    out[i] = try product(out[i], negations[j]!, at: pointer)
                } catch let e as FSMDecodeError where e.kind == .budget {
                    try refuse("oneOf", pointer, "making overlapping branches \(min(i, j)) and \(max(i, j)) exclusive needs more than 256 alternatives")
                    return branches
                }
            }
        }
        return out
    }

    func kinds(_ n: SchemaNode) -> Set<String> {
        var k = Set(Self.allTypes)
        if let t = n.value["type"] {
            k = Set(typeList(t).map { $0 == "integer" ? "number" : $0 })
        }
        let values = n.value["const"].map { [$0] } ?? n.value["enum"]?.arrayValue
        if let values { k.formIntersection(values.map { $0.kindName == "integer" ? "number" : $0.kindName }) }
        return k
    }

    mutating func disjoint(_ a: SchemaNode, _ b: SchemaNode) throws -> Bool {
        let ka = kinds(a), kb = kinds(b)
        if ka.isDisjoint(with: kb) { return true }
        // Only strings can overlap: compare the string languages (automaton intersection).
        if ka.intersection(kb) == ["string"], a.value["const"] == nil, a.value["enum"] == nil, b.value["const"] == nil, b.value["enum"] == nil,
           let empty = try stringsDisjoint(a, b) {
            return empty
        }
        let va = a.value["const"].map { [$0] } ?? a.value["enum"]?.arrayValue
        let vb = b.value["const"].map { [$0] } ?? b.value["enum"]?.arrayValue
        if let va, let vb, !va.contains(where: { vb.contains($0) }) { return true }
        if let va, !va.contains(where: { scalarMayValidate($0, b) }) { return true }
        if let vb, !vb.contains(where: { scalarMayValidate($0, a) }) { return true }
        // Only objects can overlap now? Then look for a discriminating property.
        if ka.intersection(kb) == ["object"] {
            let ra = Set((a.value["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            let rb = Set((b.value["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            for key in ra.intersection(rb) {
                guard let pa = a.value["properties"]?[key], let pb = b.value["properties"]?[key] else { continue }
                let na = SchemaNode(value: pa, pointer: a.pointer, synthetic: true), nb = SchemaNode(value: pb, pointer: b.pointer, synthetic: true)
                if try disjoint(na, nb) { return true }
            }
            // A key required on one side and forbidden on the other.
            for (r, other) in [(ra, b), (rb, a)] where other.value["additionalProperties"] == .bool(false) && other.value["patternProperties"] == nil {
                let declared = Set(other.value["properties"]?.members?.map(\.key) ?? [])
                if !r.isSubset(of: declared) { return true }
            }
        }
        return false
    }

    /// Whether no string satisfies both nodes' string keywords; nil when unknown (a keyword
    /// that would be relaxed or refused, or automata over budget).
    mutating func stringsDisjoint(_ a: SchemaNode, _ b: SchemaNode) throws -> Bool? {
        let savedWarnings = warnings, savedUsed = used
        defer { warnings = savedWarnings; used = savedUsed }
        do {
            guard let la = try stringContent(a, excluding: []) else { return true }
            guard let lb = try stringContent(b, excluding: []) else { return true }
            if warnings.count != savedWarnings.count { return nil }
            let alphabet = CodePointAlphabet(la.parts + lb.parts)
            return try la.dfa(alphabet).combined(lb.dfa(alphabet), .and).isEmpty
        } catch is FSMDecodeError { return nil }
    }

    /// False only when `v` certainly fails `n`'s type/enum keywords.
    func scalarMayValidate(_ v: SchemaValue, _ n: SchemaNode) -> Bool {
        if let t = n.value["type"] {
            let types = typeList(t)
            let k = v.kindName
            if !(types.contains(k) || (k == "integer" && types.contains("number"))) { return false }
        }
        if let c = n.value["const"], c != v { return false }
        if let e = n.value["enum"]?.arrayValue, !e.contains(v) { return false }
        return true
    }
}
