import FSMDecode
import Foundation
import Testing

@Suite struct ArtifactTests {
    private func temporaryPath(_ name: String) -> String {
        TestSupport.scratchPath("artifact-\(name).bin")
    }

    private func masks(_ c: RegexConstraint) -> [TokenMask] {
        (0..<Int32(c.dfa.stateCount)).map { s in
            var m = TokenMask(width: c.vocabulary.maskWidth)
            m.words.withUnsafeMutableBufferPointer { c.store.fill(state: s, into: $0) }
            return m
        }
    }

    private func smallVocabulary(eos: [Int32] = [12]) throws -> Vocabulary {
        try plainVocabulary(["a", "b", "c", "d", "e", "ab", "abc", "cd", "x", "abcd", "ce", "\"", "<eos>"] + (0..<100).map { "w\($0)" },
                            eos: eos, special: [12])
    }

    /// Expects an `.artifact` error whose message names `source` and contains `problem`.
    private func expectArtifactError(_ bytes: [UInt8], _ vocabulary: Vocabulary, _ problem: String,
                                     sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try ConstraintArtifact.load(bytes: bytes, source: "test.fsmc", vocabulary: vocabulary)
            Issue.record("loaded a bad artifact; expected \(problem.debugDescription)", sourceLocation: sourceLocation)
        } catch let e as FSMDecodeError {
            #expect(e.kind == .artifact, sourceLocation: sourceLocation)
            #expect(e.message.hasPrefix("test.fsmc: ") && e.message.contains(problem), "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func roundTripOnLlama3() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        for dfa in [TestDFAs.quotedString, TestDFAs.keywords] {
            let c = RegexConstraint(dfa: dfa, vocabulary: v, mode: .eager)
            let path = temporaryPath("llama3")
            defer { unlink(path) }
            try c.write(to: path)
            let loaded = try RegexConstraint.load(path: path, vocabulary: v)
            #expect(loaded.dfa == c.dfa)
            #expect(loaded.store.statistics == c.store.statistics)
            #expect(loaded.vocabularyFingerprint == v.fingerprint)
            #expect(masks(loaded) == masks(c))
            // Re-serializing gives the same bytes: nothing is lost or reordered.
            #expect(ConstraintArtifact.serialize(loaded) == ConstraintArtifact.serialize(c))
        }
    }

    @Test func partiallyFilledLazyStoreRoundTrips() throws {
        let v = try smallVocabulary()
        let c = RegexConstraint(dfa: TestDFAs.keywords, vocabulary: v, mode: .lazy)
        var m = c.makeMatcher()
        _ = m.nextTokenMask()
        _ = m.accept(bytes: Array("fun".utf8))
        _ = m.nextTokenMask()
        #expect(c.store.statistics.computedStates == 2)
        let loaded = try ConstraintArtifact.load(bytes: ConstraintArtifact.serialize(c), source: "mem", vocabulary: v)
        #expect(loaded.store.mode == .lazy)
        #expect(loaded.store.statistics.computedStates == 2)
        let eager = RegexConstraint(dfa: TestDFAs.keywords, vocabulary: v, mode: .eager)
        #expect(masks(loaded) == masks(eager), "the rest is computed on first visit")
        #expect(loaded.store.statistics == eager.store.statistics)
    }

    @Test func anotherVocabularyIsRefused() throws {
        let v = try smallVocabulary()
        let bytes = ConstraintArtifact.serialize(RegexConstraint(dfa: TestDFAs.abcDE, vocabulary: v))
        // Same tokens, other EOS; one token's bytes changed; a wider mask.
        var words: [String?] = ["a", "b", "c", "d", "e", "ab", "abc", "cd", "x", "abcd", "ce", "'", "<eos>"] + (0..<100).map { "w\($0)" }
        let changed = try plainVocabulary(words, eos: [12], special: [12])
        words[11] = "\""
        let otherEOS = try plainVocabulary(words, eos: [], special: [12])
        let wider = try v.withMaskWidth(200)
        for other in [changed, otherEOS, wider] {
            expectArtifactError(bytes, other, "compiled for another vocabulary")
        }
        #expect(throws: Never.self) { _ = try ConstraintArtifact.load(bytes: bytes, source: "ok", vocabulary: v) }
    }

    @Test func damagedFilesAreRefused() throws {
        let v = try smallVocabulary()
        let good = ConstraintArtifact.serialize(RegexConstraint(dfa: TestDFAs.number, vocabulary: v))
        var version = good
        version[8] = 99
        expectArtifactError(version, v, "format version 99")
        var magic = good
        magic[0] = UInt8(ascii: "X")
        expectArtifactError(magic, v, "bad magic")
        expectArtifactError(Array(good.prefix(20)), v, "truncated")
        expectArtifactError(Array(good.dropLast(9)), v, "truncated")
        expectArtifactError(good + [0], v, "unexpected bytes after the checksum")
        // Any single flipped byte in the payload or checksum is caught.
        for offset in [40, 41, 60, 300, good.count / 2, good.count - 9, good.count - 1] {
            var bad = good
            bad[offset] ^= 0x10
            expectArtifactError(bad, v, offset >= 40 ? "checksum mismatch" : "")
        }
    }

    @Test func missingFileNamesThePath() throws {
        let v = try smallVocabulary()
        let path = temporaryPath("missing")
        #expect { _ = try RegexConstraint.load(path: path, vocabulary: v) } throws: { e in
            (e as? FSMDecodeError).map { $0.kind == .io && $0.message.contains(path) } ?? false
        }
    }
}
