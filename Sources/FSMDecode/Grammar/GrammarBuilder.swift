/// The front-ends' shared intermediate form: an EBNF expression tree for one rule body.
/// Its depth is bounded by the parsers (`GrammarLimits.maxNestingDepth`).
indirect enum GrammarExpr: Sendable {
    case empty
    /// An anonymous terminal written inline; `text` is its source spelling (the terminal's name),
    /// nil to name it by its pattern when a message or listing asks (generated terminals).
    case pattern(TerminalPattern, text: String?, SourcePosition)
    /// A reference to a rule, or in Lark to a named terminal.
    case named(String, SourcePosition)
    case sequence([GrammarExpr])
    case alternation([GrammarExpr])
    case repetition(GrammarExpr, min: Int, max: Int?, SourcePosition)
}

struct RuleDefinition: Sendable {
    var name: String
    var location: SourcePosition
    var body: GrammarExpr
    var isInlined = false
    var keepsAllTokens = false
    var priority = 0
    /// Character-level: the rule (and the helpers its body creates) stays a rule even when its
    /// language is regular, instead of being collapsed into one terminal. For rules whose point
    /// is to keep each terminal's DFA small (JSON Schema's chunked long strings).
    var keepsRule = false
}

/// Lowers rule definitions to a `Grammar`: desugars groups and EBNF operators into helper
/// rules, interns terminals, then validates (undefined, unproductive, unreachable rules,
/// empty language) and analyses (nullable, regular rules). Iterative wherever the input
/// size (not the bounded nesting depth) drives the work.
struct GrammarBuilder {
    let source: String
    let format: Grammar.Format
    let lexing: Grammar.Lexing
    let limits: GrammarLimits

    private var terminals: [GrammarTerminal] = []
    private var terminalIndex: [TerminalPattern: Int] = [:]
    private var namedTerminals: [String: Int] = [:]
    private var ruleIndex: [String: Int] = [:]
    /// Per rule: what `GrammarRule` records (a helper has its owner's defaults: not inlined,
    /// no kept tokens, priority 0).
    private var ruleInfo: [(name: String, location: SourcePosition, origin: GrammarRule.Origin, isInlined: Bool, keepsAllTokens: Bool, priority: Int)] = []
    /// Per rule, its productions (filled when the rule is lowered).
    private var bodies: [[[GrammarSymbol]]] = []
    private var symbolCount = 0
    private var helperMemo: [String: Int] = [:]
    /// Per rule: never collapsed into a terminal (`RuleDefinition.keepsRule`, inherited by the
    /// helpers created while lowering that rule's body).
    private var kept: [Bool] = []
    private var keeping = false
    private var warnings: [String] = []

    init(source: String, format: Grammar.Format, lexing: Grammar.Lexing, limits: GrammarLimits) {
        self.source = source
        self.format = format
        self.lexing = lexing
        self.limits = limits
    }

    mutating func warn(_ message: String) { warnings.append(message) }

    /// Declares a named terminal (Lark); its index is stable.
    mutating func addNamedTerminal(_ t: GrammarTerminal) {
        namedTerminals[t.name] = terminals.count
        if terminalIndex[t.pattern] == nil { terminalIndex[t.pattern] = terminals.count }
        terminals.append(t)
    }

    /// Builds the grammar. `start` names the start rule; `startLocation` is where it was asked
    /// for (for the error when it does not exist).
    mutating func build(rules defs: [RuleDefinition], start: String, ignored: Set<String> = []) throws -> Grammar {
        for d in defs {
            ruleIndex[d.name] = ruleInfo.count
            ruleInfo.append((d.name, d.location, .user, d.isInlined, d.keepsAllTokens, d.priority))
            bodies.append([])
            kept.append(d.keepsRule)
        }
        guard let startRule = ruleIndex[start] else {
            let what = format == .gbnf ? "GBNF grammars need a rule named 'root'" : "Lark grammars need a rule named 'start'"
            let hint = start == (format == .gbnf ? "root" : "start") ? what : "the requested start rule does not exist"
            throw FSMDecodeError(.grammar, "\(source):1:1: no rule named '\(start)' (\(hint))")
        }
        for r in 0..<defs.count {
            let def = defs[r]
            keeping = def.keepsRule
            var productions: [[GrammarSymbol]] = []
            for alt in alternatives(of: def.body) {
                productions.append(try lowerSequence(alt, owner: def.name))
            }
            bodies[r] = productions
        }
        return try finish(start: startRule, ignored: ignored)
    }

    // MARK: lowering

    private func alternatives(of e: GrammarExpr) -> [GrammarExpr] {
        guard case .alternation(let parts) = e else { return [e] }
        // Nested alternations are flattened; without any, the parts are the answer (no copy).
        if !parts.contains(where: { if case .alternation = $0 { return true } else { return false } }) { return parts }
        return parts.flatMap { alternatives(of: $0) }
    }

    private mutating func count(_ n: Int, at loc: SourcePosition) throws {
        symbolCount += n
        if symbolCount > limits.maxSymbols {
            throw FSMDecodeError(.budget, "\(loc): the grammar grows past \(limits.maxSymbols) symbols after expanding repetitions (GrammarLimits.maxSymbols)")
        }
    }

    private mutating func lowerSequence(_ e: GrammarExpr, owner: String) throws -> [GrammarSymbol] {
        var out: [GrammarSymbol] = []
        try lowerSequence(e, owner: owner, into: &out)
        return out
    }

    /// Appends the symbols of `e` to `out` (one array per production, not one per node).
    private mutating func lowerSequence(_ e: GrammarExpr, owner: String, into out: inout [GrammarSymbol]) throws {
        switch e {
        case .empty: return
        case .sequence(let parts):
            for p in parts { try lowerSequence(p, owner: owner, into: &out) }
        case .pattern(let pattern, let text, let loc):
            if case .literal(let b) = pattern, b.isEmpty { return }
            try count(1, at: loc)
            out.append(internTerminal(pattern, name: text, at: loc))
        case .named(let name, let loc):
            try count(1, at: loc)
            if let r = ruleIndex[name] { out.append(.rule(r)); return }
            if let t = namedTerminals[name] { out.append(.terminal(t)); return }
            let kind = format == .lark && isLarkTerminalName(name) ? "terminal" : "rule"
            throw FSMDecodeError(.grammar, "\(loc): undefined \(kind) '\(name)'")
        case .alternation:
            let alts = alternatives(of: e)
            if alts.count == 1 { try lowerSequence(alts[0], owner: owner, into: &out); return }
            var productions: [[GrammarSymbol]] = []
            for a in alts { productions.append(try lowerSequence(a, owner: owner)) }
            try count(1, at: location(of: e))
            out.append(.rule(addHelper(owner: owner, at: location(of: e), origin: .group, productions: productions)))
        case .repetition(let inner, let min, let max, let loc):
            if let max, max < min {
                throw FSMDecodeError(.grammar, "\(loc): repetition {\(min),\(max)} has its maximum below its minimum")
            }
            if min > limits.maxRepetitionBound || (max ?? 0) > limits.maxRepetitionBound {
                throw FSMDecodeError(.budget, "\(loc): repetition bound \(Swift.max(min, max ?? 0)) exceeds \(limits.maxRepetitionBound) (GrammarLimits.maxRepetitionBound)")
            }
            let body = try lowerSequence(inner, owner: owner)
            if max == 0 || body.isEmpty { return }
            let element: GrammarSymbol
            if body.count == 1 {
                element = body[0]
            } else {
                try count(1, at: loc)
                element = .rule(addHelper(owner: owner, at: loc, origin: .group, productions: [body]))
            }
            switch max {
            case nil:
                let copies = Swift.max(min - 1, 0)
                try count(copies + 1, at: loc)
                out += repeatElement(element, count: copies)
                out.append(.rule(try repetitionHelper(element, min: min == 0 ? 0 : 1, max: nil, owner: owner, at: loc)))
            case let max?:
                try count(min + (max > min ? 1 : 0), at: loc)
                out += repeatElement(element, count: min)
                if max > min { out.append(.rule(try repetitionHelper(element, min: 0, max: max - min, owner: owner, at: loc))) }
            }
        }
    }

    private func location(of e: GrammarExpr) -> SourcePosition {
        switch e {
        case .pattern(_, _, let l), .named(_, let l), .repetition(_, _, _, let l): return l
        case .sequence(let parts), .alternation(let parts):
            for p in parts { if case .empty = p { continue }; return location(of: p) }
            return SourcePosition(file: source, line: 1, column: 1)
        case .empty: return SourcePosition(file: source, line: 1, column: 1)
        }
    }

    private mutating func internTerminal(_ pattern: TerminalPattern, name: String?, at loc: SourcePosition) -> GrammarSymbol {
        // One probe (find or insert) through the defaulted subscript's in-place access.
        let next = terminals.count
        var t = -1
        func claim(_ slot: inout Int) { if slot < 0 { slot = next }; t = slot }
        claim(&terminalIndex[pattern, default: -1])
        if t == next { terminals.append(GrammarTerminal(name: name, location: loc, pattern: pattern)) }
        return .terminal(t)
    }

    private mutating func addHelper(owner: String, at loc: SourcePosition, origin: GrammarRule.Origin, productions: [[GrammarSymbol]]) -> Int {
        let r = ruleInfo.count
        ruleInfo.append(("\(owner)#\(r)", loc, origin, false, false, 0))
        bodies.append(productions)
        kept.append(keeping)
        return r
    }

    /// `element{min,max}` with min ∈ {0, 1}; memoized so `x*` used twice is one rule.
    private mutating func repetitionHelper(_ element: GrammarSymbol, min: Int, max: Int?, owner: String, at loc: SourcePosition) throws -> Int {
        let key = "\(element.raw)/\(min)/\(max.map(String.init) ?? "")"
        if let r = helperMemo[key] { return r }
        let r: Int
        switch max {
        case nil:
            r = addHelper(owner: owner, at: loc, origin: .repetition(element: element, min: min, max: nil), productions: [])
            bodies[r] = min == 0 ? [[], [.rule(r), element]] : [[element], [.rule(r), element]]
            try count(3, at: loc)
        case let k?:
            // Build H_1 ... H_k bottom-up (iteratively: k may be large), reusing memoized ones.
            var below: Int? = nil
            var built = 0
            for j in 1...k {
                let jKey = "\(element.raw)/0/\(j)"
                if let existing = helperMemo[jKey] { below = existing; kept[existing] = kept[existing] || keeping; continue }
                let h = addHelper(owner: owner, at: loc, origin: .repetition(element: element, min: 0, max: j),
                                  productions: [[], below.map { [element, .rule($0)] } ?? [element]])
                helperMemo[jKey] = h
                below = h
                built += 2
            }
            try count(built, at: loc)
            r = below!
        }
        helperMemo[key] = r
        return r
    }

    // MARK: validation and analysis

    private mutating func finish(start: Int, ignored: Set<String>) throws -> Grammar {
        let ruleCount = ruleInfo.count
        var productionRule: [Int32] = [], productionStart: [Int32] = [0], symbols: [GrammarSymbol] = []
        var rules: [GrammarRule] = []
        productionRule.reserveCapacity(ruleCount * 2)
        symbols.reserveCapacity(symbolCount)
        for r in 0..<ruleCount {
            let first = productionRule.count
            for p in bodies[r] {
                productionRule.append(Int32(r))
                symbols += p
                productionStart.append(Int32(symbols.count))
            }
            let info = ruleInfo[r]
            rules.append(GrammarRule(name: info.name, location: info.location, origin: info.origin,
                                     productionRange: first..<productionRule.count,
                                     isInlined: info.isInlined, keepsAllTokens: info.keepsAllTokens,
                                     keepsRule: kept[r], priority: info.priority))
        }
        func rhs(_ p: Int) -> ArraySlice<GrammarSymbol> { symbols[Int(productionStart[p])..<Int(productionStart[p + 1])] }

        // Reachability from the start rule (and from ignored terminals, which are always usable).
        var reachable = [Bool](repeating: false, count: ruleCount)
        var terminalUsed = [Bool](repeating: false, count: terminals.count)
        var stack = [start]
        reachable[start] = true
        while let r = stack.popLast() {
            for p in rules[r].productionRange {
                for s in rhs(p) {
                    if s.isTerminal { terminalUsed[s.index] = true }
                    else if !reachable[s.index] { reachable[s.index] = true; stack.append(s.index) }
                }
            }
        }
        for r in 0..<ruleCount where !reachable[r] && rules[r].origin == .user {
            warnings.append("\(rules[r].location): rule '\(rules[r].name)' is never used (unreachable from '\(rules[start].name)')")
        }
        for (t, term) in terminals.enumerated() where !terminalUsed[t] && !term.isIgnored && !ignored.contains(term.name) {
            warnings.append("\(term.location): terminal '\(term.name)' is never used")
        }

        // Productive and nullable rules: counter-based fixpoints, linear in grammar size.
        func fixpoint(_ terminalOK: (Int) -> Bool) -> [Bool] {
            derivingRules(ruleCount: ruleCount, productionRule: productionRule, symbols: { p in
                rhs(p).lazy.map { $0.isTerminal ? ~Int32($0.index) : Int32($0.index) }
            }, terminalOK: terminalOK)
        }
        let productive = fixpoint { _ in true }
        let nullable = fixpoint { [terminals] t in terminals[t].pattern.matchesEmptyStructurally == true }
        if !productive[start] {
            throw FSMDecodeError(.grammar, "\(rules[start].location): the grammar's language is empty: rule '\(rules[start].name)' derives no finite string (every alternative needs itself or another unproductive rule)")
        }
        for r in 0..<ruleCount where !productive[r] && reachable[r] {
            let user = ownerRule(r, rules)
            throw FSMDecodeError(.grammar, "\(rules[r].location): rule '\(user)' is unproductive: it derives no finite string (infinite recursion with no way out)")
        }
        for r in 0..<ruleCount where !productive[r] && rules[r].origin == .user {
            throw FSMDecodeError(.grammar, "\(rules[r].location): rule '\(rules[r].name)' is unproductive: it derives no finite string")
        }

        let (isRegular, order) = regularity(rules: rules, rhs: rhs)
        var patterns = [TerminalPattern?](repeating: nil, count: ruleCount)
        if lexing == .characterLevel {
            var shape = [(nodes: Int, depth: Int)](repeating: (0, 0), count: ruleCount)
            // Terminal sizes are measured on first use: terminals only non-regular rules use
            // (JSON Schema's big undeclared-key strings, next to any-value rules) are never walked.
            var terminalShape = [(nodes: Int, tokens: Bool)?](repeating: nil, count: terminals.count)
            for r in order where isRegular[r] && !kept[r] {
                // Size and depth are computed from the parts' (already known) sizes, so no walk
                // over a deep pattern ever happens.
                var nodes = 1, depth = 1, ok = true
                func add(_ s: GrammarSymbol) {
                    guard ok else { return }  // the rule stays a rule; no need to measure the rest
                    if s.isTerminal {
                        if terminalShape[s.index] == nil { terminalShape[s.index] = terminals[s.index].pattern.nodeCountAndTokens }
                        let t = terminalShape[s.index]!
                        if t.tokens { ok = false }
                        nodes += t.nodes; depth = max(depth, 3)
                    } else if patterns[s.index] == nil {
                        ok = false
                    } else {
                        nodes += shape[s.index].nodes; depth = max(depth, 2 + shape[s.index].depth)
                    }
                }
                if case .repetition(let element, _, _) = rules[r].origin { add(element) }
                else { for p in rules[r].productionRange { nodes += 1; for s in rhs(p) { add(s) } } }
                guard ok, nodes <= limits.maxPatternNodes, depth <= limits.maxNestingDepth else { continue }
                shape[r] = (nodes, depth)
                patterns[r] = compositePattern(r, rules: rules, rhs: rhs, patterns: patterns)
            }
        }
        return Grammar(source: source, format: format, lexing: lexing, terminals: terminals, rules: rules, start: start,
                       productionRule: productionRule, productionStart: productionStart, productionSymbols: symbols,
                       warnings: warnings, nullable: nullable, isRegular: isRegular, regularPatterns: patterns)
    }

    /// The user rule a helper was generated for (helper names are `owner#n`).
    private func ownerRule(_ r: Int, _ rules: [GrammarRule]) -> String {
        let name = rules[r].name
        if let hash = name.firstIndex(of: "#") { return String(name[..<hash]) }
        return name
    }

    /// Regular rules and a bottom-up order (every rule after the rules it references, for the
    /// DAG part). Iterative Tarjan SCC over the reference graph, where a repetition helper
    /// points only at its element.
    private func regularity(rules: [GrammarRule], rhs: (Int) -> ArraySlice<GrammarSymbol>) -> ([Bool], [Int]) {
        let n = rules.count
        var succ = [[Int]](repeating: [], count: n)
        // The last rule that listed each rule as a successor (a stamp, not a set per rule).
        var listedBy = [Int](repeating: -1, count: n)
        for r in 0..<n {
            if case .repetition(let element, _, _) = rules[r].origin {
                if !element.isTerminal { succ[r] = [element.index] }
                continue
            }
            for p in rules[r].productionRange {
                for s in rhs(p) where !s.isTerminal && listedBy[s.index] != r {
                    listedBy[s.index] = r
                    succ[r].append(s.index)
                }
            }
        }
        var index = [Int](repeating: -1, count: n), low = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var sccStack: [Int] = [], order: [Int] = []
        var cyclic = [Bool](repeating: false, count: n)
        var next = 0
        for root in 0..<n where index[root] < 0 {
            var frames: [(v: Int, edge: Int)] = [(root, 0)]
            index[root] = next; low[root] = next; next += 1
            sccStack.append(root); onStack[root] = true
            while !frames.isEmpty {
                let (v, e) = frames[frames.count - 1]
                if e < succ[v].count {
                    frames[frames.count - 1].edge += 1
                    let w = succ[v][e]
                    if index[w] < 0 {
                        index[w] = next; low[w] = next; next += 1
                        sccStack.append(w); onStack[w] = true
                        frames.append((w, 0))
                    } else if onStack[w] {
                        low[v] = min(low[v], index[w])
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last { low[parent.v] = min(low[parent.v], low[v]) }
                if low[v] == index[v] {
                    var members: [Int] = []
                    while true {
                        let w = sccStack.removeLast(); onStack[w] = false
                        members.append(w)
                        if w == v { break }
                    }
                    let selfLoop = succ[v].contains(v)
                    let isCycle = members.count > 1 || selfLoop
                    for m in members {
                        order.append(m)
                        // Regular iff not on a cycle and every successor is regular (successors'
                        // SCCs are complete already: Tarjan emits sinks first).
                        cyclic[m] = isCycle || succ[m].contains { $0 != m && cyclic[$0] }
                    }
                    if isCycle { for m in members { cyclic[m] = true } }
                }
            }
        }
        return (cyclic.map { !$0 }, order)
    }

    private func compositePattern(_ r: Int, rules: [GrammarRule], rhs: (Int) -> ArraySlice<GrammarSymbol>, patterns: [TerminalPattern?]) -> TerminalPattern? {
        func symbolPattern(_ s: GrammarSymbol) -> TerminalPattern? {
            s.isTerminal ? terminals[s.index].pattern : patterns[s.index]
        }
        let result: TerminalPattern
        if case .repetition(let element, let min, let max) = rules[r].origin {
            guard let p = symbolPattern(element) else { return nil }
            result = .repetition(p, min: min, max: max)
        } else {
            var alts: [TerminalPattern] = []
            for p in rules[r].productionRange {
                var parts: [TerminalPattern] = []
                for s in rhs(p) {
                    guard let sp = symbolPattern(s) else { return nil }
                    parts.append(sp)
                }
                alts.append(parts.count == 1 ? parts[0] : .sequence(parts))
            }
            result = alts.count == 1 ? alts[0] : .alternation(alts)
        }
        return result
    }
}

/// Lark's convention: a name is a terminal when it is all uppercase (after leading `_`).
func isLarkTerminalName(_ name: String) -> Bool {
    let core = name.drop { $0 == "_" }
    guard let first = core.first else { return false }
    return first.isUppercase && !core.contains { $0.isLowercase }
}

/// Rules with a production whose symbols are all such rules or terminals passing `terminalOK`
/// (every terminal: the productive rules; nullable terminals: the rules deriving the empty
/// string). `symbols(p)` lists production `p`'s symbols, rules as their index, terminals as
/// `~index`. Linear in the grammar's size: each production counts its rule symbols not yet
/// known to derive, and a rule found to derive decrements the productions that use it
/// (repeated passes would be quadratic on a chain of rules).
func derivingRules<S: Sequence<Int32>>(ruleCount: Int, productionRule: [Int32], symbols: (Int) -> S,
                                       terminalOK: (Int) -> Bool) -> [Bool] {
    // The productions using each rule, one entry per occurrence (grouped by rule).
    var userStart = [Int32](repeating: 0, count: ruleCount + 1)
    for p in productionRule.indices { for s in symbols(p) where s >= 0 { userStart[Int(s) + 1] += 1 } }
    for r in 0 ..< ruleCount { userStart[r + 1] += userStart[r] }
    var next = userStart
    var users = [Int32](repeating: 0, count: Int(userStart[ruleCount]))
    var derives = [Bool](repeating: false, count: ruleCount)
    var missing = [Int](repeating: 0, count: productionRule.count)
    var work: [Int32] = []
    for p in productionRule.indices {
        var n = 0
        for s in symbols(p) {
            if s >= 0 {
                users[Int(next[Int(s)])] = Int32(p)
                next[Int(s)] += 1
                n += 1
            } else if !terminalOK(Int(~s)) {
                n = Int.max / 2  // never completes
            }
        }
        missing[p] = n
        let r = Int(productionRule[p])
        if n == 0 && !derives[r] { derives[r] = true; work.append(Int32(r)) }
    }
    while let r = work.popLast() {
        for u in Int(userStart[Int(r)]) ..< Int(userStart[Int(r) + 1]) {
            let p = Int(users[u])
            missing[p] -= 1
            let q = Int(productionRule[p])
            if missing[p] == 0 && !derives[q] { derives[q] = true; work.append(Int32(q)) }
        }
    }
    return derives
}
