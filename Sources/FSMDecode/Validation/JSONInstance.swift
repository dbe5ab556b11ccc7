/// An owned JSON value for the benchmark's independent checks: instances to serialise and
/// reorder, and outputs to validate. Built from json-c's `JSONValue` (so the JSON syntax check
/// stays json-c's, independent of the engine); numbers keep the text json-c prints for them.
/// Object members keep document order (json-c keeps the last of duplicate keys).
public indirect enum JSONInstance: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number: its value and the compact text it is written with.
    case number(Double, text: String, isInteger: Bool)
    case string(String)
    case array([JSONInstance])
    case object([(key: String, value: JSONInstance)])

    public init(_ v: JSONValue) {
        switch v.kind {
        case .null: self = .null
        case .bool: self = .bool(v.bool!)
        case .int: self = .number(Double(v.int!), text: String(v.int!), isInteger: true)
        case .double:
            let d = v.double!
            let text = v.serialized
            self = .number(d, text: text, isInteger: d.isFinite && d == d.rounded(.towardZero) && abs(d) < 1e18)
        case .string: self = .string(v.string!)
        case .array: self = .array((v.array ?? []).map(JSONInstance.init))
        case .object: self = .object(v.members.map { (key: $0.0, value: JSONInstance($0.1)) })
        }
    }

    /// Parses `bytes` with json-c (the independent JSON syntax check).
    public static func parse(_ bytes: [UInt8], source: String) throws -> JSONInstance {
        JSONInstance(try JSONDocument(bytes: bytes, source: source).value)
    }

    public static func == (a: JSONInstance, b: JSONInstance) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x, _, _), .number(let y, _, _)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            // JSON Schema equality: same key set, equal values (order does not matter).
            guard x.count == y.count else { return false }
            for m in x { guard let o = y.first(where: { $0.key == m.key }), o.value == m.value else { return false } }
            return true
        default: return false
        }
    }

    public subscript(key: String) -> JSONInstance? {
        if case .object(let m) = self { return m.last(where: { $0.key == key })?.value }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var arrayValue: [JSONInstance]? { if case .array(let a) = self { return a }; return nil }
    public var members: [(key: String, value: JSONInstance)]? { if case .object(let m) = self { return m }; return nil }

    /// Compact text: no whitespace, members in stored order, strings with only the required
    /// escapes (`\"`, `\\`, control characters; non-ASCII raw) — Python's
    /// `json.dumps(v, separators=(",", ":"), ensure_ascii=False)` for the same member order.
    public var compactText: String {
        var out = ""
        write(into: &out)
        return out
    }

    func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(_, let text, _): out += text
        case .string(let s): JSONInstance.quote(s, into: &out)
        case .array(let a):
            out += "["
            for (i, x) in a.enumerated() { if i > 0 { out += "," }; x.write(into: &out) }
            out += "]"
        case .object(let m):
            out += "{"
            for (i, x) in m.enumerated() {
                if i > 0 { out += "," }
                JSONInstance.quote(x.key, into: &out)
                out += ":"
                x.value.write(into: &out)
            }
            out += "}"
        }
    }

    static func quote(_ s: String, into out: inout String) {
        out += JSONText.quote(s)
    }
}
