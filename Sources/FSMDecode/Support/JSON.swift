import CJSONC
#if canImport(Glibc)
import Glibc
#endif

/// A parsed JSON document (json-c). Immutable after parsing; values borrow from it.
/// Nesting is bounded by `maxDepth`, so hostile input cannot exhaust the stack.
public final class JSONDocument: @unchecked Sendable {
    let root: OpaquePointer?

    /// Parses `bytes`; `source` names the input in error messages.
    public init(bytes: [UInt8], source: String, maxDepth: Int32 = 512) throws {
        // json-c takes the length as an Int32.
        guard bytes.count < Int(Int32.max) else {
            throw FSMDecodeError(.budget, "\(source): JSON document of \(bytes.count) bytes is above the parser's limit of \(Int32.max - 1)")
        }
        guard let tok = json_tokener_new_ex(maxDepth) else {
            throw FSMDecodeError(.json, "\(source): cannot allocate a JSON parser")
        }
        defer { json_tokener_free(tok) }
        // RFC 8259 exactly: no leading zeros, single quotes or trailing commas; valid UTF-8.
        json_tokener_set_flags(tok, Int32(JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8))
        var parsed: OpaquePointer? = nil
        var failure: json_tokener_error = json_tokener_success
        var truncated = false
        bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buf.count, 1)) { p in
                parsed = json_tokener_parse_ex(tok, p, Int32(buf.count))
                failure = json_tokener_get_error(tok)
                if parsed == nil && failure == json_tokener_continue {
                    truncated = true
                    // End of input inside a value: flush with an empty chunk so json-c reports it.
                    parsed = json_tokener_parse_ex(tok, "", -1)
                    failure = json_tokener_get_error(tok)
                }
            }
        }
        if bytes.isEmpty { failure = json_tokener_continue }
        // A successful parse of `null` yields no object.
        guard failure == json_tokener_success else {
            // After a flush json-c reports offsets in the empty chunk: a truncation is at the end.
            let offset = truncated || bytes.isEmpty ? bytes.count : Int(json_tokener_get_parse_end(tok))
            let (line, column) = Self.lineColumn(bytes, offset)
            let reason = truncated || failure == json_tokener_continue
                ? "unexpected end of input" : String(cString: json_tokener_error_desc(failure))
            if let parsed { json_object_put(parsed) }
            throw FSMDecodeError(.json, "\(source):\(line):\(column): invalid JSON: \(reason)")
        }
        // Trailing non-whitespace after the value is an error too.
        // After a flush (a top-level number at the very end) every byte was consumed.
        var end = truncated ? bytes.count : Int(json_tokener_get_parse_end(tok))
        while end < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[end]) { end += 1 }
        if end < bytes.count {
            if let parsed { json_object_put(parsed) }
            let (line, column) = Self.lineColumn(bytes, end)
            throw FSMDecodeError(.json, "\(source):\(line):\(column): invalid JSON: unexpected data after the value")
        }
        if let (at, problem) = Self.stringViolation(bytes) {
            if let parsed { json_object_put(parsed) }
            let (line, column) = Self.lineColumn(bytes, at)
            throw FSMDecodeError(.json, "\(source):\(line):\(column): invalid JSON: \(problem)")
        }
        self.root = parsed
    }

    /// What json-c's strict mode lets through in strings, as (offset, problem): a raw control
    /// character (RFC 8259 requires U+0000–U+001F to be escaped), and an object member name
    /// containing `\u0000` (json-c keeps names as C strings and would silently cut it there).
    /// One pass over a document already known to be otherwise valid JSON.
    static func stringViolation(_ b: [UInt8]) -> (Int, String)? {
        var i = 0
        while i < b.count {
            guard b[i] == 0x22 else { i += 1; continue }
            let start = i
            var hasNUL = false
            i += 1
            while i < b.count && b[i] != 0x22 {
                let c = b[i]
                if c < 0x20 {
                    return (i, "control character U+\(c < 0x10 ? "000" : "00")\(String(c, radix: 16, uppercase: true)) inside a string must be escaped")
                }
                if c == 0x5C {
                    if i + 5 < b.count && b[i + 1] == 0x75 && b[i + 2] == 0x30 && b[i + 3] == 0x30 && b[i + 4] == 0x30 && b[i + 5] == 0x30 { hasNUL = true }
                    i += 2
                } else {
                    i += 1
                }
            }
            i += 1
            guard hasNUL else { continue }
            var j = i
            while j < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[j]) { j += 1 }
            if j < b.count && b[j] == 0x3A {
                return (start, "object member name contains U+0000, which is not supported (json-c would cut the name there)")
            }
        }
        return nil
    }

    public convenience init(contentsOfFile path: String, maxDepth: Int32 = 512) throws {
        try self.init(bytes: try readFile(path), source: path, maxDepth: maxDepth)
    }

    deinit { if let root { json_object_put(root) } }

    public var value: JSONValue { JSONValue(document: self, object: root) }

    static func lineColumn(_ bytes: [UInt8], _ offset: Int) -> (Int, Int) {
        var line = 1, column = 1
        for b in bytes.prefix(min(offset, bytes.count)) {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }
}

/// A borrowed view of one JSON value inside a `JSONDocument`.
public struct JSONValue: @unchecked Sendable {
    public let document: JSONDocument
    let object: OpaquePointer?

    public enum Kind: Sendable { case null, bool, int, double, string, array, object }

    public var kind: Kind {
        switch json_object_get_type(object) {
        case json_type_null: return .null
        case json_type_boolean: return .bool
        case json_type_int: return .int
        case json_type_double: return .double
        case json_type_string: return .string
        case json_type_array: return .array
        default: return .object
        }
    }

    public var isNull: Bool { object == nil || kind == .null }
    public var bool: Bool? { kind == .bool ? json_object_get_boolean(object) != 0 : nil }
    public var int: Int? { kind == .int ? Int(json_object_get_int64(object)) : nil }
    public var double: Double? {
        kind == .double || kind == .int ? json_object_get_double(object) : nil
    }
    /// The string's exact UTF-8 bytes (may contain NUL).
    public var stringBytes: [UInt8]? {
        guard kind == .string, let p = json_object_get_string(object) else { return nil }
        let n = Int(json_object_get_string_len(object))
        return p.withMemoryRebound(to: UInt8.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: n)) }
    }
    public var string: String? { stringBytes.map { String(decoding: $0, as: UTF8.self) } }

    /// Calls `body` with the string's bytes without copying.
    public func withStringBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        guard kind == .string, let p = json_object_get_string(object) else { return nil }
        let n = Int(json_object_get_string_len(object))
        return try p.withMemoryRebound(to: UInt8.self, capacity: n) { try body(UnsafeBufferPointer(start: $0, count: n)) }
    }

    public var count: Int {
        switch kind {
        case .array: return Int(json_object_array_length(object))
        case .object: return Int(json_object_object_length(object))
        default: return 0
        }
    }

    public subscript(index: Int) -> JSONValue {
        JSONValue(document: document, object: json_object_array_get_idx(object, index))
    }
    public var array: [JSONValue]? {
        guard kind == .array else { return nil }
        return (0..<count).map { self[$0] }
    }

    public subscript(key: String) -> JSONValue? {
        guard kind == .object else { return nil }
        var out: OpaquePointer? = nil
        guard json_object_object_get_ex(object, key, &out) != 0 else { return nil }
        return JSONValue(document: document, object: out)
    }

    /// Visits object members in document order.
    public func forEachMember(_ body: (UnsafeBufferPointer<UInt8>, JSONValue) throws -> Void) rethrows {
        guard kind == .object else { return }
        var it = json_object_iter_begin(object)
        let end = json_object_iter_end(object)
        var endIt = end
        while json_object_iter_equal(&it, &endIt) == 0 {
            let name = json_object_iter_peek_name(&it)!
            let n = strlen(name)
            try name.withMemoryRebound(to: UInt8.self, capacity: n) {
                try body(UnsafeBufferPointer(start: $0, count: n), JSONValue(document: document, object: json_object_iter_peek_value(&it)))
            }
            json_object_iter_next(&it)
        }
    }

    public var members: [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        forEachMember { k, v in out.append((String(decoding: k, as: UTF8.self), v)) }
        return out
    }

    /// Compact serialisation (json-c's plain form without spaces).
    public var serialized: String {
        String(cString: json_object_to_json_string_ext(object, Int32(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
    }
}
