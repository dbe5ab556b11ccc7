import FSMDecode
import Foundation

/// Shared helpers for the tool-call suites: compile a tool list, run text through the real
/// runtime (`Constraint.compile(grammar:vocabulary:)` + matcher), serialize calls per format.
enum ToolTest {
    static func json(_ text: String) throws -> JSONValue {
        try JSONDocument(bytes: Array(text.utf8), source: "<test>").value
    }

    /// 256 one-byte tokens, no EOS (acceptance is read from `isAccepting`).
    static let bytes: Vocabulary = try! Vocabulary(
        kind: .plain, source: "<bytes>",
        tokens: (0..<256).map { b in ([UInt8(b)], "<0x\(String(b, radix: 16))>", TokenFlags()) }, bosID: nil, eosIDs: [])

    static let demo: Vocabulary = try! Vocabulary.load(path: TestSupport.repoRoot + "/Grammars/demo/tokenizer.json")
    static let demoEncoder = try! TokenEncoder(vocabulary: demo)

    static func compile(_ tools: String, _ options: ToolCallOptions, vocabulary: Vocabulary = bytes) throws -> Constraint {
        let c = try ToolCallCompiler.compile(tools: try json(tools), source: "<tools>", options: options)
        return try Constraint.compile(grammar: c.grammar, vocabulary: vocabulary)
    }

    /// The whole text is a complete output (byte by byte).
    static func accepts(_ c: Constraint, _ text: String) -> Bool {
        var m = c.makeMatcher()
        return m.accept(bytes: Array(text.utf8)) && m.isAccepting
    }

    /// The text is a viable prefix (some continuation completes it).
    static func viable(_ c: Constraint, _ text: String) -> Bool {
        var m = c.makeMatcher()
        return m.accept(bytes: Array(text.utf8))
    }

    /// The text, tokenized by the demo vocabulary's BPE encoder, is accepted token by token
    /// and complete.
    static func acceptsTokens(_ c: Constraint, _ text: String) -> Bool {
        var m = c.makeMatcher()
        for id in demoEncoder.encode(text) where !m.accept(token: id) { return false }
        return m.isAccepting
    }

    /// One call as `format` writes it (arguments already serialized). `spaced`: `", "` and `": "`.
    static func call(_ name: String, _ args: String, _ format: ToolCallOptions.Format, spaced: Bool = false) -> String {
        let sep = spaced ? ", " : ",", colon = spaced ? ": " : ":"
        let key = format == .llama3 ? "parameters" : "arguments"
        return "{\"name\"\(colon)\(quote(name))\(sep)\"\(key)\"\(colon)\(args)}"
    }

    /// A complete output: the calls in `format` (hermes blocks, a JSON array when parallel).
    static func output(_ calls: [(String, String)], _ format: ToolCallOptions.Format, parallel: Bool, spaced: Bool = false) -> String {
        let texts = calls.map { call($0.0, $0.1, format, spaced: spaced) }
        if format == .hermes { return texts.map { "<tool_call>\n\($0)\n</tool_call>" }.joined(separator: "\n") }
        return parallel ? "[" + texts.joined(separator: spaced ? ", " : ",") + "]" : texts[0]
    }

    static func quote(_ s: String) -> String { JSONText.quote(s) }
}
