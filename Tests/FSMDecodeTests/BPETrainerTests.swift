import FSMDecode
import Foundation
import Testing

@Suite struct BPETrainerTests {
    @Test func trainedVocabularyLoadsBackWithExactBytes() throws {
        let corpus = Array(String(repeating: "{\"name\": \"Zürich\", \"age\": 42}\n", count: 50).utf8) + Array("😀 ok".utf8)
        let r = try BPETrainer.train(corpus: corpus, vocabularySize: 300)
        #expect(r.pieces.count <= 299 && r.endOfText == Int32(r.pieces.count))
        let dir = TestSupport.scratchPath("bpe")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(r.tokenizerJSON.utf8).write(to: URL(fileURLWithPath: dir + "/tokenizer.json"))
        try Data(r.configJSON.utf8).write(to: URL(fileURLWithPath: dir + "/tokenizer_config.json"))
        let v = try Vocabulary.load(path: dir + "/tokenizer.json")
        #expect(v.kind == .byteLevelBPE)
        #expect(v.size == r.pieces.count + 1)
        #expect(v.eosIDs == [r.endOfText])
        for b in 0..<256 { #expect(v.bytes(of: b) == [UInt8(b)]) }
        // Every merged token is its two parts' bytes concatenated, and merges are in the spec.
        #expect(v.tokenizerSpec?.merges.count == r.merges.count)
        for (k, (l, rr)) in r.merges.enumerated() {
            #expect(v.bytes(of: 256 + k) == v.bytes(of: Int(l)) + v.bytes(of: Int(rr)))
        }
        // The most frequent pre-token pieces became tokens.
        #expect((0..<v.size).contains { v.bytes(of: $0) == Array(" Zürich".utf8) || v.bytes(of: $0) == Array("Zürich".utf8) })
    }

    @Test func isDeterministicAndRejectsBadSizes() throws {
        let corpus = Array("abc abd abe abc abc".utf8)
        #expect(try BPETrainer.train(corpus: corpus, vocabularySize: 262).tokenizerJSON
                == BPETrainer.train(corpus: corpus, vocabularySize: 262).tokenizerJSON)
        #expect(throws: FSMDecodeError.self) { _ = try BPETrainer.train(corpus: corpus, vocabularySize: 10) }
        #expect(throws: FSMDecodeError.self) { _ = try BPETrainer.train(corpus: [0xFF, 0xFE], vocabularySize: 300) }
    }
}
