@testable import FSMDecode
import Foundation

/// Shared fixtures for the grammar runtime suites: compiled constraints (cached per
/// grammar/vocabulary), a random sentence generator over the Grammar IR, and the brute-force
/// mask oracle.
enum GrammarRuntimeSupport {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var constraints: [String: GrammarConstraint] = [:]

    static func constraint(_ file: String, _ vocab: String) throws -> GrammarConstraint? {
        guard let v = TestSupport.vocabulary(vocab) else { return nil }
        let key = file + "|" + vocab
        lock.lock(); defer { lock.unlock() }
        if let c = constraints[key] { return c }
        let path = file.hasPrefix("/") ? file : TestSupport.repoRoot + "/Grammars/" + file
        let c = try GrammarConstraint(grammar: try Grammar.load(path: path), vocabulary: v)
        constraints[key] = c
        return c
    }

    /// Deterministic 64-bit LCG.
    struct RNG {
        var state: UInt64
        mutating func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : next() % n }
    }

    /// A random sentence of the grammar's CFG (terminal strings concatenated), built with an
    /// explicit stack; past `depthBudget` expansions it picks productions of least height so
    /// it terminates. Token terminals are skipped (nil returned).
    static func randomSentence(_ g: Grammar, _ rng: inout RNG, depthBudget: Int = 40) -> [UInt8]? {
        let height = productionHeights(g)
        var out: [UInt8] = []
        var stack: [(GrammarSymbol, Int)] = [(.rule(g.start), 0)]
        var expansions = 0
        while let (s, depth) = stack.popLast() {
            if s.isTerminal {
                guard let bytes = randomString(g.terminals[s.index].pattern, &rng) else { return nil }
                out += bytes
                if g.lexing == .longestMatch { out.append(contentsOf: separator(g, &rng)) }
                continue
            }
            expansions += 1
            let prods = Array(g.productions(of: s.index))
            let p: Int
            if depth > depthBudget || expansions > 2000 {
                p = prods.min { height[$0] < height[$1] }!
            } else {
                p = prods[rng.below(prods.count)]
            }
            for sym in g.symbols(ofProduction: p).reversed() { stack.append((sym, depth + 1)) }
            if out.count > 4000 { return nil }
        }
        return out
    }

    /// Longest-match grammars: a space between lexemes when whitespace is ignored (so adjacent
    /// lexemes do not merge), else nothing.
    private static func separator(_ g: Grammar, _ rng: inout RNG) -> [UInt8] {
        for t in g.terminals where t.isIgnored {
            if let ast = ParseTablesProbe.ast(t.pattern), let dfa = try? RegexCompiler.compile(ast), dfa.matches([0x20]) { return [0x20] }
        }
        return []
    }

    /// Height of each production (max over its rules' least heights + 1), for termination.
    static func productionHeights(_ g: Grammar) -> [Int] {
        var rule = [Int](repeating: Int.max / 2, count: g.rules.count)
        var prod = [Int](repeating: Int.max / 2, count: g.productionCount)
        var changed = true
        while changed {
            changed = false
            for p in 0..<g.productionCount {
                var h = 1
                for s in g.symbols(ofProduction: p) where !s.isTerminal { h = max(h, rule[s.index] + 1) }
                if h < prod[p] { prod[p] = h; changed = true }
                let r = Int(g.productionRule[p])
                if h < rule[r] { rule[r] = h; changed = true }
            }
        }
        return prod
    }

    /// A random member of a terminal's language (random walk in its DFA, stopping at
    /// accepting states with probability 1/3).
    static func randomString(_ p: TerminalPattern, _ rng: inout RNG) -> [UInt8]? {
        guard let ast = ParseTablesProbe.ast(p), let dfa = try? RegexCompiler.compile(ast) else { return nil }
        var s = dfa.start
        var out: [UInt8] = []
        while true {
            if dfa.accepting[Int(s)] && (rng.below(3) == 0 || out.count > 30) { return out }
            var live: [UInt8] = []
            for b in 0..<256 where dfa.next(s, UInt8(b)) >= 0 { live.append(UInt8(b)) }
            if live.isEmpty { return out }
            // Prefer ASCII when available (keeps samples readable) but still visit multi-byte.
            let ascii = live.filter { $0 < 0x80 }
            let pick = !ascii.isEmpty && rng.below(4) != 0 ? ascii[rng.below(ascii.count)] : live[rng.below(live.count)]
            out.append(pick)
            s = dfa.next(s, pick)
        }
    }

    /// How `mask` differs from `oracle` (up to five extra and five missing tokens, as pieces),
    /// or nil when they are equal: what a mask-versus-oracle test records.
    static func maskDifference(_ mask: TokenMask, _ oracle: TokenMask, _ v: Vocabulary) -> String? {
        guard mask != oracle else { return nil }
        let extra = mask.allowedIDs.filter { !oracle.contains($0) }.prefix(5).map { v.pieces[Int($0)] }
        let missing = oracle.allowedIDs.filter { !mask.contains($0) }.prefix(5).map { v.pieces[Int($0)] }
        return "extra \(extra) missing \(missing)"
    }

    /// The brute-force mask: every token of the vocabulary checked by pushing its bytes through
    /// the parser (and, for token terminals, accepting it as a whole on a copy).
    static func oracleMask(_ m: GrammarMatcher) -> TokenMask {
        let v = m.constraint.vocabulary
        var mask = TokenMask(width: v.maskWidth)
        for id in 0..<v.maskWidth {
            if v.eosIDs.contains(Int32(id)) {
                if m.isAccepting { mask.insert(Int32(id)) }
                continue
            }
            if v.isGrammarToken(id) {
                let bytes = v.bytes(of: id)
                if m.viablePrefixLength(bytes) == bytes.count { mask.insert(Int32(id)); continue }
            }
            if m.constraint.grammar.terminals.contains(where: { $0.pattern.involvesTokens }) {
                var c = m
                if c.accept(token: Int32(id)) { mask.insert(Int32(id)) }
            }
        }
        return mask
    }
}

/// TerminalPattern → RegexAST for tests (mirrors the runtime's conversion through the public
/// regex API; nil for token terminals).
enum ParseTablesProbe {
    static func ast(_ p: TerminalPattern) -> RegexAST? {
        switch p {
        case .literal(let b):
            guard let s = String(validating: b, as: UTF8.self) else { return nil }
            return .literal(s)
        case .caseInsensitiveLiteral(let s):
            return .concat(s.unicodeScalars.map { .scalars(CodePointSet(TerminalPattern.caseInsensitiveAlternatives(of: $0))) })
        case .regex(let source, let flags):
            return try? RegexParser.parse(source, dotAll: flags.contains(.dotAll))
        case .codePointClass(let r): return .scalars(CodePointSet(r))
        case .sequence(let parts):
            let a = parts.compactMap(ast)
            return a.count == parts.count ? (a.isEmpty ? .empty : .concat(a)) : nil
        case .alternation(let parts):
            let a = parts.compactMap(ast)
            return a.count == parts.count ? .alternation(a) : nil
        case .repetition(let q, let min, let max):
            return ast(q).map { .repetition($0, min: min, max: max) }
        case .jsonString(let values): return RegexAST.jsonStrings(values)
        case .token, .tokenText, .difference, .multipleOf, .jsonStringAutomaton: return nil
        }
    }
}
