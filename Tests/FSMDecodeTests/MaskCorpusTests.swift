import FSMDecode
import Testing

/// Mask exactness on compiled regexes: patterns from the shared corpus plus Unicode classes whose
/// characters real tokens split, against the brute-force oracle on Llama-3 and Llama-2.
@Suite struct MaskCorpusTests {
    static let unicodePatterns = [
        #"[^"\\]*"#, #"\"(?:[^"\\]|\\.)*\""#, #"[一-龥]{1,4}"#, #".{2,3}"#, #"[à-ÿ]+ [😀-🙏]"#, #"(?:\s|,)*"#,
    ]

    /// Every pattern of the corpus that compiles (sampled unless FSMDECODE_FULL=1), plus the
    /// Unicode patterns; states sampled deterministically, the start state always.
    static func cases() -> [(String, ByteDFA)] {
        var patterns = unicodePatterns
        if let path = TestSupport.shared("corpora/regex/patterns.txt"),
           let bytes = try? readFile(path) {
            let all = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            let stride = TestSupport.fullSuites ? 1 : max(1, all.count / 12)
            patterns += all.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
        } else {
            print("skipping corpus patterns: \(TestSupport.sharedRoot)/corpora/regex/patterns.txt not found")
        }
        return patterns.compactMap { p in (try? RegexCompiler.compile(p)).map { (p, $0) } }
    }

    @Test(arguments: ["llama3", "llama2"])
    func compiledPatternMasksEqualBruteForce(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let cases = Self.cases()
        #expect(cases.count >= Self.unicodePatterns.count)
        var rng = TestRNG(state: 11)
        var checked = 0
        for (pattern, dfa) in cases {
            let c = RegexConstraint(dfa: dfa, vocabulary: v, mode: .lazy)
            let perPattern = TestSupport.fullSuites ? dfa.stateCount : min(dfa.stateCount, 4)
            var states: Set<Int32> = [dfa.start]
            while states.count < perPattern { states.insert(Int32(rng.next(dfa.stateCount))) }
            for s in states.sorted() {
                var got = TokenMask(width: v.maskWidth)
                got.words.withUnsafeMutableBufferPointer { c.store.fill(state: s, into: $0) }
                let want = oracleMask(dfa, v, state: s)
                #expect(got == want, "\(name) \(pattern) state \(s): \(got.count) allowed, oracle \(want.count)")
                checked += 1
            }
        }
        print("\(name): \(cases.count) patterns, \(checked) states checked against the oracle")
    }
}
