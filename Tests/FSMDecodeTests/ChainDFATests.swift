import Testing
@testable import FSMDecode

/// `ParseTables.chainDFA` builds ASCII literals and bounded runs of an ASCII class directly;
/// each must be the canonical DFA the regex compiler builds for the same pattern (`==`), on
/// hand-picked and seeded random patterns.
@Suite struct ChainDFATests {
    static func viaRegexCompiler(_ p: TerminalPattern) throws -> ByteDFA? {
        try RegexCompiler.compile(try ParseTables.regexAST(p, where: "test", options: RegexOptions()))
    }

    @Test func equalsTheRegexCompilersDFA() throws {
        let ws: [ClosedRange<UInt32>] = [9...10, 13...13, 32...32]
        var patterns: [TerminalPattern] = [
            .literal([]), .literal(Array("{".utf8)), .literal(Array("null".utf8)), .literal(Array("aaa".utf8)),
            .literal(Array("\u{0}\u{7F}".utf8)),
            .repetition(.codePointClass(ws), min: 0, max: 20), .repetition(.codePointClass(ws), min: 0, max: 0),
            .repetition(.codePointClass(ws), min: 3, max: 3), .repetition(.codePointClass([0...0x7F]), min: 1, max: 4),
            .repetition(.codePointClass([0...0]), min: 0, max: 2), .repetition(.codePointClass([0x7F...0x7F]), min: 2, max: 5),
        ]
        var seed: UInt64 = 0x5EED
        func next(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) % n }
        for _ in 0 ..< 200 {
            patterns.append(.literal((0 ..< next(12)).map { _ in UInt8(next(4) == 0 ? next(128) : 97 + next(4)) }))
            var ranges: [ClosedRange<UInt32>] = []
            var lo = UInt32(next(40))
            while lo < 128, ranges.count < 4 {
                let hi = min(127, lo + UInt32(next(20)))
                ranges.append(lo...hi)
                lo = hi + 2 + UInt32(next(30))
            }
            let m = next(6)
            patterns.append(.repetition(.codePointClass(ranges), min: m, max: m + next(30)))
        }
        for p in patterns {
            let direct = try #require(ParseTables.chainDFA(p, options: RegexOptions()), "\(p)")
            let general = try #require(try Self.viaRegexCompiler(p))
            let same = direct == general
            #expect(same, "\(p)")
        }
        // Not chains: left to the general path.
        #expect(ParseTables.chainDFA(.literal(Array("é".utf8)), options: RegexOptions()) == nil)
        #expect(ParseTables.chainDFA(.repetition(.codePointClass(ws), min: 0, max: nil), options: RegexOptions()) == nil)
        #expect(ParseTables.chainDFA(.repetition(.codePointClass([0x20...0x80]), min: 0, max: 3), options: RegexOptions()) == nil)
        var small = RegexOptions()
        small.maxStates = 10
        #expect(ParseTables.chainDFA(.repetition(.codePointClass(ws), min: 0, max: 20), options: small) == nil)
    }
}
