/// Judges a tool call `{"name": F, "arguments": {…}}` against a tool list the way ToolDec
/// counts errors: text that is not JSON, an unknown function name, a missing required
/// argument, an argument of the wrong type/value, or an argument the tool does not declare.
/// Independent of the engine: json-c parses, `SchemaValidator` checks the arguments.
public struct ToolCallValidator: Sendable {
    public struct Tool: Sendable {
        public let name: String
        public let parameters: JSONInstance
        let validator: SchemaValidator
    }

    public let tools: [Tool]

    /// `tools`: `[{"name", "parameters"}]` or OpenAI's `[{"type": "function", "function": {…}}]`.
    public init(tools list: JSONInstance, source: String) throws {
        guard let items = list.arrayValue, !items.isEmpty else {
            throw FSMDecodeError(.usage, "\(source): a tool list must be a non-empty JSON array")
        }
        var tools: [Tool] = []
        for (i, t) in items.enumerated() {
            let f = t["function"] ?? t
            guard let name = f["name"]?.stringValue else { throw FSMDecodeError(.usage, "\(source): tool \(i) has no \"name\"") }
            let p = f["parameters"] ?? .object([(key: "type", value: .string("object"))])
            tools.append(Tool(name: name, parameters: p, validator: SchemaValidator(schema: p)))
        }
        self.tools = tools
    }

    /// The first error in `output`, or nil for a correct call.
    public func firstError(_ output: [UInt8]) -> String? {
        let call: JSONInstance
        do { call = try JSONInstance.parse(output, source: "output") } catch { return "not JSON: \(error)" }
        guard let members = call.members else { return "not a JSON object" }
        for m in members where m.key != "name" && m.key != "arguments" { return "unexpected key \"\(m.key)\"" }
        guard let name = call["name"]?.stringValue else { return "no function name" }
        guard let tool = tools.first(where: { $0.name == name }) else { return "unknown function \"\(name)\"" }
        guard let args = call["arguments"], let argMembers = args.members else { return "\(name): arguments are not an object" }
        let declared = Set((tool.parameters["properties"]?.members ?? []).map(\.key))
        for a in argMembers where !declared.contains(a.key) { return "\(name): undeclared argument \"\(a.key)\"" }
        if let e = tool.validator.firstError(args) { return "\(name): \(e)" }
        return nil
    }

    /// A JSON Schema whose instances are exactly the correct calls (arguments closed to the
    /// declared ones): what a constraint for this tool list must enforce.
    public var callSchema: JSONInstance {
        .object([(key: "anyOf", value: .array(tools.map { t in
            var params = t.parameters.members ?? []
            params.removeAll { $0.key == "additionalProperties" }
            params.append((key: "additionalProperties", value: .bool(false)))
            return .object([
                (key: "type", value: .string("object")),
                (key: "properties", value: .object([
                    (key: "name", value: .object([(key: "const", value: .string(t.name))])),
                    (key: "arguments", value: .object(params)),
                ])),
                (key: "required", value: .array([.string("name"), .string("arguments")])),
                (key: "additionalProperties", value: .bool(false)),
            ])
        }))])
    }
}
