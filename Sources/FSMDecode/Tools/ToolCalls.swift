/// How tool calls are written and when they may (or must) appear.
public struct ToolCallOptions: Sendable {
    /// The call syntax.
    public enum Format: String, Sendable, CaseIterable {
        /// `{"name": NAME, "arguments": {…}}`; parallel calls: a JSON array of those (one or more).
        case openai
        /// Hermes / Qwen: `<tool_call>\n{"name": NAME, "arguments": {…}}\n</tool_call>`;
        /// parallel calls: one or more such blocks separated by `\n`.
        case hermes
        /// Llama 3.1 JSON tool calling: `{"name": NAME, "parameters": {…}}`; parallel calls:
        /// a JSON array of those.
        case llama3
    }

    /// OpenAI's `tool_choice`.
    public enum Choice: Sendable, Hashable {
        /// Free text only (it never contains the trigger, when there is one).
        case none
        /// Free text, or a call. With a trigger: free text without the trigger, optionally
        /// followed by the trigger and the call(s). Without one: an output whose first
        /// non-whitespace character opens a call (`{`, `[` for parallel JSON calls, `<` for
        /// hermes) is a call and must be valid; any other output is free text.
        case auto
        /// A call must be made. With a trigger: free text without the trigger, the trigger,
        /// then the call(s); without one: the call(s) only.
        case required
        /// As `required`, and every call is to this function.
        case function(String)
    }

    /// What switches from free text to a call.
    public enum Trigger: Sendable, Hashable {
        /// `hermes`: the text `<tool_call>` (the block's own opening tag); other formats: none.
        case formatDefault
        /// No trigger: see `Choice` for what free text means then.
        case none
        /// A string (e.g. `<tool_call>`, `<function=`). When the call syntax itself starts
        /// with this text (hermes and `<tool_call>`), the trigger is that opening.
        case text(String)
        /// A special token of the vocabulary, named by its text (e.g. `<|python_tag|>`); the
        /// constraint fails to compile against a vocabulary that lacks it. Free text does not
        /// contain its text either.
        case token(String)
    }

    public var format: Format
    /// Allow several calls in one output (see `Format`).
    public var parallel: Bool
    public var toolChoice: Choice
    public var trigger: Trigger
    /// Whitespace inside the call's JSON (as for JSON Schema).
    public var whitespace: JSONSchemaOptions.Whitespace
    /// Relax parameter-schema constructs that cannot be honoured exactly (each a warning).
    public var lenient: Bool
    /// Deepest nesting of recursive parameter schemas (required for the indent layout).
    public var maxNestingDepth: Int?
    public var limits: GrammarLimits

    public init(format: Format = .openai, parallel: Bool = false, toolChoice: Choice = .required, trigger: Trigger = .formatDefault,
                whitespace: JSONSchemaOptions.Whitespace = .compact, lenient: Bool = false, maxNestingDepth: Int? = nil,
                limits: GrammarLimits = GrammarLimits()) {
        self.format = format
        self.parallel = parallel
        self.toolChoice = toolChoice
        self.trigger = trigger
        self.whitespace = whitespace
        self.lenient = lenient
        self.maxNestingDepth = maxNestingDepth
        self.limits = limits
    }

    /// The trigger after resolving `.formatDefault`.
    public var effectiveTrigger: Trigger {
        guard case .formatDefault = trigger else { return trigger }
        return format == .hermes ? .text(ToolCallCompiler.hermesOpen) : .none
    }
}

/// One declared function.
public struct ToolDefinition: Sendable {
    public let name: String
    public let description: String?
    /// JSON pointer of the function object (`/tools/2/function`, `/0`, ...).
    public let pointer: String
    /// Whether it declared `parameters` (otherwise its arguments must be `{}`).
    public let hasParameters: Bool
}

/// A compiled tool list: the grammar of the outputs `ToolCallOptions` allow.
public struct ToolCallCompilation: Sendable {
    public let grammar: Grammar
    /// The declared functions, in file order.
    public let tools: [ToolDefinition]
    /// Parameter-schema relaxations (lenient mode) and ignored unknown keywords, each naming
    /// the JSON pointer in the tools file.
    public let warnings: [String]
    /// The JSON Schema assertion keywords the parameters use, sorted.
    public let keywordsUsed: [String]
}

/// Compiles an OpenAI-style tool list (ToolDec-style constrained function calling): the
/// output may only call declared functions, with arguments that validate against the
/// function's `parameters` JSON Schema, in the chosen format and `tool_choice` mode.
///
/// Accepted inputs: an array of `{"type": "function", "function": {name, description,
/// parameters}}`, of bare function objects `{name, description, parameters}`, or an object
/// `{"tools": [...]}` holding either. Missing `parameters` means the function takes none
/// (arguments `{}`); `parameters` without a `type` describe an object (arguments are always a
/// JSON object).
///
/// The call's JSON is compiled by `JSONSchemaCompiler` from one synthetic schema: an `anyOf`
/// of `{"type":"object","properties":{"name":{"const":NAME},"arguments":PARAMS},
/// "required":["name","arguments"],"additionalProperties":false}` (branches disjoint by the
/// name, so the union is exact; `$ref`s inside PARAMS are rebased), in an array for parallel
/// JSON calls. Free text and tags are composed around it with `GrammarComposition`.
/// Errors name the tools file and the JSON pointer in it.
public enum ToolCallCompiler {
    static let hermesOpen = "<tool_call>"
    static let hermesClose = "</tool_call>"

    public static func compile(tools: JSONValue, source: String, options: ToolCallOptions = ToolCallOptions()) throws -> ToolCallCompilation {
        let defs = try parse(tools, source: source)
        // The trigger: its text (which free text never contains) and what the output writes.
        let trigger: (text: String, part: GrammarComposition)?
        switch options.effectiveTrigger {
        case .text(let s): trigger = (s, .text(s))
        case .token(let s): trigger = (s, .pattern(.tokenText(s, negated: false)))
        case .none, .formatDefault: trigger = nil
        }
        if let trigger, trigger.text.isEmpty { throw FSMDecodeError(.usage, "\(source): the tool-call trigger must not be empty") }
        var selected = defs
        if case .function(let name) = options.toolChoice {
            guard let d = defs.first(where: { $0.definition.name == name }) else {
                let declared = defs.map { "'\($0.definition.name)'" }.joined(separator: ", ")
                throw FSMDecodeError(.usage, "\(source): " + messageText("tool_choice '\(name)' names no declared function (declared: \(declared.isEmpty ? "none" : declared))"))
            }
            selected = [d]
        }
        if options.toolChoice != .none && selected.isEmpty {
            throw FSMDecodeError(.schema, "\(source): the tool list declares no function, so no call can be made (use tool_choice none for free text)")
        }

        let freeTextBeforeTrigger = try trigger.map { try FreeTextPattern.avoiding($0.text, maxNodes: options.limits.maxPatternNodes) }
        if options.toolChoice == .none {
            let grammar = try GrammarComposition.pattern(freeTextBeforeTrigger ?? FreeTextPattern.anyText).grammar(source: source, limits: options.limits)
            return ToolCallCompilation(grammar: grammar, tools: defs.map(\.definition), warnings: [], keywordsUsed: [])
        }

        let json = try callSchema(selected, source: source, options: options)
        let call = GrammarComposition.embed(json.grammar, name: "call")
        // The calls, and the calls after the trigger (which may be the calls' own opening).
        let calls: GrammarComposition, afterTrigger: GrammarComposition?
        switch options.format {
        case .openai, .llama3:
            calls = call
            afterTrigger = trigger.map { .sequence([$0.part, call]) }
        case .hermes:
            let rest = GrammarComposition.sequence([.text("\n"), call, .text("\n" + hermesClose)])
            func blocks(_ open: GrammarComposition) -> GrammarComposition {
                let first = GrammarComposition.sequence([open, rest])
                return options.parallel ? .sequence([first, .repetition(.sequence([.text("\n"), open, rest]), min: 0, max: nil)]) : first
            }
            calls = blocks(.text(hermesOpen))
            afterTrigger = trigger.map { $0.text == hermesOpen ? blocks($0.part) : .sequence([$0.part, calls]) }
        }

        let composition: GrammarComposition
        if let freeTextBeforeTrigger, let afterTrigger {
            let prefix = GrammarComposition.pattern(freeTextBeforeTrigger)
            composition = options.toolChoice == .auto
                ? .sequence([prefix, .optional(afterTrigger)])
                : .sequence([prefix, afterTrigger])
        } else if options.toolChoice == .auto {
            let opener: Unicode.Scalar = options.format == .hermes ? "<" : options.parallel ? "[" : "{"
            composition = .alternation([.pattern(FreeTextPattern.notOpeningWith(opener)), calls])
        } else {
            composition = calls
        }
        let grammar = try composition.grammar(source: source, limits: options.limits)
        return ToolCallCompilation(grammar: grammar, tools: defs.map(\.definition),
                                   warnings: json.warnings.map { remap($0, selected, options) },
                                   keywordsUsed: json.keywordsUsed)
    }

    // MARK: the tool list

    struct ParsedTool {
        var definition: ToolDefinition
        var parameters: SchemaValue
        var parametersPointer: String
    }

    /// Reads the tool list; every structural problem is an error naming its JSON pointer.
    static func parse(_ root: JSONValue, source: String) throws -> [ParsedTool] {
        func fail(_ pointer: String, _ why: String) -> FSMDecodeError {
            // Pointers and reasons quote the tool list's own strings: keep the message one line.
            FSMDecodeError(.schema, "\(source): " + messageText("#\(pointer): \(why)"))
        }
        var list = root, base = ""
        if root.kind == .object {
            guard let tools = root["tools"] else {
                throw fail("", "expected a tool list: an array of tools, or an object with a \"tools\" array")
            }
            list = tools
            base = "/tools"
        }
        guard let items = list.array else {
            throw fail(base, "the tool list must be an array, not \(kindName(list))")
        }
        var out: [ParsedTool] = []
        var seen: [String: String] = [:]
        for (i, item) in items.enumerated() {
            let pointer = base + "/\(i)"
            guard item.kind == .object else { throw fail(pointer, "a tool must be an object, not \(kindName(item))") }
            if let type = item["type"], type.string != "function" {
                throw fail(pointer + "/type", "unsupported tool type \(type.kind == .string ? "'\(type.string!)'" : kindName(type)) (only \"function\" tools can be called)")
            }
            var fn = item, fnPointer = pointer
            if let wrapped = item["function"] {
                guard wrapped.kind == .object else { throw fail(pointer + "/function", "\"function\" must be an object, not \(kindName(wrapped))") }
                fn = wrapped
                fnPointer = pointer + "/function"
            }
            guard let nameValue = fn["name"] else {
                throw fail(fnPointer, "the function has no \"name\"")
            }
            guard let name = nameValue.string else {
                throw fail(fnPointer + "/name", "the function name must be a string, not \(kindName(nameValue))")
            }
            if name.isEmpty { throw fail(fnPointer + "/name", "the function name is empty") }
            if let first = seen[name] {
                throw fail(fnPointer + "/name", "duplicate function name '\(name)' (first declared at \(first))")
            }
            seen[name] = "#" + fnPointer + "/name"
            if let d = fn["description"], d.kind != .string, !d.isNull {
                throw fail(fnPointer + "/description", "the description must be a string, not \(kindName(d))")
            }
            let paramsPointer = fnPointer + "/parameters"
            var parameters: SchemaValue
            let hasParameters: Bool
            if let p = fn["parameters"], !p.isNull {
                hasParameters = true
                switch p.kind {
                case .bool:
                    guard p.bool! else { throw fail(paramsPointer, "parameters `false` admit no arguments at all, so the function cannot be called") }
                    parameters = .object([SchemaMember(key: "type", value: .string("object"))])
                case .object:
                    parameters = SchemaValue(p)
                    if case .object(var members) = parameters {
                        if let type = parameters["type"] {
                            let names: [String]? = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue)
                            if let names, !names.contains("object") {
                                throw fail(paramsPointer + "/type", "parameters must describe a JSON object (the arguments), not \(names.joined(separator: " or "))")
                            }
                        } else {
                            members.insert(SchemaMember(key: "type", value: .string("object")), at: 0)
                        }
                        parameters = .object(members)
                    }
                default:
                    throw fail(paramsPointer, "parameters must be a JSON Schema (an object or a boolean), not \(kindName(p))")
                }
            } else {
                hasParameters = false
                parameters = .object([SchemaMember(key: "type", value: .string("object")),
                                      SchemaMember(key: "properties", value: .object([])),
                                      SchemaMember(key: "additionalProperties", value: .bool(false))])
            }
            out.append(ParsedTool(definition: ToolDefinition(name: name, description: fn["description"]?.string, pointer: fnPointer,
                                                             hasParameters: hasParameters),
                                  parameters: parameters, parametersPointer: paramsPointer))
        }
        return out
    }

    private static func kindName(_ v: JSONValue) -> String {
        switch v.kind {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: the call's JSON

    /// The key holding the arguments in `format`.
    static func argumentsKey(_ format: ToolCallOptions.Format) -> String { format == .llama3 ? "parameters" : "arguments" }

    /// The synthetic schema's pointer to function i's parameters.
    static func syntheticPointer(_ i: Int, _ options: ToolCallOptions) -> String {
        (jsonArray(options) ? "/items" : "") + "/anyOf/\(i)/properties/" + argumentsKey(options.format)
    }

    static func jsonArray(_ options: ToolCallOptions) -> Bool { options.parallel && options.format != .hermes }

    static func callSchema(_ tools: [ParsedTool], source: String, options: ToolCallOptions) throws -> JSONSchemaCompilation {
        var drafts = Set<String>()
        var branches: [SchemaValue] = []
        for (i, t) in tools.enumerated() {
            if let s = t.parameters["$schema"]?.stringValue { drafts.insert(s) }
            let params = rebaseRefs(t.parameters, prefix: syntheticPointer(i, options), depth: 0)
            branches.append(.object([
                SchemaMember(key: "type", value: .string("object")),
                SchemaMember(key: "properties", value: .object([
                    SchemaMember(key: "name", value: .object([SchemaMember(key: "const", value: .string(t.definition.name))])),
                    SchemaMember(key: argumentsKey(options.format), value: params),
                ])),
                SchemaMember(key: "required", value: .array([.string("name"), .string(argumentsKey(options.format))])),
                SchemaMember(key: "additionalProperties", value: .bool(false)),
            ]))
        }
        if drafts.count > 1 {
            throw FSMDecodeError(.schema, "\(source): the functions' parameters declare different $schema drafts (\(drafts.sorted().joined(separator: ", "))); one tool list is compiled under one draft")
        }
        var root: [SchemaMember] = drafts.first.map { [SchemaMember(key: "$schema", value: .string($0))] } ?? []
        let union = SchemaMember(key: "anyOf", value: .array(branches))
        if jsonArray(options) {
            root += [SchemaMember(key: "type", value: .string("array")), SchemaMember(key: "minItems", value: .number(SchemaDecimal(text: "1")!)),
                     SchemaMember(key: "items", value: .object([union]))]
        } else {
            root.append(union)
        }
        let text = SchemaValue.object(root).compactText
        let document = try JSONDocument(bytes: Array(text.utf8), source: source)
        let schemaOptions = JSONSchemaOptions(whitespace: options.whitespace, lenient: options.lenient,
                                              maxNestingDepth: options.maxNestingDepth, limits: options.limits)
        do {
            return try JSONSchemaCompiler.compile(document.value, source: source, options: schemaOptions)
        } catch let e as FSMDecodeError {
            throw FSMDecodeError(e.kind, remap(e.message, tools, options))
        }
    }

    static let schemaMaps: Set<String> = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies"]
    static let schemaValued: Set<String> = ["additionalProperties", "additionalItems", "items", "contains", "propertyNames", "not", "if", "then",
                                            "else", "unevaluatedItems", "unevaluatedProperties", "allOf", "anyOf", "oneOf", "prefixItems"]

    /// Rewrites local `$ref`s (`#`, `#/...`) of a schema moved to `prefix` inside a larger
    /// document, walking schema positions only (data under `enum`/`const`/`default` is left
    /// alone). Bounded by the parsed document's depth (json-c's limit).
    static func rebaseRefs(_ s: SchemaValue, prefix: String, depth: Int) -> SchemaValue {
        guard depth < 600, case .object(let members) = s else { return s }
        var out: [SchemaMember] = []
        for m in members {
            var v = m.value
            if m.key == "$ref", let ref = v.stringValue, ref == "#" || ref.hasPrefix("#/") {
                v = .string("#" + prefix + ref.dropFirst())
            } else if schemaMaps.contains(m.key), case .object(let inner) = v {
                v = .object(inner.map { SchemaMember(key: $0.key, value: rebaseRefs($0.value, prefix: prefix, depth: depth + 1)) })
            } else if schemaValued.contains(m.key) {
                if case .array(let list) = v { v = .array(list.map { rebaseRefs($0, prefix: prefix, depth: depth + 1) }) } else { v = rebaseRefs(v, prefix: prefix, depth: depth + 1) }
            }
            out.append(SchemaMember(key: m.key, value: v))
        }
        return .object(out)
    }

    /// Replaces the synthetic schema's pointers in a compiler message by the tools file's.
    static func remap(_ message: String, _ tools: [ParsedTool], _ options: ToolCallOptions) -> String {
        let lead = jsonArray(options) ? "/items/anyOf/" : "/anyOf/"
        let tail = "/properties/" + argumentsKey(options.format)
        var out = ""
        var rest = Substring(message)
        while let r = rest.range(of: lead) {
            out += rest[..<r.lowerBound]
            var after = rest[r.upperBound...]
            let digits = after.prefix { $0.isASCII && $0.isNumber }
            after = after.dropFirst(digits.count)
            if let i = Int(digits), i < tools.count {
                if after.hasPrefix(tail) {
                    out += tools[i].parametersPointer
                    after = after.dropFirst(tail.count)
                } else {
                    out += tools[i].definition.pointer
                }
                // The rest of this pointer is the user's own (it may contain `/anyOf/` too).
                let pointerRest = after.prefix { !$0.isWhitespace }
                out += pointerRest
                rest = after.dropFirst(pointerRest.count)
            } else {
                out += rest[r]
                rest = rest[r.upperBound...]
            }
        }
        return out + rest
    }
}
