@testable import FSMDecode
import Foundation

/// Helpers for the JSON Schema suites: compiling schema text, and serialising instances in
/// the compiler's canonical representation (object keys in schema order, numbers in plain
/// notation) compactly, pretty-printed (json.dumps indent=2) or with flexible spacing.
enum JSONSchemaTestSupport {
    static func parse(_ text: String, source: String = "<test>") throws -> JSONValue {
        try JSONDocument(bytes: Array(text.utf8), source: source).value
    }

    static func compile(_ schemaText: String, _ whitespace: JSONSchemaOptions.Whitespace = .compact,
                        lenient: Bool = false) throws -> JSONSchemaCompilation {
        try JSONSchemaCompiler.compile(try parse(schemaText), source: "<test>",
                                       options: JSONSchemaOptions(whitespace: whitespace, lenient: lenient))
    }

    /// Serialises `v` compactly (indent nil) or as json.dumps(indent: n).
    static func serialize(_ v: SchemaValue, indent: Int? = nil, depth: Int = 0) -> String {
        // Indentation is capped at 19 spaces so a newline plus indent stays within the
        // flexible policy's 20-byte whitespace runs (deeper levels share the cap).
        func pad(_ d: Int) -> String { indent.map { "\n" + String(repeating: " ", count: min($0 * d, 19)) } ?? "" }
        switch v {
        case .array(let a):
            if a.isEmpty { return "[]" }
            return "[" + pad(depth + 1) + a.map { serialize($0, indent: indent, depth: depth + 1) }.joined(separator: "," + pad(depth + 1)) + pad(depth) + "]"
        case .object(let m):
            if m.isEmpty { return "{}" }
            let colon = indent == nil ? ":" : ": "
            return "{" + pad(depth + 1) + m.map { JSONText.quote($0.key) + colon + serialize($0.value, indent: indent, depth: depth + 1) }
                .joined(separator: "," + pad(depth + 1)) + pad(depth) + "}"
        default: return v.compactText
        }
    }

    /// Reorders object keys as the compiler emits them: keys declared by `properties` in the
    /// (merged) schema order first, other keys after, in instance order.
    /// `mergedOrder`: order keys consistently with every `properties` list (else: first seen,
    /// which is how the compiler orders merged `allOf`/`if`-`then` properties).
    static func canonical(_ instance: SchemaValue, schema: SchemaValue, root: SchemaValue, mergedOrder merged: Bool = false) -> SchemaValue {
        var info = Collected()
        var visiting = 0
        collect(schema, root: root, into: &info, budget: &visiting)
        var order: [String] = []
        if merged { order = mergedOrder(info.chains) } else { for k in info.chains.joined() where !order.contains(k) { order.append(k) } }
        // enum/const containers are emitted in their written key order.
        for c in info.consts where c == instance { return c }
        switch instance {
        case .object(let members):
            var out: [SchemaMember] = []
            for k in order { if let m = members.first(where: { $0.key == k }) { out.append(m) } }
            for m in members where !order.contains(m.key) { out.append(m) }
            return .object(out.map { m in
                let subs = info.props[m.key] ?? []
                let extra = info.additional
                let s: SchemaValue = .object([SchemaMember(key: "allOf", value: .array(subs.isEmpty ? extra : subs))])
                return SchemaMember(key: m.key, value: canonical(m.value, schema: s, root: root, mergedOrder: merged))
            })
        case .array(let a):
            return .array(a.enumerated().map { i, x in
                var subs = info.items
                if i < info.prefix.count { subs = info.prefix[i] }
                return canonical(x, schema: .object([SchemaMember(key: "allOf", value: .array(subs))]), root: root, mergedOrder: merged)
            })
        default: return instance
        }
    }

    /// One order consistent with every `properties` list seen (each list is a chain of
    /// "comes before" constraints; ties go to the key seen first); on a cycle, the rest in
    /// first-seen order. Branches of anyOf/oneOf that declare different subsets in different
    /// orders then each get their own order respected where possible.
    static func mergedOrder(_ chains: [[String]]) -> [String] {
        var keys: [String] = []
        var preds: [String: Set<String>] = [:]
        for chain in chains {
            for (i, k) in chain.enumerated() {
                if preds[k] == nil { keys.append(k); preds[k] = [] }
                if i > 0 { preds[k]!.insert(chain[i - 1]) }
            }
        }
        var out: [String] = []
        var placed = Set<String>()
        while out.count < keys.count {
            if let next = keys.first(where: { !placed.contains($0) && preds[$0]!.isSubset(of: placed) }) {
                out.append(next); placed.insert(next)
            } else {
                for k in keys where !placed.contains(k) { out.append(k); placed.insert(k) }
            }
        }
        return out
    }

    struct Collected {
        var chains: [[String]] = []
        var props: [String: [SchemaValue]] = [:]
        var additional: [SchemaValue] = []
        var items: [SchemaValue] = []
        var prefix: [[SchemaValue]] = []
        var consts: [SchemaValue] = []
    }

    static func collect(_ s: SchemaValue, root: SchemaValue, into c: inout Collected, budget: inout Int) {
        budget += 1
        guard budget < 2000, let members = s.members else { return }
        func addProps(_ p: SchemaValue?) {
            guard let members = p?.members else { return }
            c.chains.append(members.map(\.key))
            for m in members { c.props[m.key, default: []].append(m.value) }
        }
        addProps(s["properties"])
        if let k = s["const"] { c.consts.append(k) }
        c.consts += s["enum"]?.arrayValue ?? []
        for m in s["patternProperties"]?.members ?? [] { c.additional.append(m.value) }
        if let a = s["additionalProperties"] { c.additional.append(a) }
        if case .array(let list)? = s["items"] {
            for (i, x) in list.enumerated() { if c.prefix.count <= i { c.prefix.append([]) }; c.prefix[i].append(x) }
            if let a = s["additionalItems"] { c.items.append(a) }
        } else if let i = s["items"] { c.items.append(i) }
        if case .array(let list)? = s["prefixItems"] {
            for (i, x) in list.enumerated() { if c.prefix.count <= i { c.prefix.append([]) }; c.prefix[i].append(x) }
        }
        if let ref = s["$ref"]?.stringValue, ref.hasPrefix("#") { if let t = resolve(ref, root) { collect(t, root: root, into: &c, budget: &budget) } }
        for m in members {
            switch m.key {
            case "allOf", "anyOf", "oneOf": for x in m.value.arrayValue ?? [] { collect(x, root: root, into: &c, budget: &budget) }
            case "if", "then", "else": collect(m.value, root: root, into: &c, budget: &budget)
            default: break
            }
        }
    }

    static func resolve(_ ref: String, _ root: SchemaValue) -> SchemaValue? {
        var cur = root
        let path = ref.dropFirst()
        if path.isEmpty { return root }
        for raw in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let t = (String(raw).removingPercentEncoding ?? String(raw)).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if case .array(let a) = cur { guard let i = Int(t), i < a.count else { return nil }; cur = a[i] }
            else { guard let n = cur[t] else { return nil }; cur = n }
        }
        return cur
    }
}
