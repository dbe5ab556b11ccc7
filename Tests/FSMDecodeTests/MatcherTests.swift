import FSMDecode
import Testing

/// Deterministic generator for random walks.
struct TestRNG {
    var state: UInt64
    mutating func next(_ n: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int((state >> 33) % UInt64(n))
    }
}

@Suite struct MatcherTests {
    private static let words: [String?] = ["a", "b", "c", "d", "e", "ab", "abc", "cd", "x", "abcd", "<eos>", nil, "ce"]
    private static let eos: Int32 = 10

    private func id(_ w: String) -> Int32 { Int32(Self.words.firstIndex(of: w)!) }

    private func smallMatcher(_ dfa: ByteDFA) throws -> RegexMatcher {
        let v = try plainVocabulary(Self.words, eos: [Self.eos], special: [10])
        return RegexConstraint(dfa: dfa, vocabulary: v, mode: .lazy).makeMatcher()
    }

    @Test func acceptRejectAndTermination() throws {
        var m = try smallMatcher(TestDFAs.abcDE)
        #expect(m.nextTokenMask().allowedIDs == [id("a"), id("ab"), id("abc"), id("abcd")])
        do { let ok = !m.accept(token: id("x")); #expect(ok) }
        do { let ok = !m.accept(token: Self.eos); #expect(ok, "EOS before a complete match") }
        do { let ok = !m.accept(token: 11); #expect(ok, "absent id") }
        do { let ok = !m.accept(token: -1) && !m.accept(token: 99); #expect(ok, "ids outside the mask width") }
        #expect(m.acceptedCount == 0 && m.state == TestDFAs.abcDE.start)
        do { let ok = m.accept(token: id("ab")); #expect(ok) }
        #expect(m.nextTokenMask().allowedIDs == [id("c"), id("cd"), id("ce")])
        #expect(!m.isAccepting && !m.isTerminated)
        do { let ok = m.accept(token: id("cd")); #expect(ok) }
        #expect(m.isAccepting && m.isTerminated, "nothing can follow abcd but EOS")
        #expect(m.nextTokenMask().allowedIDs == [Self.eos])
        #expect(m.forcedBytes().isEmpty)
        do { let ok = m.accept(token: Self.eos); #expect(ok) }
        #expect(m.isTerminated && m.isAccepting)
        #expect(m.nextTokenMask().isEmpty, "nothing after EOS")
        do { let ok = !m.accept(token: Self.eos) && !m.accept(bytes: []); #expect(ok) }
        m.rollback(1)
        #expect(m.nextTokenMask().allowedIDs == [Self.eos])
        m.rollback(2)
        #expect(m.acceptedCount == 0 && m.state == TestDFAs.abcDE.start)
        do { let ok = m.accept(token: id("abcd")); #expect(ok) }
        m.reset()
        #expect(m.acceptedCount == 0 && m.state == TestDFAs.abcDE.start && !m.isTerminated)
    }

    @Test func forcedBytesFollowTheOnlyContinuation() throws {
        var m = try smallMatcher(TestDFAs.abcDE)
        #expect(m.forcedBytes() == Array("abc".utf8))
        do { let ok = m.accept(token: id("a")); #expect(ok) }
        #expect(m.forcedBytes() == Array("bc".utf8))
        do { let ok = m.accept(bytes: Array("bc".utf8)); #expect(ok) }
        #expect(m.forcedBytes().isEmpty, "d or e: a choice")

        var n = try smallMatcher(TestDFAs.nameColon)
        #expect(n.forcedBytes() == Array("\"name\":".utf8))
        do { let ok = n.accept(bytes: Array("\"na".utf8)); #expect(ok) }
        #expect(n.forcedBytes() == Array("me\":".utf8))
        do { let ok = n.accept(bytes: Array("me\":".utf8)); #expect(ok) }
        #expect(n.isAccepting && n.forcedBytes().isEmpty, "accepting: the output may end here")

        let q = try smallMatcher(TestDFAs.quotedString)
        #expect(q.forcedBytes() == [UInt8(ascii: "\"")])
        let e = try smallMatcher(TestDFAs.emoji)
        #expect(e.forcedBytes() == [0xF0, 0x9F], "every emoji of U+1F600–U+1F64F starts F0 9F")
    }

    @Test func acceptBytesIsAllOrNothing() throws {
        var m = try smallMatcher(TestDFAs.nameColon)
        #expect(m.viablePrefixLength(Array("\"nam!".utf8)) == 4)
        do { let ok = !m.accept(bytes: Array("\"nam!".utf8)); #expect(ok) }
        #expect(m.acceptedCount == 0)
        #expect(m.viablePrefixLength(Array("\"name\": ".utf8)) == 8)
        do { let ok = m.accept(bytes: Array("\"name\": ".utf8)); #expect(ok) }
        #expect(m.acceptedCount == 1 && m.isAccepting)
    }

    /// accept(token:) agrees with the mask for every id, in several states of real vocabularies.
    @Test(arguments: ["llama2", "llama3"])
    func acceptAgreesWithMask(name: String) throws {
        guard let v = TestSupport.vocabulary(name) else { return }
        let c = RegexConstraint(dfa: TestDFAs.number, vocabulary: v, mode: .lazy)
        for prefix in ["", "-", "0", "12", "1234", "3.", "3.14"] {
            var m = c.makeMatcher()
            do { let ok = m.accept(bytes: Array(prefix.utf8)); #expect(ok, "prefix \(prefix)") }
            let mask = m.nextTokenMask()
            let stride = TestSupport.fullSuites ? 1 : 7
            for id in Swift.stride(from: Int32(0), to: Int32(v.maskWidth), by: stride) {
                var copy = m
                do { let ok = copy.accept(token: id) == mask.contains(id); #expect(ok, "\(name) prefix \(prefix.debugDescription) id \(id)") }
            }
            for e in v.eosIDs { #expect(mask.contains(e) == m.isAccepting, "EOS iff accepting after \(prefix.debugDescription)") }
        }
    }

    /// Random walks over real vocabularies: rolling back to any earlier point gives the same
    /// state, flags and mask as replaying the tokens up to that point.
    @Test func rollbackEqualsReplay() throws {
        guard let v = TestSupport.vocabulary("llama3") else { return }
        var rng = TestRNG(state: 7)
        for (pattern, dfa) in [("quoted", TestDFAs.quotedString), ("number", TestDFAs.number), ("keywords", TestDFAs.keywords)] {
            let c = RegexConstraint(dfa: dfa, vocabulary: v, mode: .lazy)
            var m = c.makeMatcher()
            var tokens: [Int32] = []
            var masks: [TokenMask] = [m.nextTokenMask()]
            var accepting: [Bool] = [m.isAccepting]
            for _ in 0..<12 {
                let allowed = masks.last!.allowedIDs.filter { !v.eosIDs.contains($0) }
                if allowed.isEmpty { break }
                let t = allowed[rng.next(allowed.count)]
                do { let ok = m.accept(token: t); #expect(ok) }
                tokens.append(t)
                masks.append(m.nextTokenMask())
                accepting.append(m.isAccepting)
            }
            #expect(tokens.count >= 2, "\(pattern): the walk should make progress")
            for k in stride(from: tokens.count, through: 0, by: -1) {
                var rolled = m
                rolled.rollback(tokens.count - k)
                var replay = c.makeMatcher()
                for t in tokens[..<k] { let ok = replay.accept(token: t); #expect(ok) }
                #expect(rolled.state == replay.state && rolled.acceptedCount == k, "\(pattern) rollback to \(k)")
                #expect(rolled.isAccepting == accepting[k] && replay.isAccepting == accepting[k])
                do { let ok = rolled.nextTokenMask() == masks[k]; #expect(ok, "\(pattern) mask after rollback to \(k)") }
            }
            m.reset()
            #expect(m.acceptedCount == 0 && m.nextTokenMask() == masks[0])
        }
    }
}
