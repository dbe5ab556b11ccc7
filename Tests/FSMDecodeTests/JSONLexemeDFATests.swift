@testable import FSMDecode
import Testing

/// The prebuilt DFAs of JSON's any-string and any-number lexemes must be exactly what the
/// regex compiler builds from their patterns (canonical minimal DFAs compare equal).
@Suite struct JSONLexemeDFATests {
    @Test func prebuiltDFAsEqualTheCompiledOnes() throws {
        for (name, pattern, prebuilt) in [("anyString", JSONLexemes.anyString, JSONLexemes.anyStringDFA),
                                          ("anyNumber", JSONLexemes.anyNumber, JSONLexemes.anyNumberDFA)] {
            let ast = try ParseTables.spelledRegexAST(pattern, where: name, options: RegexOptions())
            let compiled = try #require(try RegexCompiler.compile(ast, options: RegexOptions(), description: name))
            #expect(compiled == prebuilt, """
                \(name): the prebuilt table is stale; JSONLexemeDFAs.swift needs:
                stateCount: \(compiled.stateCount), start: \(compiled.start), classCount: \(compiled.classCount)
                byteClass: \(compiled.byteClass)
                table: \(compiled.table)
                accepting: \(compiled.accepting)
                """)
            // The terminal path takes it.
            #expect(JSONLexemes.prebuiltDFA(pattern) == prebuilt)
            if case .automaton(let d) = try ParseTables.regexAST(pattern, where: name, options: RegexOptions()) {
                #expect(d == prebuilt)
            } else {
                Issue.record("\(name): regexAST did not take the prebuilt DFA")
            }
        }
    }

    @Test func otherPatternsAreNotPrebuilt() {
        let bounded = TerminalPattern.sequence([.literal([0x22]), .repetition(JSONLexemes.anyJSONChar, min: 0, max: 8), .literal([0x22])])
        #expect(JSONLexemes.prebuiltDFA(bounded) == nil)
        #expect(JSONLexemes.prebuiltDFA(.literal(Array("\"\"".utf8))) == nil)
        #expect(JSONLexemes.prebuiltDFA(JSONLexemes.anyJSONChar) == nil)
    }

    /// Under a budget smaller than the DFA the pattern is compiled as before (and fails the
    /// same way a user terminal would).
    @Test func aTinyBudgetStillApplies() throws {
        var options = RegexOptions()
        options.maxStates = 5
        let ast = try ParseTables.regexAST(JSONLexemes.anyString, where: "anyString", options: options)
        if case .automaton = ast { Issue.record("the prebuilt DFA ignored the state budget") }
    }
}
