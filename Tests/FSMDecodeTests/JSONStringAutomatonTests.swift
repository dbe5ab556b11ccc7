@testable import FSMDecode
import Foundation
import Testing

/// `JSONStringAutomaton.byteDFA`: the byte DFA of a code-point automaton's JSON strings, against
/// decoding each string (json-c) and running the automaton on the value.
@Suite struct JSONStringAutomatonTests {
    /// Characters the languages below use, with every spelling a generator may pick.
    static let chars: [UInt32] = [0x61, 0x62, 0x63, 0xE9, 0x1F600, 0x22, 0x5C, 0x0A, 0x2F, 0x7A]

    static func spell(_ c: UInt32, _ rng: inout SeededRNG) -> String {
        func u(_ v: UInt32) -> String {
            let hex = String(format: "%04x", v)
            return "\\u" + (Bool.random(using: &rng) ? hex : hex.uppercased())
        }
        let shorts: [UInt32: String] = [0x22: "\\\"", 0x5C: "\\\\", 0x0A: "\\n", 0x2F: "\\/"]
        if c > 0xFFFF {
            let a = c - 0x10000
            return Bool.random(using: &rng) ? String(Unicode.Scalar(c)!) : u(0xD800 + (a >> 10)) + u(0xDC00 + (a & 0x3FF))
        }
        switch Int.random(in: 0..<3, using: &rng) {
        case 0 where c >= 0x20 && c != 0x22 && c != 0x5C: return String(Unicode.Scalar(c)!)
        case 1 where shorts[c] != nil: return shorts[c]!
        default: return u(c)
        }
    }

    /// Each language with the characters its sample strings are drawn from.
    static func languages() throws -> [(CodePointDFA, [UInt32])] {
        func cls(_ c: UInt32) -> CodePointRegex { .cls([c...c]) }
        let regexes: [(CodePointRegex, Int, Int?, [UInt32])] = [
            // (ab|c)* within 0...12 characters: a cycle times a counter.
            (.rep(.alt([.seq([cls(0x61), cls(0x62)]), cls(0x63)]), 0, nil), 0, 12, [0x61, 0x62, 0x63, 0xE9]),
            // Anything with an é then an emoji, 2...9 characters.
            (.seq([.rep(.any, 0, nil), cls(0xE9), .rep(.any, 0, nil), cls(0x1F600), .rep(.any, 0, nil)]), 2, 9, [0x61, 0xE9, 0x1F600, 0x22]),
            // Quotes, backslashes and newlines alternating with letters, any length.
            (.rep(.seq([.cls([0x22...0x22, 0x5C...0x5C, 0x0A...0x0A]), .cls([0x61...0x63])]), 1, nil), 0, nil, [0x22, 0x5C, 0x0A, 0x61, 0x62, 0x2F]),
        ]
        return try regexes.map { r, lo, hi, chars in
            let alphabet = CodePointAlphabet([r, .any])
            return (try CodePointDFA(r, alphabet: alphabet).combined(CodePointDFA.lengths(lo, hi, alphabet: alphabet), .and).minimized(), chars)
        }
    }

    @Test func byteDFAMatchesDecodingAndTheAutomaton() throws {
        var rng = SeededRNG(seed: 0x5EED_A070)
        for (d, chars) in try Self.languages() {
            let a = JSONStringAutomaton(d)
            let dfa = try #require(try a.byteDFA(options: RegexOptions(), description: "<test>"))
            var accepted = 0, mismatches: [String] = []
            for n in 0 ..< 3000 {
                var value: [UInt32] = []
                for _ in 0 ..< Int.random(in: 0...12, using: &rng) { value.append(chars.randomElement(using: &rng)!) }
                var text = "\"" + value.map { Self.spell($0, &rng) }.joined() + "\""
                if n % 3 == 0, !text.isEmpty {
                    // A mutation: a byte dropped or a character inserted anywhere.
                    var s = Array(text.unicodeScalars)
                    let k = Int.random(in: 0..<s.count, using: &rng)
                    if Bool.random(using: &rng) { s.remove(at: k) } else { s.insert(Unicode.Scalar(Self.chars.randomElement(using: &rng)!)!, at: k) }
                    text = String(String.UnicodeScalarView(s))
                }
                let expected: Bool
                // One JSON string token: quotes at both ends, no whitespace around.
                if text.hasPrefix("\""), text.hasSuffix("\""), case .string(let v)? = try? JSONInstance.parse(Array(text.utf8), source: "<test>") {
                    // json-c decodes a lone surrogate escape to U+FFFD; JSON strings with one
                    // are never accepted (the samples never use U+FFFD itself).
                    let scalars = v.unicodeScalars.map(\.value)
                    expected = !scalars.contains(0xFFFD) && a.accepts(scalars)
                } else { expected = false }
                let got = dfa.matches(Array(text.utf8))
                if got { accepted += 1 }
                if got != expected { mismatches.append(text) }
                // Every prefix of an accepted text stays alive (the DFA is trimmed).
                if got { #expect(dfa.run(Array(text.utf8).dropLast()) != ByteDFA.dead) }
            }
            #expect(mismatches.count == 0, "\(d.count) states: \(mismatches.prefix(5))")
            #expect(accepted > 20, "the sample should reach accepted strings (\(accepted))")
        }
    }

    /// A schema whose pattern-within-bounds automaton has no small regex compiles to one
    /// terminal, and masks over the real runtime agree with the reference recognizer.
    @Test func schemaUsesOneTerminal() throws {
        let schema = #"{"type":"string","pattern":"^(ab|c|\\u00e9)*$","minLength":3,"maxLength":40}"#
        let c = try JSONSchemaTestSupport.compile(schema)
        #expect(c.grammar.terminals.contains { if case .jsonStringAutomaton = $0.pattern { return true }; return false })
        let constraint = try Constraint.compile(grammar: c.grammar, vocabulary: ToolTest.bytes)
        let reference = GrammarReferenceRecognizer(c.grammar)
        for text in [#""abc""#, #""c\u00e9ab""#, #""\u0061bc""#, #""ab""#, #""abcc" "#, #""ba c""#, #""cccccccccccccccccccccccccccccccccccccccc""#,
                     #""ccccccccccccccccccccccccccccccccccccccccc""#] {
            #expect(ToolTest.accepts(constraint, text) == reference.accepts(text), "\(text)")
        }
    }
}
