import FSMDecode
import Foundation
import Testing

/// Encoders are built once per test process (one per real vocabulary).
private enum Encoders {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: [String: TokenEncoder] = [:]

    static func get(_ name: String) throws -> TokenEncoder? {
        lock.lock(); defer { lock.unlock() }
        if let e = built[name] { return e }
        guard let v = TestSupport.vocabulary(name) else { return nil }
        let e = try TokenEncoder(vocabulary: v)
        built[name] = e
        return e
    }
}

@Suite struct EncoderTests {
    static let vocabularies = ["llama3", "qwen2", "gpt2", "llama2"]

    /// llama.cpp's tokenizer test vectors (made with Hugging Face `encode(text, add_special_tokens=False)`).
    @Test(arguments: vocabularies)
    func reproducesTokenizerTestVectors(_ name: String) throws {
        guard let inp = TestSupport.shared("vocab/\(name)/tokenize-tests.inp"),
              let outp = TestSupport.shared("vocab/\(name)/tokenize-tests.out") else {
            print("skipping: \(TestSupport.sharedRoot)/vocab/\(name)/tokenize-tests.inp/.out not found"); return
        }
        guard let encoder = try Encoders.get(name) else { return }
        var inputs = String(decoding: try readFile(inp), as: UTF8.self).components(separatedBy: "\n__ggml_vocab_test__\n")
        #expect(inputs.last == "")
        inputs.removeLast()
        let expected = String(decoding: try readFile(outp), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: " ").map { Int32($0)! } }
        try #require(expected.count >= inputs.count)
        var passed = 0
        for (k, text) in inputs.enumerated() {
            let ids = encoder.encode(text)
            #expect(ids == expected[k], "\(name) vector \(k): \(text.debugDescription)")
            if ids == expected[k] { passed += 1 }
            // The byte entry point agrees with the text one on valid UTF-8.
            #expect(encoder.encode(bytes: Array(text.utf8)) == ids)
        }
        print("\(name): \(passed)/\(inputs.count) tokenizer test vectors pass")
        #expect(passed == inputs.count)
        #expect(inputs.count == 46)
    }

    /// Added tokens written literally in text, long words and whitespace runs, checked against Hugging Face
    /// `tokenizers` 0.23.3 (`Tokenizer.from_file(...).encode(s, add_special_tokens=False).ids`).
    static let longWord = "Pneumonoultramicroscopicsilicovolcanoconiosis_and_supercalifragilisticexpialidocious"
    static let mixed = "  x  yy   zzz\t\n\n  中文字符測試日本語のテキスト한국어😀😀 e\u{301}"

    @Test func addedTokensAreMatchedLikeHuggingFace() throws {
        let cases: [(String, String, [Int32])] = [
            ("llama3", "<|begin_of_text|>Hello<|eot_id|> world", [128000, 9906, 128009, 1917]),
            ("llama3", "a<|end_of_text|><|end_of_text|>\n  x", [64, 128001, 128001, 198, 220, 865]),
            ("llama3", "<|begin_of_tex", [27, 91, 7413, 3659, 49287]),
            ("qwen2", "<|im_start|>user\nhi<|im_end|>", [151644, 872, 198, 6023, 151645]),
            ("qwen2", "e\u{301}t\u{E9} cafe\u{301}", [38783, 51950]),
            ("qwen2", "<|endoftext|>", [151643]),
            ("gpt2", "x<|endoftext|> y", [87, 50256, 331]),
            ("llama2", "<s>hello</s> world", [1, 22172, 2, 29871, 3186]),
            ("llama2", "a<s>b", [263, 1, 289]),
            ("llama2", " <s> ", [259, 1, 259]),
            ("llama2", "\u{1}\u{1F600} \u{4E2D}", [29871, 4, 243, 162, 155, 131, 29871, 30275]),
            // Words longer than the scan kernel's limit take the heap kernel.
            ("llama3", Self.longWord, [47, 126261, 263, 11206, 99040, 2823, 2445, 454, 1233, 321, 292, 115766, 69377, 444,
                                       91260, 8543, 24655, 3035, 278, 333, 4193, 321, 4633, 4683, 532, 307, 78287]),
            ("qwen2", Self.longWord, [47, 811, 372, 263, 10965, 97940, 2754, 2388, 453, 1211, 321, 292, 859, 337, 68277,
                                      443, 90160, 8378, 23723, 2962, 278, 333, 4101, 321, 4532, 4580, 530, 307, 77187]),
            ("gpt2", Self.longWord, [47, 25668, 261, 25955, 859, 2500, 1416, 404, 873, 41896, 709, 349, 5171, 36221, 42960,
                                     62, 392, 62, 16668, 9948, 361, 22562, 346, 396, 501, 42372, 498, 312, 32346]),
            ("llama2", Self.longWord, [349, 29765, 265, 5059, 509, 314, 2357, 21785, 1199, 309, 293, 586, 324, 26004, 535,
                                       2363, 275, 29918, 392, 29918, 9136, 1052, 361, 1431, 309, 391, 625, 26330, 616, 1941, 8802]),
            ("llama3", Self.mixed, [220, 865, 220, 13499, 256, 1167, 10616, 16176, 220, 73958, 17161, 49491, 108867, 106081,
                                    102433, 102158, 16144, 57933, 62903, 71634, 112699, 32179, 76460, 222, 76460, 222, 384, 54939]),
            ("qwen2", Self.mixed, [220, 856, 220, 13197, 256, 1147, 10400, 15799, 220, 72858, 16744, 48391, 107636, 102854,
                                   101059, 102819, 15767, 56833, 61803, 70534, 23573, 124785, 31079, 141334, 141334, 3958]),
            ("gpt2", Self.mixed, [220, 2124, 220, 331, 88, 220, 220, 1976, 3019, 197, 628, 220, 220, 40792, 23877, 229, 27764,
                                  245, 163, 105, 99, 162, 116, 105, 164, 102, 99, 33768, 98, 17312, 105, 45739, 252, 5641,
                                  24336, 25084, 43302, 47991, 250, 166, 113, 255, 168, 244, 112, 47249, 222, 47249, 222, 304, 136, 223]),
            // Space runs keep "▁▁" merges while the stretch is merged in chunks.
            ("llama2", Self.mixed, [259, 921, 29871, 343, 29891, 259, 503, 5617, 12, 13, 13, 259, 30275, 30333, 30578, 31277,
                                    233, 187, 175, 235, 172, 169, 30325, 30346, 30968, 30199, 30572, 30454, 30255, 30279, 30877,
                                    31293, 31129, 243, 162, 155, 131, 243, 162, 155, 131, 321, 30103]),
        ]
        for (name, text, expected) in cases {
            guard let encoder = try Encoders.get(name) else { continue }
            #expect(encoder.encode(text) == expected, "\(name): \(text.debugDescription)")
        }
    }

    @Test func addSpecialPrependsBOSOnly() throws {
        for name in Self.vocabularies {
            guard let encoder = try Encoders.get(name) else { continue }
            let plain = encoder.encode("Hello world")
            let withSpecial = encoder.encode("Hello world", addSpecial: true)
            if let bos = encoder.vocabulary.bosID {
                #expect(withSpecial == [bos] + plain, "\(name)")
            } else {
                #expect(withSpecial == plain, "\(name) has no BOS")
            }
        }
        // Qwen2 has no BOS (tokenizer_config.json says null); Llama-3's is <|begin_of_text|>.
        if let q = try Encoders.get("qwen2") { #expect(q.vocabulary.bosID == nil) }
        if let l = try Encoders.get("llama3") { #expect(l.encode("", addSpecial: true) == [128000]) }
    }

    /// Seeded random strings (ASCII, CJK, emoji, mixed whitespace) round-trip through encode/decode.
    @Test(arguments: vocabularies)
    func encodeDecodeRoundTrips(_ name: String) throws {
        guard let encoder = try Encoders.get(name) else { return }
        var rng = SplitMix64(seed: 0x5EED_0000 + UInt64(name.utf8.count))
        let count = TestSupport.fullSuites ? 2000 : 150
        for _ in 0..<count {
            let s = randomText(&rng, maxLength: 40)
            let ids = encoder.encode(s)
            let decoded = encoder.decode(ids)
            var expected = Array(s.utf8)
            if encoder.vocabulary.kind == .sentencePieceBPE && !s.isEmpty { expected.insert(0x20, at: 0) }
            if name == "qwen2" { expected = Array(s.precomposedStringWithCanonicalMapping.utf8) }
            #expect(decoded == expected, "\(name): \(s.debugDescription) → \(ids)")
            for id in ids { #expect(id >= 0 && Int(id) < encoder.vocabulary.size) }
        }
    }

    /// Invalid UTF-8 (forced continuations may end mid-character) still encodes and round-trips.
    @Test(arguments: vocabularies)
    func arbitraryBytesRoundTrip(_ name: String) throws {
        guard let encoder = try Encoders.get(name) else { return }
        var rng = SplitMix64(seed: 42)
        let fixed: [[UInt8]] = [[0xFF], [0xE4, 0xB8], Array("ab".utf8) + [0xE4, 0xB8], [0xC0, 0x80, 0x41],
                                [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], Array(" 中".utf8).dropLast(1) + [0x20, 0x80]]
        for i in 0..<(fixed.count + 200) {
            let bytes: [UInt8] = i < fixed.count ? fixed[i]
                : (0..<Int(rng.next() % 24)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let cont = encoder.encodeContinuation(bytes)
            #expect(encoder.decode(cont) == bytes, "\(name) continuation \(bytes)")
            if encoder.vocabulary.kind == .byteLevelBPE && name != "qwen2" {
                #expect(encoder.decode(encoder.encode(bytes: bytes)) == bytes, "\(name) bytes \(bytes)")
            }
        }
        // A continuation gets no dummy prefix; valid text agrees with encode(bytes:) on byte-level BPE.
        if name == "llama2" {
            #expect(encoder.decode(encoder.encodeContinuation(Array("hi there".utf8))) == Array("hi there".utf8))
            #expect(encoder.encodeContinuation(Array("<s>".utf8)) != [1])
        } else if name != "qwen2" {
            #expect(encoder.encodeContinuation(Array("Hello world".utf8)) == encoder.encode("Hello world"))
        }
    }

    /// Long words (one SentencePiece stretch, one huge byte-level pre-token) stay fast and exact.
    @Test func longWordsEncodeInBoundedTime() throws {
        for name in ["llama2", "gpt2"] {
            guard let encoder = try Encoders.get(name) else { continue }
            let text = String(repeating: "abcdefghij", count: 2000)   // 20 KB, no spaces
            let start = DispatchTime.now().uptimeNanoseconds
            let ids = encoder.encode(text)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            #expect(encoder.decode(ids) == (name == "llama2" ? [0x20] : []) + Array(text.utf8))
            #expect(seconds < 5, "\(name): 20 KB word took \(seconds) s")
        }
    }

    /// One encoder shared by many threads gives the same ids as sequential calls.
    @Test func concurrentEncodingMatchesSequential() async throws {
        guard let encoder = try Encoders.get("llama3") else { return }
        var rng = SplitMix64(seed: 99)
        let texts = (0..<64).map { _ in randomText(&rng, maxLength: 60) }
        let expected = texts.map { encoder.encode($0) }
        let results = await withTaskGroup(of: (Int, [Int32]).self) { group in
            for (k, t) in texts.enumerated() { group.addTask { (k, encoder.encode(t)) } }
            var r = [[Int32]](repeating: [], count: texts.count)
            for await (k, ids) in group { r[k] = ids }
            return r
        }
        #expect(results == expected)
    }

    @Test func plainVocabularyCannotEncode() throws {
        let v = try Vocabulary(kind: .plain, source: "test list", tokens: [(Array("a".utf8), "a", [])], bosID: nil, eosIDs: [])
        #expect(throws: FSMDecodeError.self) { try TokenEncoder(vocabulary: v) }
    }

    /// A tiny hand-made byte-level BPE: merge order is by rank, leftmost first on ties.
    @Test func mergesApplyByRankLeftmostFirst() throws {
        // Byte alphabet: every byte b is its own one-character piece; then "aa", "aaa", "ab".
        var tokens: [(bytes: [UInt8], piece: String, flags: TokenFlags)?] = []
        var pieceOf: [UInt8: String] = [:]
        var scalar = 256
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            let s = printable ? String(UnicodeScalar(UInt8(b))) : String(UnicodeScalar(UInt32(scalar))!)
            if !printable { scalar += 1 }
            pieceOf[UInt8(b)] = s
            tokens.append(([UInt8(b)], s, []))
        }
        tokens.append((Array("aa".utf8), "aa", []))    // 256
        tokens.append((Array("ab".utf8), "ab", []))    // 257
        tokens.append((Array("aaa".utf8), "aaa", []))  // 258
        let a = Int32(UInt8(ascii: "a")), b = Int32(UInt8(ascii: "b"))
        let spec = TokenizerSpec(model: .byteLevelBPE, splitPatterns: [#"\S+|\s+"#],
                                 merges: [(a, a), (a, b), (256, a)])
        let v = try Vocabulary(kind: .byteLevelBPE, source: "tiny", tokens: tokens, bosID: nil, eosIDs: [], tokenizerSpec: spec)
        let e = try TokenEncoder(vocabulary: v)
        #expect(e.encode("aaa") == [258])               // "a a" at 0 first, then "aa a" (rank 2)
        #expect(e.encode("aab") == [256, b])            // "a a" (rank 0) beats "a b" (rank 1)
        #expect(e.encode("ab ab") == [257, 32, 257])
        #expect(e.decode(e.encode("aaaa b")) == Array("aaaa b".utf8))
        #expect(e.encode("aaaa") == [256, 256])
    }
}

/// Deterministic PRNG for property tests.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}

/// Random text from ASCII, CJK, emoji, accents and mixed whitespace (no `<`, so it never spells
/// an added token such as `<s>`).
func randomText(_ rng: inout SplitMix64, maxLength: Int) -> String {
    let groups: [[Unicode.Scalar]] = [
        Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?'\"()[]{}-_=+*/\\|@#$%^&~`".unicodeScalars),
        Array(" \t\n\r\u{A0}\u{3000}  ".unicodeScalars),
        Array("中文字符測試日本語のテキスト한국어".unicodeScalars),
        Array("😀🎉👍🏽🇫🇷❤️‍🔥".unicodeScalars),
        Array("éàüñçøßΩπЖж\u{301}\u{308}".unicodeScalars),
    ]
    let n = Int(rng.next() % UInt64(maxLength + 1))
    var s = String.UnicodeScalarView()
    for _ in 0..<n {
        let g = groups[Int(rng.next() % UInt64(groups.count))]
        s.append(g[Int(rng.next() % UInt64(g.count))])
    }
    return String(s)
}
