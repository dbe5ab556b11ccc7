import Testing
@testable import FSMDecode

/// `ByteDFA.commonByteClasses` (a lexer's, a composition's byte classes) against the definition:
/// two bytes share a class iff they share one in every DFA, classes numbered by first byte.
/// Seeded random mixes of DFAs with few bytes outside their most common class (a literal's),
/// with many (random classes, ranges), and with a single class, in long runs that force the
/// sparse class ids to be renumbered between steps.
@Suite struct ByteClassRefinementTests {
    /// The refinement by definition: each byte's signature is its class in every DFA.
    static func expected(_ dfas: [ByteDFA?]) -> [UInt8] {
        var ids: [[UInt8]: UInt8] = [:]
        var out = [UInt8](repeating: 0, count: 256)
        for b in 0..<256 {
            let signature = dfas.compactMap { $0?.byteClass[b] }
            if ids[signature] == nil { ids[signature] = UInt8(ids.count) }
            out[b] = ids[signature]!
        }
        return out
    }

    /// A one-state DFA with the given byte classes (numbered by first byte, as DFAs' are).
    static func dfa(classes raw: [Int]) -> ByteDFA {
        var number: [Int: UInt8] = [:]
        let byteClass = raw.map { c -> UInt8 in
            if number[c] == nil { number[c] = UInt8(number.count) }
            return number[c]!
        }
        let k = number.count
        return ByteDFA(stateCount: 1, start: 0, byteClass: byteClass, classCount: k,
                       table: [Int32](repeating: ByteDFA.dead, count: k), accepting: [true])
    }

    @Test func equalsTheDefinitionOnRandomMixes() {
        var seed: UInt64 = 0xC1A55
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) % n }
        var fewSteps = 0, manySteps = 0
        for round in 0..<300 {
            var dfas: [ByteDFA?] = []
            for _ in 0..<(1 + next(round % 10 == 0 ? 120 : 12)) {
                switch next(8) {
                case 0: dfas.append(nil)
                case 1: dfas.append(Self.dfa(classes: [Int](repeating: 0, count: 256)))
                case 2:  // many bytes outside the common class
                    let k = 2 + next(6)
                    dfas.append(Self.dfa(classes: (0..<256).map { _ in next(k) }))
                case 3:  // ranges, as regex classes make them
                    var raw = [Int](repeating: 0, count: 256)
                    for r in 0..<(1 + next(4)) {
                        let lo = next(256), hi = min(255, lo + next(40))
                        for b in lo...hi { raw[b] = r + 1 }
                    }
                    dfas.append(Self.dfa(classes: raw))
                default:  // a literal's or keyword's few bytes, possibly sharing classes
                    var raw = [Int](repeating: 0, count: 256)
                    let few = 1 + next(next(4) == 0 ? 300 : 8)
                    for _ in 0..<few { raw[next(4) == 0 ? next(256) : 97 + next(26)] = 1 + next(3) }
                    dfas.append(Self.dfa(classes: raw))
                }
                if let d = dfas.last!, d.classCount > 1 { if d.minorityBytes.count < 128 { fewSteps += 1 } else { manySteps += 1 } }
            }
            let (classes, count) = ByteDFA.commonByteClasses(dfas)
            let want = Self.expected(dfas)
            #expect(classes == want, "round \(round): \(dfas.count) DFAs")
            #expect(count == Int(want.max()!) + 1, "round \(round)")
        }
        #expect(fewSteps > 500 && manySteps > 100, "few and many bytes split off: \(fewSteps) few, \(manySteps) many")
    }

    @Test func minorityBytesAreTheBytesOutsideTheMostCommonClass() {
        let literal = ByteDFA.literal(Array("name".utf8))
        #expect(literal.minorityBytes == Array("aemn".utf8))
        // The most common class is left out; of equally common ones, the first.
        let thirds = Self.dfa(classes: (0..<256).map { $0 % 3 })
        #expect(thirds.minorityBytes == (0..<256).filter { $0 % 3 == 1 }.map(UInt8.init) + (0..<256).filter { $0 % 3 == 2 }.map(UInt8.init))
        let halves = Self.dfa(classes: (0..<256).map { $0 < 128 ? 0 : 1 })
        #expect(halves.minorityBytes == (128..<256).map(UInt8.init))
        // Grouped by class, then by byte.
        let split = Self.dfa(classes: (0..<256).map { $0 == 7 || $0 == 200 ? 1 : $0 == 100 ? 2 : 0 })
        #expect(split.minorityBytes == [7, 200, 100])
        let one = Self.dfa(classes: [Int](repeating: 0, count: 256))
        #expect(one.minorityBytes.isEmpty)
    }
}
