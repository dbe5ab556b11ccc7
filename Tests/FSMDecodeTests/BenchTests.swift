import FSMDecode
import Foundation
import Testing

/// The benchmark's independent validators, and the `bench masks` / `bench errors` runners on
/// tiny inputs (counts and record shapes; no timings are asserted).
@Suite struct BenchValidationTests {
    func value(_ text: String) throws -> JSONInstance { try JSONInstance.parse(Array(text.utf8), source: "<test>") }

    @Test func compactTextKeepsOrderAndEscapes() throws {
        let v = try value(#"{ "b": [1, 2.5, -0.0, 1e3], "a": "é\n\"\u0001", "c": {"z": null, "y": true} }"#)
        #expect(v.compactText == #"{"b":[1,2.5,-0.0,1e3],"a":"é\n\"\u0001","c":{"z":null,"y":true}}"#)
        #expect(try value(v.compactText) == v)
        #expect(try value(#"{"x":1,"y":2}"#) == value(#"{"y":2,"x":1}"#))
    }

    @Test func schemaValidatorKeywords() throws {
        let s = SchemaValidator(schema: try value("""
            {"type": "object", "required": ["n", "tags"], "additionalProperties": false,
             "properties": {"n": {"type": "integer", "minimum": 1, "exclusiveMaximum": 10},
                            "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "uniqueItems": true, "maxItems": 2},
                            "when": {"type": "string", "format": "date"},
                            "kind": {"oneOf": [{"const": "a"}, {"enum": ["b", "c"]}]},
                            "neg": {"not": {"type": "string"}}},
             "$defs": {"tag": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 4}}}
            """))
        #expect(s.firstError(try value(#"{"n": 3, "tags": ["ab"], "when": "2024-02-29", "kind": "b", "neg": 1}"#)) == nil)
        #expect(s.firstError(try value(#"{"n": 3.0, "tags": []}"#)) == nil)
        let bad = [#"{"tags": []}"#, #"{"n": 3.5, "tags": []}"#, #"{"n": 10, "tags": []}"#, #"{"n": 0, "tags": []}"#,
                   #"{"n": 1, "tags": ["a", "a"]}"#, #"{"n": 1, "tags": ["a", "b", "c"]}"#, #"{"n": 1, "tags": ["A"]}"#,
                   #"{"n": 1, "tags": ["abcde"]}"#, #"{"n": 1, "tags": [], "x": 1}"#, #"{"n": 1, "tags": [], "when": "2024-13-01"}"#,
                   #"{"n": 1, "tags": [], "kind": "d"}"#, #"{"n": 1, "tags": [], "neg": "s"}"#, #"[1]"#]
        for b in bad { #expect(s.firstError(try value(b)) != nil, "\(b) must be invalid") }
        #expect(s.firstError(try value(#"{"n": 1, "tags": [], "x": 1}"#))!.contains("additionalProperties"))
    }

    @Test func toolCallValidatorCountsToolDecErrors() throws {
        let v = try ToolCallValidator(tools: try value("""
            [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
              "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]}}}]
            """), source: "<tools>")
        #expect(v.firstError(Array(#"{"name":"get_weather","arguments":{"city":"Oslo","days":2}}"#.utf8)) == nil)
        #expect(v.firstError(Array(#"{"name":"get_wether","arguments":{"city":"Oslo"}}"#.utf8))!.contains("unknown function"))
        #expect(v.firstError(Array(#"{"name":"get_weather","arguments":{}}"#.utf8))!.contains("required"))
        #expect(v.firstError(Array(#"{"name":"get_weather","arguments":{"city":7}}"#.utf8))!.contains("type"))
        #expect(v.firstError(Array(#"{"name":"get_weather","arguments":{"city":"a","zip":1}}"#.utf8))!.contains("undeclared"))
        #expect(v.firstError(Array(#"{"name":"get_weather","arguments":{"city":"a"}"#.utf8))!.contains("not JSON"))
        // The constraint schema accepts exactly the correct calls.
        let s = SchemaValidator(schema: v.callSchema)
        #expect(s.isValid(try value(#"{"name":"get_weather","arguments":{"city":"Oslo"}}"#)))
        #expect(!s.isValid(try value(#"{"name":"get_weather","arguments":{"city":"a","zip":1}}"#)))
    }

    @Test func schemaKeyOrderPutsDeclaredPropertiesFirst() throws {
        let schema = try value(#"{"properties": {"a": {"properties": {"x": {}, "y": {}}}, "b": {}}, "allOf": [{"properties": {"c": {}}}]}"#)
        let inst = try value(#"{"z": 0, "c": 1, "b": 2, "a": {"y": 1, "x": 2}}"#)
        for mode in SchemaKeyOrder.Mode.allCases {
            #expect(SchemaKeyOrder.reorder(inst, schema: schema, mode: mode).compactText == #"{"a":{"x":2,"y":1},"b":2,"c":1,"z":0}"#)
        }
        // enum/const values keep their written order; $ref and array items are followed.
        let refs = try value(##"{"$defs": {"p": {"properties": {"m": {}, "n": {}}}}, "type": "array", "items": {"$ref": "#/$defs/p"}, "enum": [[{"n": 1, "m": 2}]]}"##)
        #expect(SchemaKeyOrder.reorder(try value(#"[{"n": 1, "m": 2}]"#), schema: refs).compactText == #"[{"n":1,"m":2}]"#)
        #expect(SchemaKeyOrder.reorder(try value(#"[{"n": 3, "m": 4}]"#), schema: refs).compactText == #"[{"m":4,"n":3}]"#)
    }

    /// oneOf branches declaring different subsets (the maskbench-dev Github_medium---o58609
    /// shape): first-seen order puts the second branch's extra key last; the merged order keeps
    /// it where that branch declares it. `variants` offers both, never the order as written.
    @Test func schemaKeyOrderMergesBranchOrders() throws {
        let schema = try value(#"{"oneOf": [{"properties": {"a": {}, "b": {}, "v": {"enum": [1]}}}, {"properties": {"a": {}, "b": {}, "c": {}, "v": {"enum": [2]}}}]}"#)
        let inst = try value(#"{"v": 2, "c": 0, "b": 0, "a": 0}"#)
        #expect(SchemaKeyOrder.reorder(inst, schema: schema).compactText == #"{"a":0,"b":0,"c":0,"v":2}"#)
        #expect(SchemaKeyOrder.reorder(inst, schema: schema, mode: .firstSeen).compactText == #"{"a":0,"b":0,"v":2,"c":0}"#)
        #expect(SchemaKeyOrder.variants(inst, schema: schema).map(\.compactText) == [#"{"a":0,"b":0,"c":0,"v":2}"#, #"{"a":0,"b":0,"v":2,"c":0}"#])
        #expect(SchemaKeyOrder.variants(try value(#"{"a":0,"b":0,"c":0,"v":2}"#), schema: schema).map(\.compactText) == [#"{"a":0,"b":0,"v":2,"c":0}"#])
        // Chains that contradict each other (a before b, b before a): first-seen order, no loop.
        let cyclic = try value(#"{"anyOf": [{"properties": {"a": {}, "b": {}}}, {"properties": {"b": {}, "a": {}}}]}"#)
        #expect(SchemaKeyOrder.reorder(try value(#"{"b": 1, "a": 2}"#), schema: cyclic).compactText == #"{"a":2,"b":1}"#)
    }
}

@Suite(.serialized) struct BenchRunnerTests {
    let cli = EncoderCLITests()

    func tempDir() throws -> String {
        let d = TestSupport.scratchPath("bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The GPT-2 vocabulary's path when it and the fsmdecode binary are there; nil (after
    /// saying why the test is skipped) otherwise.
    func prerequisites() -> String? {
        guard let vocab = TestSupport.shared("vocab/gpt2/tokenizer.json") else {
            print("skipping: \(TestSupport.sharedRoot)/vocab/gpt2/tokenizer.json not found"); return nil
        }
        guard EncoderCLITests.binary != nil else { print("skipping: the fsmdecode binary was not found beside the test bundle"); return nil }
        return vocab
    }

    func json(_ s: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
    }

    /// Three MaskBench files: one passes (valid accepted, invalid rejected), one cannot be
    /// compiled, and one whose "invalid" instance is accepted (an invalidation error) plus a
    /// "valid" one rejected (a validation error is reported first per file: here the file's
    /// status is the first failure seen, in test order).
    @Test func masksCountsTinyMaskBench() throws {
        guard let vocab = prerequisites() else { return }
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = [
            "a_ok.json": #"{"schema": {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}, "required": ["n"]}, "tests": [{"data": {"s": "x", "n": 1}, "valid": true}, {"data": {"n": "1"}, "valid": false}, {"data": {"s": "x"}, "valid": false}]}"#,
            "b_refused.json": #"{"schema": {"type": "string", "pattern": "(a)\\1"}, "tests": [{"data": "aa", "valid": true}]}"#,
            "c_mislabelled.json": #"{"schema": {"type": "integer"}, "tests": [{"data": 5, "valid": false}, {"data": 6, "valid": true}]}"#,
            "d_rejected.json": #"{"schema": {"type": "integer"}, "tests": [{"data": "five", "valid": true}]}"#,
        ]
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        let records = dir + "/records.jsonl"
        let work = dir + "/work"
        let r = try cli.run(["bench", "masks", "--vocab", vocab, "--json", "--records", records, "--dump-work", work, dir])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try json(r.stdout)
        #expect(s["files"] as? Int == 4)
        #expect(s["passing"] as? Int == 1)
        #expect(s["compile_error"] as? Int == 1)
        #expect(s["invalidation_error"] as? Int == 1)
        #expect(s["validation_error"] as? Int == 1)
        #expect(s["timeout"] as? Int == 0)
        #expect(s["reordered"] as? Int == 1, "a_ok's valid instance is written with keys out of schema order")
        for k in ["ttfm_us", "tbm_us"] { #expect(s[k] is [String: Any]) }
        #expect((s["peak_rss_mb"] as? Double ?? 0) > 0)
        let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: records)), as: UTF8.self).split(separator: "\n")
        let recs = try lines.map { try json(String($0)) }
        #expect(recs.map { $0["status"] as? String } == ["ok", "compile_error", "invalidation_error", "validation_error"])
        #expect(recs[0]["tokens"] as? Int ?? 0 > 1)
        #expect(recs[1]["tokens"] as? Int == 0, "no token is masked when the schema does not compile")
        #expect((recs[1]["error"] as? String)?.contains("b_refused.json") == true, "\(recs[1])")
        // The work set: every file's schema, every instance's text and token ids.
        let manifest = try json(String(decoding: try Data(contentsOf: URL(fileURLWithPath: work + "/manifest.json")), as: UTF8.self))
        #expect((manifest["grammars"] as? [Any])?.count == 4)
        // Each grammar keeps its worker request line (run_peers.py --interleave replays it).
        let units = (manifest["grammars"] as? [[String: Any]] ?? []).map { $0["unit"] as? String }
        #expect(units.sorted { ($0 ?? "") < ($1 ?? "") } == files.keys.sorted().map { "-\t" + dir + "/" + $0 }, "\(units)")
        #expect((manifest["cases"] as? [Any])?.count == 7)
        let ids = String(decoding: try Data(contentsOf: URL(fileURLWithPath: work + "/cases/a_ok.1.tokens")), as: UTF8.self)
        let encoder = try TokenEncoder(vocabulary: try #require(TestSupport.vocabulary("gpt2")))
        #expect(ids.split(separator: " ").map { Int32($0)! } == encoder.encode(#"{"n":1,"s":"x"}"#))
    }

    /// `--repeat N` (with `--cold`) runs each unit N times and keeps the least time per mask:
    /// the outcomes and mask counts are those of one run, and without `--cold` it is refused
    /// (a repeated unit would meet the caches its first run filled).
    @Test func masksRepeatKeepsOutcomesAndNeedsCold() throws {
        guard let vocab = prerequisites() else { return }
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = [
            "a_ok.json": #"{"schema": {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string", "maxLength": 5}}, "required": ["n"]}, "tests": [{"data": {"n": 12, "s": "abc"}, "valid": true}, {"data": {"n": "1"}, "valid": false}]}"#,
            "b_refused.json": #"{"schema": {"type": "string", "pattern": "(a)\\1"}, "tests": [{"data": "aa", "valid": true}]}"#,
        ]
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        func records(_ extra: [String]) throws -> [[String: Any]] {
            let path = dir + "/records-\(extra.count).jsonl"
            let r = try cli.run(["bench", "masks", "--vocab", vocab, "--json", "--records", path, "--cold"] + extra + [dir])
            #expect(r.status == 0, "\(r.stderr)")
            let s = try json(r.stdout)
            #expect(s["repeat"] as? Int == (extra.isEmpty ? 1 : 3))
            return try String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
                .split(separator: "\n").map { try json(String($0)) }
        }
        let once = try records([]), thrice = try records(["--repeat", "3"])
        #expect(once.map { $0["status"] as? String } == ["ok", "compile_error"])
        #expect(thrice.map { $0["status"] as? String } == once.map { $0["status"] as? String })
        #expect(thrice.map { $0["tokens"] as? Int } == once.map { $0["tokens"] as? Int })
        let counts = { (r: [[String: Any]]) in r.map { ($0["tbm_us"] as? [String: Any])?["count"] as? Int } }
        #expect(counts(thrice) == counts(once))
        #expect((thrice[0]["ttfm_us"] as? Double ?? 0) > 0)
        let refused = try cli.run(["bench", "masks", "--vocab", vocab, "--repeat", "2", dir])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--repeat needs --cold"), "\(refused.stderr)")
    }

    /// A unit past --timeout is recorded as timeout, its worker replaced, and the run goes on.
    @Test func masksTimeoutIsRecordedAndTheRunContinues() throws {
        guard let vocab = prerequisites() else { return }
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let manifest = #"{"pairs": [{"id": "r1", "kind": "regex", "constraint": "[a-z]+@[a-z]+\\.com", "valid": ["ab@cd.com"], "invalid": ["ab@cd"]}, {"id": "g1", "kind": "gbnf", "constraint": "root ::= \"x\" [0-9]+", "valid": ["x12"], "invalid": ["x", "y1"]}]}"#
        try Data(manifest.utf8).write(to: URL(fileURLWithPath: dir + "/pairs.json"))
        let ok = try cli.run(["bench", "masks", "--vocab", vocab, "--format", "pairs", "--json", "--jobs", "2", dir + "/pairs.json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let s = try json(ok.stdout)
        #expect(s["files"] as? Int == 2 && s["passing"] as? Int == 2, "\(ok.stdout)")
        #expect(s["invalid_instances"] as? Int == 3)
        let t = try cli.run(["bench", "masks", "--vocab", vocab, "--format", "pairs", "--json", "--timeout", "0.000001", dir + "/pairs.json"])
        #expect(t.status == 0, "\(t.stderr)")
        let ts = try json(t.stdout)
        #expect(ts["files"] as? Int == 2)
        #expect(ts["timeout"] as? Int == 2, "\(t.stdout)")
    }

    /// A worker that crashes on one file and one that hangs on another: both are recorded
    /// (crash with the worker's last words, timeout), each worker is replaced, and every other
    /// file still gets its ok record, in order.
    @Test func masksCrashAndHangLoseNoOtherFile() throws {
        guard let vocab = prerequisites() else { return }
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let names = ["a", "b_crash", "c", "d_hang", "e"]
        for (i, n) in names.enumerated() {
            let file = #"{"schema": {"type": "integer", "minimum": \#(i)}, "tests": [{"data": \#(i + 1), "valid": true}, {"data": -1, "valid": false}]}"#
            try Data(file.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(n).json"))
        }
        let records = dir + "/records.jsonl"
        let r = try cli.run(["bench", "masks", "--vocab", vocab, "--json", "--records", records, "--timeout", "5",
                             "--inject-fault", "crash:b_crash", "--inject-fault", "hang:d_hang", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let s = try json(r.stdout)
        #expect(s["files"] as? Int == 5 && s["passing"] as? Int == 3, "\(r.stdout)")
        #expect(s["crash"] as? Int == 1 && s["timeout"] as? Int == 1, "\(r.stdout)")
        #expect(s["valid_instances"] as? Int == 3 && s["invalid_instances"] as? Int == 3, "\(r.stdout)")
        let recs = try String(decoding: try Data(contentsOf: URL(fileURLWithPath: records)), as: UTF8.self)
            .split(separator: "\n").map { try json(String($0)) }
        #expect(recs.map { ($0["file"] as? String).map { ($0 as NSString).lastPathComponent } } == names.map { "\($0).json" })
        #expect(recs.map { $0["status"] as? String } == ["ok", "crash", "ok", "timeout", "ok"])
        for k in ["file", "status", "ttfm_us", "tbm_us", "tokens", "error"] { #expect(recs.allSatisfy { $0.keys.contains(k) }, "\(k)") }
        #expect((recs[1]["error"] as? String)?.contains("injected crash") == true, "\(recs[1])")
        #expect((recs[3]["error"] as? String)?.contains("no result within 5") == true, "\(recs[3])")
        #expect(recs[1]["ttfm_us"] is NSNull && recs[3]["tbm_us"] is NSNull)
        for i in [0, 2, 4] {
            #expect((recs[i]["ttfm_us"] as? Double ?? 0) > 0 && (recs[i]["tokens"] as? Int ?? 0) >= 2, "\(recs[i])")
            #expect(((recs[i]["tbm_us"] as? [String: Any])?["count"] as? Int) == recs[i]["tokens"] as? Int, "one mask per token of the valid instance")
        }
        // --every / --limit pick files in sorted order.
        let e = try cli.run(["bench", "masks", "--vocab", vocab, "--json", "--records", records, "--every", "2", "--limit", "2", dir])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(try json(e.stdout)["files"] as? Int == 2)
        let picked = try String(decoding: try Data(contentsOf: URL(fileURLWithPath: records)), as: UTF8.self)
            .split(separator: "\n").map { ((try json(String($0))["file"] as? String ?? "") as NSString).lastPathComponent }
        #expect(picked == ["a.json", "c.json"])
    }

    /// A tiny regex suite: unconstrained outputs are judged by PCRE2, constrained ones never fail.
    @Test func errorsSuiteCounts() throws {
        guard let vocab = prerequisites() else { return }
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let suite = #"{"name": "tiny", "check": "regex", "corpus": "corpus.txt", "order": 2, "max_tokens": 12, "samples": 3, "tasks": [{"id": "num", "prompt": "n: ", "regex": "[0-9]{2,4}"}, {"id": "word", "prompt": "w: ", "regex": "(cat|dog)s?"}]}"#
        try Data(suite.utf8).write(to: URL(fileURLWithPath: dir + "/suite.json"))
        try Data("n: 12\n\nw: cats\n\nn: 345 dogs\n\nw: dog 7\n\nn: 9\n\nw: cow".utf8).write(to: URL(fileURLWithPath: dir + "/corpus.txt"))
        let r = try cli.run(["bench", "errors", "--vocab", vocab, "--backend", "ngram", "--json", dir])
        #expect(r.status == 0, "\(r.stderr)")
        let row = try #require((try json(r.stdout)["suites"] as? [[String: Any]])?.first)
        #expect(row["samples"] as? Int == 6)
        let c = try #require(row["constrained"] as? [String: Any])
        let u = try #require(row["unconstrained"] as? [String: Any])
        #expect(c["errors"] as? Int == 0, "\(r.stdout)")
        #expect((u["errors"] as? Int).map { $0 >= 0 && $0 <= 6 } == true)
        #expect(c["mask_us_per_token"] != nil && c["forced_share"] != nil)
    }
}
