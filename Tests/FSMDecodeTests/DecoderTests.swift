import FSMDecode
import Foundation
import Testing

/// Decoding over recorded logits written by the tests, on the shipped demo vocabulary.
@Suite struct DecoderTests {
    static let vocabulary: Vocabulary = try! Vocabulary.load(path: TestSupport.repoRoot + "/Grammars/demo/tokenizer.json")
    static let encoder = try! TokenEncoder(vocabulary: vocabulary)

    /// Writes `rows` as an .npy logits file and replays it.
    func replay(_ rows: [[Float]], name: String) throws -> LogitsReplayBackend {
        let path = LogitsWriter.write(LogitsWriter.npy(rows), name: "decoder-\(name).npy")
        return try LogitsReplayBackend(file: LogitsFile(path: path), expectedWidth: Self.vocabulary.maskWidth)
    }

    func randomRows(_ n: Int, seed: UInt64, boost: [Int32: Float] = [:]) -> [[Float]] {
        var rng = SeededGenerator(seed: seed)
        let w = Self.vocabulary.maskWidth
        return (0..<n).map { _ in
            var row = (0..<w).map { _ in Float(rng.nextUnit() * 8) }
            for (id, v) in boost { row[Int(id)] = v }
            return row
        }
    }

    func decode(_ dfa: ByteDFA, _ backend: LogitsReplayBackend, unconstrained: Bool = false, maxTokens: Int = 64,
                temperature: Float = 1) throws -> DecodeResult {
        let constraint = RegexConstraint(dfa: dfa, vocabulary: Self.vocabulary)
        var d = try Decoder(backend: backend, matcher: constraint.makeMatcher(), vocabulary: Self.vocabulary, encoder: Self.encoder,
                            options: DecoderOptions(maxTokens: maxTokens, sampler: SamplerConfig(temperature: temperature, seed: 11),
                                                    unconstrained: unconstrained))
        return d.run()
    }

    @Test func randomLogitsGiveValidOutputOnlyWhenConstrained() throws {
        for (name, dfa) in [("number", TestDFAs.number), ("string", TestDFAs.quotedString)] {
            for seed in 0..<5 as Range<UInt64> {
                let rows = randomRows(64, seed: seed)
                let c = try decode(dfa, try replay(rows, name: "\(name)\(seed)"))
                #expect(dfa.matches(c.bytes) == c.valid)
                if c.stopReason == .eos || c.stopReason == .terminated { #expect(c.complete && dfa.matches(c.bytes)) }
                #expect([.eos, .terminated, .maxTokens, .endOfLogits].contains(c.stopReason))
                #expect(c.maskTimes.count > 0)
                let u = try decode(dfa, try replay(rows, name: "\(name)\(seed)u"), unconstrained: true)
                #expect(!u.valid && !dfa.matches(u.bytes))
            }
        }
    }

    @Test func adversarialRowsCannotBreakTheConstraint() throws {
        // The best tokens of every row are letters, which a number never contains.
        let letters = (0..<Self.vocabulary.size).filter { id in
            let b = Self.vocabulary.bytes(of: id)
            return !b.isEmpty && b.allSatisfy { (0x61...0x7A).contains($0) }
        }
        let boost = Dictionary(uniqueKeysWithValues: letters.prefix(50).map { (Int32($0), Float(100)) })
        let rows = randomRows(32, seed: 3, boost: boost)
        let c = try decode(TestDFAs.number, try replay(rows, name: "adv"), temperature: 0)
        #expect(c.valid)
        #expect(c.bytes.allSatisfy { !(0x61...0x7A).contains($0) })
        let u = try decode(TestDFAs.number, try replay(rows, name: "advu"), unconstrained: true, temperature: 0)
        #expect(!u.valid)
    }

    @Test func eosNeverEndsAnIncompleteOutput() throws {
        let eos = Self.vocabulary.eosIDs[0]
        let rows = randomRows(40, seed: 9, boost: [eos: 1000])
        // A number may end after any digit, so EOS is taken as soon as one digit token is out.
        let c = try decode(TestDFAs.number, try replay(rows, name: "eos"), temperature: 0)
        #expect(c.stopReason == .eos && c.complete && TestDFAs.number.matches(c.bytes))
        #expect(c.tokens.last == eos && c.tokens.count == 2)
        // A closed string admits nothing more: decoding ends as terminated, without EOS.
        let s = try decode(TestDFAs.quotedString, try replay(rows, name: "eoss"), temperature: 0)
        #expect(s.stopReason == .terminated && s.complete && TestDFAs.quotedString.matches(s.bytes))
        let u = try decode(TestDFAs.quotedString, try replay(rows, name: "eosu"), unconstrained: true, temperature: 0)
        #expect(u.stopReason == .eos && u.tokens == [eos] && !u.complete)
    }

    @Test func jumpForwardEmitsForcedBytesWithoutTheModel() throws {
        let rows = randomRows(8, seed: 1)
        let c = try decode(TestDFAs.abcDE, try replay(rows, name: "jump"), temperature: 0)
        #expect(c.bytes.starts(with: Array("abc".utf8)))
        #expect(c.forcedTokens >= 1)
        #expect(c.complete && c.stopReason != .maxTokens)
    }

    @Test func runningOutOfLogitsOrTokensIsReported() throws {
        let rows = randomRows(2, seed: 5)
        let short = try decode(TestDFAs.quotedString, try replay(rows, name: "short"), temperature: 0)
        #expect(short.stopReason == .endOfLogits || short.stopReason == .eos)
        if short.stopReason == .endOfLogits { #expect(!short.complete) }
        let capped = try decode(TestDFAs.quotedString, try replay(randomRows(10, seed: 5), name: "cap"), maxTokens: 1, temperature: 0)
        #expect(capped.stopReason == .maxTokens && capped.tokens.count == 1 && !capped.complete)
    }

    @Test func mismatchedWidthIsAClearError() throws {
        let path = LogitsWriter.write(LogitsWriter.npy([[1, 2, 3]]), name: "narrow.npy")
        #expect {
            _ = try LogitsReplayBackend(file: LogitsFile(path: path), expectedWidth: Self.vocabulary.maskWidth)
        } throws: { ($0 as? FSMDecodeError)?.message.contains("does not match the vocabulary's mask width") == true }
    }
}

@Suite struct BatchMaskingTests {
    @Test func batchFillAndApplyEqualPerRowWork() throws {
        let v = DecoderTests.vocabulary
        let constraint = RegexConstraint(dfa: TestDFAs.number, vocabulary: v, mode: .lazy)
        // Matchers at different points of a number.
        var matchers: [RegexMatcher] = []
        for prefix in ["", "-", "1", "12", "0.", "0.5", "-3"] {
            var m = constraint.makeMatcher()
            let accepted = m.accept(bytes: Array(prefix.utf8))
            #expect(accepted, "prefix \(prefix)")
            matchers.append(m)
        }
        let words = TokenMask.wordCount(v.maskWidth)
        var masks = [UInt32](repeating: 0xDEAD_BEEF, count: matchers.count * words)
        masks.withUnsafeMutableBufferPointer { BatchMasking.fill(matchers, into: $0) }
        for (i, m) in matchers.enumerated() {
            #expect(Array(masks[i * words ..< (i + 1) * words]) == m.nextTokenMask().words)
        }
        var rng = SeededGenerator(seed: 3)
        let rows = (0..<matchers.count * v.maskWidth).map { _ in Float(rng.nextUnit()) }
        var batched = rows
        masks.withUnsafeBufferPointer { m in
            batched.withUnsafeMutableBufferPointer { BatchMasking.apply(m, wordsPerMask: words, to: $0, width: v.maskWidth) }
        }
        for i in 0..<matchers.count {
            var row = Array(rows[i * v.maskWidth ..< (i + 1) * v.maskWidth])
            masks[i * words ..< (i + 1) * words].withUnsafeBufferPointer { m in row.withUnsafeMutableBufferPointer { MaskApplication.apply(m, to: $0) } }
            #expect(Array(batched[i * v.maskWidth ..< (i + 1) * v.maskWidth]) == row)
        }
    }
}

/// Decoding under context-free constraints (GBNF, JSON Schema), judged by json-c, not the engine.
@Suite struct GrammarDecodingTests {
    static let vocabulary = DecoderTests.vocabulary

    func decodeRandom(_ constraint: Constraint, seed: UInt64, rows: Int = 96, boost: [Int32: Float] = [:],
                      unconstrained: Bool = false) throws -> DecodeResult {
        var rng = SeededGenerator(seed: seed)
        let w = Self.vocabulary.maskWidth
        let logits = (0..<rows).map { _ -> [Float] in
            var row = (0..<w).map { _ in Float(rng.nextUnit() * 6) }
            for (id, v) in boost { row[Int(id)] = v }
            return row
        }
        let path = LogitsWriter.write(LogitsWriter.npy(logits), name: "grammar-decode-\(seed)-\(unconstrained).npy")
        var d = try Decoder(backend: try LogitsReplayBackend(file: LogitsFile(path: path), expectedWidth: w),
                            matcher: constraint.makeMatcher(), vocabulary: Self.vocabulary, encoder: DecoderTests.encoder,
                            options: DecoderOptions(maxTokens: rows, sampler: SamplerConfig(temperature: 0.8, seed: seed),
                                                    unconstrained: unconstrained))
        return d.run()
    }

    static func isJSON(_ bytes: [UInt8]) -> Bool { (try? JSONDocument(bytes: bytes, source: "output")) != nil }

    @Test func gbnfJSONOutputsParseWithJSONC() throws {
        let grammar = try Grammar.gbnf(bytes: try readFile(TestSupport.repoRoot + "/Grammars/json.gbnf"), file: "json.gbnf")
        let constraint = try Constraint.compile(grammar: grammar, vocabulary: Self.vocabulary)
        let eos = Self.vocabulary.eosIDs[0]
        var completed = 0
        for seed in 0..<4 as Range<UInt64> {
            // EOS is favoured from the first step: it must wait until the JSON value is complete.
            let r = try decodeRandom(constraint, seed: seed, boost: [eos: 7])
            #expect(r.stopReason != .error)
            if r.complete { completed += 1; #expect(Self.isJSON(r.bytes), "\(r.text)") }
            let u = try decodeRandom(constraint, seed: seed, boost: [eos: 7], unconstrained: true)
            #expect(!u.valid && !Self.isJSON(u.bytes))
        }
        #expect(completed >= 2)
    }

    @Test func jsonSchemaOutputsValidate() throws {
        let doc = try JSONDocument(contentsOfFile: TestSupport.repoRoot + "/Grammars/schemas/person.schema.json")
        let schema = try JSONSchemaCompiler.compile(doc.value, source: "person", options: JSONSchemaOptions(whitespace: .compact))
        let constraint = try Constraint.compile(grammar: schema.grammar, vocabulary: Self.vocabulary)
        for seed in 0..<3 as Range<UInt64> {
            let r = try decodeRandom(constraint, seed: seed, rows: 160, boost: [Self.vocabulary.eosIDs[0]: 7])
            #expect(r.stopReason != .error)
            guard r.complete else { continue }
            // Independent checks with json-c: an object with the required keys and an in-range age.
            let value = try JSONDocument(bytes: r.bytes, source: "output").value
            #expect(value.kind == .object)
            #expect(value["name"]?.string != nil && value["city"]?.string != nil)
            // Integers may be written with a zero fraction (`42.0`), which json-c reads as a double.
            let age = value["age"]?.double ?? -1
            #expect(age == age.rounded() && (18...99).contains(age), "\(r.text)")
            #expect(value.members.allSatisfy { ["name", "age", "email", "city", "active", "tags"].contains($0.0) })
        }
    }
}

@Suite struct JSONDocumentTests {
    @Test func topLevelScalarsAndBigNumbersParse() throws {
        for text in ["42", "-0.5e3", "96652412242151003353851234303511", "true", "null", "\"x\"", " 7 "] {
            #expect((try? JSONDocument(bytes: Array(text.utf8), source: "t")) != nil, "\(text)")
        }
        for text in ["42 x", "[1,", "", "01", "{\"a\":}"] {
            #expect((try? JSONDocument(bytes: Array(text.utf8), source: "t")) == nil, "\(text)")
        }
    }
}
