/// An owned JSON value used by the schema compiler: schemas are merged and rewritten
/// (allOf, if/then/else, negation), which the borrowed `JSONValue` cannot express.
/// Numbers are exact decimals (`SchemaDecimal`), so `const`/`enum` equality is JSON equality
/// (1 == 1.0, key order ignored).
indirect enum SchemaValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(SchemaDecimal)
    case string(String)
    case array([SchemaValue])
    /// Members in document order (equality below ignores order).
    case object([SchemaMember])

    init(_ v: JSONValue) {
        switch v.kind {
        case .null: self = .null
        case .bool: self = .bool(v.bool!)
        case .int: self = .number(SchemaDecimal(text: String(v.int!))!)
        case .double: self = .number(SchemaDecimal(text: v.serialized) ?? SchemaDecimal(text: "\(v.double!)") ?? .zero)
        case .string: self = .string(v.string!)
        case .array: self = .array((0..<v.count).map { SchemaValue(v[$0]) })
        case .object: self = .object(v.members.map { SchemaMember(key: $0.0, value: SchemaValue($0.1)) })
        }
    }

    subscript(key: String) -> SchemaValue? {
        guard case .object(let m) = self else { return nil }
        return m.first { $0.key == key }?.value
    }

    var members: [SchemaMember]? { if case .object(let m) = self { return m }; return nil }
    var arrayValue: [SchemaValue]? { if case .array(let a) = self { return a }; return nil }
    var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    var decimal: SchemaDecimal? { if case .number(let d) = self { return d }; return nil }
    var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }

    /// The JSON type names this value has (an integral number is both "integer" and "number").
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let d): return d.isInteger ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Compact JSON text (keys in document order, numbers in plain decimal notation).
    var compactText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return d.plainText
        case .string(let s): return JSONText.quote(s)
        case .array(let a): return "[" + a.map(\.compactText).joined(separator: ",") + "]"
        case .object(let m): return "{" + m.map { JSONText.quote($0.key) + ":" + $0.value.compactText }.joined(separator: ",") + "}"
        }
    }

    /// JSON equality: numbers by value, objects regardless of key order.
    static func == (a: SchemaValue, b: SchemaValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars) // code points, not canonical equivalence
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            guard x.count == y.count else { return false }
            for m in x { guard let o = y.first(where: { $0.key.unicodeScalars.elementsEqual(m.key.unicodeScalars) }), o.value == m.value else { return false } }
            return true
        default: return false
        }
    }

    func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .number(let d): h.combine(d)
        case .string(let s): for u in s.unicodeScalars { h.combine(u.value) }
        case .array(let a): h.combine(a)
        case .object(let m):
            h.combine(m.count)
            for k in m.map(\.key).sorted() { for u in k.unicodeScalars { h.combine(u.value) } }
        }
    }
}

struct SchemaMember: Hashable, Sendable {
    var key: String
    var value: SchemaValue
}

/// An exact decimal: sign, integer digits (no leading zeros; empty for 0) and fraction
/// digits (no trailing zeros). Zero is never negative.
struct SchemaDecimal: Hashable, Sendable, Comparable {
    var negative: Bool
    var intDigits: [UInt8]
    var fracDigits: [UInt8]

    static let zero = SchemaDecimal(negative: false, intDigits: [], fracDigits: [])

    init(negative: Bool, intDigits: [UInt8], fracDigits: [UInt8]) {
        var i = intDigits[...], f = fracDigits[...]
        while i.first == 0 { i.removeFirst() }
        while f.last == 0 { f.removeLast() }
        self.intDigits = Array(i)
        self.fracDigits = Array(f)
        self.negative = negative && !(i.isEmpty && f.isEmpty)
    }

    /// Parses JSON number text (exponents allowed; exponent magnitude up to 10,000).
    init?(text: String) {
        var s = Array(text.utf8)[...]
        var neg = false
        if s.first == UInt8(ascii: "-") { neg = true; s.removeFirst() } else if s.first == UInt8(ascii: "+") { s.removeFirst() }
        var ints: [UInt8] = [], fracs: [UInt8] = []
        while let c = s.first, c >= 48, c <= 57 { ints.append(c - 48); s.removeFirst() }
        if s.first == UInt8(ascii: ".") {
            s.removeFirst()
            while let c = s.first, c >= 48, c <= 57 { fracs.append(c - 48); s.removeFirst() }
        }
        guard !ints.isEmpty || !fracs.isEmpty else { return nil }
        var exp = 0
        if let c = s.first, c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
            s.removeFirst()
            var eneg = false
            if s.first == UInt8(ascii: "-") { eneg = true; s.removeFirst() } else if s.first == UInt8(ascii: "+") { s.removeFirst() }
            guard !s.isEmpty else { return nil }
            while let c = s.first, c >= 48, c <= 57 {
                exp = exp * 10 + Int(c - 48); s.removeFirst()
                if exp > 10_000 { return nil }
            }
            if eneg { exp = -exp }
        }
        guard s.isEmpty else { return nil }
        var all = ints + fracs
        var point = ints.count + exp
        if point < 0 { all = [UInt8](repeating: 0, count: -point) + all; point = 0 }
        if point > all.count { all += [UInt8](repeating: 0, count: point - all.count) }
        self.init(negative: neg, intDigits: Array(all[..<point]), fracDigits: Array(all[point...]))
    }

    init(_ i: Int) { self.init(text: String(i))! }

    var isInteger: Bool { fracDigits.isEmpty }

    /// `self` (positive) as `factor` × 10^-`scale` with `factor` an integer: all its digits,
    /// `scale` the fraction's length (`0.05` is 5 × 10^-2, `20` is 20 × 10^0). Nil when the
    /// factor exceeds `limit`.
    func multipleParts(limit: Int) -> (factor: Int, scale: Int)? {
        var factor = 0
        for d in intDigits + fracDigits {
            let (m, o1) = factor.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int(d))
            if o1 || o2 || a > limit { return nil }
            factor = a
        }
        return (factor, fracDigits.count)
    }

    /// The least positive number that is an integer multiple of both `a` and `b` (positive):
    /// with both written over 10^s (s the longer fraction), the integers' lcm over 10^s. Nil
    /// when either is not positive or the result passes 10^17.
    static func leastCommonMultiple(_ a: SchemaDecimal, _ b: SchemaDecimal) -> SchemaDecimal? {
        let limit = maxExactFactor
        guard !a.negative, !b.negative, !a.isZero, !b.isZero,
              let (fa, sa) = a.multipleParts(limit: limit), let (fb, sb) = b.multipleParts(limit: limit) else { return nil }
        let s = max(sa, sb)
        func scaled(_ f: Int, _ by: Int) -> Int? {
            var x = f
            for _ in 0 ..< by {
                let (y, o) = x.multipliedReportingOverflow(by: 10)
                if o || y > limit { return nil }
                x = y
            }
            return x
        }
        guard let x = scaled(fa, s - sa), let y = scaled(fb, s - sb) else { return nil }
        var (g, r) = (x, y)
        while r != 0 { (g, r) = (r, g % r) }
        let (l, o) = (x / g).multipliedReportingOverflow(by: y)
        guard !o, l <= limit else { return nil }
        return SchemaDecimal(text: "\(l)e-\(s)")
    }

    /// Largest divisor factor (digits as an integer) `isMultiple(of:)` and `leastCommonMultiple`
    /// compute with: 10^17, so remainder steps (r × 10 + 9) stay inside Int.
    static let maxExactFactor = 100_000_000_000_000_000

    /// Whether `self` is an integer multiple of `m` (positive), exactly: nil when `m`'s digits
    /// (its factor) pass 10^17.
    func isMultiple(of m: SchemaDecimal) -> Bool? {
        guard let (factor, scale) = m.multipleParts(limit: Self.maxExactFactor) else { return nil }
        // self × 10^scale must be an integer (no fraction digit past `scale`; normalized
        // fractions end in a nonzero digit) whose value is divisible by `factor`.
        if fracDigits.count > scale { return false }
        var r = 0
        for d in intDigits + fracDigits { r = (r * 10 + Int(d)) % factor }
        for _ in fracDigits.count ..< scale { r = (r * 10) % factor }
        return r == 0
    }
    var isZero: Bool { intDigits.isEmpty && fracDigits.isEmpty }
    var negated: SchemaDecimal { SchemaDecimal(negative: !negative, intDigits: intDigits, fracDigits: fracDigits) }

    /// `plainText`, cut in the middle past 32 characters (for messages: `1e10000` has 10,001 digits).
    var shortText: String {
        let t = plainText
        guard t.count > 32 else { return t }
        return "\(t.prefix(14))…\(t.suffix(14)) (\(t.count) characters)"
    }

    /// Plain decimal notation without exponent (`-12.5`, `0`, `0.001`).
    var plainText: String {
        var s = negative ? "-" : ""
        s += intDigits.isEmpty ? "0" : String(decoding: intDigits.map { $0 + 48 }, as: UTF8.self)
        if !fracDigits.isEmpty { s += "." + String(decoding: fracDigits.map { $0 + 48 }, as: UTF8.self) }
        return s
    }

    static func < (a: SchemaDecimal, b: SchemaDecimal) -> Bool {
        if a.negative != b.negative { return a.negative }
        let m = compareMagnitude(a, b)
        return a.negative ? m > 0 : m < 0
    }

    static func compareMagnitude(_ a: SchemaDecimal, _ b: SchemaDecimal) -> Int {
        if a.intDigits.count != b.intDigits.count { return a.intDigits.count < b.intDigits.count ? -1 : 1 }
        for (x, y) in zip(a.intDigits, b.intDigits) where x != y { return x < y ? -1 : 1 }
        let n = max(a.fracDigits.count, b.fracDigits.count)
        for k in 0..<n {
            let x = k < a.fracDigits.count ? a.fracDigits[k] : 0, y = k < b.fracDigits.count ? b.fracDigits[k] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    /// The smallest integer >= self.
    var ceiling: SchemaDecimal {
        if isInteger { return self }
        if negative { return SchemaDecimal(negative: true, intDigits: intDigits, fracDigits: []) }
        return SchemaDecimal(negative: false, intDigits: SchemaDecimal.increment(intDigits), fracDigits: [])
    }
    /// The largest integer <= self.
    var floor: SchemaDecimal { negated.ceiling.negated }

    /// Digits + 1 (nonnegative digit strings, most significant first).
    static func increment(_ d: [UInt8]) -> [UInt8] {
        var d = d
        var i = d.count - 1
        while i >= 0 {
            if d[i] < 9 { d[i] += 1; return d }
            d[i] = 0; i -= 1
        }
        return [1] + d
    }

    /// `self + 1` for integers.
    var successor: SchemaDecimal {
        if !negative { return SchemaDecimal(negative: false, intDigits: SchemaDecimal.increment(intDigits), fracDigits: []) }
        return negated.predecessorOfPositive.negated
    }
    /// `self - 1` for integers.
    var predecessor: SchemaDecimal { negated.successor.negated }

    private var predecessorOfPositive: SchemaDecimal {
        // self > 0 integer: subtract one.
        var d = intDigits
        var i = d.count - 1
        while i >= 0 {
            if d[i] > 0 { d[i] -= 1; break }
            d[i] = 9; i -= 1
        }
        return SchemaDecimal(negative: false, intDigits: d, fracDigits: [])
    }
}
