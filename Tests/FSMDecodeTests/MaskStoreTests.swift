import Dispatch
import Synchronization
@testable import FSMDecode
import Testing

@Suite struct MaskStoreTests {
    private func fill(_ store: MaskStore, _ state: Int32) -> TokenMask {
        var mask = TokenMask(width: store.vocabulary.maskWidth)
        mask.words.withUnsafeMutableBufferPointer { store.fill(state: state, into: $0) }
        return mask
    }

    /// The first differing id, for a readable failure.
    private func firstDifference(_ a: TokenMask, _ b: TokenMask, _ v: Vocabulary) -> String {
        for id in 0..<Int32(v.maskWidth) where a.contains(id) != b.contains(id) {
            return "id \(id) \(v.pieces[Int(id)].debugDescription) bytes \(v.bytes(of: Int(id))): store \(a.contains(id)), oracle \(b.contains(id))"
        }
        return "none"
    }

    /// Long accept lists are ordered through a bitset: the same order as sorting, at every
    /// length around the switch-over and with ids at both ends of the mask.
    @Test func idListsSortedThroughBitsMatchSorting() {
        var rng = SystemRandomNumberGenerator()
        let words = 4008
        for n in [1, 2, MaskStore.sortedByBitsFrom, MaskStore.sortedByBitsFrom + 1, 1000, 4000] {
            var ids = Array(Set((0..<n * 2).map { _ in UInt32.random(in: 0..<UInt32(words * 32), using: &rng) })).prefix(n)
            ids.append(0); ids.append(UInt32(words * 32 - 1))
            var got = Array(Set(ids))
            got.withUnsafeMutableBufferPointer { MaskStore.sortByBits($0, words: words) }
            #expect(got == Set(ids).sorted(), "\(n) ids")
        }
    }

    /// Merging two ascending id lists gives their sorted union, or nil exactly when that union
    /// is over the limit: random lists with overlaps, empty sides and the limit's edges.
    @Test func mergedListsAreTheSortedUnion() {
        var rng = SeededRNG(seed: 0x5EED_1157)
        for round in 0..<400 {
            let span = UInt32.random(in: 1...3000, using: &rng)
            let a = Set((0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt32.random(in: 0..<span, using: &rng) }).sorted()
            let b = Set((0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt32.random(in: 0..<span, using: &rng) }).sorted()
            let union = Set(a).union(b).sorted()
            for limit in [union.count - 1, union.count, union.count + 1] where limit >= 0 {
                let got = a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { [UInt32].sortedUnion(pa, $0, limit: limit) } }
                #expect(got == (union.count <= limit ? union : nil), "round \(round), \(a.count) + \(b.count) ids, limit \(limit)")
            }
        }
    }

    /// Sorting with repeats dropped, over buffers of every small size and heavy repetition.
    @Test func sortAndRemoveDuplicatesMatchesASortedSet() {
        var rng = SeededRNG(seed: 0xD0_0D1E)
        for n in 0..<200 {
            var xs = (0..<n).map { _ in Int32.random(in: -20...20, using: &rng) }
            let expected = Set(xs).sorted()
            xs.sortAndRemoveDuplicates()
            #expect(xs == expected, "\(n) values")
        }
    }

    @Test(arguments: ["llama3", "llama2"])
    func masksEqualBruteForceOnRealVocabulary(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        for (pattern, dfa) in TestDFAs.all {
            for mode in [MaskStoreMode.eager, .lazy] {
                let store = MaskStore(dfa: dfa, vocabulary: v, mode: mode)
                // Small hand DFAs: every state (the keyword trie is sampled in the default run).
                let states = (0..<Int32(dfa.stateCount)).filter { TestSupport.fullSuites || dfa.stateCount < 40 || $0 % 5 == 0 }
                for s in states {
                    let got = fill(store, s)
                    let want = oracleMask(dfa, v, state: s)
                    #expect(got == want, "\(name) \(pattern) \(mode) state \(s): \(firstDifference(got, want, v))")
                }
            }
        }
    }

    /// Tokens that end inside a UTF-8 character are allowed exactly when the character can
    /// complete: byte-level pieces on Llama-3, `<0xXX>` byte tokens on Llama-2.
    @Test func splitCharacterTokens() throws {
        if let v = TestSupport.vocabulary("llama2") {
            let store = MaskStore(dfa: TestDFAs.emoji, vocabulary: v, mode: .lazy)
            let mask = fill(store, TestDFAs.emoji.start)
            let f0 = v.id(ofPiece: "<0xF0>"), e4 = v.id(ofPiece: "<0xE4>"), a = v.id(ofPiece: "▁a")
            #expect(f0 != nil && e4 != nil && a != nil)
            if let f0, let e4, let a {
                #expect(mask.contains(f0), "<0xF0> starts every emoji of the class")
                #expect(!mask.contains(e4), "<0xE4> starts a CJK character, not an emoji")
                #expect(!mask.contains(a))
            }
            // After F0 9F 98 only a continuation byte 80–BF can follow.
            let s = TestDFAs.emoji.run([0xF0, 0x9F, 0x98])
            let cont = fill(store, s)
            for b in 0..<256 {
                guard let id = v.id(ofPiece: String(format: "<0x%02X>", b)) else { continue }
                #expect(cont.contains(id) == (0x80...0xBF).contains(b), "byte token <0x\(String(b, radix: 16))>")
            }
        }
        if let v = TestSupport.vocabulary("llama3") {
            let dfa = TestDFAs.quotedString
            let store = MaskStore(dfa: dfa, vocabulary: v, mode: .lazy)
            // In the body after a lone lead byte E4, only tokens starting with a continuation byte fit.
            let s = dfa.run([UInt8(ascii: "\""), 0xE4])
            let mask = fill(store, s)
            #expect(mask.count > 0)
            for id in mask.allowedIDs {
                let first = v.bytes(of: Int(id))[0]
                #expect((0x80...0xBF).contains(first), "token \(id) starts with \(first)")
            }
            #expect(mask == oracleMask(dfa, v, state: s))
        }
    }

    @Test func encodingFollowsTheListLimitAndFillsAreExact() throws {
        // 2000 ids: 63 words, list limit 15 ids. Masks: digits only (10 ids → accept list), everything
        // but "-" (reject list of 1), and about half (bitset).
        var words: [String?] = (0..<10).map { String($0) } + ["-"]
        for i in 0..<1989 { words.append(i % 2 == 0 ? "x\(i)" : "y\(i)") }
        let v = try plainVocabulary(words)
        var b = TestDFABuilder()
        let s = b.state(), digits = b.state(accepting: true), any = b.state(accepting: true), half = b.state(accepting: true)
        b.edge(s, UInt8(ascii: "0"), UInt8(ascii: "9"), digits)
        b.edge(digits, UInt8(ascii: "0"), UInt8(ascii: "9"), digits)
        b.edge(s, UInt8(ascii: "a"), any)
        b.edge(any, 0x30, 0x39, any); b.edge(any, UInt8(ascii: "x"), any); b.edge(any, UInt8(ascii: "y"), any)
        b.edge(s, UInt8(ascii: "b"), half)
        b.edge(half, 0x30, 0x39, half); b.edge(half, UInt8(ascii: "x"), half)
        let dfa = b.build(start: s)
        let store = MaskStore(dfa: dfa, vocabulary: v, mode: .eager)
        let sDigits = dfa.run(Array("5".utf8)), sAny = dfa.run(Array("a".utf8)), sHalf = dfa.run(Array("b".utf8))
        #expect(store.encoding(of: sDigits) == .acceptList)
        #expect(store.encoding(of: sAny) == .rejectList)
        #expect(store.encoding(of: sHalf) == .bitset)
        for st in 0..<Int32(dfa.stateCount) {
            #expect(fill(store, st) == oracleMask(dfa, v, state: st), "state \(st)")
            let n = store.allowedCount(st)
            // A list only when it has at most a quarter of the bitset's words; the shorter list wins.
            let limit = TokenMask.wordCount(v.maskWidth) / 4
            let rejected = store.grammarTokenCount - n
            let expected: MaskEncoding = min(n, rejected) > limit ? .bitset : n <= rejected ? .acceptList : .rejectList
            #expect(store.encoding(of: st) == expected, "state \(st): \(store.encoding(of: st)) with \(n) allowed, \(rejected) rejected")
        }
        let stats = store.statistics
        #expect(stats.states == dfa.stateCount && stats.computedStates == dfa.stateCount)
        #expect(stats.acceptLists >= 1 && stats.rejectLists == 1 && stats.bitsets == 1)
    }

    /// Stored lists are sorted by id whatever order the trie walk meets the tokens in (ids
    /// here run against byte order), so equal masks compare equal and fills stay cheap.
    @Test func listPayloadsAreSortedByID() throws {
        let letters = (0..<26).reversed().map { String(UnicodeScalar(UInt8(97 + $0))) }  // id 0 = "z"
        let v = try plainVocabulary(letters + ["ab", "ba", "zz"] + (0..<2000).map { "x\($0)" })
        var b = TestDFABuilder()
        let s = b.state(), word = b.state(accepting: true)
        b.edge(s, UInt8(ascii: "a"), UInt8(ascii: "c"), word)
        b.edge(word, UInt8(ascii: "a"), UInt8(ascii: "c"), word)
        let dfa = b.build(start: s)
        for mode in [MaskStoreMode.lazy, .eager] {
            let store = MaskStore(dfa: dfa, vocabulary: v, mode: mode)
            for st in 0..<Int32(dfa.stateCount) { #expect(fill(store, st) == oracleMask(dfa, v, state: st)) }
            let lists = store.snapshot().masks.filter { $0.encoding != .bitset }
            #expect(!lists.isEmpty)
            for m in lists { #expect(m.payload == m.payload.sorted() && Set(m.payload).count == m.payload.count, "\(m.payload)") }
            #expect(store.statistics.distinctMasks == 1)
        }
    }

    @Test func identicalMasksAreStoredOnce() throws {
        // `[0-9]+-[0-9]+` over single-character tokens: start, after "-" and the final state all
        // allow exactly the digits; only the state after the first number also allows "-".
        let v = try plainVocabulary((0..<10).map { String($0) } + ["-", "<eos>"], eos: [11], special: [11])
        var b = TestDFABuilder()
        let s = b.state(), first = b.state(), dash = b.state(), second = b.state(accepting: true)
        b.edge(s, 0x30, 0x39, first); b.edge(first, 0x30, 0x39, first)
        b.edge(first, UInt8(ascii: "-"), dash)
        b.edge(dash, 0x30, 0x39, second); b.edge(second, 0x30, 0x39, second)
        let dfa = b.build(start: s)
        let store = MaskStore(dfa: dfa, vocabulary: v, mode: .eager)
        let stats = store.statistics
        #expect(stats.states == 4)
        #expect(stats.distinctMasks == 2)
        // EOS is per state, outside the shared mask: only the accepting state allows it.
        let final = fill(store, dfa.run(Array("1-2".utf8)))
        let startMask = fill(store, dfa.start)
        #expect(final.contains(11) && !startMask.contains(11))
        #expect(final.allowedIDs == Array(0...9) + [11])
        #expect(startMask.allowedIDs == Array(0...9))
    }

    @Test func neverAllowedIDsStayOut() throws {
        // id 1 special with bytes "a", id 2 absent, id 3 eos; padded mask width.
        let tokens: [(bytes: [UInt8], piece: String, flags: TokenFlags)?] = [
            (Array("a".utf8), "a", []), (Array("a".utf8), "<ctl>", .special), nil, (Array("</s>".utf8), "</s>", .special),
        ]
        let v = try Vocabulary(kind: .plain, source: "test", tokens: tokens, bosID: nil, eosIDs: [3], maskWidth: 70)
        var b = TestDFABuilder()
        let s = b.state(accepting: true)
        b.edge(s, 0, 255, s)
        let store = MaskStore(dfa: b.build(), vocabulary: v, mode: .eager)
        #expect(fill(store, 0).allowedIDs == [0, 3])
    }

    /// The deduplication hash samples a payload (`MaskStore.hash`: every fourth 8-byte word and
    /// the last), so two accept lists that differ only in an unsampled word hash alike; the store
    /// must still keep their masks apart. After `x` and `y` the lists are the same twelve
    /// one-letter tokens but for d/e, at positions 3 (an unsampled word).
    @Test func masksWhoseSampledHashesCollideStayDistinct() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let dfa = try RegexCompiler.compile("x[abcdfghijklm]|y[abcefghijklm]")
        func oneLetterTokens(_ letters: String) -> [Int32] {
            (0..<Int32(v.maskWidth)).filter { id in
                let b = v.bytes(of: Int(id))
                return v.isGrammarToken(Int(id)) && b.count == 1 && letters.utf8.contains(b[0])
            }
        }
        let afterX = oneLetterTokens("abcdfghijklm"), afterY = oneLetterTokens("abcefghijklm")
        #expect(afterX.count == 12 && afterY.count == 12 && afterX != afterY)
        func sampledHash(_ ids: [Int32]) -> UInt64 {
            ids.map { UInt32($0) }.withUnsafeBufferPointer { MaskStore.hash(.acceptList, $0) }
        }
        #expect(sampledHash(afterX) == sampledHash(afterY), "the two lists must collide for this test to mean anything")
        let store = MaskStore(dfa: dfa, vocabulary: v, mode: .lazy)
        #expect(fill(store, dfa.run(Array("x".utf8))).allowedIDs == afterX)
        #expect(fill(store, dfa.run(Array("y".utf8))).allowedIDs == afterY)
        #expect(store.statistics.distinctMasks == store.statistics.computedStates)
    }

    @Test func eagerEqualsLazy() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let dfa = TestDFAs.keywords
        let eager = MaskStore(dfa: dfa, vocabulary: v, mode: .eager)
        let lazy = MaskStore(dfa: dfa, vocabulary: v, mode: .lazy)
        #expect(lazy.statistics.computedStates == 0)
        for s in (0..<Int32(dfa.stateCount)).reversed() {
            #expect(fill(eager, s) == fill(lazy, s), "state \(s)")
        }
        #expect(eager.statistics == lazy.statistics)
    }

    @Test func concurrentLazyFillsAreCorrect() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        let dfa = TestDFAs.keywords
        let eager = MaskStore(dfa: dfa, vocabulary: v, mode: .eager)
        let expected = (0..<Int32(dfa.stateCount)).map { fill(eager, $0) }
        for round in 0..<3 {
            let lazy = MaskStore(dfa: dfa, vocabulary: v, mode: .lazy)
            let threads = 8
            let failures = FailureCounter()
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                // Each thread visits every state in its own order, so first visits race.
                let n = dfa.stateCount
                for k in 0..<n {
                    let s = Int32((k * (2 * t + 1) + t + round) % n)
                    var mask = TokenMask(width: v.maskWidth)
                    mask.words.withUnsafeMutableBufferPointer { lazy.fill(state: s, into: $0) }
                    if mask != expected[Int(s)] { failures.add() }
                }
            }
            #expect(failures.value == 0, "round \(round): \(failures.value) wrong masks")
            #expect(lazy.statistics == eager.statistics, "round \(round)")
        }
    }
}

/// Counts failures across threads.
final class FailureCounter: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}
