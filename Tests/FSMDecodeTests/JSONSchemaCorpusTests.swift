@testable import FSMDecode
import Foundation
import Testing

/// Corpus checks of the JSON Schema compiler against the exact reference recognizer: every
/// schema that compiles must accept every valid instance (compact, and pretty-printed under
/// flexible whitespace) and reject every invalid one. Counts only grow (ratchet file).
@Suite(.serialized) struct JSONSchemaCorpusTests {
    struct Counts: Codable, Equatable {
        var schemas = 0, compiled = 0, acceptedValid = 0, rejectedInvalid = 0, wrong = 0, skipped = 0
        static func + (a: Counts, b: Counts) -> Counts {
            Counts(schemas: a.schemas + b.schemas, compiled: a.compiled + b.compiled, acceptedValid: a.acceptedValid + b.acceptedValid,
                   rejectedInvalid: a.rejectedInvalid + b.rejectedInvalid, wrong: a.wrong + b.wrong, skipped: a.skipped + b.skipped)
        }
    }

    /// Instances longer than this (compact bytes) are skipped in the default run: the naive
    /// reference recognizer is cubic.
    static let maxInstanceBytes = TestSupport.fullSuites ? 20_000 : 1_200

    /// Judges one schema with its instances; returns counts, wrong-judgement lines and the
    /// refusal message (when it did not compile).
    static func judge(schema: JSONValue, label: String, tests: [(data: JSONValue, valid: Bool, what: String)]) -> (Counts, [String], String?) {
        var c = Counts(schemas: 1)
        if ProcessInfo.processInfo.environment["FSMDECODE_TRACE"] != nil { FileHandle.standardError.write(Data("judging \(label)\n".utf8)) }
        let compact: JSONSchemaCompilation, flexible: JSONSchemaCompilation
        let t0 = Date()
        do {
            compact = try JSONSchemaCompiler.compile(schema, source: label, options: JSONSchemaOptions(whitespace: .compact))
            flexible = try JSONSchemaCompiler.compile(schema, source: label, options: JSONSchemaOptions(whitespace: .flexible(maxRun: 20)))
        } catch let e as FSMDecodeError {
            return (c, [], e.message)
        } catch {
            return (c, [], "\(error)")
        }
        c.compiled = 1
        if ProcessInfo.processInfo.environment["FSMDECODE_TRACE"] != nil {
            FileHandle.standardError.write(Data("  compiled in \(Date().timeIntervalSince(t0)) s: \(compact.grammar.rules.count) rules, \(compact.grammar.terminals.count) terminals\n".utf8))
        }
        let rc = GrammarReferenceRecognizer(compact.grammar), rf = GrammarReferenceRecognizer(flexible.grammar)
        let root = SchemaValue(schema)
        var wrong: [String] = []
        for t in tests {
            // The grammar fixes member order (schema order); the harness's reordering follows
            // `properties` through combinators approximately, so the instance as written is
            // tried too: a valid instance must be accepted in one of the orders, an invalid
            // one rejected in all.
            let original = SchemaValue(t.data)
            // Two canonical orders: first-seen (how merged allOf/if-then properties are
            // emitted) and one consistent with every branch's order (anyOf/oneOf branches).
            let canonical = JSONSchemaTestSupport.canonical(original, schema: root, root: root)
            let merged = JSONSchemaTestSupport.canonical(original, schema: root, root: root, mergedOrder: true)
            var variants: [SchemaValue] = []
            for v in [canonical, merged, original] where !variants.contains(where: { JSONSchemaTestSupport.serialize($0) == JSONSchemaTestSupport.serialize(v) }) {
                variants.append(v)
            }
            let text = JSONSchemaTestSupport.serialize(canonical)
            if text.utf8.count > maxInstanceBytes { c.skipped += 1; continue }
            var judged: [(Bool, Bool)] = []
            for v in variants {
                judged.append((rc.accepts(JSONSchemaTestSupport.serialize(v)), rf.accepts(JSONSchemaTestSupport.serialize(v, indent: 2))))
            }
            if t.valid {
                if judged.contains(where: { $0.0 && $0.1 }) { c.acceptedValid += 1 } else { c.wrong += 1; wrong.append("\(label): valid instance rejected (\(t.what)): \(text.prefix(300)) \(judged)") }
            } else {
                if judged.allSatisfy({ !$0.0 && !$0.1 }) { c.rejectedInvalid += 1 } else { c.wrong += 1; wrong.append("\(label): invalid instance accepted (\(t.what)): \(text.prefix(300)) \(judged)") }
            }
        }
        return (c, wrong, nil)
    }

    static let ratchetPath = TestSupport.repoRoot + "/Tests/FSMDecodeTests/Fixtures/schema-ratchet.json"

    static func loadRatchet() -> [String: [String: Counts]] {
        guard let data = FileManager.default.contents(atPath: ratchetPath),
              let r = try? JSONDecoder().decode([String: [String: Counts]].self, from: data) else { return [:] }
        return r
    }

    static func checkRatchet(_ section: String, _ current: [String: Counts]) {
        var all = loadRatchet()
        let old = all[section] ?? [:]
        for (k, was) in old.sorted(by: { $0.key < $1.key }) {
            guard let now = current[k] else { continue }
            #expect(now.compiled >= was.compiled && now.acceptedValid >= was.acceptedValid && now.rejectedInvalid >= was.rejectedInvalid,
                    "ratchet \(section)/\(k): was \(was), now \(now)")
        }
        if ProcessInfo.processInfo.environment["FSMDECODE_UPDATE_RATCHET"] == "1" {
            all[section] = current
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            try? enc.encode(all).write(to: URL(fileURLWithPath: ratchetPath))
            print("ratchet: wrote \(section) to \(ratchetPath)")
        }
    }

    @Test func jsonSchemaTestSuiteDraft7() throws {
        guard let dir = TestSupport.shared("corpora/json-schema-test-suite-draft7/tests/draft7") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/json-schema-test-suite-draft7/tests/draft7 not found"); return
        }
        let fm = FileManager.default
        let files = (fm.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var perFile: [String: Counts] = [:]
        var total = Counts()
        var wrongLines: [String] = []
        var refused: [String: Int] = [:]
        // Optional tests for behaviour the specification leaves to implementations: formats
        // this compiler treats as annotations, and content* (annotations).
        let annotationOnly = ["optional/content.json"]
        for f in files where !annotationOnly.contains(f) {
            let doc = try JSONDocument(contentsOfFile: dir + "/" + f)
            var counts = Counts()
            for (gi, group) in (doc.value.array ?? []).enumerated() {
                guard let schema = group["schema"] else { continue }
                // The suite is draft 7: say so where the schema does not.
                var schemaValue = schema
                if schema.kind == .object && schema["$schema"] == nil {
                    let text = schema.serialized
                    let patched = text == "{}" ? "{\"$schema\":\"http://json-schema.org/draft-07/schema#\"}"
                        : "{\"$schema\":\"http://json-schema.org/draft-07/schema#\"," + text.dropFirst()
                    schemaValue = try JSONDocument(bytes: Array(patched.utf8), source: f).value
                }
                let tests = (group["tests"]?.array ?? []).map { t in
                    (data: t["data"]!, valid: t["valid"]?.bool ?? false, what: t["description"]?.string ?? "")
                }
                let (c, w, refusal) = Self.judge(schema: schemaValue, label: "\(f)#\(gi) \(group["description"]?.string ?? "")", tests: tests)
                counts = counts + c
                wrongLines += w
                if let refusal {
                    refused[Self.keyword(of: refusal), default: 0] += 1
                    if ProcessInfo.processInfo.environment["FSMDECODE_PRINT_REFUSALS"] != nil { print("  REFUSED \(f)#\(gi): \(refusal)") }
                }
            }
            perFile[f] = counts
            total = total + counts
        }
        print("JSON-Schema-Test-Suite draft7: \(total.schemas) schemas, compiled \(total.compiled), accepted-valid \(total.acceptedValid), rejected-invalid \(total.rejectedInvalid), wrong \(total.wrong), skipped \(total.skipped)")
        print("  refused by keyword: " + refused.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        for w in wrongLines.prefix(400) { print("  WRONG " + w) }
        #expect(total.wrong == 0, "\(total.wrong) instances judged wrongly")
        Self.checkRatchet("json-schema-test-suite-draft7", perFile)
    }

    static func keyword(of message: String) -> String {
        // "SOURCE: KEYWORD at #POINTER: WHY"
        guard let at = message.range(of: " at #") else { return "other" }
        let head = message[..<at.lowerBound]
        return String(head.split(separator: " ").last ?? "other")
    }

    @Test func maskbenchDev() throws {
        guard let dir = TestSupport.shared("corpora/maskbench-dev") else {
            print("skipping: \(TestSupport.sharedRoot)/corpora/maskbench-dev not found"); return
        }
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        // Deterministic sample: every 8th file by sorted name (all files with FSMDECODE_FULL=1).
        var sample = TestSupport.fullSuites ? files : files.enumerated().filter { $0.offset % 8 == 0 }.map(\.element)
        if let only = ProcessInfo.processInfo.environment["FSMDECODE_SCHEMA_FILTER"] { sample = files.filter { $0.contains(only) } }
        var total = Counts()
        var wrongLines: [String] = []
        var refused: [String: Int] = [:]
        for f in sample {
            guard let doc = try? JSONDocument(contentsOfFile: dir + "/" + f), let schema = doc.value["schema"] else { continue }
            let tests = (doc.value["tests"]?.array ?? []).map { t in
                (data: t["data"]!, valid: t["valid"]?.bool ?? false, what: t["description"]?.string ?? "")
            }
            let t0 = Date()
            let (c, w, refusal) = Self.judge(schema: schema, label: f, tests: tests)
            if ProcessInfo.processInfo.environment["FSMDECODE_TRACE"] != nil { FileHandle.standardError.write(Data("  \(f): \(Date().timeIntervalSince(t0)) s\n".utf8)) }
            total = total + c
            wrongLines += w
            if let refusal {
                refused[Self.keyword(of: refusal), default: 0] += 1
                if ProcessInfo.processInfo.environment["FSMDECODE_PRINT_REFUSALS"] != nil { print("  REFUSED \(refusal)") }
            }
        }
        print("maskbench-dev (\(sample.count) of \(files.count) files): compiled \(total.compiled), accepted-valid \(total.acceptedValid), rejected-invalid \(total.rejectedInvalid), wrong \(total.wrong), skipped (long) \(total.skipped)")
        print("  refused by keyword: " + refused.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        for w in wrongLines.prefix(400) { print("  WRONG " + w) }
        #expect(total.wrong == 0, "\(total.wrong) instances judged wrongly")
        // A filtered run is for debugging: its counts are not comparable with the ratchet.
        if ProcessInfo.processInfo.environment["FSMDECODE_SCHEMA_FILTER"] == nil {
            Self.checkRatchet(TestSupport.fullSuites ? "maskbench-dev-full" : "maskbench-dev-sample", ["total": total])
        }
    }
}
