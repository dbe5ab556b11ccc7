/// Options of the JSON Schema compiler.
public struct JSONSchemaOptions: Sendable {
    /// Where whitespace may appear between JSON tokens.
    public enum Whitespace: Sendable, Hashable {
        /// No whitespace at all.
        case compact
        /// JSON whitespace (space, tab, LF, CR) between any two tokens and around the value,
        /// at most `maxRun` consecutive bytes (so a model cannot loop on whitespace).
        case flexible(maxRun: Int)
        /// Exactly Python's `json.dumps(value, indent: n)` layout (`", "`-free: items end in
        /// `","` + newline, keys are followed by `": "`, empty containers are `{}` / `[]`).
        case indent(Int)
    }

    public var whitespace: Whitespace
    /// Relax constructs that cannot be honoured exactly (each relaxation is a warning).
    public var lenient: Bool
    /// How deep recursive schemas may nest values (indent layout: every container); past it,
    /// containers are not allowed. Nil: unbounded (compact and flexible layouts only).
    public var maxNestingDepth: Int?
    public var limits: GrammarLimits

    public init(whitespace: Whitespace = .flexible(maxRun: 20), lenient: Bool = false, maxNestingDepth: Int? = nil,
                limits: GrammarLimits = GrammarLimits()) {
        self.whitespace = whitespace
        self.lenient = lenient
        self.maxNestingDepth = maxNestingDepth
        self.limits = limits
    }
}

/// A compiled JSON Schema: the grammar of the JSON texts that validate, plus what was used.
public struct JSONSchemaCompilation: Sendable {
    public let grammar: Grammar
    /// One line per relaxation (lenient mode) or ignored unknown keyword, each naming the
    /// keyword and its JSON pointer.
    public let warnings: [String]
    /// The assertion keywords the grammar enforces, sorted.
    public let keywordsUsed: [String]
}

/// Compiles JSON Schema (draft 7 and 2020-12; `$schema` decides, 2020-12 by default) to a
/// character-level `Grammar` whose language is exactly the JSON texts, in the canonical
/// representation below and under the whitespace policy, that validate against the schema.
///
/// Representation policy (the grammar accepts every valid *value* in at least these forms):
/// - declared `properties` appear in the schema's order (each optional unless `required`);
///   undeclared members may come before, between and after them; a declared key never repeats;
/// - integers (and numbers with bounds or `multipleOf`, `enum`/`const` numbers) are written
///   without exponent, integers optionally with a zero fraction (`1.0`); unconstrained numbers
///   may use exponents; `multipleOf` is exact decimal arithmetic on the literal (`19.99` is a
///   multiple of 0.01), for any divisor whose digits, read as an integer, are at most 10,000;
/// - strings may use any JSON escape for any character (`\n`, `\u00e9`, surrogate pairs),
///   except a string constrained by an asserted `format` alone (all such languages are ASCII),
///   whose characters appear as themselves;
///   lengths and patterns apply to the decoded characters; lone surrogates are not accepted;
/// - `enum`/`const` objects keep the key order they are written in.
/// Anything else that cannot be compiled exactly throws
/// `FSMDecodeError(.schema, "SOURCE: KEYWORD at POINTER: WHY")`, unless `options.lenient`.
public enum JSONSchemaCompiler {
    public static func compile(_ schema: JSONValue, source: String, options: JSONSchemaOptions = JSONSchemaOptions()) throws -> JSONSchemaCompilation {
        let root = SchemaValue(schema)
        try refuseEquivalentKeys(root, source: source)
        var c = SchemaCompiler(root: root, source: source, options: options)
        return try c.run()
    }

    /// Refuses a schema whose member names (or `required`/`dependentRequired` entries) include
    /// two different code-point sequences that Swift's `String` equality treats as one
    /// (canonically equivalent: `"é"` vs `"e\u{301}"`). The compiler keys rules, pointers and
    /// key sets on `String`, so such keys could share a rule and judge instances wrongly; JSON
    /// keys are compared by code points. Cost: one walk of the schema; a second, which builds
    /// the pointers for the message, only when some key is not ASCII (two ASCII strings are
    /// equal exactly when their scalars are, and an equivalence needs a non-ASCII side).
    static func refuseEquivalentKeys(_ root: SchemaValue, source: String) throws {
        var allASCII = true
        forEachKeyName(root, pointers: false) { key, _ in
            if allASCII && !key.utf8.allSatisfy({ $0 < 0x80 }) { allASCII = false }
        }
        if allASCII { return }
        var seen: [String: (scalars: [UInt32], pointer: String)] = [:]
        func codePoints(_ v: [UInt32]) -> String { v.map { "U+" + grammarHex($0, 4) }.joined(separator: " ") }
        try forEachKeyName(root, pointers: true) { key, pointer in
            let scalars = key.unicodeScalars.map(\.value)
            if let first = seen[key] {
                guard first.scalars != scalars else { return }
                throw FSMDecodeError(.schema, "\(source): " + messageText(
                    "keys \(JSONText.quote(key)) at #\(first.pointer) and at #\(pointer) differ only in Unicode normalization (\(codePoints(first.scalars)) vs \(codePoints(scalars))); such schemas are not supported"))
            }
            seen[key] = (scalars, pointer)
        }
    }

    /// Every key name in the schema — member names, and the strings listed by `required`,
    /// `dependentRequired: {k: [..]}` and draft-7 `dependencies: {k: [..]}` — with its JSON
    /// pointer ("" when `pointers` is false: building them is most of the walk's cost).
    /// Iterative: schemas nest deeply.
    private static func forEachKeyName(_ root: SchemaValue, pointers: Bool, _ body: (String, String) throws -> Void) rethrows {
        func join(_ pointer: String, _ token: @autoclosure () -> String) -> String { pointers ? pointer + "/" + token() : "" }
        var stack: [(SchemaValue, String)] = [(root, "")]
        while let (v, pointer) = stack.popLast() {
            switch v {
            case .object(let members):
                for m in members {
                    let p = join(pointer, SchemaNode.pointerToken(m.key))
                    try body(m.key, p)
                    var lists: [(SchemaValue, String)] = []
                    if m.key == "required" { lists.append((m.value, p)) }
                    if m.key == "dependentRequired" || m.key == "dependencies", case .object(let deps) = m.value {
                        for d in deps { lists.append((d.value, join(p, SchemaNode.pointerToken(d.key)))) }
                    }
                    for (list, lp) in lists {
                        guard case .array(let names) = list else { continue }
                        for (i, n) in names.enumerated() { if case .string(let s) = n { try body(s, join(lp, "\(i)")) } }
                    }
                    stack.append((m.value, p))
                }
            case .array(let items):
                for (i, x) in items.enumerated() { stack.append((x, join(pointer, "\(i)"))) }
            default:
                break
            }
        }
    }

    /// The grammar of any JSON value (the empty schema).
    public static func anyJSON(source: String = "<any-json>", options: JSONSchemaOptions = JSONSchemaOptions()) throws -> JSONSchemaCompilation {
        var c = SchemaCompiler(root: .object([]), source: source, options: options)
        return try c.run()
    }
}

/// The compiler's grammar expression: terminals, references to numbered rules, sequences,
/// alternations and repetitions. `alt([])` is the empty language.
indirect enum SchemaExpr: Sendable {
    case term(TerminalPattern)
    case ref(Int)
    case seq([SchemaExpr])
    case alt([SchemaExpr])
    case rep(SchemaExpr, Int, Int?)

    static let never = SchemaExpr.alt([])
    static let empty = SchemaExpr.seq([])
    var isNever: Bool { if case .alt(let a) = self, a.isEmpty { return true }; return false }
}

/// A schema node with the JSON pointer it came from. `synthetic` nodes were produced by
/// merging (allOf, if/then/else, negation) and are never memoized by pointer.
struct SchemaNode: Sendable {
    var value: SchemaValue
    var pointer: String
    var synthetic: Bool

    func child(_ key: String, _ v: SchemaValue) -> SchemaNode {
        SchemaNode(value: v, pointer: pointer + "/" + SchemaNode.pointerToken(key), synthetic: synthetic)
    }

    /// `key` as one JSON Pointer reference token (RFC 6901: `~` → `~0`, `/` → `~1`).
    static func pointerToken(_ key: String) -> String { JSONPointer.escape(key) }
    subscript(key: String) -> SchemaNode? { value[key].map { child(key, $0) } }
}
