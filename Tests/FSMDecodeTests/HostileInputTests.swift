import FSMDecode
import Foundation
import Testing

/// "Errors are a feature": every malformed, truncated or hostile input to a front-end (GBNF,
/// Lark, regex, JSON Schema, logits files, GGUF) either compiles or throws one
/// `FSMDecodeError` whose one-line message names a location, within a time bound, and never
/// traps. A deterministic mutation fuzzer over the shipped grammars and the shared corpora
/// (`make test`: a sample; FSMDECODE_FULL=1: the full run), plus hand-written hostile cases and
/// the reproducers of bugs found by `scripts/fuzz-frontends.py` (which drives the CLI, so a
/// crash there does not kill the test run).
@Suite struct HostileInputTests {
    /// Per-case time bound: compile or fail within it (debug builds are ~10x slower).
    static let caseBound: Double = _isDebugAssertConfiguration() ? 20 : 2

    /// 256 one-byte tokens, as `fsmdecode validate` compiles grammars against.
    static let byteVocabulary: Vocabulary = try! Vocabulary(
        kind: .plain, source: "<bytes>",
        tokens: (0..<256).map { b in ([UInt8(b)], "<0x\(String(b, radix: 16))>", TokenFlags()) },
        bosID: nil, eosIDs: [])

    // MARK: checks

    /// `body` succeeds or throws an FSMDecodeError with a one-line message that contains one
    /// of `locations`; it finishes within `caseBound` (budget errors included: the regex DFA
    /// builder reaches its state and work budgets in well under a second). Returns whether it threw.
    @discardableResult
    static func expectCleanOutcome(_ what: @autoclosure () -> String, locations: [String],
                                   _ body: () throws -> Void) -> Bool {
        let t0 = DispatchTime.now().uptimeNanoseconds
        var threw = false
        do {
            try body()
        } catch let e as FSMDecodeError {
            threw = true
            #expect(!e.message.contains("\n") && !e.message.contains("\r"), "\(what()): multi-line message: \(e.message)")
            #expect(locations.contains { e.message.contains($0) }, "\(what()): message names no location (\(locations)): \(e.message)")
        } catch {
            threw = true
            Issue.record("\(what()): not an FSMDecodeError: \(error)")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        #expect(seconds < caseBound, "\(what()): took \(seconds) s (bound \(caseBound) s)")
        return threw
    }

    /// Grammar errors name `file:line:column`, or the file with a byte offset / budget.
    static func grammarLocations(_ file: String) -> [String] { ["\(file):", "grammar \(file)", "\(file) "] }

    static func compileGrammar(_ bytes: [UInt8], file: String, lark: Bool) throws {
        let g = lark ? try Grammar.lark(bytes: bytes, file: file) : try Grammar.gbnf(bytes: bytes, file: file)
        let c = try Constraint.compile(grammar: g, vocabulary: byteVocabulary)
        let m = c.makeMatcher()
        _ = m.viablePrefixLength(Array("a".utf8))
    }

    // MARK: mutation fuzzer

    /// Snippets that probe limits or have broken parsers elsewhere (cf. scripts/fuzz-frontends.py).
    static let hostileSnippets: [[UInt8]] = [
        Array(repeating: 0x28, count: 300), [0x00], [0xFF, 0xFE], [0xC3], [0xED, 0xA0, 0x80], [0x5C], [0x22], [0x0A], [0x0D],
        Array("{1000000}".utf8), Array("{99999999999}".utf8), Array("{100000}".utf8), Array("[^]".utf8), Array("[z-a]".utf8),
        Array("(a*)*".utf8), Array("x{10000}{10000}".utf8), Array("\\u{110000}".utf8), Array("\\uD800".utf8),
        Array("::=".utf8), Array("->".utf8), Array("%import common.WS".utf8), Array("%ignore WS".utf8), Array("/(?i:a)/".utf8),
        Array("~ 99999999999".utf8), Array("<[4294967296]>".utf8), Array("\"$ref\":\"#\"".utf8), Array("[[[[[[[[".utf8),
        Array("\"minLength\":99999999999".utf8), Array("\"pattern\":\"(\"".utf8), Array("1e400".utf8), Array("-1".utf8),
    ]

    static func mutate(_ seed: [UInt8], _ rng: inout SeededRNG, pool: [[UInt8]]) -> [UInt8] {
        var b = seed
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let n = b.count
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where n > 0: // bit flips
                for _ in 0..<Int.random(in: 1...4, using: &rng) { b[Int.random(in: 0..<n, using: &rng)] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng)) }
            case 1 where n > 0: // truncation
                b.removeSubrange(Int.random(in: 0..<n, using: &rng)...)
            case 2 where n > 0: // duplicate a span
                let i = Int.random(in: 0..<n, using: &rng), j = min(n, i + Int.random(in: 1...64, using: &rng))
                let copies = [1, 2, 8, 100].randomElement(using: &rng)!
                b.insert(contentsOf: Array([[UInt8]](repeating: Array(b[i..<j]), count: copies).joined()), at: i)
            case 3 where n > 0: // delete a span
                let i = Int.random(in: 0..<n, using: &rng)
                b.removeSubrange(i..<min(n, i + Int.random(in: 1...32, using: &rng)))
            case 4, 5: // hostile snippet
                b.insert(contentsOf: hostileSnippets.randomElement(using: &rng)!, at: Int.random(in: 0...n, using: &rng))
            default: // splice from another seed
                guard let other = pool.randomElement(using: &rng), !other.isEmpty else { break }
                let i = Int.random(in: 0..<other.count, using: &rng), j = min(other.count, i + Int.random(in: 1...200, using: &rng))
                b.insert(contentsOf: other[i..<j], at: Int.random(in: 0...n, using: &rng))
            }
        }
        return b
    }

    static func files(_ dir: String, suffix: String) -> [String] {
        guard let names = try? FileManager.default.subpathsOfDirectory(atPath: dir) else { return [] }
        return names.filter { $0.hasSuffix(suffix) }.sorted().map { dir + "/" + $0 }
    }

    static func grammarSeeds(lark: Bool) -> [[UInt8]] {
        let ext = lark ? ".lark" : ".gbnf"
        var paths = files(TestSupport.repoRoot + "/Grammars", suffix: ext)
        if let dir = TestSupport.shared(lark ? "corpora/lark" : "corpora/gbnf/grammars") { paths += files(dir, suffix: ext) }
        return paths.compactMap { try? readFile($0) }
    }

    static var mutantCount: Int { TestSupport.fullSuites ? 3000 : 80 }

    @Test(arguments: [false, true])
    func mutatedGrammarsCompileOrFailWithALocation(lark: Bool) {
        let seeds = Self.grammarSeeds(lark: lark)
        #expect(!seeds.isEmpty)
        var rng = SeededRNG(seed: lark ? 0x1A4C : 0x6B9F)
        var errors = 0
        let file = lark ? "mutant.lark" : "mutant.gbnf"
        for n in 0..<Self.mutantCount {
            let bytes = Self.mutate(seeds.randomElement(using: &rng)!, &rng, pool: seeds)
            if Self.expectCleanOutcome("\(file) #\(n)", locations: Self.grammarLocations(file), {
                try Self.compileGrammar(bytes, file: file, lark: lark)
            }) { errors += 1 }
        }
        #expect(errors > 0) // the mutator does produce bad grammars
    }

    @Test func mutatedRegexesCompileOrFailWithALocation() throws {
        guard let path = TestSupport.shared("corpora/regex/patterns.txt") else { print("skipping: no regex corpus"); return }
        let seeds = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { Array($0.utf8) }
        var rng = SeededRNG(seed: 0x7E6E)
        for n in 0..<(TestSupport.fullSuites ? 5000 : 150) {
            // A Swift String cannot hold invalid UTF-8: the bytes are decoded with repair, as the CLI's argv is.
            let pattern = String(decoding: Self.mutate(seeds.randomElement(using: &rng)!, &rng, pool: seeds), as: UTF8.self)
            Self.expectCleanOutcome("regex #\(n) \(pattern.debugDescription)", locations: ["regex /"]) {
                _ = try RegexCompiler.compile(pattern)
            }
        }
    }

    @Test func mutatedSchemasCompileOrFailWithALocation() {
        var paths = Self.files(TestSupport.repoRoot + "/Grammars", suffix: ".json")
        if let dir = TestSupport.shared("corpora/jsonschemabench-dev") {
            paths += Self.files(dir, suffix: ".json").enumerated().filter { $0.offset % 40 == 0 }.map(\.element)
        }
        let seeds = paths.compactMap { try? readFile($0) }
        var rng = SeededRNG(seed: 0x5C7E)
        for n in 0..<(TestSupport.fullSuites ? 2000 : 30) {
            let bytes = Self.mutate(seeds.randomElement(using: &rng)!, &rng, pool: seeds)
            Self.expectCleanOutcome("schema #\(n)", locations: ["mutant.json", "#/", "#"]) {
                let doc = try JSONDocument(bytes: bytes, source: "mutant.json")
                _ = try JSONSchemaCompiler.compile(doc.value, source: "mutant.json")
            }
        }
    }

    // MARK: hand-written hostile grammars and patterns

    @Test func deepNestingIsABudgetErrorNotAStackOverflow() {
        let n = 100_000
        let open = String(repeating: "(", count: n), close = String(repeating: ")", count: n)
        for (file, text, lark) in [("deep.gbnf", "root ::= \(open)\"a\"\(close)\n", false),
                                   ("deep.lark", "start: \(open)\"a\"\(close)\n", true),
                                   ("deepopt.lark", "start: \(String(repeating: "[", count: n))\"a\"\(String(repeating: "]", count: n))\n", true),
                                   ("deepq.gbnf", "root ::= \"a\"\(String(repeating: "?", count: n))\n", false),
                                   ("deepq.lark", "start: \"a\"\(String(repeating: "*", count: n))\n", true)] {
            let threw = Self.expectCleanOutcome(file, locations: ["\(file):1:"]) {
                try Self.compileGrammar(Array(text.utf8), file: file, lark: lark)
            }
            #expect(threw, "\(file) compiled")
        }
        #expect(Self.expectCleanOutcome("deep regex", locations: ["regex /((("]) { _ = try RegexCompiler.compile(open + "a" + close) })
        #expect(Self.expectCleanOutcome("deep JSON", locations: ["deep.json:1:"]) {
            _ = try JSONDocument(bytes: Array((String(repeating: "{\"items\":", count: n) + "{}" + String(repeating: "}", count: n)).utf8), source: "deep.json")
        })
        #expect(Self.expectCleanOutcome("deep JSON instance", locations: ["text:1:"]) {
            _ = try JSONInstance.parse(Array((String(repeating: "[", count: n) + String(repeating: "]", count: n)).utf8), source: "text")
        })
    }

    @Test func hugeRepetitionCountsAreRefusedWithTheirLocation() {
        for (file, text, lark, expected) in [
            ("rep.gbnf", "root ::= \"a\"{1000000}\n", false, "rep.gbnf:1:13: repetition bound 1000000"),
            ("rep.gbnf", "root ::= \"a\"{99999999999}\n", false, "rep.gbnf:1:14: number 99999999999 is too large"),
            ("rep.gbnf", "root ::= \"a\"{2,99999999999999999999999}\n", false, "rep.gbnf:1:16: number 99999999999999999999999 is too large"),
            ("rep.lark", "start: \"a\" ~ 99999999999\n", true, "rep.lark:1:14: number 99999999999"),
        ] + (TestSupport.fullSuites ? [ // reaches the 100k-state DFA budget: ~1 s release, ~15 s debug
            ("rep.lark", "start: A\nA: (\"a\" ~ 1000) ~ 1000\n", true, "rep.lark: terminal A needs more than"),
        ] : []) {
            var message = ""
            Self.expectCleanOutcome(text, locations: [file]) {
                do { try Self.compileGrammar(Array(text.utf8), file: file, lark: lark) } catch let e as FSMDecodeError { message = e.message; throw e }
            }
            #expect(message.contains(expected), "\(text): \(message)")
        }
        // (?:(?:a{100}){100}){100} reaches the DFA state budget: 0.7 s CPU release, ~7 s debug.
        for pattern in ["a{1000000}", "x{99999999999}", "(a{10000}){10000}", "a{2,1}"] + (TestSupport.fullSuites ? ["(?:(?:a{100}){100}){100}"] : []) {
            #expect(Self.expectCleanOutcome(pattern, locations: ["regex /"]) { _ = try RegexCompiler.compile(pattern) }, "\(pattern) compiled")
        }
    }

    /// Reproducers from scripts/fuzz-frontends.py: source text quoted in a message could
    /// split it over several lines (a literal newline inside a class range or after `\`, a
    /// NUL or control character in Lark or in a regex).
    @Test func messagesQuotingTheSourceStayOnOneLine() throws {
        let cases: [(String, [UInt8], Bool)] = [
            ("range.gbnf", Array("root ::= [0-\n]\n".utf8), false),        // character range 0-\n is empty
            ("escape.gbnf", Array("root ::= \"a\\\n\"\n".utf8), false),     // unknown escape '\<newline>'
            ("class.gbnf", Array("root ::= [\u{0B}\u{2028}-\u{01}]\n".utf8), false),
            ("nul.lark", Array("start: A\n\u{0}A: \"a\"\n".utf8), true),    // unexpected character NUL
            ("cr.lark", Array("start: /a\r(/\n".utf8), true),              // PCRE2 error quoting the pattern
            ("bidi.lark", Array("start: \u{202E}\n".utf8), true),
        ]
        for (file, bytes, lark) in cases {
            var message = ""
            do { try Self.compileGrammar(bytes, file: file, lark: lark) } catch let e as FSMDecodeError { message = e.message }
            #expect(message.hasPrefix("\(file):"), "\(file): \(message)")
            #expect(!message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x2028 || $0.value == 0x202E }, "\(file): \(message.debugDescription)")
        }
        for pattern in ["a\n(?", "(?\n)", "\u{0}\\", "a\r\n{2,1}"] {
            var message = ""
            do { _ = try RegexCompiler.compile(pattern) } catch let e as FSMDecodeError { message = e.message }
            #expect(message.hasPrefix("regex /"), "\(pattern.debugDescription): \(message)")
            #expect(!message.unicodeScalars.contains { $0.value < 0x20 }, "\(pattern.debugDescription): \(message.debugDescription)")
        }
        // A raw newline inside a GBNF literal is legal; the terminal's display name escapes it.
        let g = try Grammar.gbnf("root ::= \"a\nb\"\n", file: "lit.gbnf")
        #expect(g.terminals.allSatisfy { !$0.name.contains("\n") }, "\(g.terminals.map(\.name))")
    }

    /// Lark's duplicate-rule check searched every earlier rule: 20k rules took 40 s in debug
    /// (100k rules: 108 s release). Now a dictionary lookup.
    @Test func manyLarkRulesParseInLinearTime() {
        let n = 20_000
        var text = "start: x0\n"
        for i in 0..<n { text += "x\(i): \"a\" x\(i + 1)\n" }
        text += "x\(n): \"b\"\n"
        let threw = Self.expectCleanOutcome("20k-rule chain", locations: ["chain.lark"]) {
            try Self.compileGrammar(Array(text.utf8), file: "chain.lark", lark: true)
        }
        #expect(!threw)
    }

    /// Was "grammar t.gbnf matches no string", with no location.
    @Test func gbnfClassesMatchingNothingAreErrorsWhereWritten() {
        for text in [#"root ::= "a" | [^\x00-\U0010FFFF]"#, #"root ::= [^\x00-\uD7FF\uE000-\U0010FFFF]"#] {
            var message = ""
            do { _ = try Grammar.gbnf(text + "\n", file: "c.gbnf") } catch let e as FSMDecodeError { message = e.message } catch {}
            #expect(message.hasPrefix("c.gbnf:1:") && message.hasSuffix("matches no character"), "\(text): \(message)")
        }
    }

    @Test func invalidUTF8InGrammarsIsAnErrorWithAByteOffset() {
        for (file, bytes, lark, offset) in [("u.gbnf", Array("root ::= \"a".utf8) + [0xFF, 0xFE] + Array("b\"\n".utf8), false, 11),
                                            ("u.lark", Array("start: \"a".utf8) + [0xC3] + Array("\"\n".utf8), true, 9),
                                            ("u.gbnf", Array("root ::= \"".utf8) + [0xED, 0xA0, 0x80] + Array("\"\n".utf8), false, 10)] {
            var message = ""
            do { try Self.compileGrammar(bytes, file: file, lark: lark) } catch let e as FSMDecodeError { message = e.message } catch {}
            #expect(message == "\(file): invalid UTF-8 at byte offset \(offset)", "\(message)")
        }
    }

    /// json-c keeps member names as C strings: a name with `\u0000` was silently cut there (the
    /// schema's property "a\u0000b" became "a", and the compiler then reported a wrong cause).
    @Test func jsonMemberNamesWithNULAreRefusedWithALocation() throws {
        var message = ""
        do { _ = try JSONDocument(bytes: Array(#"{"type": "object", "properties": {"a\u0000b": {}}}"#.utf8), source: "nul.json") }
        catch let e as FSMDecodeError { message = e.message }
        #expect(message.hasPrefix("nul.json:1:35: invalid JSON: object member name contains U+0000"), "\(message)")
        // In string values (not names) NUL is kept exactly.
        let doc = try JSONDocument(bytes: Array(#"{"k": "a\u0000b", "\\u0000": 1}"#.utf8), source: "ok.json")
        #expect(doc.value["k"]?.stringBytes == [0x61, 0, 0x62])
        #expect(doc.value["\\u0000"]?.int == 1)
        // json-c's strict mode accepted raw control characters in strings (a mutated tool
        // list's "type": "functio<LF>n" then surfaced in a two-line message).
        for (text, column) in [("{\"type\": \"functio\nn\"}", 18), ("[\"a\tb\"]", 4), ("\"\u{1F}\"", 2)] {
            var m = ""
            do { _ = try JSONDocument(bytes: Array(text.utf8), source: "ctl.json") } catch let e as FSMDecodeError { m = e.message }
            #expect(m.contains(":\(column): invalid JSON: control character U+00") && m.hasSuffix("inside a string must be escaped"), "\(text.debugDescription): \(m)")
        }
    }

    /// A member name of hundreds of thousands of characters (its spellings a byte trie of
    /// millions of states) is a budget error naming the schema, in bounded time and memory;
    /// one that fits compiles and is matched exactly.
    @Test func hugeMemberNamesAreBudgetErrors() throws {
        let v = Self.byteVocabulary
        for (length, fits) in [(300_000, false), (2_000, true)] {
            let name = String(repeating: "k", count: length)
            let schema = #"{"type": "object", "properties": {"\#(name)": {"type": "integer"}}, "required": ["\#(name)"]}"#
            let threw = Self.expectCleanOutcome("name of \(length) characters", locations: ["huge.json"]) {
                let doc = try JSONDocument(bytes: Array(schema.utf8), source: "huge.json")
                let g = try JSONSchemaCompiler.compile(doc.value, source: "huge.json").grammar
                let c = try Constraint.compile(grammar: g, vocabulary: v)
                var m = c.makeMatcher()
                #expect(m.accept(bytes: Array(#"{"\#(name)":1}"#.utf8)) && m.isAccepting)
            }
            #expect(threw != fits, "name of \(length) characters")
        }
    }

    // MARK: logits files with lying headers

    static func npy(_ header: String, data: Int, major: UInt8 = 1) -> [UInt8] {
        let h = Array(header.utf8)
        let len: [UInt8] = major == 1 ? withUnsafeBytes(of: UInt16(h.count).littleEndian) { Array($0) }
                                      : withUnsafeBytes(of: UInt32(h.count).littleEndian) { Array($0) }
        return [0x93] + Array("NUMPY".utf8) + [major, 0] + len + h + [UInt8](repeating: 0, count: data)
    }

    static func safetensors(_ header: String, data: Int) -> [UInt8] {
        let h = Array(header.utf8)
        return withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) } + h + [UInt8](repeating: 0, count: data)
    }

    static func writeTemp(_ name: String, _ bytes: [UInt8]) -> String {
        let dir = TestSupport.scratchPath("hostile")
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
        return path
    }

    /// Reproducers: these headers trapped on Int overflow (shape × dtype, offset + size).
    @Test func logitsHeadersThatOverflowAreErrors() {
        let cases: [(String, [UInt8], String)] = [
            ("big2.npy", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2305843009213693951,), }", data: 16),
             "needs 9223372036854775804 data bytes"),
            ("big.npy", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", data: 16),
             "needs more than 9223372036854775807 data bytes"),
            ("neg.npy", Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }", data: 16), "bad .npy shape"),
            ("hdr.npy", [0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0xFF] + Array("{}".utf8), "truncated .npy header"),
            ("big.safetensors", Self.safetensors(#"{"logits":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#, data: 16),
             "needs more than 9223372036854775807"),
            ("u64.safetensors", Self.safetensors(#"{"logits":{"dtype":"F32","shape":[18446744073709551615,4],"data_offsets":[0,16]}}"#, data: 16),
             "data_offsets span 16 bytes"),
            ("off.safetensors", Self.safetensors(#"{"logits":{"dtype":"F32","shape":[1,2],"data_offsets":[9223372036854775799,9223372036854775807]}}"#, data: 16),
             "start past the end of the file"),
            ("off2.safetensors", Self.safetensors(#"{"logits":{"dtype":"F32","shape":[1,4],"data_offsets":[9223372036854775800,9223372036854775807]}}"#, data: 16),
             "data_offsets span 7 bytes"),
            ("hdr.safetensors", withUnsafeBytes(of: UInt64.max) { Array($0) } + Array("{}".utf8), "truncated .safetensors header"),
            ("float.safetensors", Self.safetensors(#"{"logits":{"dtype":"F32","shape":[1e300,4],"data_offsets":[0,16]}}"#, data: 16), "bad shape"),
        ]
        for (name, bytes, expected) in cases {
            let path = Self.writeTemp(name, bytes)
            var message = ""
            do { _ = try LogitsFile(path: path) } catch let e as FSMDecodeError { message = e.message } catch {}
            #expect(message.hasPrefix(path + ":") && message.contains(expected), "\(name): \(message)")
        }
    }

    /// Every truncation and byte flip of valid .npy / .safetensors files loads or fails cleanly.
    @Test func mutatedLogitsFilesLoadOrFail() {
        let seeds = [Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", data: 24),
                     Self.npy("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", data: 6, major: 2),
                     Self.safetensors(#"{"__metadata__":{"a":"b"},"logits":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]}}"#, data: 8)]
        var rng = SeededRNG(seed: 0x1061)
        for n in 0..<(TestSupport.fullSuites ? 3000 : 200) {
            let seed = seeds.randomElement(using: &rng)!
            let bytes = n < seed.count ? Array(seed.prefix(n)) : Self.mutate(seed, &rng, pool: seeds)
            let path = Self.writeTemp("m.\(n % 2 == 0 ? "npy" : "safetensors")", bytes)
            Self.expectCleanOutcome("logits #\(n)", locations: [path]) {
                let f = try LogitsFile(path: path)
                var row: [Float] = []
                for s in 0..<f.steps { f.readRow(s, into: &row) }
            }
        }
    }

    // MARK: vocabularies

    /// A small byte-level tokenizer.json (GPT-2 style) and its mutants.
    @Test func mutatedTokenizerJSONLoadsOrFails() {
        let alphabet = (0x21...0x7E).map { String(UnicodeScalar(UInt8($0))) } + ["Ġ", "Ċ", "Ġt", "he", "Ġthe"]
        let vocab = alphabet.enumerated().map { "\(JSONText.quote($0.element)): \($0.offset)" }.joined(separator: ", ")
        let seed = Array(("{\"model\": {\"type\": \"BPE\", \"vocab\": {\(vocab)}, \"merges\": [\"Ġ t\", \"h e\", \"Ġt he\"]}, "
            + "\"added_tokens\": [{\"id\": \(alphabet.count), \"content\": \"<|eot|>\", \"special\": true}], "
            + "\"pre_tokenizer\": {\"type\": \"ByteLevel\"}, \"decoder\": {\"type\": \"ByteLevel\"}}").utf8)
        var rng = SeededRNG(seed: 0x70CE)
        var loaded = 0
        for n in 0..<(TestSupport.fullSuites ? 3000 : 150) {
            let bytes = n == 0 ? seed : Self.mutate(seed, &rng, pool: [seed])
            let path = Self.writeTemp("tokenizer.json", bytes)
            if !Self.expectCleanOutcome("tokenizer.json #\(n)", locations: [path], { _ = try Vocabulary.load(path: path) }) { loaded += 1 }
        }
        #expect(loaded > 0) // the seed itself loads
    }

    // MARK: GGUF

    @Test func mutatedGGUFHeadersLoadOrFailWithAnOffset() throws {
        let seed = VocabularyGGUFTests.smallByteLevel()
        var rng = SeededRNG(seed: 0x6609)
        for n in 0..<(TestSupport.fullSuites ? 3000 : 200) {
            var bytes = Self.mutate(seed, &rng, pool: [seed])
            if n % 4 == 0 { // a count or length field set to a huge value
                let at = Int.random(in: 0..<max(1, bytes.count - 8), using: &rng)
                if at + 8 <= bytes.count { for k in 0..<8 { bytes[at + k] = k < 7 ? 0xFF : 0x7F } }
            }
            Self.expectCleanOutcome("gguf #\(n)", locations: ["m.gguf"]) {
                _ = try Vocabulary.load(path: Self.writeTemp("m.gguf", bytes))
            }
        }
    }
}

