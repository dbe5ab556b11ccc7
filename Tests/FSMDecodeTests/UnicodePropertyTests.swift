@testable import FSMDecode
import Foundation
import Testing

/// `\p{…}` / `\P{…}` in regexes and JSON Schema patterns, against PCRE2's Unicode tables.
@Suite struct UnicodePropertyTests {
    /// Every BMP scalar with stride 3 and every 97th astral one (surrogates excluded).
    static let sample: [UInt32] = Array(stride(from: UInt32(0), through: 0xFFFF, by: 3)).filter { !(0xD800...0xDFFF).contains($0) }
        + Array(stride(from: UInt32(0x10000), through: 0x10FFFF, by: 97))

    @Test func generalCategoriesMatchPCRE2() throws {
        // Code points one side has not assigned yet (the two Unicode versions differ) are
        // left out; everything else must agree.
        let unassigned = try PCRE2Pattern(#"^\p{Cn}$"#, jit: false)
        for name in ["L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "Mc", "N", "Nd", "Nl", "No", "P", "Pd", "Ps", "Po",
                     "S", "Sm", "Sc", "Sk", "So", "Z", "Zs", "Cc", "Cf", "Co"] {
            let ours = CodePointSet(try #require(UnicodeProperties.ranges(name)))
            let oracle = try PCRE2Pattern("^\\p{\(name)}$", jit: false)
            var mismatches: [String] = []
            for v in Self.sample {
                let utf8 = Array(String(Unicode.Scalar(v)!).utf8)
                if unassigned.matchesWhole(utf8) || Unicode.Scalar(v)!.properties.generalCategory == .unassigned { continue }
                if ours.contains(v) != oracle.matchesWhole(utf8) { mismatches.append(String(v, radix: 16)) }
            }
            #expect(mismatches.count == 0, "\\p{\(name)} differs from PCRE2 at U+\(mismatches.prefix(8))")
        }
    }

    @Test func namesAndForms() throws {
        #expect(UnicodeProperties.ranges("Letter") == UnicodeProperties.ranges("L"))
        #expect(UnicodeProperties.ranges("gc=Lu") == UnicodeProperties.ranges("Uppercase_Letter"))
        #expect(UnicodeProperties.ranges("General_Category=Nd") == UnicodeProperties.ranges("digit"))
        #expect(UnicodeProperties.ranges("ASCII") == [0...0x7F])
        let alpha = CodePointSet(try #require(UnicodeProperties.ranges("Alphabetic")))
        #expect(alpha.contains(0xE9) && alpha.contains(0x3A9) && !alpha.contains(0x31) && UnicodeProperties.ranges("Alpha") == UnicodeProperties.ranges("Alphabetic"))
        let space = CodePointSet(try #require(UnicodeProperties.ranges("White_Space")))
        #expect(space.contains(0x20) && space.contains(0x3000) && !space.contains(0x41))
        #expect(UnicodeProperties.ranges("Foo") == nil && UnicodeProperties.ranges("gc=Alphabetic") == nil)
        #expect(UnicodeProperties.isScript("Script=Latin") && UnicodeProperties.isScript("sc=Grek"))
    }

    @Test func regexConstraints() throws {
        let dfa = try RegexCompiler.compile(#"^\p{Lu}\p{Ll}+\u{1F600}?$"#)
        for (text, ok) in [("Émile", true), ("Émile😀", true), ("émile", false), ("É", false), ("Ém1", false)] {
            #expect(dfa.matches(Array(text.utf8)) == ok, "\(text)")
        }
        let notLetters = try RegexCompiler.compile(#"^[\P{L}]+$"#)
        #expect(notLetters.matches(Array("12 !".utf8)) && !notLetters.matches(Array("1a".utf8)))
        for (pattern, message) in [(#"\p{sc=Greek}"#, "script"), (#"\p{Nope}"#, "unknown Unicode property"), (#"\p"#, "{Name}")] {
            do { _ = try RegexCompiler.compile(pattern); Issue.record("\(pattern) compiled") } catch let e as FSMDecodeError {
                #expect(e.message.contains(message), "\(pattern): \(e.message)")
            }
        }
    }

    @Test func schemaPatterns() throws {
        let c = try JSONSchemaTestSupport.compile(#"{"type":"string","pattern":"^[\\p{L}\\d_]+\\u{1F600}?$"}"#)
        let r = GrammarReferenceRecognizer(c.grammar)
        for (text, ok) in [(#""école_1""#, true), (#""Ωmega😀""#, true), (#""a b""#, false), (#""৪২""#, false)] {
            #expect(r.accepts(text) == ok, "\(text)")
        }
        do { _ = try JSONSchemaTestSupport.compile(#"{"pattern":"\\p{Script=Latin}"}"#); Issue.record("compiled") } catch let e as FSMDecodeError {
            #expect(e.message.contains("pattern at #: ") && e.message.contains("script"), "\(e.message)")
        }
    }
}
