/// A small JSON Schema validator, independent of the schema compiler: it walks the schema
/// and the instance directly, so the benchmark can judge outputs without trusting the engine
/// it measures. Covers the keywords the benchmark suites and typical MaskBench schemas use:
/// type, enum, const, properties, required, additionalProperties, patternProperties,
/// propertyNames, min/maxProperties, dependentRequired/dependencies, items (schema or list),
/// prefixItems, additionalItems, min/maxItems, uniqueItems, contains, min/maxLength, pattern
/// (PCRE2, unanchored search), numeric bounds (draft 4 boolean exclusives too), multipleOf,
/// allOf/anyOf/oneOf/not, if/then/else, local `$ref` ("#", "#/…" pointers, `$defs`/
/// `definitions`) and the formats date, time, date-time, email, uuid, ipv4 (other formats are
/// annotations). Unknown keywords are ignored. Cost: one walk; `$ref` depth is capped.
public final class SchemaValidator: @unchecked Sendable {
    public let root: JSONInstance
    private var patterns: [String: PCRE2Pattern] = [:]

    public init(schema: JSONInstance) { root = schema }

    /// The first violation as "POINTER: KEYWORD: WHY", or nil when `instance` is valid.
    public func firstError(_ instance: JSONInstance) -> String? {
        check(instance, root, "", depth: 0)
    }

    public func isValid(_ instance: JSONInstance) -> Bool { firstError(instance) == nil }

    private func check(_ v: JSONInstance, _ s: JSONInstance, _ at: String, depth: Int) -> String? {
        if case .bool(let b) = s { return b ? nil : "\(at): false schema" }
        guard let m = s.members else { return nil }
        guard depth < 200 else { return "\(at): $ref nesting deeper than 200" }
        func fail(_ k: String, _ why: String) -> String { "\(at.isEmpty ? "/" : at): \(k): \(why)" }
        if let ref = s["$ref"]?.stringValue {
            guard let target = JSONPointer.resolve(ref, in: root) else { return fail("$ref", "cannot resolve \(ref)") }
            if let e = check(v, target, at, depth: depth + 1) { return e }
        }
        for (k, kv) in m {
            switch k {
            case "type":
                let types = kv.arrayValue?.compactMap(\.stringValue) ?? [kv.stringValue ?? ""]
                if !types.contains(where: { Self.hasType(v, $0) }) { return fail(k, "not \(types.joined(separator: "|"))") }
            case "enum":
                if !(kv.arrayValue ?? []).contains(v) { return fail(k, "not one of the listed values") }
            case "const":
                if kv != v { return fail(k, "differs") }
            case "allOf":
                for x in kv.arrayValue ?? [] { if let e = check(v, x, at, depth: depth + 1) { return e } }
            case "anyOf":
                if !(kv.arrayValue ?? []).contains(where: { check(v, $0, at, depth: depth + 1) == nil }) { return fail(k, "no branch matches") }
            case "oneOf":
                let n = (kv.arrayValue ?? []).filter { check(v, $0, at, depth: depth + 1) == nil }.count
                if n != 1 { return fail(k, "\(n) branches match") }
            case "not":
                if check(v, kv, at, depth: depth + 1) == nil { return fail(k, "the negated schema matches") }
            case "if":
                let thenOrElse = check(v, kv, at, depth: depth + 1) == nil ? s["then"] : s["else"]
                if let b = thenOrElse, let e = check(v, b, at, depth: depth + 1) { return e }
            default: break
            }
        }
        switch v {
        case .string(let str):
            let n = str.unicodeScalars.count
            if let x = s["minLength"].flatMap(Self.num), Double(n) < x { return fail("minLength", "\(n) characters") }
            if let x = s["maxLength"].flatMap(Self.num), Double(n) > x { return fail("maxLength", "\(n) characters") }
            if let p = s["pattern"]?.stringValue {
                guard let re = pattern(p) else { return fail("pattern", "PCRE2 cannot compile \(p)") }
                if !Self.search(re, str) { return fail("pattern", "no match for \(p)") }
            }
            if let f = s["format"]?.stringValue, let ok = Self.checkFormat(f, str), !ok { return fail("format", "not a valid \(f)") }
        case .number(let d, _, let isInt):
            if case .string("integer")? = s["type"], !isInt { return fail("type", "not integer") }
            if let x = s["minimum"].flatMap(Self.num) {
                if case .bool(true)? = s["exclusiveMinimum"] { if !(d > x) { return fail("exclusiveMinimum", "\(d) ≤ \(x)") } }
                else if d < x { return fail("minimum", "\(d) < \(x)") }
            }
            if let x = s["maximum"].flatMap(Self.num) {
                if case .bool(true)? = s["exclusiveMaximum"] { if !(d < x) { return fail("exclusiveMaximum", "\(d) ≥ \(x)") } }
                else if d > x { return fail("maximum", "\(d) > \(x)") }
            }
            if let x = s["exclusiveMinimum"].flatMap(Self.num), !(d > x) { return fail("exclusiveMinimum", "\(d) ≤ \(x)") }
            if let x = s["exclusiveMaximum"].flatMap(Self.num), !(d < x) { return fail("exclusiveMaximum", "\(d) ≥ \(x)") }
            if let x = s["multipleOf"].flatMap(Self.num), x > 0 {
                let q = d / x
                if abs(q - q.rounded()) > 1e-9 * max(1, abs(q)) { return fail("multipleOf", "\(d) is not a multiple of \(x)") }
            }
        case .array(let a):
            if let x = s["minItems"].flatMap(Self.num), Double(a.count) < x { return fail("minItems", "\(a.count) items") }
            if let x = s["maxItems"].flatMap(Self.num), Double(a.count) > x { return fail("maxItems", "\(a.count) items") }
            if case .bool(true)? = s["uniqueItems"] {
                for i in a.indices { for j in a.indices where j > i && a[i] == a[j] { return fail("uniqueItems", "items \(i) and \(j) are equal") } }
            }
            var prefix: [JSONInstance] = s["prefixItems"]?.arrayValue ?? []
            var rest: JSONInstance? = s["items"]
            if let list = s["items"]?.arrayValue { prefix = list; rest = s["additionalItems"] }
            for (i, x) in a.enumerated() {
                let sub = i < prefix.count ? prefix[i] : rest
                if let sub, let e = check(x, sub, at + "/\(i)", depth: depth + 1) { return e }
            }
            if let c = s["contains"], !a.contains(where: { check($0, c, at, depth: depth + 1) == nil }) { return fail("contains", "no item matches") }
        case .object(let members):
            if let x = s["minProperties"].flatMap(Self.num), Double(members.count) < x { return fail("minProperties", "\(members.count) properties") }
            if let x = s["maxProperties"].flatMap(Self.num), Double(members.count) > x { return fail("maxProperties", "\(members.count) properties") }
            for r in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where v[r] == nil { return fail("required", "missing \"\(r)\"") }
            let deps = (s["dependentRequired"]?.members ?? []) + (s["dependencies"]?.members ?? [])
            for d in deps where v[d.key] != nil {
                if let names = d.value.arrayValue {
                    for n in names.compactMap(\.stringValue) where v[n] == nil { return fail("dependencies", "\"\(d.key)\" needs \"\(n)\"") }
                } else if let e = check(v, d.value, at, depth: depth + 1) { return e }
            }
            let props = s["properties"]?.members ?? []
            let patternProps = s["patternProperties"]?.members ?? []
            for mem in members {
                let path = at + "/" + JSONPointer.escape(mem.key)
                if let pn = s["propertyNames"], let e = check(.string(mem.key), pn, path, depth: depth + 1) { return e }
                var matched = false
                if let p = props.last(where: { $0.key == mem.key }) {
                    matched = true
                    if let e = check(mem.value, p.value, path, depth: depth + 1) { return e }
                }
                for pp in patternProps {
                    guard let re = pattern(pp.key) else { return fail("patternProperties", "PCRE2 cannot compile \(pp.key)") }
                    if Self.search(re, mem.key) {
                        matched = true
                        if let e = check(mem.value, pp.value, path, depth: depth + 1) { return e }
                    }
                }
                if !matched, let ap = s["additionalProperties"], let e = check(mem.value, ap, path, depth: depth + 1) {
                    return e.hasSuffix("false schema") ? fail("additionalProperties", "\"\(mem.key)\" is not allowed") : e
                }
            }
        default: break
        }
        return nil
    }

    private func pattern(_ p: String) -> PCRE2Pattern? {
        if let re = patterns[p] { return re }
        guard let re = try? PCRE2Pattern(p) else { return nil }
        patterns[p] = re
        return re
    }

    static func search(_ re: PCRE2Pattern, _ s: String) -> Bool {
        let bytes = Array(s.utf8)
        return bytes.withUnsafeBufferPointer { re.firstMatch(in: $0) != nil }
    }

    static func num(_ v: JSONInstance) -> Double? { if case .number(let d, _, _) = v { return d }; return nil }

    static func hasType(_ v: JSONInstance, _ t: String) -> Bool {
        switch (t, v) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array), ("object", .object): return true
        case ("integer", .number(_, _, let isInt)): return isInt
        default: return false
        }
    }

    private static let formats: [String: String] = [
        "date": #"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"#,
        "time": #"^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"#,
        "date-time": #"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"#,
        "email": #"^[^@\s]+@[^@\s]+$"#,
        "uuid": #"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"#,
        "ipv4": #"^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$"#,
    ]
    private static let formatPatterns: [String: PCRE2Pattern] = formats.compactMapValues { try? PCRE2Pattern($0) }

    /// nil when the format is an annotation here.
    static func checkFormat(_ f: String, _ s: String) -> Bool? {
        guard let re = formatPatterns[f] else { return nil }
        return re.matchesWhole(Array(s.utf8))
    }
}

