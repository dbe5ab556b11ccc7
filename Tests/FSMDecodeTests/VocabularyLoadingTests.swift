import FSMDecode
import Foundation
import Testing

@Suite struct VocabularyLoadingTests {
    /// Sizes, specials and bos/eos per ../shared/vocab/README.md.
    static let expected: [(name: String, size: Int, specials: Int, bos: Int32?, eos: [Int32])] = [
        ("llama3", 128_256, 256, 128_000, [128_001]),
        ("qwen2", 151_936, 293, nil, [151_643]),
        ("gpt2", 50_257, 1, 50_256, [50_256]),
        ("llama2", 32_000, 3, 1, [2]),
    ]

    @Test(arguments: expected.map(\.name))
    func realVocabularyHasTheDocumentedShape(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let e = Self.expected.first { $0.name == name }!
        #expect(v.size == e.size && v.maskWidth == e.size)
        #expect(v.specialCount == e.specials)
        #expect(v.bosID == e.bos)
        #expect(v.eosIDs == e.eos)
        #expect(v.tokenOffsets.count == v.maskWidth + 1 && v.flags.count == v.maskWidth && v.pieces.count == v.maskWidth)
        #expect((0..<v.size).allSatisfy { !v.flags[$0].contains(.absent) }, "\(name) is dense")
        #expect(v.kind == (name == "llama2" ? .sentencePieceBPE : .byteLevelBPE))
    }

    func id(_ v: Vocabulary, _ piece: String) throws -> Int {
        Int(try #require(v.id(ofPiece: piece), "no token \(piece)"))
    }

    @Test func byteLevelTokensMapBackToRawBytes() throws {
        for name in ["gpt2", "llama3", "qwen2"] {
            guard let v = TestSupport.vocabulary(name) else { continue }
            #expect(v.bytes(of: try id(v, "Ġthe")) == Array(" the".utf8), "\(name)")
            #expect(v.bytes(of: try id(v, "Ċ")) == [0x0A], "\(name)")
            #expect(v.bytes(of: try id(v, "Ġ")) == [0x20], "\(name)")
            // "Ã" is byte 0xC3: the first half of a two-byte UTF-8 character.
            let half = v.bytes(of: try id(v, "Ã"))
            #expect(half == [0xC3] && String(validating: half, as: UTF8.self) == nil, "\(name)")
            #expect(v.byteFallbackCount == 0)
        }
        guard let gpt2 = TestSupport.vocabulary("gpt2") else { return }
        // Every one of the 256 bytes is a single-byte token.
        let singles = Set((0..<gpt2.size).filter { gpt2.isGrammarToken($0) && gpt2.tokenOffsets[$0 + 1] - gpt2.tokenOffsets[$0] == 1 }
            .map { gpt2.tokenBytes[Int(gpt2.tokenOffsets[$0])] })
        #expect(singles.count == 256)
        #expect(gpt2.bytes(of: 50_256) == Array("<|endoftext|>".utf8) && gpt2.flags[50_256] == .special)
    }

    @Test func sentencePieceTokensMapSpacesAndByteFallback() throws {
        guard let v = TestSupport.vocabulary("llama2") else { return }
        #expect(v.byteFallbackCount == 256)
        for b in 0..<256 {
            let tid = 3 + b
            #expect(v.pieces[tid] == String(format: "<0x%02X>", b))
            #expect(v.bytes(of: tid) == [UInt8(b)] && v.flags[tid] == .byteFallback)
        }
        #expect(v.bytes(of: 13) == [0x0A])
        #expect(v.bytes(of: try id(v, "▁the")) == Array(" the".utf8))
        #expect(v.bytes(of: try id(v, "▁")) == [0x20])
        #expect(v.unknownID == 0 && v.flags[0] == [.special, .unknown])
        #expect(v.flags[1] == .special && v.flags[2] == .special)
        #expect(v.tokenizerSpec?.prependSpace == true && v.tokenizerSpec?.byteFallback == true)
        #expect(v.tokenizerSpec?.merges.count == 61_249)
        // A byte token and the same single character share a trie node.
        let a = try id(v, "A")
        let node = try #require((1..<v.trie.nodeCount).first { v.trie.depth[$0] == 1 && v.trie.byte[$0] == UInt8(ascii: "A") })
        let ids = v.trie.tokenIDs[Int(v.trie.tokenStart[node])..<Int(v.trie.tokenStart[node + 1])]
        #expect(Set(ids) == [Int32(a), Int32(3 + 0x41)])
    }

    @Test func qwen2PaddingFillersAreNeverAllowed() throws {
        guard let v = TestSupport.vocabulary("qwen2") else { return }
        let pads = (0..<v.size).filter { v.pieces[$0].hasPrefix("[PAD") }
        #expect(pads.count == 290)
        #expect(pads.allSatisfy { v.flags[$0].isSuperset(of: [.padding, .special]) && !v.isGrammarToken($0) })
        let inTrie = Set(v.trie.tokenIDs)
        #expect(pads.allSatisfy { !inTrie.contains(Int32($0)) })
        #expect(v.trie.tokenIDs.count == 151_643)
        #expect(v.tokenizerSpec?.normalizeNFC == true && v.tokenizerSpec?.addBOS == false)
    }

    @Test func maskWidthBeyondTheTokenizerAddsAbsentIDs() throws {
        guard let path = TestSupport.shared("vocab/gpt2/tokenizer.json") else {
            print("skipping: \(TestSupport.sharedRoot)/vocab/gpt2/tokenizer.json not found"); return
        }
        guard let base = TestSupport.vocabulary("gpt2") else { return }
        let wide = try base.withMaskWidth(50_304)
        #expect(wide.size == 50_257 && wide.maskWidth == 50_304)
        #expect((50_257..<50_304).allSatisfy { wide.flags[$0] == .absent && !wide.isGrammarToken($0) && wide.bytes(of: $0).isEmpty })
        #expect(wide.tokenOffsets.count == 50_305 && wide.trie.tokenIDs == base.trie.tokenIDs)
        #expect(wide.tokenBytes == base.tokenBytes)
        // Through the loader options too; narrower than the tokenizer is an error.
        let e = loadError(path, VocabularyOptions(maskWidth: 50_000))
        #expect(e?.message.contains("mask width 50000 is smaller than the vocabulary (50257 ids)") == true)
        #expect(e.map { $0.message.hasPrefix(path) } == true)
    }

    @Test func bosAndEosOverridesByIDAndByPiece() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let byPiece = try v.withSpecialIDs(bos: v.resolveTokenReference("<|begin_of_text|>", what: "--bos"),
                                           eos: [v.resolveTokenReference("<|eot_id|>", what: "--eos"),
                                                 v.resolveTokenReference("128001", what: "--eos")])
        #expect(byPiece.bosID == 128_000 && byPiece.eosIDs == [128_009, 128_001])
        #expect(byPiece.trie.tokenIDs == v.trie.tokenIDs && byPiece.flags == v.flags)
        #expect(throws: FSMDecodeError.self) { try v.resolveTokenReference("<|nope|>", what: "--eos") }
        do {
            _ = try v.resolveTokenReference("999999", what: "--eos")
            Issue.record("999999 resolved")
        } catch let e as FSMDecodeError {
            #expect(e.message.contains("--eos 999999 is not a token id"))
        }
    }

    @Test func loaderOptionsApplyOverrides() throws {
        guard let path = TestSupport.shared("vocab/llama2/tokenizer.json") else {
            print("skipping: \(TestSupport.sharedRoot)/vocab/llama2/tokenizer.json not found"); return
        }
        let v = try Vocabulary.load(path: path, options: VocabularyOptions(maskWidth: 32_064, bos: "2", eos: ["</s>", "<s>"]))
        #expect(v.bosID == 2 && v.eosIDs == [2, 1] && v.maskWidth == 32_064 && v.size == 32_000)
        let e = loadError(path, VocabularyOptions(eos: ["<none>"]))
        #expect(e?.message == "\(path): --eos '<none>' is not a token of this vocabulary")
    }

    /// Depth-first order, subtree ends, ascending children, and every grammar token exactly once
    /// at the node that spells its bytes.
    func checkTrie(_ v: Vocabulary, _ name: String) {
        let t = v.trie
        var count = [Int32](repeating: 0, count: v.maskWidth)
        var path: [UInt8] = []
        var lastChildByte: [Int] = [-1]  // per depth: byte of the last child seen under the current path
        var failures = 0
        func fail(_ what: String) { failures += 1; if failures < 5 { Issue.record("\(name) trie: \(what)") } }
        #expect(t.depth[0] == 0 && t.subtreeEnd[0] == UInt32(t.nodeCount) && t.tokenStart.count == t.nodeCount + 1)
        var stack: [Int] = [0]
        for i in 1..<t.nodeCount {
            let d = Int(t.depth[i])
            guard d >= 1, d <= path.count + 1 else { fail("node \(i) depth \(d) after depth \(path.count)"); continue }
            while stack.count > d { // close nodes at depth >= d
                let top = stack.removeLast()
                if Int(t.subtreeEnd[top]) != i { fail("subtreeEnd[\(top)] = \(t.subtreeEnd[top]), expected \(i)") }
            }
            path.removeSubrange((d - 1)...)
            lastChildByte.removeSubrange(d...)
            if Int(t.byte[i]) <= lastChildByte[d - 1] { fail("node \(i): children not ascending") }
            lastChildByte[d - 1] = Int(t.byte[i])
            lastChildByte.append(-1)
            path.append(t.byte[i])
            stack.append(i)
            for k in Int(t.tokenStart[i])..<Int(t.tokenStart[i + 1]) {
                let id = Int(t.tokenIDs[k])
                count[id] += 1
                if v.bytes(of: id) != path { fail("token \(id) at node \(i) has other bytes") }
            }
        }
        for top in stack where Int(t.subtreeEnd[top]) != t.nodeCount { fail("subtreeEnd[\(top)] is not the end") }
        #expect(t.tokenStart[0] == 0 && t.tokenStart[1] == 0, "\(name): no token at the root")
        for id in 0..<v.maskWidth {
            let expected: Int32 = v.isGrammarToken(id) && !v.bytes(of: id).isEmpty ? 1 : 0
            if count[id] != expected { fail("token \(id) appears \(count[id]) times") }
        }
        #expect(t.maxDepth == (0..<v.size).filter { v.isGrammarToken($0) }.map { v.bytes(of: $0).count }.max())
        #expect(failures == 0, "\(name): \(failures) trie failures")
    }

    @Test(arguments: ["gpt2", "llama2", "qwen2", "llama3"])
    func trieInvariantsHoldOnRealVocabularies(name: String) {
        guard let v = TestSupport.vocabulary(name) else { return }
        checkTrie(v, name)
    }

    @Test func trieInvariantsHoldOnTiesBeyondEightBytes() throws {
        // Tokens sharing an 8-byte prefix, zero bytes and duplicates exercise the sort's tie-break.
        let words: [[UInt8]] = [Array("abcdefghij".utf8), Array("abcdefgh".utf8), Array("abcdefghi".utf8), [0x61, 0],
                                [0x61], [0x61, 0, 0], Array("abcdefghij".utf8), [0xFF, 0xFF], [0], Array("abcdefgh\0".utf8)]
        let tokens = words.map { w -> (bytes: [UInt8], piece: String, flags: TokenFlags)? in (w, "x", []) }
        let v = try Vocabulary(kind: .plain, source: "ties", tokens: tokens, bosID: nil, eosIDs: [])
        checkTrie(v, "ties")
        #expect(v.trie.tokenIDs == [8, 4, 3, 5, 1, 9, 2, 0, 6, 7])
    }

    // MARK: bad input

    func expectError(_ path: String, _ parts: [String], options: VocabularyOptions = VocabularyOptions()) {
        guard let e = loadError(path, options) else { return }
        #expect(!e.message.contains("\n"), "one line: \(e.message)")
        #expect(e.message.hasPrefix(path + ":"), "names the file: \(e.message)")
        for p in parts { #expect(e.message.contains(p), "\(e.message) should mention \(p)") }
    }

    @Test func badFilesGiveOneLineErrorsNamingTheFile() throws {
        let tmp = TempDir()
        expectError(tmp.path + "/missing.json", ["cannot open", "No such file"])
        expectError(tmp.path, ["is a directory"])
        expectError(tmp.write("empty.json", []), ["file is empty"])
        expectError(tmp.write("text.txt", Array("hello world\n".utf8)), ["neither a tokenizer.json", "nor a GGUF"])
        expectError(tmp.write("gg.bin", Array("GGU".utf8)), ["neither"])
        expectError(tmp.write("other.json", Array(#"{"name": "not a tokenizer"}"#.utf8)), ["not a tokenizer.json", "no \"model\" object"])
        expectError(tmp.write("wp.json", Array(#"{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"#.utf8)),
                    ["unsupported tokenizer model type \"WordPiece\""])
        expectError(tmp.write("uni.json", Array(#"{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}"#.utf8)),
                    ["unsupported tokenizer model type \"Unigram\""])
        expectError(tmp.write("novocab.json", Array(#"{"model": {"type": "BPE"}, "decoder": {"type": "ByteLevel"}}"#.utf8)),
                    ["model.vocab is missing"])
        expectError(tmp.write("badid.json", Array(#"{"model": {"type": "BPE", "vocab": {"a": "zero"}}, "decoder": {"type": "ByteLevel"}}"#.utf8)),
                    ["model.vocab entry \"a\" has no valid id"])
        expectError(tmp.write("merge.json", Array(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a q"]}, "decoder": {"type": "ByteLevel"}}"#.utf8)),
                    ["model.merges[0] \"a q\" names a piece that is not in model.vocab"])
        expectError(tmp.write("trunc.json", Array("{\n  \"model\": {\n    \"type\": \"BPE\",\n    \"vocab\": {\"a\":".utf8)),
                    ["invalid JSON", "unexpected end"])
        expectError(tmp.write("corrupt.json", Array("{\n  \"model\": {\n    \"type\" \"BPE\"}}".utf8)), [":3:", "invalid JSON"])
        // A real tokenizer.json cut short.
        if let real = TestSupport.shared("vocab/gpt2/tokenizer.json") {
            let bytes = try readFile(real)
            expectError(tmp.write("cut.json", Array(bytes.prefix(bytes.count / 2))), ["invalid JSON", "unexpected end"])
        }
        // A truncated GGUF (header cut inside the metadata count).
        expectError(tmp.write("cut.gguf", Array(VocabularyGGUFTests.smallByteLevel().prefix(20))), ["GGUF byte offset 16", "truncated"])
    }
}

/// Runs the built `fsmdecode` binary; nil (with a printed skip) when it has not been built.
enum CLI {
    static let binary: String? = {
        var candidates: [String] = []
        // Beside the test bundle (…/debug/fsmdecodePackageTests.xctest), then the usual build dirs.
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(exe.appendingPathComponent("fsmdecode").path)
        candidates.append(exe.deletingLastPathComponent().appendingPathComponent("fsmdecode").path)
        candidates += [".build/debug/fsmdecode", ".build/release/fsmdecode"].map { TestSupport.repoRoot + "/" + $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String)? {
        guard let binary else { print("skipping: no built fsmdecode binary under \(TestSupport.repoRoot)/.build"); return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

@Suite struct VocabularyCLITests {
    @Test func missingVocabularyFileExitsOneWithOneLine() throws {
        guard let r = try CLI.run(["vocab", "/nonexistent/tokenizer.json"]) else { return }
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.hasPrefix("fsmdecode: error: /nonexistent/tokenizer.json: cannot open") == true, "\(r.stderr)")
    }

    @Test func truncatedGGUFExitsOneWithOneLine() throws {
        let tmp = TempDir()
        let path = tmp.write("cut.gguf", Array(VocabularyGGUFTests.smallByteLevel().dropLast(3)))
        guard let r = try CLI.run(["vocab", path, "--json"]) else { return }
        #expect(r.status == 1 && r.stdout.isEmpty)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("\(path): GGUF byte offset"), "\(r.stderr)")
    }

    @Test func vocabJSONReportsSizeEosAndSpecials() throws {
        guard let path = TestSupport.shared("vocab/llama3/tokenizer.json") else {
            print("skipping: \(TestSupport.sharedRoot)/vocab/llama3/tokenizer.json not found"); return
        }
        guard let r = try CLI.run(["vocab", path, "--json"]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONDocument(bytes: Array(r.stdout.utf8), source: "vocab --json output").value
        #expect(doc["size"]?.int == 128_256)
        #expect(doc["eos"]?.array?.compactMap(\.int) == [128_001])
        #expect(doc["special_count"]?.int == 256)
        #expect(doc["mask_width"]?.int == 128_256)
    }

    @Test func vocabReadsAGGUFFile() throws {
        let tmp = TempDir()
        let path = tmp.write("small.gguf", VocabularyGGUFTests.smallByteLevel())
        guard let r = try CLI.run(["vocab", path, "--json", "--mask-width", "16"]) else { return }
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONDocument(bytes: Array(r.stdout.utf8), source: "vocab --json output").value
        #expect(doc["size"]?.int == 11 && doc["mask_width"]?.int == 16)
        #expect(doc["eos"]?.array?.compactMap(\.int) == [0, 5])
        #expect(doc["special_count"]?.int == 2)
    }
}
