import FSMDecode
import Foundation
import Testing

/// ../shared/corpora/tools/functions.json (50 BFCL v4 function definitions, 32 example calls
/// that validate against their `json_schema`): every tool list compiles in every format, and
/// through the runtime valid calls are accepted while calls to unknown names, calls missing a
/// required argument and calls with a wrongly typed argument are rejected.
/// Default run: the functions with example calls, each in one format (rotating), checked
/// through the runtime; FSMDECODE_FULL=1: every function in every format, plus the whole list.
@Suite struct ToolCallCorpusTests {
    struct Function {
        let name: String
        let tool: JSONValue
        let schema: JSONValue
        let examples: [JSONValue]
    }

    static func load() throws -> (JSONValue, [Function])? {
        guard let path = TestSupport.shared("corpora/tools/functions.json") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/tools/functions.json not found")
            return nil
        }
        let root = try JSONDocument(contentsOfFile: path).value
        let functions = (root["functions"]?.array ?? []).map { f in
            Function(name: f["name"]!.string!, tool: f["tool"]!, schema: f["tool"]!["function"]!["parameters"]!,
                     examples: f["example_args"]?.array ?? [])
        }
        return (root, functions)
    }

    /// The arguments as the compiler's canonical representation writes them: declared
    /// properties in schema order, compact.
    static func arguments(_ args: [(String, String)], schema: JSONValue) -> String {
        let order = (schema["properties"]?.members ?? []).map(\.0)
        let sorted = args.sorted { (order.firstIndex(of: $0.0) ?? .max) < (order.firstIndex(of: $1.0) ?? .max) }
        return "{" + sorted.map { ToolTest.quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// A value of a JSON type other than `type`.
    static func wrongValue(for type: String) -> String {
        switch type {
        case "string": return "true"
        case "integer", "number": return "\"12\""
        case "boolean": return "\"true\""
        case "array": return "{}"
        case "object": return "[]"
        default: return "null"
        }
    }

    struct Cases {
        var valid: [(String, String)] = []    // (name, arguments)
        var invalid: [(String, String, String)] = []  // (name, arguments, why)
    }

    static func cases(_ f: Function, allNames: Set<String>) -> Cases {
        var c = Cases()
        let properties = f.schema["properties"]
        let required = Set((f.schema["required"]?.array ?? []).compactMap(\.string))
        for ex in f.examples {
            let args = ex.members.map { ($0.0, $0.1.serialized) }
            c.valid.append((f.name, arguments(args, schema: f.schema)))
            var unknown = f.name + "_v2"
            while allNames.contains(unknown) { unknown += "x" }
            c.invalid.append((unknown, arguments(args, schema: f.schema), "unknown function"))
            for (k, _) in args where required.contains(k) {
                c.invalid.append((f.name, arguments(args.filter { $0.0 != k }, schema: f.schema), "missing required '\(k)'"))
            }
            for (i, (k, _)) in args.enumerated() {
                guard let type = properties?[k]?["type"]?.string else { continue }
                var wrong = args
                wrong[i].1 = wrongValue(for: type)
                c.invalid.append((f.name, arguments(wrong, schema: f.schema), "'\(k)' not a \(type)"))
            }
        }
        return c
    }

    static func check(_ constraint: Constraint, _ cases: Cases, format: ToolCallOptions.Format, label: String) -> (valid: Int, rejected: Int) {
        var accepted = 0, rejected = 0
        for (name, args) in cases.valid {
            let text = ToolTest.output([(name, args)], format, parallel: false)
            if ToolTest.accepts(constraint, text) { accepted += 1 } else { Issue.record("\(label): valid call rejected: \(text)") }
        }
        for (name, args, why) in cases.invalid {
            let text = ToolTest.output([(name, args)], format, parallel: false)
            if !ToolTest.accepts(constraint, text) { rejected += 1 } else { Issue.record("\(label): invalid call (\(why)) accepted: \(text)") }
        }
        return (accepted, rejected)
    }

    @Test func everyToolListCompilesAndJudgesCallsExactly() throws {
        guard let (_, functions) = try Self.load() else { return }
        #expect(functions.count == 50)
        let names = Set(functions.map(\.name))
        let formats = ToolCallOptions.Format.allCases
        // Default run: calls only (hermes without free text before the block, which the
        // trigger tests cover); full run: hermes with its `<tool_call>` trigger too.
        let trigger: ToolCallOptions.Trigger = TestSupport.fullSuites ? .formatDefault : .none
        let clock = ContinuousClock()
        var grammarTime = Duration.zero, runtimeTime = Duration.zero
        var compiled = 0, runtimeChecked = 0, validAccepted = 0, invalidRejected = 0, validTotal = 0, invalidTotal = 0
        for (i, f) in functions.enumerated() {
            // Each function alone, every format: the grammar compiles.
            var grammars: [ToolCallOptions.Format: Grammar] = [:]
            for format in formats {
                let list = "[" + f.tool.serialized + "]"
                let t0 = clock.now
                let c = try ToolCallCompiler.compile(tools: try ToolTest.json(list), source: "functions.json#\(f.name)",
                                                     options: ToolCallOptions(format: format, trigger: trigger))
                grammarTime += clock.now - t0
                #expect(c.tools.map(\.name) == [f.name])
                grammars[format] = c.grammar
                compiled += 1
            }
            let cases = Self.cases(f, allNames: names)
            if cases.valid.isEmpty && !TestSupport.fullSuites { continue }
            let checkFormats = TestSupport.fullSuites ? formats : [formats[i % formats.count]]
            for format in checkFormats {
                let t0 = clock.now
                let constraint = try Constraint.compile(grammar: grammars[format]!, vocabulary: ToolTest.bytes)
                let r = Self.check(constraint, cases, format: format, label: "\(f.name) (\(format))")
                runtimeTime += clock.now - t0
                validAccepted += r.valid; invalidRejected += r.rejected
                validTotal += cases.valid.count; invalidTotal += cases.invalid.count
                runtimeChecked += 1
            }
        }
        print("tool corpus: \(compiled) tool lists compiled; \(runtimeChecked) checked through the runtime: "
              + "\(validAccepted)/\(validTotal) valid calls accepted, \(invalidRejected)/\(invalidTotal) invalid calls rejected "
              + "(grammars \(grammarTime), runtime \(runtimeTime))")
        #expect(validTotal >= 32 && invalidTotal >= 3 * 32)
    }

    /// All 50 functions in one list (names are unique): the grammar compiles in every format
    /// and with parallel calls; FSMDECODE_FULL=1 also checks every example through the runtime.
    @Test func theWholeListCompiles() throws {
        guard let (_, functions) = try Self.load() else { return }
        let list = "[" + functions.map(\.tool.serialized).joined(separator: ",") + "]"
        let names = Set(functions.map(\.name))
        for format in ToolCallOptions.Format.allCases {
            for parallel in [false, true] {
                let c = try ToolCallCompiler.compile(tools: try ToolTest.json(list), source: "functions.json",
                                                     options: ToolCallOptions(format: format, parallel: parallel))
                #expect(c.tools.count == 50)
                #expect(c.warnings.isEmpty, "\(c.warnings)")
                guard TestSupport.fullSuites, !parallel else { continue }
                let constraint = try Constraint.compile(grammar: c.grammar, vocabulary: ToolTest.bytes)
                var all = Cases()
                for f in functions {
                    let cs = Self.cases(f, allNames: names)
                    all.valid += cs.valid
                    all.invalid += cs.invalid
                }
                _ = Self.check(constraint, all, format: format, label: "whole list (\(format))")
            }
        }
    }
}
