/// Deciding whether one concrete JSON value (an `enum`/`const` literal) validates against a
/// schema, for the constructs a grammar cannot express on its own but a finite set of values
/// can: `not` of an arbitrary schema, container literals next to container keywords. Returns
/// nil where a keyword is not decided here (the caller then refuses).
extension SchemaCompiler {
    func literalSatisfies(_ v: SchemaValue, _ s: SchemaValue, depth: Int = 0) -> Bool? {
        if case .bool(let b) = s { return b }
        guard let members = s.members, depth < 64 else { return nil }
        if let ref = s["$ref"]?.stringValue {
            guard let target = try? resolve(ref, at: "") else { return nil }
            if refIgnoresSiblings { return literalSatisfies(v, target.value, depth: depth + 1) }
            guard let r = literalSatisfies(v, target.value, depth: depth + 1) else { return nil }
            if !r { return false }
        }
        var unknown = false
        func all(_ results: [Bool?]) -> Bool? {
            if results.contains(false) { return false }
            return results.contains { $0 == nil } ? nil : true
        }
        func check(_ r: Bool?) -> Bool { if r == nil { unknown = true }; return r == false }
        func sub(_ x: SchemaValue, _ t: SchemaValue) -> Bool? { literalSatisfies(x, t, depth: depth + 1) }
        for m in members {
            let k = m.key, kv = m.value
            if k == "$ref" || Self.annotations.contains(k) { continue }
            if !Self.known.contains(k) && !Self.combinators.contains(k) { continue }
            var r: Bool? = true
            switch k {
            case "type":
                let t = typeList(kv)
                let kind = v.kindName
                r = t.contains(kind) || (kind == "integer" && t.contains("number"))
            case "enum": r = (kv.arrayValue ?? []).contains(v)
            case "const": r = kv == v
            case "$notEnum": r = !(kv.arrayValue ?? []).contains(v)
            case "nullable": r = true
            case "allOf": r = all((kv.arrayValue ?? []).map { sub(v, $0) })
            case "anyOf", "oneOf":
                let results = (kv.arrayValue ?? []).map { sub(v, $0) }
                if results.contains(where: { $0 == nil }) { r = nil } else {
                    let n = results.filter { $0 == true }.count
                    r = k == "anyOf" ? n > 0 : n == 1
                }
            case "not": r = sub(v, kv).map { !$0 }
            case "$notSchema": r = all((kv.arrayValue ?? []).map { sub(v, $0["schema"] ?? .bool(false)).map { !$0 } })
            case "if":
                guard let c = sub(v, kv) else { r = nil; break }
                if let branch = s[c ? "then" : "else"] { r = sub(v, branch) }
            case "then", "else": r = true
            case "$dynamicRef", "$recursiveRef": r = nil
            default: r = typed(v, k, kv, s, depth: depth)
            }
            if check(r) { return false }
        }
        return unknown ? nil : true
    }

    /// Type-specific keywords (they hold for values of other types).
    private func typed(_ v: SchemaValue, _ k: String, _ kv: SchemaValue, _ s: SchemaValue, depth: Int) -> Bool? {
        func sub(_ x: SchemaValue, _ t: SchemaValue) -> Bool? { literalSatisfies(x, t, depth: depth + 1) }
        switch v {
        case .string(let str):
            let scalars = str.unicodeScalars.map(\.value)
            switch k {
            case "minLength": return kv.decimal.map { !(SchemaDecimal(scalars.count) < $0) }
            case "maxLength": return kv.decimal.map { !($0 < SchemaDecimal(scalars.count)) }
            case "pattern":
                guard let p = kv.stringValue, let r = try? ECMARegexParser.parseSearch(p) else { return nil }
                return r.matches(scalars)
            case "format":
                guard let f = kv.stringValue else { return true }
                if let r = SchemaFormats.regex(f) { return r.matches(scalars) }
                return Self.unassertedFormats.contains(f) ? nil : true
            case "$notString":
                for n in kv.arrayValue ?? [] { guard let r = sub(v, n) else { return nil }; if r { return false } }
                return true
            case "$andPattern":
                for p in kv.arrayValue ?? [] {
                    guard let text = p.stringValue, let r = try? ECMARegexParser.parseSearch(text) else { return nil }
                    if !r.matches(scalars) { return false }
                }
                return true
            default: return Self.stringKeywords.contains(k) ? nil : true
            }
        case .number(let d):
            let bound = SchemaNode(value: s, pointer: "", synthetic: true)
            switch k {
            case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
                let (lo, hi) = bounds(bound)
                if let lo, lo.exclusive ? !(lo.value < d) : d < lo.value { return false }
                if let hi, hi.exclusive ? !(d < hi.value) : hi.value < d { return false }
                return true
            case "multipleOf":
                guard let m = kv.decimal, !m.negative, !m.isZero else { return nil }
                return d.isMultiple(of: m)
            case "$notMultipleOf":
                for m in kv.arrayValue ?? [] {
                    guard let m = m.decimal, let multiple = d.isMultiple(of: m) else { return nil }
                    if multiple { return false }
                }
                return true
            default: return true
            }
        case .array(let a):
            switch k {
            case "minItems": return kv.decimal.map { !(SchemaDecimal(a.count) < $0) }
            case "maxItems": return kv.decimal.map { !($0 < SchemaDecimal(a.count)) }
            case "uniqueItems":
                guard kv == .bool(true) else { return true }
                for i in a.indices { for j in a.indices where j > i && a[i] == a[j] { return false } }
                return true
            case "items", "prefixItems", "additionalItems":
                var prefix: [SchemaValue] = [], rest: SchemaValue? = nil
                if case .array(let list)? = s["items"] { prefix = list; rest = s["additionalItems"] }
                else { prefix = s["prefixItems"]?.arrayValue ?? []; rest = s["items"] }
                var results: [Bool?] = []
                for (i, x) in a.enumerated() {
                    if i < prefix.count { results.append(sub(x, prefix[i])) } else if let rest { results.append(sub(x, rest)) }
                }
                if results.contains(false) { return false }
                return results.contains { $0 == nil } ? nil : true
            case "contains", "minContains", "maxContains":
                guard let c = s["contains"] else { return true }
                var n = 0
                for x in a { guard let r = sub(x, c) else { return nil }; if r { n += 1 } }
                let lo = s["minContains"]?.decimal.flatMap { Int($0.plainText) } ?? 1
                let hi = s["maxContains"]?.decimal.flatMap { Int($0.plainText) }
                return n >= lo && (hi == nil || n <= hi!)
            default: return Self.arrayKeywords.contains(k) ? nil : true
            }
        case .object(let members):
            let keys = members.map(\.key)
            switch k {
            case "minProperties": return kv.decimal.map { !(SchemaDecimal(members.count) < $0) }
            case "maxProperties": return kv.decimal.map { !($0 < SchemaDecimal(members.count)) }
            case "required": return (kv.arrayValue ?? []).compactMap(\.stringValue).allSatisfy { keys.contains($0) }
            case "$notRequired":
                for list in kv.arrayValue ?? [] where (list.arrayValue ?? []).compactMap(\.stringValue).allSatisfy({ keys.contains($0) }) { return false }
                return true
            case "$someKeyOutside":
                for list in kv.arrayValue ?? [] {
                    let inside = (list.arrayValue ?? []).compactMap(\.stringValue)
                    if !keys.contains(where: { !inside.contains($0) }) { return false }
                }
                return true
            case "dependentRequired", "dependencies", "dependentSchemas":
                for d in kv.members ?? [] where keys.contains(d.key) {
                    if let names = d.value.arrayValue {
                        if !names.compactMap(\.stringValue).allSatisfy({ keys.contains($0) }) { return false }
                    } else {
                        guard let r = sub(v, d.value) else { return nil }
                        if !r { return false }
                    }
                }
                return true
            case "propertyNames":
                var results: [Bool?] = []
                for key in keys { results.append(sub(.string(key), kv)) }
                if results.contains(false) { return false }
                return results.contains { $0 == nil } ? nil : true
            case "properties", "patternProperties", "additionalProperties":
                // Checked once, from "properties" or whichever comes first: all three together.
                let props = s["properties"]?.members ?? []
                var patterns: [(CodePointRegex, SchemaValue)] = []
                for p in s["patternProperties"]?.members ?? [] {
                    guard let r = try? ECMARegexParser.parseSearch(p.key) else { return nil }
                    patterns.append((r, p.value))
                }
                var results: [Bool?] = []
                for m in members {
                    var matched = false
                    if let p = props.last(where: { $0.key == m.key }) { matched = true; results.append(sub(m.value, p.value)) }
                    let name = m.key.unicodeScalars.map(\.value)
                    for (r, ps) in patterns where r.matches(name) { matched = true; results.append(sub(m.value, ps)) }
                    if !matched, let ap = s["additionalProperties"] { results.append(sub(m.value, ap)) }
                }
                if results.contains(false) { return false }
                return results.contains { $0 == nil } ? nil : true
            default: return Self.objectKeywords.contains(k) ? nil : true
            }
        default: return true
        }
    }
}
