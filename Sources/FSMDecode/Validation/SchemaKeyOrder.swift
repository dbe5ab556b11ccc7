/// Reorders an instance's object members the way the schema compiler emits them: keys
/// declared by `properties` (collected through allOf/anyOf/oneOf/if/then/else and local
/// `$ref`s) first, other keys after, in instance order; values recursively by the subschemas
/// that apply to them. `enum`/`const` values keep their written order (the compiler emits them
/// verbatim).
///
/// The compiler fixes member order, so a valid instance written in another order is only
/// accepted once reordered. Two orders are offered because the compiler uses both:
/// - `.firstSeen`: keys in the order the schema walk first meets them — how merged
///   `allOf`/`if`-`then` properties are emitted;
/// - `.merged`: one order consistent with every `properties` list (each a chain of "comes
///   before" constraints; ties go to the key seen first; on a cycle the rest in first-seen
///   order), so anyOf/oneOf branches that declare different subsets in different orders each
///   get their own order where possible.
///
/// Used by `bench masks` (a retry for a valid instance rejected in its own order, counted
/// separately) and the JSON Schema corpus tests — one implementation for both.
public enum SchemaKeyOrder {
    public enum Mode: Sendable, CaseIterable { case merged, firstSeen }

    public static func reorder<V: SchemaKeyOrderValue>(_ instance: V, schema: V, mode: Mode = .merged) -> V {
        reorder(instance, [schema], root: schema, mode: mode, depth: 0)
    }

    /// `instance` reordered in every mode, without duplicates and without the instance as
    /// written (compared by compact text); the orders to retry, most likely first.
    public static func variants(_ instance: JSONInstance, schema: JSONInstance) -> [JSONInstance] {
        var seen = [instance.compactText]
        var out: [JSONInstance] = []
        for mode in Mode.allCases {
            let v = reorder(instance, schema: schema, mode: mode)
            let text = v.compactText
            if !seen.contains(text) { seen.append(text); out.append(v) }
        }
        return out
    }

    /// Reorders `v` under the conjunction of `schemas` (subschemas of `root`).
    static func reorder<V: SchemaKeyOrderValue>(_ v: V, _ schemas: [V], root: V, mode: Mode, depth: Int) -> V {
        guard depth < 100 else { return v }
        var c = Collected<V>()
        var budget = 0
        for s in schemas { collect(s, root: root, into: &c, budget: &budget) }
        if let k = c.consts.first(where: { $0 == v }) { return k }
        if let members = v.keyOrderMembers {
            let order = mode == .merged ? mergedOrder(c.chains) : firstSeen(c.chains)
            var out: [(key: String, value: V)] = []
            for k in order { if let m = members.first(where: { $0.key == k }) { out.append(m) } }
            for m in members where !order.contains(m.key) { out.append(m) }
            return .keyOrderObject(out.map { m in
                (key: m.key, value: reorder(m.value, c.props[m.key] ?? c.additional, root: root, mode: mode, depth: depth + 1))
            })
        }
        if let a = v.keyOrderElements {
            return .keyOrderArray(a.enumerated().map { i, x in
                reorder(x, i < c.prefix.count ? c.prefix[i] : c.items, root: root, mode: mode, depth: depth + 1)
            })
        }
        return v
    }

    static func firstSeen(_ chains: [[String]]) -> [String] {
        var out: [String] = []
        for k in chains.joined() where !out.contains(k) { out.append(k) }
        return out
    }

    /// One order consistent with every chain where the chains allow it (see the type's comment).
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

    struct Collected<V> {
        /// Each `properties` object's keys, in walk order.
        var chains: [[String]] = []
        var props: [String: [V]] = [:]
        var additional: [V] = []
        var items: [V] = []
        var prefix: [[V]] = []
        var consts: [V] = []
    }

    /// Walks `s` and the subschemas it is combined with, in keyword order (the order the
    /// compiler meets them), gathering what applies to an instance's members and items.
    static func collect<V: SchemaKeyOrderValue>(_ s: V, root: V, into c: inout Collected<V>, budget: inout Int) {
        budget += 1
        guard budget < 2000, let members = s.keyOrderMembers else { return }
        if let props = s["properties"]?.keyOrderMembers {
            c.chains.append(props.map(\.key))
            for m in props { c.props[m.key, default: []].append(m.value) }
        }
        if let k = s["const"] { c.consts.append(k) }
        c.consts += s["enum"]?.keyOrderElements ?? []
        for m in s["patternProperties"]?.keyOrderMembers ?? [] { c.additional.append(m.value) }
        if let a = s["additionalProperties"] { c.additional.append(a) }
        if let list = s["items"]?.keyOrderElements {
            for (i, x) in list.enumerated() { if c.prefix.count <= i { c.prefix.append([]) }; c.prefix[i].append(x) }
            if let a = s["additionalItems"] { c.items.append(a) }
        } else if let i = s["items"] { c.items.append(i) }
        for (i, x) in (s["prefixItems"]?.keyOrderElements ?? []).enumerated() {
            if c.prefix.count <= i { c.prefix.append([]) }
            c.prefix[i].append(x)
        }
        if let ref = s["$ref"]?.keyOrderString, let t = JSONPointer.resolve(ref, in: root) { collect(t, root: root, into: &c, budget: &budget) }
        for m in members {
            switch m.key {
            case "allOf", "anyOf", "oneOf": for x in m.value.keyOrderElements ?? [] { collect(x, root: root, into: &c, budget: &budget) }
            case "if", "then", "else": collect(m.value, root: root, into: &c, budget: &budget)
            default: break
            }
        }
    }
}

/// A JSON value SchemaKeyOrder can read and rebuild (`==` is JSON equality: key order ignored).
public protocol SchemaKeyOrderValue: Equatable {
    var keyOrderMembers: [(key: String, value: Self)]? { get }
    var keyOrderElements: [Self]? { get }
    var keyOrderString: String? { get }
    subscript(key: String) -> Self? { get }
    static func keyOrderObject(_ members: [(key: String, value: Self)]) -> Self
    static func keyOrderArray(_ elements: [Self]) -> Self
}

extension JSONInstance: SchemaKeyOrderValue {
    public var keyOrderMembers: [(key: String, value: JSONInstance)]? { members }
    public var keyOrderElements: [JSONInstance]? { arrayValue }
    public var keyOrderString: String? { stringValue }
    public static func keyOrderObject(_ members: [(key: String, value: JSONInstance)]) -> JSONInstance { .object(members) }
    public static func keyOrderArray(_ elements: [JSONInstance]) -> JSONInstance { .array(elements) }
}

/// The compiler's owned value (the corpus tests reorder these).
extension SchemaValue: SchemaKeyOrderValue {
    var keyOrderMembers: [(key: String, value: SchemaValue)]? { members?.map { (key: $0.key, value: $0.value) } }
    var keyOrderElements: [SchemaValue]? { arrayValue }
    var keyOrderString: String? { stringValue }
    static func keyOrderObject(_ members: [(key: String, value: SchemaValue)]) -> SchemaValue {
        .object(members.map { SchemaMember(key: $0.key, value: $0.value) })
    }
    static func keyOrderArray(_ elements: [SchemaValue]) -> SchemaValue { .array(elements) }
}
