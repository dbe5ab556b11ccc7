import Synchronization

/// The code-point classes of `\p{…}` in ECMA patterns (JSON Schema patterns use Unicode
/// semantics): General_Category values by short or long name (`L`, `Letter`, `Nd`,
/// `Decimal_Number`, also as `gc=…` / `General_Category=…`), and the binary properties `Any`,
/// `ASCII`, `Assigned`, `Alphabetic`, `White_Space`, `Uppercase`, `Lowercase`. Read from the
/// Swift runtime's Unicode tables (so its Unicode version), in one pass over every scalar on
/// first use (~60 ms release for the categories; the binary properties take a second pass on
/// their first use), then kept for the process. Scripts are not available.
enum UnicodeProperties {
    /// The class a property name stands for (normalized ranges), or nil when the name is unknown.
    static func ranges(_ name: String) -> [ClosedRange<UInt32>]? {
        var key = name
        for prefix in ["General_Category=", "gc="] where key.hasPrefix(prefix) { key = String(key.dropFirst(prefix.count)) }
        if let cats = categoryNames[key] {
            let table = categories
            return TerminalPattern.normalizeClass(cats.flatMap { table[$0] ?? [] })
        }
        if name != key { return nil }
        if key == "Any" { return TerminalPattern.anyScalar }
        if key == "ASCII" { return [0...0x7F] }
        return binary[key]
    }

    /// Whether `name` is a script property (`Script=…`, `sc=…`, `Script_Extensions=…`), which
    /// the Swift runtime does not expose.
    static func isScript(_ name: String) -> Bool {
        ["Script=", "sc=", "Script_Extensions=", "scx="].contains { name.hasPrefix($0) }
    }

    /// The class of the escape `\p{name}` (or `\P{name}` when `negated`), or why there is none:
    /// what both regex parsers report, each in its own error form.
    static func escape(_ name: String, negated: Bool) -> Result<[ClosedRange<UInt32>], EscapeFailure> {
        let written = "\\\(negated ? "P" : "p"){\(name)}"
        if isScript(name) {
            return .failure(EscapeFailure(why: "Unicode script property '\(written)' is not supported (general categories and Any, ASCII, Assigned, Alphabetic, White_Space, Uppercase, Lowercase are)"))
        }
        guard let ranges = ranges(name) else { return .failure(EscapeFailure(why: "unknown Unicode property '\(written)'")) }
        return .success(negated ? TerminalPattern.normalizeClass(ranges, negated: true) : ranges)
    }

    struct EscapeFailure: Error { let why: String }

    private typealias GC = Unicode.GeneralCategory

    /// Short and long value names (and the aliases UTS #18 lists) to their categories.
    private static let categoryNames: [String: [GC]] = {
        let letters: [GC] = [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter]
        let marks: [GC] = [.nonspacingMark, .spacingMark, .enclosingMark]
        let numbers: [GC] = [.decimalNumber, .letterNumber, .otherNumber]
        let punctuation: [GC] = [.connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                                 .initialPunctuation, .finalPunctuation, .otherPunctuation]
        let symbols: [GC] = [.mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol]
        let separators: [GC] = [.spaceSeparator, .lineSeparator, .paragraphSeparator]
        let others: [GC] = [.control, .format, .surrogate, .privateUse, .unassigned]
        let entries: [([String], [GC])] = [
            (["L", "Letter"], letters), (["LC", "Cased_Letter"], [.uppercaseLetter, .lowercaseLetter, .titlecaseLetter]),
            (["Lu", "Uppercase_Letter"], [.uppercaseLetter]), (["Ll", "Lowercase_Letter"], [.lowercaseLetter]),
            (["Lt", "Titlecase_Letter"], [.titlecaseLetter]), (["Lm", "Modifier_Letter"], [.modifierLetter]),
            (["Lo", "Other_Letter"], [.otherLetter]),
            (["M", "Mark", "Combining_Mark"], marks), (["Mn", "Nonspacing_Mark"], [.nonspacingMark]),
            (["Mc", "Spacing_Mark"], [.spacingMark]), (["Me", "Enclosing_Mark"], [.enclosingMark]),
            (["N", "Number"], numbers), (["Nd", "Decimal_Number", "digit"], [.decimalNumber]),
            (["Nl", "Letter_Number"], [.letterNumber]), (["No", "Other_Number"], [.otherNumber]),
            (["P", "Punctuation", "punct"], punctuation), (["Pc", "Connector_Punctuation"], [.connectorPunctuation]),
            (["Pd", "Dash_Punctuation"], [.dashPunctuation]), (["Ps", "Open_Punctuation"], [.openPunctuation]),
            (["Pe", "Close_Punctuation"], [.closePunctuation]), (["Pi", "Initial_Punctuation"], [.initialPunctuation]),
            (["Pf", "Final_Punctuation"], [.finalPunctuation]), (["Po", "Other_Punctuation"], [.otherPunctuation]),
            (["S", "Symbol"], symbols), (["Sm", "Math_Symbol"], [.mathSymbol]), (["Sc", "Currency_Symbol"], [.currencySymbol]),
            (["Sk", "Modifier_Symbol"], [.modifierSymbol]), (["So", "Other_Symbol"], [.otherSymbol]),
            (["Z", "Separator"], separators), (["Zs", "Space_Separator"], [.spaceSeparator]),
            (["Zl", "Line_Separator"], [.lineSeparator]), (["Zp", "Paragraph_Separator"], [.paragraphSeparator]),
            (["C", "Other"], others), (["Cc", "Control", "cntrl"], [.control]), (["Cf", "Format"], [.format]),
            (["Cs", "Surrogate"], [.surrogate]), (["Co", "Private_Use"], [.privateUse]), (["Cn", "Unassigned"], [.unassigned]),
        ]
        var out: [String: [GC]] = [:]
        for (names, cats) in entries { for n in names { out[n] = cats } }
        return out
    }()

    private static let categoryTable = Mutex<[GC: [ClosedRange<UInt32>]]?>(nil)
    private static let binaryTable = Mutex<[String: [ClosedRange<UInt32>]]?>(nil)

    private static func add(_ list: inout [ClosedRange<UInt32>], _ v: UInt32) {
        if let last = list.last, last.upperBound + 1 == v { list[list.count - 1] = last.lowerBound...v } else { list.append(v...v) }
    }

    /// Every scalar's general category, as runs (one pass; ~60 ms, release).
    private static var categories: [GC: [ClosedRange<UInt32>]] {
        categoryTable.withLock { cached in
            if let t = cached { return t }
            var out: [GC: [ClosedRange<UInt32>]] = [:]
            for v in UInt32(0)...0x10FFFF {
                guard let s = Unicode.Scalar(v) else { continue }  // surrogates: never a scalar
                add(&out[s.properties.generalCategory, default: []], v)
            }
            cached = out
            return out
        }
    }

    /// The binary properties, computed on the first use of one of them (a second pass).
    private static var binary: [String: [ClosedRange<UInt32>]] {
        binaryTable.withLock { cached in
            if let t = cached { return t }
            var out: [String: [ClosedRange<UInt32>]] = [:]
            for v in UInt32(0)...0x10FFFF {
                guard let s = Unicode.Scalar(v) else { continue }
                let p = s.properties
                if p.generalCategory != .unassigned { add(&out["Assigned", default: []], v) }
                if p.isAlphabetic { add(&out["Alphabetic", default: []], v) }
                if p.isWhitespace { add(&out["White_Space", default: []], v) }
                if p.isUppercase { add(&out["Uppercase", default: []], v) }
                if p.isLowercase { add(&out["Lowercase", default: []], v) }
            }
            out["Any"] = TerminalPattern.anyScalar
            out["ASCII"] = [0...0x7F]
            for (short, long) in [("Alpha", "Alphabetic"), ("space", "White_Space"), ("Upper", "Uppercase"), ("Lower", "Lowercase")] {
                out[short] = out[long]
            }
            cached = out
            return out
        }
    }
}
