import CPCRE2
import FSMDecode
import Foundation
import Testing

/// Deterministic 64-bit generator (SplitMix64), so every run tests the same inputs.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A PCRE2 oracle (UTF mode; UCP optional) for anchored full matches, with a match limit so
/// catastrophic backtracking ends quickly: `match` returns nil when PCRE2 gives up or errs
/// (such strings are counted and excluded, never taken as "no match").
/// Without UCP, PCRE2's `\d` and `\w` are ASCII, as in ECMA-262.
final class PCRE2Oracle {
    let code: OpaquePointer
    let context: OpaquePointer
    init?(_ pattern: String, ucp: Bool) {
        var err: Int32 = 0
        var off = 0
        let bytes = Array(pattern.utf8)
        let options = UInt32(PCRE2_UTF) | (ucp ? UInt32(PCRE2_UCP) : 0)
        guard let c = bytes.withUnsafeBufferPointer({ pcre2_compile_8($0.baseAddress ?? UnsafePointer(bitPattern: 1), $0.count, options, &err, &off, nil) }) else { return nil }
        code = c
        _ = pcre2_jit_compile_8(code, UInt32(PCRE2_JIT_COMPLETE))
        context = pcre2_match_context_create_8(nil)!
        pcre2_set_match_limit_8(context, 2_000_000)
    }
    deinit { pcre2_match_context_free_8(context); pcre2_code_free_8(code) }
    func match(_ subject: [UInt8]) -> Bool? {
        guard let md = pcre2_match_data_create_from_pattern_8(code, nil) else { return nil }
        defer { pcre2_match_data_free_8(md) }
        let rc = subject.withUnsafeBufferPointer { buf in
            pcre2_match_8(code, buf.baseAddress ?? UnsafePointer(bitPattern: 1)!, buf.count, 0,
                          UInt32(PCRE2_ANCHORED) | UInt32(PCRE2_ENDANCHORED), md, context)
        }
        if rc > 0 { return true }
        if rc == PCRE2_ERROR_NOMATCH || (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) { return false }
        return nil
    }
}

/// Differential testing against PCRE2: corpus patterns and generated regexes, each with
/// generated matching and non-matching byte strings (multi-byte UTF-8 and invalid UTF-8 included).
@Suite struct RegexDifferentialTests {
    /// Tallies of one run, printed for the report.
    struct Tally {
        var accepted = 0, refused = 0, emptyLanguage = 0
        var reasons: [String: Int] = [:]
        var strings = 0, stringsMatching = 0, originalChecked = 0, originalStrings = 0
        var disagreements: [String] = []
        var pcreErrors = 0
        var compileMicros: [Double] = []
        var states = 0

        func report(_ title: String) {
            print("[\(title)] patterns accepted \(accepted), refused \(refused), empty language \(emptyLanguage); strings compared \(strings) (\(stringsMatching) matching); also vs original pattern (PCRE2 without UCP): \(originalChecked) patterns, \(originalStrings) strings; strings PCRE2 gave up on (match limit) \(pcreErrors); disagreements \(disagreements.count)")
            let t = compileMicros.sorted()
            if !t.isEmpty {
                print("[\(title)] compile (this build): total \(Int(t.reduce(0, +) / 1000)) ms, p50 \(Int(t[t.count / 2])) µs, p99 \(Int(t[t.count * 99 / 100])) µs, max \(Int(t.last!)) µs; DFA states total \(states)")
            }
            for (r, n) in reasons.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }) {
                print("[\(title)]   refused \(n)× \(r)")
            }
            for d in disagreements.prefix(20) { print("[\(title)] DISAGREE \(d)") }
        }
    }

    // MARK: string generation

    /// A random member of the language of `node`, or nil when it is empty.
    static func sample(_ node: RegexAST, _ rng: inout SeededRNG, into out: inout [UInt8]) -> Bool {
        switch node {
        case .empty: return true
        case .scalars(let set):
            let usable = set.ranges.flatMap { r -> [ClosedRange<UInt32>] in
                if r.upperBound < 0xD800 || r.lowerBound > 0xDFFF { return [r] }
                return (r.lowerBound < 0xD800 ? [r.lowerBound ... 0xD7FF] : []) + (r.upperBound > 0xDFFF ? [0xE000 ... r.upperBound] : [])
            }
            guard let r = usable.randomElement(using: &rng) else { return false }
            let v: UInt32
            switch Int.random(in: 0 ..< 4, using: &rng) {
            case 0: v = r.lowerBound
            case 1: v = r.upperBound
            default: v = UInt32.random(in: r, using: &rng)
            }
            out += CodePointSet.encode(v)
            return true
        case .concat(let items):
            for i in items where !sample(i, &rng, into: &out) { return false }
            return true
        case .alternation(let items):
            for _ in 0 ..< 4 {
                let before = out.count
                if sample(items.randomElement(using: &rng)!, &rng, into: &out) { return true }
                out.removeSubrange(before...)
            }
            return items.contains { sample($0, &rng, into: &out) }
        case .repetition(let item, let min, let max):
            let extra = max.map { Swift.min($0 - min, 3) } ?? 3
            let n = min + Int.random(in: 0 ... extra, using: &rng)
            for _ in 0 ..< n where !sample(item, &rng, into: &out) { return n == 0 }
            return true
        case .automaton(let d):
            out += walk(d, &rng)
            return true
        }
    }

    /// A random walk from the start that stops in an accepting state.
    static func walk(_ d: ByteDFA, _ rng: inout SeededRNG) -> [UInt8] {
        var s = d.start
        var out: [UInt8] = []
        for _ in 0 ..< 64 {
            if d.accepting[Int(s)] && Int.random(in: 0 ..< 3, using: &rng) == 0 { break }
            let choices = (0 ..< 256).filter { d.next(s, UInt8($0)) != ByteDFA.dead }
            guard let b = choices.randomElement(using: &rng) else { break }
            out.append(UInt8(b))
            s = d.next(s, UInt8(b))
        }
        // Finish along a shortest way to acceptance (trimmed, so one exists).
        var dist = d.accepting.map { $0 ? 0 : Int.max }
        var reverse = [[Int32]](repeating: [], count: d.stateCount)
        for q in 0 ..< d.stateCount {
            for c in 0 ..< d.classCount where d.table[q * d.classCount + c] >= 0 { reverse[Int(d.table[q * d.classCount + c])].append(Int32(q)) }
        }
        var queue = (0 ..< d.stateCount).filter { d.accepting[$0] }
        var qi = 0
        while qi < queue.count {
            let t = queue[qi]; qi += 1
            for q in reverse[t] where dist[Int(q)] == Int.max { dist[Int(q)] = dist[t] + 1; queue.append(Int(q)) }
        }
        while !d.accepting[Int(s)] {
            let closer = (0 ..< 256).filter { b in let n = d.next(s, UInt8(b)); return n >= 0 && dist[Int(n)] < dist[Int(s)] }
            let b = UInt8(closer.randomElement(using: &rng)!)
            out.append(b)
            s = d.next(s, b)
        }
        return out
    }

    static let alphabet: [String] = ["a", "b", "c", "0", "7", "-", ".", " ", "_", "\n", "é", "ω", "中", "😀", "\u{2028}", "\u{A0}", "\u{3000}", "Z"]

    /// Byte-level and character-level edits of `s`.
    static func mutate(_ s: [UInt8], _ rng: inout SeededRNG) -> [UInt8] {
        var t = s
        switch Int.random(in: 0 ..< 7, using: &rng) {
        case 0: if !t.isEmpty { t.remove(at: Int.random(in: 0 ..< t.count, using: &rng)) }
        case 1: t.insert(UInt8.random(in: 0 ... 255, using: &rng), at: Int.random(in: 0 ... t.count, using: &rng))
        case 2: t.insert(contentsOf: Array(alphabet.randomElement(using: &rng)!.utf8), at: Int.random(in: 0 ... t.count, using: &rng))
        case 3: if !t.isEmpty { t[Int.random(in: 0 ..< t.count, using: &rng)] = Array(alphabet.randomElement(using: &rng)!.utf8)[0] }
        case 4: if !t.isEmpty { t.removeLast(Int.random(in: 1 ... t.count, using: &rng)) }
        case 5: t += Array(alphabet.randomElement(using: &rng)!.utf8)
        default: if !t.isEmpty { let i = Int.random(in: 0 ..< t.count, using: &rng); t.insert(t[i], at: i) }
        }
        return t
    }

    static func randomText(_ rng: inout SeededRNG) -> [UInt8] {
        if Int.random(in: 0 ..< 4, using: &rng) == 0 {
            return (0 ..< Int.random(in: 0 ... 6, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
        }
        return (0 ..< Int.random(in: 0 ... 6, using: &rng)).flatMap { _ in Array(alphabet.randomElement(using: &rng)!.utf8) }
    }

    /// True when PCRE2 (UTF, no UCP) reads `pattern` itself as ECMA-262 does, so it can be
    /// compared directly: no `\s \S \v \u`, no `.` outside classes, no `[]`/`[^]`.
    static func originalIsComparable(_ pattern: String) -> Bool {
        let cs = Array(pattern.unicodeScalars)
        var i = 0, inClass = false
        while i < cs.count {
            let c = cs[i]
            if c == "\\" {
                if i + 1 < cs.count, "sSvuc".unicodeScalars.contains(cs[i + 1]) { return false }
                i += 2; continue
            }
            if inClass { if c == "]" { inClass = false } else if c == "[" { return false } }
            else if c == "." { return false }
            else if c == "[" {
                inClass = true
                if i + 1 < cs.count, cs[i + 1] == "]" { return false }
                if i + 2 < cs.count, cs[i + 1] == "^", cs[i + 2] == "]" { return false }
                if i + 1 < cs.count, cs[i + 1] == "^" { i += 1 }
            }
            i += 1
        }
        return true
    }

    /// Runs one pattern: parse, compile, strings, compare; updates `tally`.
    static func check(_ pattern: String, stringsPerPattern: Int, rng: inout SeededRNG, tally: inout Tally) {
        let ast: RegexAST
        let dfa: ByteDFA
        do {
            ast = try RegexParser.parse(pattern)
            let t0 = DispatchTime.now().uptimeNanoseconds
            dfa = try RegexCompiler.compile(pattern)
            tally.compileMicros.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3)
            tally.states += dfa.stateCount
        } catch let e as FSMDecodeError {
            if e.message.hasSuffix("matches no string") {
                tally.emptyLanguage += 1
            } else {
                tally.refused += 1
                let reason = e.message.range(of: #"at offset \d+: "#, options: .regularExpression).map { String(e.message[$0.upperBound...]) } ?? e.message
                tally.reasons[reason, default: 0] += 1
            }
            return
        } catch { tally.disagreements.append("/\(pattern)/: unexpected error \(error)"); return }
        tally.accepted += 1
        guard let oracle = PCRE2Oracle(ast.pcre2Syntax, ucp: true) else {
            tally.disagreements.append("/\(pattern)/: PCRE2 refuses the printed form /\(ast.pcre2Syntax)/")
            return
        }
        var inputs: [[UInt8]] = []
        for _ in 0 ..< stringsPerPattern / 3 {
            var s: [UInt8] = []
            if sample(ast, &rng, into: &s) { inputs.append(s) }
        }
        for _ in 0 ..< stringsPerPattern / 6 { inputs.append(walk(dfa, &rng)) }
        let positives = inputs
        for _ in 0 ..< stringsPerPattern / 3 {
            let base = positives.randomElement(using: &rng) ?? []
            inputs.append(mutate(base, &rng))
        }
        for _ in 0 ..< stringsPerPattern / 6 { inputs.append(randomText(&rng)) }
        let original = originalIsComparable(pattern) ? PCRE2Oracle(pattern, ucp: false) : nil
        if original != nil { tally.originalChecked += 1 }
        for s in inputs {
            let ours = dfa.matches(s)
            guard let theirs = oracle.match(s) else { tally.pcreErrors += 1; continue }
            tally.strings += 1
            if ours { tally.stringsMatching += 1 }
            if ours != theirs {
                tally.disagreements.append("/\(pattern)/ on \(s) (\(String(decoding: s, as: UTF8.self).debugDescription)): ours \(ours), PCRE2 \(theirs) via /\(ast.pcre2Syntax)/")
            }
            if let o = original {
                tally.originalStrings += 1
                switch o.match(s) {
                case nil: tally.pcreErrors += 1
                case let m? where m != ours:
                    tally.disagreements.append("/\(pattern)/ on \(s) (\(String(decoding: s, as: UTF8.self).debugDescription)): ours \(ours), PCRE2 (original, no UCP) \(m)")
                default: break
                }
            }
        }
    }

    // MARK: random regexes

    static let literals: [String] = ["a", "b", "c", "x", "0", "7", "-", " ", "_", "é", "ω", "中", "😀", "\\.", "\\-", "\\/", "\\*", "\\n", "\\t", "\\x41", "\\u00e9", "\\u{1F600}", "\\uD83D\\uDE00", "\\0", "\\cJ", "]", "}", ","]
    static let classItems: [String] = ["a", "b", "z", "0-9", "a-c", "α-ω", "\\u{1F600}-\\u{1F64F}", "\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "\\-", "\\]", "\\\\", ".", "é", "中", "😀", "\\n", "\\b", "_", " ", "^", "\\x00-\\x1f", "\\u0080-\\uFFFF"]
    static let escapes: [String] = ["\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "."]

    static func randomPattern(_ rng: inout SeededRNG, depth: Int = 0) -> String {
        let alts = depth > 1 || Int.random(in: 0 ..< 3, using: &rng) > 0 ? 1 : Int.random(in: 2 ... 3, using: &rng)
        return (0 ..< alts).map { _ in
            (0 ..< Int.random(in: depth == 0 ? 1 ... 4 : 0 ... 2, using: &rng)).map { _ in
                var atom: String
                switch Int.random(in: 0 ..< 10, using: &rng) {
                case 0 ..< 4: atom = literals.randomElement(using: &rng)!
                case 4 ..< 6: atom = escapes.randomElement(using: &rng)!
                case 6 ..< 8:
                    let items = (0 ..< Int.random(in: 1 ... 4, using: &rng)).map { _ in classItems.randomElement(using: &rng)! }
                    let first = items[0] == "^" ? "\\^" : items[0]
                    atom = "[" + (Int.random(in: 0 ..< 4, using: &rng) == 0 ? "^" : "") + ([first] + items.dropFirst()).joined() + "]"
                default:
                    if depth >= 2 { atom = "a"; break }
                    let opener = ["(", "(?:", "(?<g\(Int.random(in: 0 ..< 1_000_000, using: &rng))>"].randomElement(using: &rng)!
                    atom = opener + randomPattern(&rng, depth: depth + 1) + ")"
                }
                switch Int.random(in: 0 ..< 12, using: &rng) {
                case 0: atom += "*"
                case 1: atom += "+"
                case 2: atom += "?"
                case 3: atom += "{\(Int.random(in: 0 ... 3, using: &rng))}"
                case 4: atom += "{\(Int.random(in: 0 ... 2, using: &rng)),}"
                case 5: let m = Int.random(in: 0 ... 2, using: &rng); atom += "{\(m),\(m + Int.random(in: 0 ... 3, using: &rng))}"
                case 6: atom += ["*?", "+?", "??", "{1,2}?"].randomElement(using: &rng)!
                default: break
                }
                return atom
            }.joined()
        }.joined(separator: "|")
    }

    // MARK: tests

    static func corpusPatterns() -> [String]? {
        var patterns: [String] = []
        for name in ["corpora/regex/patterns.jsonl", "corpora/regex/pattern-properties.jsonl"] {
            guard let path = TestSupport.shared(name), let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                print("skipping: \(TestSupport.sharedRoot)/\(name) not found")
                return nil
            }
            for line in text.split(separator: "\n") {
                guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let p = obj["pattern"] as? String else { continue }
                patterns.append(p)
            }
        }
        return patterns
    }

    @Test func corpusPatternsAgreeWithPCRE2() throws {
        guard let patterns = Self.corpusPatterns() else { return }
        var rng = SeededRNG(seed: 0xC0FFEE)
        var tally = Tally()
        let perPattern = TestSupport.fullSuites ? 120 : 24
        for p in patterns { Self.check(p, stringsPerPattern: perPattern, rng: &rng, tally: &tally) }
        tally.report("regex corpus")
        #expect(tally.disagreements.isEmpty)
        #expect(tally.pcreErrors * 100 <= tally.strings, "PCRE2 should give up on few strings")
        #expect(tally.accepted > patterns.count * 3 / 4, "most real patterns should be accepted")
        #expect(tally.strings > patterns.count * 10)
    }

    @Test func generatedRegexesAgreeWithPCRE2() throws {
        var rng = SeededRNG(seed: 42)
        var tally = Tally()
        let count = TestSupport.fullSuites ? 20_000 : 1_500
        for _ in 0 ..< count {
            let p = Self.randomPattern(&rng)
            Self.check(p, stringsPerPattern: 24, rng: &rng, tally: &tally)
        }
        tally.report("generated regexes")
        #expect(tally.disagreements.isEmpty)
        #expect(tally.pcreErrors * 100 <= tally.strings, "PCRE2 should give up on few strings")
        #expect(tally.accepted > count * 9 / 10)
        #expect(tally.stringsMatching > tally.strings / 4, "generators should produce many matching strings")
    }
}
