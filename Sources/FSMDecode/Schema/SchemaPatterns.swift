/// Terminal patterns for JSON lexemes: string contents at code-point level mapped to every
/// JSON encoding of each character, and exact digit-level languages for number ranges.
enum JSONLexemes {
    typealias P = TerminalPattern
    static let digit = P.codePointClass([48...57])
    static let nonZeroDigit = P.codePointClass([49...57])

    static func lit(_ s: String) -> P { .literal(Array(s.utf8)) }
    static func seq(_ parts: [P]) -> P {
        var flat: [P] = []
        for p in parts {
            if case .literal(let b) = p, b.isEmpty { continue }
            if case .sequence(let inner) = p { flat += inner } else { flat.append(p) }
        }
        return flat.count == 1 ? flat[0] : .sequence(flat)
    }
    static func alt(_ parts: [P]) -> P {
        var flat: [P] = []
        for p in parts {
            if case .alternation(let inner) = p { flat += inner } else if !flat.contains(p) { flat.append(p) }
        }
        return flat.count == 1 ? flat[0] : .alternation(flat)
    }
    static let never = P.alternation([])
    static func isNever(_ p: P) -> Bool { if case .alternation(let a) = p, a.isEmpty { return true }; return false }

    // MARK: strings

    /// Every JSON encoding (inside a string literal) of one code point from `ranges`: the raw
    /// character where JSON allows it, the short escapes, `\uXXXX` (hex digits in either case)
    /// and surrogate pairs for characters above U+FFFF. Lone surrogates are never produced.
    static func jsonChar(_ ranges: [ClosedRange<UInt32>]) -> P {
        if ranges.count == 1, ranges[0].lowerBound == ranges[0].upperBound, !(0xD800...0xDFFF).contains(ranges[0].lowerBound) {
            return jsonScalar(ranges[0].lowerBound)
        }
        if ranges == P.anyScalar { return anyJSONChar }
        return jsonCharUncached(ranges)
    }

    /// Any character: computed once.
    static let anyJSONChar = jsonCharUncached(P.anyScalar)
    /// Any JSON string (quotes included): what `stringPattern(.rep(.any, 0, nil))` builds, once.
    static let anyString = seq([.literal([0x22]), .repetition(anyJSONChar, min: 0, max: nil), .literal([0x22])])

    /// One scalar's encodings without range splitting (the common case: literal text).
    static func jsonScalar(_ c: UInt32) -> P {
        func hexDigit(_ v: UInt32) -> P {
            let v = UInt8(v & 15)
            return v <= 9 ? .literal([48 + v]) : .codePointClass([65 + UInt32(v) - 10...65 + UInt32(v) - 10, 97 + UInt32(v) - 10...97 + UInt32(v) - 10])
        }
        func u(_ x: UInt32) -> P { seq([lit("\\u"), hexDigit(x >> 12), hexDigit(x >> 8), hexDigit(x >> 4), hexDigit(x)]) }
        var alts: [P] = []
        let shorts: [UInt32: String] = [0x22: "\"", 0x5C: "\\", 0x2F: "/", 8: "b", 0xC: "f", 0xA: "n", 0xD: "r", 9: "t"]
        if c >= 0x20 && c != 0x22 && c != 0x5C { alts.append(.literal(Array(String(Unicode.Scalar(c)!).utf8))) }
        if let e = shorts[c] { alts.append(lit("\\" + e)) }
        if c <= 0xFFFF { alts.append(u(c)) } else {
            let a = c - 0x10000
            alts.append(seq([u(0xD800 + (a >> 10)), u(0xDC00 + (a & 0x3FF))]))
        }
        return alt(alts)
    }

    private static func jsonCharUncached(_ ranges: [ClosedRange<UInt32>]) -> P {
        let cls = P.normalizeClass(ranges)
        if cls.isEmpty { return never }
        var alts: [P] = []
        let raw = intersect(cls, rawAllowed)
        if !raw.isEmpty { alts.append(.codePointClass(raw)) }
        for (c, e) in shortEscapes where contains(cls, c) { alts.append(e) }
        // `\u` followed by the digits (four, or four + `\u` + four for a surrogate pair): the
        // prefix factored once. (`hexDigits` at position 0 is never a bare literal, so it is
        // what `stripU` would make of `\u` + it.)
        var u: [P] = []
        let bmp = intersect(cls, [0...0xFFFF])
        if !bmp.isEmpty { u.append(hexDigits(allowed: bmp[...], position: 0, base: 0)) }
        let astral = intersect(cls, [0x10000...0x10FFFF])
        u += astral == [0x10000...0x10FFFF] ? allSurrogatePairsAfterU : surrogatePairs(astral).map(stripU)
        if !u.isEmpty { alts.append(seq([uLit, alt(u)])) }
        return alt(alts)
    }

    /// Characters JSON allows raw inside a string (all but controls, `"` and `\`).
    private static let rawAllowed = P.normalizeClass([0...0x1F, 0x22...0x22, 0x5C...0x5C], negated: true)
    /// The short escapes and the character each stands for.
    private static let shortEscapes: [(UInt32, P)] = [(0x22, "\""), (0x5C, "\\"), (0x2F, "/"), (8, "b"), (0xC, "f"), (0xA, "n"), (0xD, "r"), (9, "t")]
        .map { ($0.0, lit("\\" + $0.1)) }

    /// The surrogate-pair spellings of every character above U+FFFF after their first `\u`:
    /// built once (almost every class a schema needs contains them all).
    private static let allSurrogatePairsAfterU = surrogatePairs([0x10000...0x10FFFF]).map(stripU)

    /// `\uHHHH\uLLLL` for the astral ranges given (sorted, within U+10000–U+10FFFF).
    private static func surrogatePairs(_ astral: [ClosedRange<UInt32>]) -> [P] {
        var pairs: [P] = []
        for r in astral {
            let a = r.lowerBound - 0x10000, b = r.upperBound - 0x10000
            let ha = 0xD800 + (a >> 10), hb = 0xD800 + (b >> 10)
            let la = 0xDC00 + (a & 0x3FF), lb = 0xDC00 + (b & 0x3FF)
            if ha == hb {
                pairs.append(seq([hex4(ha, ha), lit("\\u"), hex4Digits(la, lb)]))
            } else {
                pairs.append(seq([hex4(ha, ha), lit("\\u"), hex4Digits(la, 0xDFFF)]))
                if ha + 1 <= hb - 1 { pairs.append(seq([hex4(ha + 1, hb - 1), lit("\\u"), hex4Digits(0xDC00, 0xDFFF)])) }
                pairs.append(seq([hex4(hb, hb), lit("\\u"), hex4Digits(0xDC00, lb)]))
            }
        }
        return pairs
    }

    /// Four hex digits (either case) whose value lies in `allowed` (sorted, disjoint), for the
    /// values starting with the digits already read (`base`, `position` digits so far).
    /// Cost: O(range boundaries × 64) — each boundary splits at most one digit per level.
    private static func hexDigits(allowed: ArraySlice<ClosedRange<UInt32>>, position: Int, base: UInt32) -> P {
        let width = UInt32(1) << (4 * UInt32(4 - position - 1))  // values per next digit
        var free: [UInt32] = [], alts: [P] = []
        var i = allowed.startIndex  // first range that may overlap digit d's values
        for d: UInt32 in 0..<16 {
            let lo = base + d * width, hi = lo + width - 1
            while i < allowed.endIndex && allowed[i].upperBound < lo { i += 1 }
            guard i < allowed.endIndex, allowed[i].lowerBound <= hi else { continue }  // no value of d allowed
            if allowed[i].lowerBound <= lo && hi <= allowed[i].upperBound { free.append(d); continue }
            var j = i + 1  // the ranges overlapping lo...hi are allowed[i..<j]
            while j < allowed.endIndex && allowed[j].lowerBound <= hi { j += 1 }
            if position == 0 && d == 0xD && j == i + 1 && allowed[i] == 0xD000...0xD7FF {
                // U+D000–U+D7FF (the surrogates cut off): in nearly every class, built once.
                alts.append(surrogateFreeD)
                continue
            }
            alts.append(seq([hexClass(UInt8(d), UInt8(d)), hexDigits(allowed: allowed[i..<j], position: position + 1, base: lo)]))
        }
        if !free.isEmpty {
            let rest = 3 - position
            alts.append(seq([hexDigitClass(free), rest > 0 ? anyHexDigits[rest] : lit("")]))
        }
        return alt(alts)
    }

    /// `D` + three hex digits with value in U+D000–U+D7FF.
    private static let surrogateFreeD = seq([hexClass(0xD, 0xD), hexDigits(allowed: [0xD000...0xD7FF][...], position: 1, base: 0xD000)])

    /// `[0-9A-Fa-f]{n}` for n in 0...3 (index 0 unused).
    private static let anyHexDigits: [P] = (0...3).map { .repetition(hexClass(0, 15), min: $0, max: $0) }

    /// The hex digits with these values (ascending), either case.
    private static func hexDigitClass(_ values: [UInt32]) -> P {
        // A run of consecutive values is a table entry.
        if let first = values.first, let last = values.last, Int(last - first) == values.count - 1 { return hexClass(UInt8(first), UInt8(last)) }
        // Built in canonical order (digits, then A-F, then a-f; runs merged), which is what
        // normalizeClass would make of the per-value ranges.
        var digits: [ClosedRange<UInt32>] = [], upper: [ClosedRange<UInt32>] = [], lower: [ClosedRange<UInt32>] = []
        var k = 0
        while k < values.count {
            var e = k
            while e + 1 < values.count && values[e + 1] == values[e] + 1 && (values[e] != 9) { e += 1 }
            let a = values[k], b = values[e]
            if b <= 9 { digits.append(48 + a...48 + b) } else { upper.append(55 + a...55 + b); lower.append(87 + a...87 + b) }
            k = e + 1
        }
        return .codePointClass(digits + upper + lower)
    }

    private static func stripU(_ p: P) -> P {
        if case .sequence(let parts) = p, parts.first == lit("\\u") { return seq(Array(parts.dropFirst())) }
        return p
    }

    /// `\u` + four hex digits with value in lo...hi.
    private static func hex4(_ lo: UInt32, _ hi: UInt32) -> P { seq([uLit, hex4Digits(lo, hi)]) }
    private static let uLit = lit("\\u")
    private static func hex4Digits(_ lo: UInt32, _ hi: UInt32) -> P {
        fixedWidthRange(lo: (0..<4).reversed().map { UInt8((lo >> (4 * UInt32($0))) & 15) },
                        hi: (0..<4).reversed().map { UInt8((hi >> (4 * UInt32($0))) & 15) }, base: 16, digitClass: hexClass)
    }
    /// Hex digits with values a...b, either case: `hexClasses[a << 4 | b]` (a <= b), built once
    /// so the thousands of digit classes of JSON-string terminals share their storage.
    private static let hexClasses: [P] = (0..<256).map { (i: Int) -> P in
        let a = UInt8(i >> 4), b = UInt8(i & 15)
        return a <= b ? hexClassUncached(a, b) : never
    }
    private static func hexClass(_ a: UInt8, _ b: UInt8) -> P { hexClasses[Int(a) << 4 | Int(b)] }
    private static func hexClassUncached(_ a: UInt8, _ b: UInt8) -> P {
        var r: [ClosedRange<UInt32>] = []
        if a <= 9 { r.append(48 + UInt32(a)...48 + UInt32(min(b, 9))) }
        if b >= 10 {
            let x = UInt32(max(a, 10) - 10), y = UInt32(b - 10)
            r.append(65 + x...65 + y); r.append(97 + x...97 + y)
        }
        return .codePointClass(P.normalizeClass(r))
    }
    static func decClass(_ a: UInt8, _ b: UInt8) -> P { decClasses[Int(a) * 10 + Int(b)] }
    private static let decClasses: [P] = (0..<100).map { (i: Int) -> P in
        let a = UInt32(i / 10), b = max(a, UInt32(i % 10))
        return .codePointClass([48 + a...48 + b])
    }

    /// Fixed-width digit strings (most significant first) with lo <= value <= hi.
    static func fixedWidthRange(lo: [UInt8], hi: [UInt8], base: UInt8, digitClass: (UInt8, UInt8) -> P) -> P {
        if lo.isEmpty { return lit("") }
        let w = lo.count
        let allMin = lo.allSatisfy { $0 == 0 }, allMax = hi.allSatisfy { $0 == base - 1 }
        if allMin && allMax { return .repetition(digitClass(0, base - 1), min: w, max: w) }
        let dl = lo[0], dh = hi[0]
        let restLo = Array(lo.dropFirst()), restHi = Array(hi.dropFirst())
        if dl == dh { return seq([digitClass(dl, dl), fixedWidthRange(lo: restLo, hi: restHi, base: base, digitClass: digitClass)]) }
        let maxRest = [UInt8](repeating: base - 1, count: w - 1), minRest = [UInt8](repeating: 0, count: w - 1)
        var alts: [P] = []
        let loFull = restLo.allSatisfy { $0 == 0 }, hiFull = restHi.allSatisfy { $0 == base - 1 }
        let midLo = loFull ? dl : dl + 1, midHi = hiFull ? dh : dh - 1
        if !loFull { alts.append(seq([digitClass(dl, dl), fixedWidthRange(lo: restLo, hi: maxRest, base: base, digitClass: digitClass)])) }
        if midLo <= midHi {
            alts.append(seq([digitClass(midLo, midHi), w > 1 ? .repetition(digitClass(0, base - 1), min: w - 1, max: w - 1) : lit("")]))
        }
        if !hiFull { alts.append(seq([digitClass(dh, dh), fixedWidthRange(lo: minRest, hi: restHi, base: base, digitClass: digitClass)])) }
        return alt(alts)
    }

    static func contains(_ cls: [ClosedRange<UInt32>], _ v: UInt32) -> Bool { cls.contains { $0.contains(v) } }

    /// Every scalar except `excluded` (sorted, distinct scalars): the canonical class
    /// `subtract(P.anyScalar, excluded.map { $0...$0 })` without its intermediate arrays.
    static func scalarsExcept(_ excluded: [UInt32]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        out.reserveCapacity(excluded.count + 2)
        func add(_ lo: UInt32, _ hi: UInt32) {
            // Without the surrogates U+D800–U+DFFF.
            if hi < 0xD800 || lo > 0xDFFF { out.append(lo...hi); return }
            if lo < 0xD800 { out.append(lo...0xD7FF) }
            if hi > 0xDFFF { out.append(0xE000...hi) }
        }
        var next: UInt32 = 0
        for k in excluded where k <= 0x10FFFF {
            if k > next { add(next, k - 1) }
            next = k + 1
        }
        if next <= 0x10FFFF { add(next, 0x10FFFF) }
        return P.normalizeClass(out)
    }
    static func intersect(_ a: [ClosedRange<UInt32>], _ b: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        var out: [ClosedRange<UInt32>] = []
        for x in a { for y in b { let lo = max(x.lowerBound, y.lowerBound), hi = min(x.upperBound, y.upperBound); if lo <= hi { out.append(lo...hi) } } }
        return P.normalizeClass(out)
    }
    static func subtract(_ a: [ClosedRange<UInt32>], _ b: [ClosedRange<UInt32>]) -> [ClosedRange<UInt32>] {
        intersect(a, P.normalizeClass(b, negated: true))
    }

    // MARK: numbers

    /// Nonnegative integers without leading zeros in lo...hi (hi nil: unbounded); lo, hi digit
    /// strings without leading zeros ([] is 0).
    static func naturalRange(lo: [UInt8], hi: [UInt8]?) -> P {
        let lo = lo.isEmpty ? [0] : lo
        let hiD = hi.map { $0.isEmpty ? [0] : $0 }
        if let h = hiD, SchemaDecimal.compareMagnitude(.init(negative: false, intDigits: lo, fracDigits: []), .init(negative: false, intDigits: h, fracDigits: [])) > 0 { return never }
        var alts: [P] = []
        let maxLen = hiD?.count ?? lo.count
        for len in lo.count...maxLen {
            let a = len == lo.count ? lo : [1] + [UInt8](repeating: 0, count: len - 1)
            let b = (hiD != nil && len == hiD!.count) ? hiD! : [UInt8](repeating: 9, count: len)
            alts.append(fixedWidthRange(lo: a, hi: b, base: 10, digitClass: decClass))
        }
        if hiD == nil { alts.append(seq([nonZeroDigit, .repetition(digit, min: lo.count, max: nil)])) }
        return alt(alts)
    }

    /// A bound on a number: value and whether it is exclusive.
    struct Bound { var value: SchemaDecimal; var exclusive: Bool }

    /// Integer literals (optionally followed by `.0+`, the same value) with value in [lo, hi].
    static func integerRange(lo: Bound?, hi: Bound?) -> P {
        var lo2: SchemaDecimal? = nil, hi2: SchemaDecimal? = nil
        if let lo { lo2 = lo.exclusive && lo.value.isInteger ? lo.value.successor : lo.value.ceiling }
        if let hi { hi2 = hi.exclusive && hi.value.isInteger ? hi.value.predecessor : hi.value.floor }
        if let a = lo2, let b = hi2, b < a { return never }
        var alts: [P] = []
        // Nonnegative part (includes 0).
        if hi2 == nil || !hi2!.negative {
            let a = lo2.map { $0.negative ? [] : $0.intDigits } ?? []
            alts.append(naturalRange(lo: a, hi: hi2?.intDigits))
        }
        // Negative part: "-" + magnitude, magnitude in [max(0,-hi), -lo]; includes "-0" iff 0 in range.
        if lo2 == nil || lo2!.negative || lo2!.isZero {
            let magLo = hi2.map { $0.negative ? $0.intDigits : [] } ?? []
            let magHi = lo2.map { $0.intDigits }
            alts.append(seq([lit("-"), naturalRange(lo: magLo, hi: magHi)]))
        }
        let body = alt(alts)
        if isNever(body) { return never }
        return seq([body, .repetition(seq([lit("."), .repetition(lit("0"), min: 1, max: nil)]), min: 0, max: 1)])
    }

    /// Decimal literals without exponent, value in [lo, hi] (bounds inclusive or exclusive).
    static func decimalRange(lo: Bound?, hi: Bound?) -> P {
        if let lo, let hi {
            if hi.value < lo.value || (hi.value == lo.value && (lo.exclusive || hi.exclusive)) { return never }
        }
        var alts: [P] = []
        // Nonnegative magnitudes.
        let posLo: Bound? = lo.flatMap { $0.value.negative ? nil : $0 }
        if hi == nil || !hi!.value.negative {
            alts.append(nonnegDecimal(lo: posLo, hi: hi))
        }
        if lo == nil || lo!.value.negative || (lo!.value.isZero && !lo!.exclusive) {
            let magLo: Bound? = hi.flatMap { $0.value.negative ? Bound(value: $0.value.negated, exclusive: $0.exclusive) : nil }
            let magHi: Bound? = lo.map { Bound(value: $0.value.negated, exclusive: $0.exclusive) }
            let m = nonnegDecimal(lo: magLo, hi: magHi)
            if !isNever(m) { alts.append(seq([lit("-"), m])) }
        }
        return alt(alts)
    }

    /// Nonnegative decimal literals `I(.F)?` with lo <= value <= hi (bounds nonnegative).
    private static func nonnegDecimal(lo: Bound?, hi: Bound?) -> P {
        if let lo, let hi {
            let c = SchemaDecimal.compareMagnitude(lo.value, hi.value)
            if c > 0 || (c == 0 && (lo.exclusive || hi.exclusive)) { return never }
        }
        let anyFrac = fraction(lo: nil, hi: nil)
        let iLo = lo?.value.intDigits ?? [], iHi = hi?.value.intDigits
        var alts: [P] = []
        let loFrac: FracBound? = lo.map { FracBound(digits: $0.value.fracDigits[...], exclusive: $0.exclusive) }
        let hiFrac: FracBound? = hi.map { FracBound(digits: $0.value.fracDigits[...], exclusive: $0.exclusive) }
        if let iHi, iHi == iLo {
            let f = fraction(lo: normalize(loFrac), hi: hiFrac)
            if !isNever(f) { alts.append(seq([naturalRange(lo: iLo, hi: iLo), f])) }
            return alt(alts)
        }
        // I == iLo with the lower fraction bound.
        let f1 = fraction(lo: normalize(loFrac), hi: nil)
        if !isNever(f1) { alts.append(seq([naturalRange(lo: iLo, hi: iLo), f1])) }
        // iLo < I < iHi: any fraction.
        let nextLo = SchemaDecimal.increment(iLo.isEmpty ? [0] : iLo)
        if let iHi {
            let hiD = SchemaDecimal(negative: false, intDigits: iHi, fracDigits: [])
            if SchemaDecimal(negative: false, intDigits: nextLo, fracDigits: []) < hiD {
                alts.append(seq([naturalRange(lo: nextLo, hi: hiD.predecessor.intDigits), anyFrac]))
            }
            let f2 = fraction(lo: nil, hi: hiFrac)
            if !isNever(f2) { alts.append(seq([naturalRange(lo: iHi, hi: iHi), f2])) }
        } else {
            alts.append(seq([naturalRange(lo: nextLo, hi: nil), anyFrac]))
        }
        return alt(alts)
    }

    struct FracBound { var digits: ArraySlice<UInt8>; var exclusive: Bool }
    /// A lower fraction bound of exactly 0, inclusive, constrains nothing.
    private static func normalize(_ b: FracBound?) -> FracBound? {
        guard let b else { return nil }
        return b.digits.isEmpty && !b.exclusive ? nil : b
    }

    /// The optional fraction suffix (`""` or `.` + digits) of a number whose fraction value
    /// 0.F lies within the bounds (digits are compared with zero padding).
    static func fraction(lo: FracBound?, hi: FracBound?) -> P {
        let s = fracDigits(lo: lo, hi: hi, first: true)
        return s
    }

    /// `first`: nothing emitted yet (a digit must be preceded by "."; ε means no fraction).
    private static func fracDigits(lo: FracBound?, hi: FracBound?, first: Bool) -> P {
        let dot = first ? lit(".") : lit("")
        func anyTail() -> P { first ? .repetition(seq([lit("."), .repetition(digit, min: 1, max: nil)]), min: 0, max: 1) : .repetition(digit, min: 0, max: nil) }
        let lo = normalize(lo)
        // Empty continuation allowed iff value 0 (of the remaining digits) satisfies both.
        let emptyOK = lo == nil && (hi == nil || !hi!.exclusive || !hi!.digits.isEmpty)
        if lo == nil && hi == nil { return anyTail() }
        if let hi, hi.digits.isEmpty {
            // Remaining digits must be all zero (≤ 0), and only if inclusive and lo is nil.
            if hi.exclusive || lo != nil { return never }
            return first ? .repetition(seq([lit("."), .repetition(lit("0"), min: 1, max: nil)]), min: 0, max: 1) : .repetition(lit("0"), min: 0, max: nil)
        }
        if let lo, lo.digits.isEmpty, hi == nil {
            // Strictly positive: some nonzero digit.
            return seq([dot, .repetition(digit, min: 0, max: nil), nonZeroDigit, .repetition(digit, min: 0, max: nil)])
        }
        let dl = lo?.digits.first ?? 0, dh = hi?.digits.first ?? 9
        var alts: [P] = []
        if emptyOK { alts.append(lit("")) }
        let anyRest = P.repetition(digit, min: 0, max: nil)
        // Digits strictly between the tight ones: free tail.
        let loTight = lo != nil, hiTight = hi != nil
        let midLo = loTight ? dl + 1 : 0, midHi = hiTight ? (dh == 0 ? -1 : Int(dh) - 1) : 9
        if Int(midLo) <= midHi { alts.append(seq([dot, decClass(midLo, UInt8(midHi)), anyRest])) }
        if loTight && hiTight && dl == dh {
            let r = fracDigits(lo: FracBound(digits: lo!.digits.dropFirst(), exclusive: lo!.exclusive),
                               hi: FracBound(digits: hi!.digits.dropFirst(), exclusive: hi!.exclusive), first: false)
            if !isNever(r) { alts.append(seq([dot, decClass(dl, dl), r])) }
        } else {
            if loTight && dl <= (hiTight ? dh : 9) {
                let r = fracDigits(lo: FracBound(digits: lo!.digits.dropFirst(), exclusive: lo!.exclusive), hi: nil, first: false)
                if !isNever(r) { alts.append(seq([dot, decClass(dl, dl), r])) }
            }
            if hiTight && (!loTight || dh > dl) {
                let r = fracDigits(lo: nil, hi: FracBound(digits: hi!.digits.dropFirst(), exclusive: hi!.exclusive), first: false)
                if !isNever(r) { alts.append(seq([dot, decClass(dh, dh), r])) }
            }
        }
        return alts.isEmpty ? never : alt(alts)
    }

    /// Any JSON number (exponents allowed).
    static let anyNumber = seq([.repetition(lit("-"), min: 0, max: 1), alt([lit("0"), seq([nonZeroDigit, .repetition(digit, min: 0, max: nil)])]),
                                .repetition(seq([lit("."), .repetition(digit, min: 1, max: nil)]), min: 0, max: 1),
                                .repetition(seq([.codePointClass([69...69, 101...101]), .repetition(.codePointClass([43...43, 45...45]), min: 0, max: 1),
                                                 .repetition(digit, min: 1, max: nil)]), min: 0, max: 1)])
}
