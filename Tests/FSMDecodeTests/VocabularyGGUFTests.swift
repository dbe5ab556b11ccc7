import FSMDecode
import Foundation
import Testing

/// A minimal GGUF writer (little-endian, metadata only) for building test files.
struct GGUFWriter {
    enum T: UInt32 { case u8 = 0, i8, u16, i16, u32, i32, f32, bool, string, array, u64, i64, f64 }
    private(set) var entries: [[UInt8]] = []

    static func le<I: FixedWidthInteger>(_ v: I) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func str(_ b: [UInt8]) -> [UInt8] { le(UInt64(b.count)) + b }
    static func str(_ s: String) -> [UInt8] { str(Array(s.utf8)) }

    /// An entry with an already-encoded value of type `type`.
    mutating func raw(_ key: String, _ type: T, _ payload: [UInt8]) { entries.append(Self.str(key) + Self.le(type.rawValue) + payload) }
    mutating func string(_ key: String, _ value: String) { raw(key, .string, Self.str(value)) }
    mutating func u32(_ key: String, _ value: UInt32) { raw(key, .u32, Self.le(value)) }
    mutating func bool(_ key: String, _ value: Bool) { raw(key, .bool, [value ? 1 : 0]) }
    mutating func strings(_ key: String, _ values: [[UInt8]]) {
        raw(key, .array, Self.le(T.string.rawValue) + Self.le(UInt64(values.count)) + values.flatMap { Self.str($0) })
    }
    mutating func int32s(_ key: String, _ values: [Int32]) {
        raw(key, .array, Self.le(T.i32.rawValue) + Self.le(UInt64(values.count)) + values.flatMap { Self.le($0) })
    }
    mutating func float32s(_ key: String, _ values: [Float]) {
        raw(key, .array, Self.le(T.f32.rawValue) + Self.le(UInt64(values.count)) + values.flatMap { Self.le($0.bitPattern) })
    }

    /// Header + metadata; `trailer` stands for tensor infos and data (never read by the loader).
    func bytes(version: UInt32 = 3, tensorCount: UInt64 = 0, trailer: [UInt8] = []) -> [UInt8] {
        Array("GGUF".utf8) + Self.le(version) + Self.le(tensorCount) + Self.le(UInt64(entries.count)) + entries.flatMap { $0 } + trailer
    }

    /// The GGUF form of a loaded vocabulary, as llama.cpp's converter writes it: token types
    /// from the flags, merges as "left right" pieces (or scores instead), bos/eos ids.
    static func from(_ v: Vocabulary, model: String, pre: String?, scores: [Float]? = nil, addBOS: Bool) -> GGUFWriter {
        var w = GGUFWriter()
        w.string("general.architecture", model == "gpt2" ? "gpt2" : "llama")
        w.string("tokenizer.ggml.model", model)
        if let pre { w.string("tokenizer.ggml.pre", pre) }
        w.strings("tokenizer.ggml.tokens", v.pieces.prefix(v.size).map { Array($0.utf8) })
        w.int32s("tokenizer.ggml.token_type", (0..<v.size).map { id -> Int32 in
            let f = v.flags[id]
            if f.contains(.unknown) { return 2 }
            if f.contains(.padding) { return 4 }
            if f.contains(.special) { return 3 }
            if f.contains(.byteFallback) { return 6 }
            if f.contains(.absent) && v.pieces[id].isEmpty { return 5 }
            return 1
        })
        if let scores { w.float32s("tokenizer.ggml.scores", scores) } else if let spec = v.tokenizerSpec {
            w.strings("tokenizer.ggml.merges", spec.merges.map { Array((v.pieces[Int($0.0)] + " " + v.pieces[Int($0.1)]).utf8) })
        }
        if let bos = v.bosID { w.u32("tokenizer.ggml.bos_token_id", UInt32(bos)) }
        if let eos = v.eosIDs.first { w.u32("tokenizer.ggml.eos_token_id", UInt32(eos)) }
        w.bool("tokenizer.ggml.add_bos_token", addBOS)
        return w
    }
}

/// Temporary files for one test, removed at the end.
final class TempDir {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("fsmdecode-test-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

/// The error `body` throws, or nil (a test then fails naming what loaded).
func loadError(_ path: String, _ options: VocabularyOptions = VocabularyOptions()) -> FSMDecodeError? {
    do {
        let v = try Vocabulary.load(path: path, options: options)
        Issue.record("\(path) loaded (\(v.size) ids) but should have failed")
        return nil
    } catch let e as FSMDecodeError {
        return e
    } catch {
        Issue.record("\(path): unexpected error type \(error)")
        return nil
    }
}

func mergesEqual(_ a: [(Int32, Int32)], _ b: [(Int32, Int32)]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
}

@Suite struct VocabularyGGUFTests {
    /// Every field of two vocabularies that a GGUF round trip must keep.
    func expectSame(_ g: Vocabulary, _ j: Vocabulary, _ name: String) {
        #expect(g.size == j.size, "\(name) size")
        #expect(g.kind == j.kind, "\(name) kind")
        #expect(g.tokenBytes == j.tokenBytes, "\(name) token bytes")
        #expect(g.tokenOffsets == j.tokenOffsets, "\(name) token offsets")
        #expect(g.flags == j.flags, "\(name) flags")
        #expect(g.pieces == j.pieces, "\(name) pieces")
        #expect(g.bosID == j.bosID, "\(name) bos")
        #expect(g.eosIDs == j.eosIDs, "\(name) eos")
        #expect(g.unknownID == j.unknownID, "\(name) unk")
        #expect(g.trie.tokenIDs == j.trie.tokenIDs && g.trie.byte == j.trie.byte, "\(name) trie")
        guard let gs = g.tokenizerSpec, let js = j.tokenizerSpec else { Issue.record("\(name): no spec"); return }
        #expect(gs.model == js.model)
        #expect(mergesEqual(gs.merges, js.merges), "\(name) merges (\(gs.merges.count) vs \(js.merges.count))")
        #expect(gs.splitPatterns == js.splitPatterns, "\(name) split patterns")
        #expect(gs.ignoreMerges == js.ignoreMerges && gs.normalizeNFC == js.normalizeNFC, "\(name) ignore_merges/NFC")
        #expect(gs.byteFallback == js.byteFallback && gs.prependSpace == js.prependSpace, "\(name) byte fallback/prefix")
        #expect(gs.addBOS == js.addBOS, "\(name) add_bos")
        #expect(gs.addedTokens.map(\.id) == js.addedTokens.map(\.id), "\(name) added tokens")
        #expect(gs.encodingUnsupported == nil)
    }

    static let realCases: [(name: String, model: String, pre: String?)] = [
        ("gpt2", "gpt2", "gpt-2"), ("llama2", "llama", "default"), ("qwen2", "gpt2", "qwen2"), ("llama3", "gpt2", "llama-bpe"),
    ]

    @Test(arguments: realCases.map(\.name))
    func realVocabularyRoundTripsThroughGGUF(name: String) throws {
        // llama3 takes several seconds to convert in debug builds: full runs only.
        guard name != "llama3" || TestSupport.fullSuites else { print("skipping llama3 GGUF round trip (FSMDECODE_FULL=1 runs it)"); return }
        guard let j = TestSupport.vocabulary(name) else { return }
        let c = Self.realCases.first { $0.name == name }!
        let tmp = TempDir()
        let path = tmp.write("\(name).gguf", GGUFWriter.from(j, model: c.model, pre: c.pre, addBOS: j.tokenizerSpec!.addBOS).bytes())
        let g = try Vocabulary.load(path: path)
        #expect(g.source == path)
        expectSame(g, j, name)
    }

    @Test func sentencePieceMergesAreRebuiltFromScores() throws {
        guard let j = TestSupport.vocabulary("llama2") else { return }
        // Llama-2's scores decrease with the id, except that its pieces made only of `▁` (runs of
        // spaces) score -1e9; scores with that order rebuild the tokenizer.json merges exactly.
        let scores = (0..<j.size).map { id -> Float in
            let p = j.pieces[id]
            return p.count >= 2 && p.allSatisfy { $0 == "▁" } ? -1e9 : -Float(id)
        }
        let tmp = TempDir()
        let path = tmp.write("llama2-scores.gguf", GGUFWriter.from(j, model: "llama", pre: "default", scores: scores, addBOS: true).bytes())
        let g = try Vocabulary.load(path: path)
        expectSame(g, j, "llama2 (scores)")
    }

    /// A small byte-level vocabulary with every metadata value type around it.
    static func smallByteLevel(version: UInt32 = 3, pre: String? = "gpt-2", tokens: [String]? = nil,
                               types: [Int32]? = nil, extra: (inout GGUFWriter) -> Void = { _ in }) -> [UInt8] {
        var w = GGUFWriter()
        w.string("general.architecture", "gpt2")
        w.raw("general.u8", .u8, [7]); w.raw("general.i8", .i8, [0xFF])
        w.raw("general.u16", .u16, GGUFWriter.le(UInt16(9))); w.raw("general.i16", .i16, GGUFWriter.le(Int16(-9)))
        w.u32("general.u32", 11); w.raw("general.i32", .i32, GGUFWriter.le(Int32(-11)))
        w.raw("general.f32", .f32, GGUFWriter.le(Float(1.5).bitPattern)); w.bool("general.flag", true)
        w.raw("general.u64", .u64, GGUFWriter.le(UInt64(1) << 40)); w.raw("general.i64", .i64, GGUFWriter.le(Int64(-5)))
        w.raw("general.f64", .f64, GGUFWriter.le(Double(2.5).bitPattern))
        w.raw("general.bytes", .array, GGUFWriter.le(GGUFWriter.T.u8.rawValue) + GGUFWriter.le(UInt64(3)) + [1, 2, 3])
        // [[1, 2], ["x"]]: nested arrays of different element types.
        w.raw("general.nested", .array, GGUFWriter.le(GGUFWriter.T.array.rawValue) + GGUFWriter.le(UInt64(2))
              + GGUFWriter.le(GGUFWriter.T.i32.rawValue) + GGUFWriter.le(UInt64(2)) + GGUFWriter.le(Int32(1)) + GGUFWriter.le(Int32(2))
              + GGUFWriter.le(GGUFWriter.T.string.rawValue) + GGUFWriter.le(UInt64(1)) + GGUFWriter.str("x"))
        w.string("tokenizer.ggml.model", "gpt2")
        if let pre { w.string("tokenizer.ggml.pre", pre) }
        let toks = tokens ?? ["<|endoftext|>", "a", "b", "Ġ", "Ċ", "ab", "Ġa", "Ã", "©", "Ã©", "[PAD9]"]
        w.strings("tokenizer.ggml.tokens", toks.map { Array($0.utf8) })
        w.int32s("tokenizer.ggml.token_type", types ?? [3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 4])
        w.strings("tokenizer.ggml.merges", ["a b", "Ġ a", "Ã ©"].map { Array($0.utf8) })
        w.u32("tokenizer.ggml.bos_token_id", 0); w.u32("tokenizer.ggml.eos_token_id", 0)
        w.u32("tokenizer.ggml.eot_token_id", 5)
        w.string("tokenizer.chat_template", "{{ messages }}")
        extra(&w)
        return w.bytes(version: version)
    }

    @Test func smallByteLevelVocabularyLoadsWithExactBytes() throws {
        let tmp = TempDir()
        for version: UInt32 in [2, 3] {
            let v = try Vocabulary.load(path: tmp.write("small-v\(version).gguf", Self.smallByteLevel(version: version)))
            #expect(v.kind == .byteLevelBPE && v.size == 11)
            #expect(v.bytes(of: 3) == [0x20] && v.bytes(of: 4) == [0x0A] && v.bytes(of: 6) == Array(" a".utf8))
            #expect(v.bytes(of: 7) == [0xC3] && v.bytes(of: 9) == [0xC3, 0xA9])
            #expect(v.flags[0] == .special && v.bytes(of: 0) == Array("<|endoftext|>".utf8))
            #expect(v.flags[10] == [.special, .padding])
            #expect(v.bosID == 0 && v.eosIDs == [0, 5])
            let spec = try #require(v.tokenizerSpec)
            #expect(mergesEqual(spec.merges, [(1, 2), (3, 1), (7, 8)]))
            #expect(spec.splitPatterns.count == 1 && spec.encodingUnsupported == nil)
            #expect(spec.addedTokens.map(\.id) == [0, 10])
            // Grammar tokens: everything but the control token and the padding filler.
            #expect(Set(v.trie.tokenIDs) == Set(1...9))
        }
    }

    @Test func tensorsAfterTheMetadataAreNeverRead() throws {
        let tmp = TempDir()
        var w = GGUFWriter()
        w.string("tokenizer.ggml.model", "gpt2"); w.string("tokenizer.ggml.pre", "gpt2")
        w.strings("tokenizer.ggml.tokens", ["a", "b"].map { Array($0.utf8) })
        w.strings("tokenizer.ggml.merges", [])
        // Tensor infos that would be nonsense if parsed.
        let v = try Vocabulary.load(path: tmp.write("t.gguf", w.bytes(tensorCount: 1 << 40, trailer: [UInt8](repeating: 0xFF, count: 1000))))
        #expect(v.size == 2 && v.bytes(of: 1) == [UInt8(ascii: "b")])
    }

    @Test func unknownPreTokenizerIsRecordedNotGuessed() throws {
        let tmp = TempDir()
        let v = try Vocabulary.load(path: tmp.write("p.gguf", Self.smallByteLevel(pre: "deepseek-coder")))
        let reason = try #require(v.tokenizerSpec?.encodingUnsupported)
        #expect(reason.contains("deepseek-coder") && reason.contains("p.gguf"))
        #expect(v.bytes(of: 6) == Array(" a".utf8))
        let missing = try Vocabulary.load(path: tmp.write("q.gguf", Self.smallByteLevel(pre: nil)))
        #expect(missing.tokenizerSpec?.encodingUnsupported?.contains("missing") == true)
        // The mapped names give the models' own patterns.
        for (pre, model) in [("llama-bpe", "llama3"), ("qwen2", "qwen2"), ("gpt-2", "gpt2")] {
            guard let j = TestSupport.vocabulary(model) else { continue }
            let g = try Vocabulary.load(path: tmp.write("\(pre).gguf", Self.smallByteLevel(pre: pre)))
            #expect(g.tokenizerSpec?.splitPatterns == j.tokenizerSpec?.splitPatterns, "\(pre)")
        }
    }

    @Test func everyTruncationIsAnErrorNamingTheFileAndOffset() throws {
        let tmp = TempDir()
        let full = Self.smallByteLevel()
        #expect(throws: Never.self) { try Vocabulary.load(path: tmp.write("full.gguf", full)) }
        for n in 0..<full.count {
            let path = tmp.write("cut.gguf", Array(full.prefix(n)))
            guard let e = loadError(path) else { continue }
            #expect(!e.message.contains("\n"))
            #expect(e.message.hasPrefix(path + ": "), "\(n): \(e.message)")
            if n >= 4 { #expect(e.message.contains("GGUF byte offset"), "\(n): \(e.message)") }
        }
    }

    /// The file with the 8 bytes at `offset` of the first occurrence of `marker` replaced.
    static func patched(_ bytes: [UInt8], after marker: String, with patch: [UInt8]) -> [UInt8] {
        let m = Array(marker.utf8)
        var out = bytes
        let at = (0...(bytes.count - m.count)).first { Array(bytes[$0..<$0 + m.count]) == m }! + m.count
        out.replaceSubrange(at..<at + patch.count, with: patch)
        return out
    }

    @Test func corruptHeadersGiveClearErrors() throws {
        let tmp = TempDir()
        let good = Self.smallByteLevel()
        func check(_ name: String, _ bytes: [UInt8], _ expected: [String]) {
            let path = tmp.write(name, bytes)
            guard let e = loadError(path) else { return }
            #expect(e.message.hasPrefix(path + ": ") && !e.message.contains("\n"))
            for s in expected { #expect(e.message.contains(s), "\(name): \(e.message)") }
        }
        var v1 = good; v1.replaceSubrange(4..<8, with: GGUFWriter.le(UInt32(1)))
        check("v1.gguf", v1, ["GGUF byte offset 4", "unsupported GGUF version 1"])
        var v9 = good; v9.replaceSubrange(4..<8, with: GGUFWriter.le(UInt32(9)))
        check("v9.gguf", v9, ["version 9"])
        var be = good; be.replaceSubrange(4..<8, with: [0, 0, 0, 3])
        check("be.gguf", be, ["big-endian"])
        // The value type of general.u8 → 13.
        check("type.gguf", Self.patched(good, after: "general.u8", with: GGUFWriter.le(UInt32(13))), ["unknown value type 13", "general.u8"])
        // The length of general.architecture's value → 2^62.
        check("strlen.gguf", Self.patched(good, after: "general.architecture" + "\u{8}\0\0\0", with: GGUFWriter.le(UInt64(1) << 62)),
              ["claims 4611686018427387904 bytes"])
        // The element count of general.bytes → 2^60.
        check("count.gguf", Self.patched(good, after: "general.bytes" + "\u{9}\0\0\0" + "\0\0\0\0", with: GGUFWriter.le(UInt64(1) << 60)),
              ["claims 1152921504606846976 elements"])
        // The metadata count → 2^50.
        var kv = good; kv.replaceSubrange(16..<24, with: GGUFWriter.le(UInt64(1) << 50))
        check("kv.gguf", kv, ["GGUF byte offset 16", "metadata entry count"])
        check("dup.gguf", Self.smallByteLevel { $0.string("general.architecture", "again") }, ["duplicate metadata key \"general.architecture\""])
        check("type9.gguf", Self.smallByteLevel(types: [3, 1, 1, 9, 1, 1, 1, 1, 1, 1, 4]), ["token_type", "token 3 has unknown type 9"])
        check("bytetok.gguf", Self.smallByteLevel(types: [3, 1, 6, 1, 1, 1, 1, 1, 1, 1, 4]), ["type 6 (byte) but is not <0xXX>"])
        check("types.gguf", Self.smallByteLevel(types: [3, 1]), ["token_type", "2 entries for 11 tokens"])
        check("bos.gguf", Self.smallByteLevel { $0.u32("tokenizer.ggml.unknown_token_id", 99) }, ["unknown_token_id", "id 99 is not a token id"])
        var deep = GGUFWriter()
        var payload: [UInt8] = GGUFWriter.le(GGUFWriter.T.u8.rawValue) + GGUFWriter.le(UInt64(0))
        for _ in 0..<10 { payload = GGUFWriter.le(GGUFWriter.T.array.rawValue) + GGUFWriter.le(UInt64(1)) + payload }
        deep.raw("general.deep", .array, payload)
        check("deep.gguf", deep.bytes(), ["nests arrays more than"])
        var bert = GGUFWriter(); bert.string("tokenizer.ggml.model", "bert"); bert.strings("tokenizer.ggml.tokens", [[0x61]])
        check("bert.gguf", bert.bytes(), ["unsupported tokenizer model \"bert\""])
        var none = GGUFWriter(); none.string("general.architecture", "llama")
        check("none.gguf", none.bytes(), ["no tokenizer.ggml.model"])
        var notokens = GGUFWriter(); notokens.string("tokenizer.ggml.model", "llama")
        check("notokens.gguf", notokens.bytes(), ["no tokenizer.ggml.tokens"])
        var badMerge = GGUFWriter(); badMerge.string("tokenizer.ggml.model", "gpt2")
        badMerge.strings("tokenizer.ggml.tokens", [[0x61]]); badMerge.strings("tokenizer.ggml.merges", [Array("a z".utf8)])
        check("merge.gguf", badMerge.bytes(), ["merge 0 \"a z\""])
    }
}
