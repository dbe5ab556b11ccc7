import Testing
@testable import FSMDecode

/// The NFA construction shares states (hash-consing, per-set templates) and reduces
/// empty-string-only subtrees to `.empty`: languages and budgets must not change.
@Suite struct RegexNFASharingTests {
    /// Nested repetitions of a body that matches only the empty string: with shared states
    /// every copy would be free, so such bodies are reduced to the empty string (the language
    /// is ε either way) instead of being looped over 10^12 times.
    @Test func emptyOnlyRepetitionsAreTheEmptyString() throws {
        for pattern in ["(?:(?:(?:){0,10000}){0,10000}){0,10000}", "(?:(?:|(?:)){5,10000}){10000}", "a(?:(?:)*){3}b"] {
            let d = try RegexTestKit.dfa(pattern)
            let expected = try RegexTestKit.dfa(pattern.hasPrefix("a") ? "ab" : "(?:)")
            #expect(d == expected, "\(pattern)")
        }
    }

    /// An alternation with no alternatives (only buildable as an AST) matches nothing.
    @Test func emptyAlternationMatchesNothing() throws {
        #expect(try RegexCompiler.compile(.alternation([])) == nil)
        let ab = try #require(try RegexCompiler.compile(.concat([.literal("a"), .alternation([.alternation([]), .literal("b")])])))
        #expect(ab == (try RegexTestKit.dfa("ab")))
    }

    /// One class repeated many times (each occurrence its own storage, as the JSON Schema
    /// compiler makes them) and multi-byte classes in many contexts: same DFA as the textual
    /// pattern, and the NFA budget still counts unshared copies.
    @Test func sharedClassesKeepLanguagesAndBudgets() throws {
        let cls = { RegexAST.scalars(CodePointSet([0x20 ... 0x21, 0x23 ... 0x5B, 0x5D ... 0x10FFFF])) }
        let ast = RegexAST.concat((0 ..< 50).map { _ in .alternation([cls(), .literal("\\u00e9"), .literal("é")]) })
        let d = try #require(try RegexCompiler.compile(ast))
        let text = String(repeating: "(?:[^\\x00-\\x1f\"\\\\]|\\\\u00e9|é)", count: 50)
        #expect(d == (try RegexTestKit.dfa(text)))
        // a{100}{100}{100} needs 10^6 states before any sharing: still refused under a smaller NFA budget.
        let big = RegexAST.repetition(.repetition(.repetition(.literal("a"), min: 100, max: 100), min: 100, max: 100), min: 100, max: 100)
        #expect(throws: FSMDecodeError.self) { try RegexCompiler.compile(big, options: RegexOptions(maxNFAStates: 999_999)) }
    }
}
