@testable import FSMDecode
import Foundation
import Testing

/// `multipleOf`: the remainder automaton (`ByteDFA.decimalNonMultiples` under
/// `TerminalPattern.multipleOf`) and the schema keyword, judged by integer arithmetic.
@Suite struct MultipleOfTests {
    /// Every literal `-?(0|[1-9][0-9]{0,2})(\.[0-9]{1,3})?` (trailing zeros included), with its
    /// value as an integer count of thousandths.
    static let literals: [(text: String, thousandths: Int)] = {
        var fractions: [(String, Int)] = [("", 0)]
        for len in 1...3 {
            var unit = 1
            for _ in len ..< 3 { unit *= 10 }
            for v in 0 ..< Int(pow(10, Double(len))) {
                let digits = String(v)
                fractions.append(("." + String(repeating: "0", count: len - digits.count) + digits, v * unit))
            }
        }
        var out: [(String, Int)] = []
        for i in 0 ... 120 {
            for (f, t) in fractions where i % 7 == 0 || f.count <= 3 {
                out.append(("\(i)" + f, i * 1000 + t))
                out.append(("-\(i)" + f, -(i * 1000 + t)))
            }
        }
        return out
    }()

    /// x (thousandths) is a multiple of factor × 10^-scale: x × 10^scale / 1000 = k × factor.
    static func isMultiple(thousandths x: Int, factor: Int, scale: Int) -> Bool {
        var lhs = x
        for _ in 0 ..< scale { lhs *= 10 }
        return lhs % (factor * 1000) == 0
    }

    @Test func remainderAutomatonMatchesArithmetic() throws {
        let numbers = JSONLexemes.decimalRange(lo: nil, hi: nil)
        for (factor, scale) in [(1, 0), (2, 0), (3, 0), (7, 0), (20, 0), (1, 2), (5, 2), (15, 1), (25, 3), (1, 1), (12, 1), (9, 4)] {
            let pattern = TerminalPattern.multipleOf(numbers, factor: factor, scale: scale)
            let dfa = try #require(try ParseTables.compileTerminal(pattern, where: "<test>", options: RegexOptions(), description: "<test>"))
            var mismatches: [String] = []
            for (text, x) in Self.literals where dfa.matches(Array(text.utf8)) != Self.isMultiple(thousandths: x, factor: factor, scale: scale) {
                mismatches.append(text)
            }
            #expect(mismatches.count == 0, "multiple of \(factor)e-\(scale): wrong on \(mismatches.prefix(10))")
            // Exponents are outside the pattern; the DFA is trimmed, so a live prefix completes.
            #expect(!dfa.matches(Array("1e3".utf8)) && !dfa.matches(Array("".utf8)) && !dfa.matches(Array("-".utf8)))
        }
    }

    @Test func decimalArithmetic() throws {
        func d(_ s: String) -> SchemaDecimal { SchemaDecimal(text: s)! }
        for (m, factor, scale) in [("0.05", 5, 2), ("20", 20, 0), ("1.5", 15, 1), ("1e-8", 1, 8), ("2.50", 25, 1)] {
            let p = try #require(d(m).multipleParts(limit: 1000))
            #expect(p.factor == factor && p.scale == scale, "\(m)")
        }
        #expect(d("123456").multipleParts(limit: 1000) == nil)
        for (text, x) in Self.literals where x % 7 == 0 || x % 10 == 0 {
            for (m, factor, scale) in [("0.25", 25, 2), ("3", 3, 0), ("0.1", 1, 1), ("1.2", 12, 1)] {
                #expect(d(text).isMultiple(of: d(m)) == Self.isMultiple(thousandths: x, factor: factor, scale: scale), "\(text) mod \(m)")
            }
        }
        // lcm: a value is a multiple of both exactly when it is one of the lcm.
        for (a, b, l) in [("4", "6", "12"), ("0.5", "0.2", "1"), ("1.5", "0.25", "1.5"), ("0.3", "0.25", "1.5"), ("0.01", "3", "3"), ("7", "7", "7")] {
            let got = try #require(SchemaDecimal.leastCommonMultiple(d(a), d(b)))
            #expect(got == d(l), "lcm(\(a), \(b)) = \(got.plainText)")
            for (text, _) in Self.literals.prefix(4000) {
                let x = d(text)
                #expect((x.isMultiple(of: d(a))! && x.isMultiple(of: d(b))!) == x.isMultiple(of: got)!, "\(text): lcm(\(a), \(b))")
            }
        }
        #expect(SchemaDecimal.leastCommonMultiple(d("0"), d("2")) == nil)
    }

    /// The schema keyword through the reference recognizer (arithmetic on each literal) and
    /// through the compiled constraint (the automaton), which must agree.
    func check(_ schema: String, accept: [String], reject: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let compiled = try JSONSchemaTestSupport.compile(schema)
        let reference = GrammarReferenceRecognizer(compiled.grammar)
        let constraint = try Constraint.compile(grammar: compiled.grammar, vocabulary: ToolTest.bytes)
        for a in accept {
            #expect(reference.accepts(a) && ToolTest.accepts(constraint, a), "\(schema) should accept \(a)", sourceLocation: sourceLocation)
        }
        for x in reject {
            #expect(!reference.accepts(x) && !ToolTest.accepts(constraint, x), "\(schema) should reject \(x)", sourceLocation: sourceLocation)
        }
    }

    @Test func keyword() throws {
        try check(#"{"type":"integer","multipleOf":7}"#, accept: ["0", "7", "-14", "700", "21.0", "-0"], reject: ["1", "15", "7.5", "7e0", "70.01"])
        try check(#"{"type":"number","multipleOf":0.01,"minimum":0,"maximum":100}"#,
                  accept: ["0", "19.99", "0.1", "0.10", "100", "99.990"], reject: ["19.999", "-0.01", "100.01", "1e1", "0.001"])
        try check(#"{"multipleOf":1.5}"#, accept: ["0", "4.5", "-4.5", "3", "1.50", "null", #""x""#], reject: ["35", "4.6", "1"])
        // Every integer is a multiple of 1e-8; an integer multiple of an integer is an integer.
        try check(#"{"type":"integer","multipleOf":1e-8}"#, accept: ["12391239123", "-3"], reject: ["0.5"])
        try check(#"{"type":"number","multipleOf":2}"#, accept: ["10", "10.0"], reject: ["7", "10.5"])
        // exclusive bounds and excluded values split the range; the multiple applies to each part.
        try check(#"{"type":"integer","multipleOf":5,"exclusiveMinimum":0,"not":{"const":10}}"#, accept: ["5", "15"], reject: ["0", "10", "-5", "12"])
    }

    @Test func negationAndMerges() throws {
        // allOf: multiples of both are multiples of the lcm.
        try check(#"{"allOf":[{"multipleOf":4},{"multipleOf":6}],"type":"integer"}"#, accept: ["12", "24", "-36"], reject: ["4", "6", "18"])
        try check(#"{"allOf":[{"multipleOf":0.5},{"multipleOf":0.2}]}"#, accept: ["1", "2.0", "-3"], reject: ["0.5", "0.2", "1.5"])
        // not: numbers that are not multiples (values of other types satisfy multipleOf).
        try check(#"{"type":"integer","not":{"multipleOf":3}}"#, accept: ["1", "2", "-4", "100"], reject: ["0", "3", "-9", "3.0"])
        try check(#"{"not":{"multipleOf":0.5}}"#, accept: ["0.25", "1.1"], reject: ["0.5", "1", "2.50", "true", #""a""#])
        // Not an integer: other types, or numbers with a nonzero fraction; so oneOf can tell an
        // integer branch from a number branch.
        try check(#"{"not":{"type":"integer"}}"#, accept: ["1.5", "0.25", "null", #""a""#], reject: ["1", "1.0", "-2"])
        try check(#"{"oneOf":[{"type":"integer"},{"type":"number","minimum":0}]}"#, accept: ["-1", "0.5", "-1.0"], reject: ["1", "0", "-0.5"])
        // Both: multiples of 3 that are not multiples of 9.
        try check(#"{"multipleOf":3,"not":{"multipleOf":9},"minimum":0}"#, accept: ["3", "6", "12"], reject: ["0", "9", "18", "4"])
        // enum/const values are decided by arithmetic.
        try check(#"{"enum":[1,1.5,3,4.5,6],"multipleOf":1.5}"#, accept: ["1.5", "3", "4.5", "6"], reject: ["1"])
        try check(#"{"const":6,"not":{"multipleOf":4}}"#, accept: ["6"], reject: [])
        try check(#"{"enum":[8,6],"not":{"multipleOf":4}}"#, accept: ["6"], reject: ["8"])
    }

    @Test func refusals() throws {
        for (schema, pointer) in [(#"{"multipleOf":0.123456789}"#, "#"), (#"{"properties":{"a":{"multipleOf":0}}}"#, "#/properties/a"),
                                  (#"{"multipleOf":-2}"#, "#"), (#"{"not":{"multipleOf":123457}}"#, "#/not")] {
            do {
                _ = try JSONSchemaTestSupport.compile(schema)
                Issue.record("\(schema) compiled")
            } catch let e as FSMDecodeError {
                #expect(e.message.contains("at \(pointer):") && (e.message.contains("multipleOf")), "\(schema): \(e.message)")
            }
        }
        // Lenient: relaxed with a warning.
        let lenient = try JSONSchemaTestSupport.compile(#"{"multipleOf":0.123456789}"#, lenient: true)
        #expect(lenient.warnings.contains { $0.contains("multipleOf") })
    }

    /// A schema whose branches include empty languages (MaskBench's Handwritten---allany4:
    /// the `not` branches leave no number for some terms) is regular but too big to be one
    /// terminal: its layout keeps rules, meets a terminal that matches nothing, and is redone
    /// with every regular rule collapsed, where the empty branch drops out of the DFA.
    @Test func emptyBranchesOfBigRegularSchemasDropOut() throws {
        let schema = #"""
        {"type": "number", "allOf": [{"minimum": 1}, {"$ref": "#/definitions/any1"}, {"$ref": "#/definitions/any2"},
         {"$ref": "#/definitions/any3"}, {"not": {"multipleOf": 8}}],
         "definitions": {"any1": {"anyOf": [{"multipleOf": 3}, {"multipleOf": 5}, {"multipleOf": 7}]},
          "any2": {"anyOf": [{"allOf": [{"not": {"multipleOf": 5}}, {"not": {"multipleOf": 7}}]}, {"multipleOf": 24}]},
          "any3": {"anyOf": [{"not": {"multipleOf": 8}}, {"multipleOf": 11}]}}}
        """#
        for whitespace in [JSONSchemaOptions.Whitespace.compact, .flexible(maxRun: 20)] {
            let g = try JSONSchemaTestSupport.compile(schema, whitespace).grammar
            let c = try Constraint.compile(grammar: g, vocabulary: ToolTest.bytes)
            for valid in ["3", "6", "9", "33", "3.0", "99"] { #expect(ToolTest.accepts(c, valid), "\(valid) rejected") }
            for invalid in ["0", "1", "5", "21", "24", "48", "-3", "35"] { #expect(!ToolTest.accepts(c, invalid), "\(invalid) accepted") }
        }
    }

    /// A required member with no possible value (a number that is and is not a multiple of 3)
    /// empties the whole language: an error, not a constraint that accepts nothing — whether
    /// the schema is one DFA or rules whose collapsed parts came out empty.
    @Test func schemasWithNoInstanceAreErrors() throws {
        let members = (0 ..< 8).map { "\"m\($0)\": {\"type\": \"string\"}" }.joined(separator: ", ")
        for extra in ["", members + ", "] {
            let schema = #"{"type": "object", "properties": {"# + extra + #""x": {"type": "number", "allOf": [{"multipleOf": 3}, {"not": {"multipleOf": 3}}]}}, "required": ["x"]}"#
            for whitespace in [JSONSchemaOptions.Whitespace.compact, .flexible(maxRun: 20)] {
                let g = try JSONSchemaTestSupport.compile(schema, whitespace).grammar
                #expect(throws: FSMDecodeError.self) { _ = try Constraint.compile(grammar: g, vocabulary: ToolTest.bytes) }
                do { _ = try Constraint.compile(grammar: g, vocabulary: ToolTest.bytes) } catch let e as FSMDecodeError {
                    #expect(e.message.contains("matches no string"), "\(e.message)")
                }
            }
        }
    }
}
