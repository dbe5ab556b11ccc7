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

    /// Reorders object keys as the compiler emits them (the library's SchemaKeyOrder):
    /// first-seen order by default, `mergedOrder`: one order consistent with every
    /// `properties` list.
    static func canonical(_ instance: SchemaValue, schema: SchemaValue, root: SchemaValue, mergedOrder merged: Bool = false) -> SchemaValue {
        SchemaKeyOrder.reorder(instance, [schema], root: root, mode: merged ? .merged : .firstSeen, depth: 0)
    }
}
