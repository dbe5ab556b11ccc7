/// JSON Pointer reference tokens (RFC 6901) and the percent-encoding of `$ref` fragments
/// (RFC 3986), on UTF-8 bytes: schema compilation makes a pointer for every schema node it
/// visits, and Foundation's string replacement cost more than the rest of a small schema's
/// compile.
enum JSONPointer {
    /// `key` as one reference token: `~` → `~0`, `/` → `~1`.
    static func escape(_ key: String) -> String {
        guard key.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return key }
        var out: [UInt8] = []
        out.reserveCapacity(key.utf8.count + 4)
        for b in key.utf8 {
            switch b {
            case UInt8(ascii: "~"): out += [UInt8(ascii: "~"), UInt8(ascii: "0")]
            case UInt8(ascii: "/"): out += [UInt8(ascii: "~"), UInt8(ascii: "1")]
            default: out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The key named by one reference token of a `$ref` fragment: `%XX` escapes decoded
    /// first (a `%` not followed by two hex digits stays as written; a token whose decoded
    /// bytes are not UTF-8 is taken as written), then `~1` → `/` and `~0` → `~` in one
    /// left-to-right pass (the same result as RFC 6901's `~1`-then-`~0` order: `~01` is `~1`).
    static func unescape<S: StringProtocol>(_ token: S) -> String {
        let raw = Array(token.utf8)
        guard raw.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "~") }) else { return String(token) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            if raw[i] == UInt8(ascii: "%"), i + 2 < raw.count, let hi = hexDigitValue(raw[i + 1]), let lo = hexDigitValue(raw[i + 2]) {
                bytes.append(hi << 4 | lo); i += 3
            } else {
                bytes.append(raw[i]); i += 1
            }
        }
        if String(validating: bytes, as: UTF8.self) == nil { bytes = raw }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "~"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "0") || bytes[i + 1] == UInt8(ascii: "1") {
                out.append(bytes[i + 1] == UInt8(ascii: "0") ? UInt8(ascii: "~") : UInt8(ascii: "/")); i += 2
            } else {
                out.append(bytes[i]); i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value a local `$ref` (`#`, `#/a/b~1c`, percent-encoded) names in `root`; nil for
    /// any other reference and for a path that names nothing.
    static func resolve<V: SchemaKeyOrderValue>(_ ref: String, in root: V) -> V? {
        guard ref.hasPrefix("#") else { return nil }
        var cur = root
        let path = ref.dropFirst()
        if path.isEmpty { return root }
        for raw in path.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let t = unescape(raw)
            if let a = cur.keyOrderElements { guard let i = Int(t), i < a.count else { return nil }; cur = a[i] }
            else { guard let n = cur[t] else { return nil }; cur = n }
        }
        return cur
    }
}
