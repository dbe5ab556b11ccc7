import Synchronization

/// The grammar as the runtime parses it: flat productions over runtime terminals, each
/// terminal compiled to a `RegexAST` (byte-level) or a vocabulary token, plus a lazily filled,
/// thread-safe cache of lexers (one combined byte DFA per set of terminals the parser can
/// accept next).
///
/// For `.characterLevel` grammars every rule whose language is regular (`Grammar.regularPatterns`),
/// small (`collapseLimit`) and used by a rule that is not collapsed becomes one terminal: the
/// language is unchanged (any split of the input is allowed), and whole strings, numbers,
/// whitespace runs become single lexemes, which is what makes context-independent token masks
/// large.
///
/// Immutable after construction except for the lexer cache (see `LexerCache`).
final class ParseTables: Sendable {
    struct TerminalInfo: Sendable {
        /// What the runtime terminal stands for; its name and place are rendered from it when
        /// a message or listing needs them (most compiles need none).
        enum Origin: Sendable {
            case terminal(GrammarTerminal)
            /// A regular rule collapsed into one terminal.
            case rule(name: String, location: SourcePosition)
        }
        let origin: Origin
        var name: String {
            switch origin {
            case .terminal(let t): return t.name
            case .rule(let name, _): return name
            }
        }
        /// The byte-level pattern (compiled to `ParseTables.terminalDFAs`); nil for
        /// vocabulary-token terminals.
        var pattern: TerminalPattern?
        /// Where the pattern comes from, for messages (`terminal X (3:1)`, `rule 'r' (4:2)`).
        var place: String {
            switch origin {
            case .terminal(let t): return "terminal \(t.name) (\(t.location))"
            case .rule(let name, let location): return "rule '\(name)' (\(location))"
            }
        }
        /// `<[id]>` / `!<[id]>` (resolved `<text>`): matched against whole accepted tokens.
        var token: (id: Int32, negated: Bool)?
        /// Character-level only: the terminal matches the empty string (the parser steps over
        /// it when predicting, like a nullable rule; lexemes themselves are never empty).
        var nullable: Bool
        var ignored: Bool
        var priority: Int
    }

    let grammar: Grammar
    let lexing: Grammar.Lexing
    let terminals: [TerminalInfo]
    let ruleNames: [String]
    let start: Int32
    /// Production p: `rule[p]`, right-hand side `symbols[symbolStart[p] ..< symbolStart[p+1]]`
    /// packed as `GrammarSymbol.raw` (>= 0 rule, < 0 terminal `~raw`).
    let productionRule: [Int32]
    let symbolStart: [Int32]
    let symbols: [Int32]
    /// Rule r's productions are `ruleProductionStart[r] ..< ruleProductionStart[r+1]`.
    let ruleProductionStart: [Int32]
    let nullable: [Bool]
    /// Indices of ignored terminals (longest-match grammars).
    let ignoredTerminals: [Int32]
    let hasTokenTerminals: Bool
    /// Per terminal: matched by the byte lexer (not a token terminal). Flat copies of
    /// `terminals` fields for the per-item loops.
    let isByteTerminal: [Bool]
    /// Per terminal: `terminals[t].nullable`.
    let terminalNullable: [Bool]
    /// Dotted productions (the parser's item cores, `EarleyItem.dotted`): production p with the
    /// dot before its d-th symbol is `symbolStart[p] + p + d` (each production has one slot per
    /// dot position, the last after its last symbol). `dottedSymbol` is the symbol after the
    /// dot (`GrammarSymbol.raw`) or `ParseTables.endOfProduction`; `dottedRule` the
    /// production's rule. One load answers what an item expects, and advancing is `+ 1`.
    let dottedSymbol: [Int32]
    let dottedRule: [Int32]
    static let endOfProduction = Int32.min
    /// Per rule, the items predicting it adds to a set (origin aside): each production at dot
    /// 0 and after each symbol of its nullable prefix, as dotted productions in
    /// `predictedItems[predictedItemStart[r] ..< predictedItemStart[r + 1]]`.
    let predictedItems: [Int32]
    let predictedItemStart: [Int32]
    let regexOptions: RegexOptions
    /// The vocabulary's grammar tokens (nil without a vocabulary), shared by every mask store.
    let grammarTokens: GrammarTokens?
    /// Per terminal with a DFA: the tokens that stay inside its lexeme from each DFA state
    /// (computed on first visit), shared by every lexer containing the terminal.
    let terminalStores: [MaskStore?]
    /// Per terminal with a DFA: where its match ends inside tokens (filled with its store).
    let terminalBoundaries: [TerminalBoundaries?]
    /// Per terminal: its DFA (nil for token terminals and terminals matching nothing).
    let terminalDFAs: [ByteDFA?]
    let lexers: LexerCache
    /// The end classes of every lexer built here (`Lexer`'s end-class ids are shared).
    let endClasses = EndClasses()
    /// What lexers' budget errors name (built once, not per lexer).
    private let lexerDescription: String
    /// Token masks are computed against this vocabulary (nil: parsing only).
    let vocabulary: Vocabulary?
    /// The indentation step (`Grammar.indentation`), with the newline terminal's DFA in
    /// `terminalDFAs` replaced by its column-counting product.
    let indentation: IndentationTracker?
    /// What predicting each rule adds to an Earley set (filled on first use).
    let predictions: PredictionClosures

    /// Compiles `grammar`'s terminals; token terminals are resolved against `vocabulary`.
    /// Throws `.grammar` for patterns the byte-level lexer cannot honour (a token inside a
    /// composite pattern, an unknown `<text>` token, a regex outside the supported syntax) and
    /// `.budget` when a terminal's DFA exceeds `options.maxStates`.
    init(grammar g: Grammar, vocabulary: Vocabulary?, options: RegexOptions = RegexOptions()) throws {
        self.grammar = g
        self.vocabulary = vocabulary
        self.lexing = g.lexing
        self.regexOptions = options
        // A collapsed regular rule whose terminal passes the NFA or DFA budget is parsed as a
        // rule instead, with the rules below it (their parts become terminals; same language,
        // exact), and the layout is redone, at most `maxUncollapsed` times before the budget
        // error stands. A terminal matching nothing inside a regular rule left uncollapsed for
        // its size redoes the layout with every regular rule collapsed, where that branch
        // simply drops out of the rule's DFA.
        var blocked = Set<Int>()
        var retries = 0
        var limitCollapse = true
        var layout: Layout
        while true {
            do {
                layout = try ParseTables.layout(g, vocabulary: vocabulary, options: options, blocked: blocked,
                                                limitCollapse: limitCollapse)
                break
            } catch let e as EmptyTerminal {
                guard limitCollapse else { throw e.error }
                limitCollapse = false
            } catch let u as Uncollapse {
                guard retries < ParseTables.maxUncollapsed else { throw u.error }
                retries += 1
                // The rule and every rule below it: a too-big rule's collapsed sub-rules tend to
                // be too big as well, and each failed attempt builds up to the budget.
                var stack = [u.rule]
                blocked.insert(u.rule)
                while let r = stack.popLast() {
                    for p in g.productions(of: r) {
                        for sym in g.symbols(ofProduction: p) where !sym.isTerminal && !blocked.contains(sym.index) {
                            blocked.insert(sym.index)
                            stack.append(sym.index)
                        }
                    }
                }
            }
        }
        let (infos, order, ruleMap) = (layout.infos, layout.order, layout.ruleMap)
        var dfas = layout.dfas
        self.indentation = try ParseTables.indentationTracker(g, layout.runtimeTerminal, &dfas)
        let (productionRule, symbolStart, symbols) = (layout.productionRule, layout.symbolStart, layout.symbols)
        let (ruleProductionStart, ignored) = (layout.ruleProductionStart, layout.ignored)
        // Terminals that match nothing (collapsed rules whose DFA came out empty: a JSON
        // Schema's contradictory branch) drop their productions; a start rule left with none
        // is an error, as a grammar empty by its own rules is.
        let production = { p in symbols[Int(symbolStart[p]) ..< Int(symbolStart[p + 1])] }
        let productive = derivingRules(ruleCount: order.count, productionRule: productionRule, symbols: production) { t in
            infos[t].pattern == nil || dfas[t] != nil
        }
        guard productive[Int(ruleMap[g.start])] else {
            throw FSMDecodeError(.grammar, "grammar \(g.source) matches no string")
        }
        self.terminalDFAs = dfas
        // A cheap key to find equal DFAs (hashing whole tables cost 6% of a cold compile).
        let hashes = dfas.map { d -> Int in
            guard let d else { return 0 }
            var h = Hasher()
            h.combine(d.stateCount)
            h.combine(d.classCount)
            for c in d.table.prefix(64) { h.combine(c) }
            return h.finalize()
        }
        let tokens = vocabulary.map { GrammarTokens($0) }
        self.grammarTokens = tokens
        // Terminals with equal DFAs (equal languages: DFAs are canonical) share one store.
        var boundaries = [TerminalBoundaries?](repeating: nil, count: dfas.count)
        var stores = [MaskStore?](repeating: nil, count: dfas.count)
        if let tokens {
            for t in dfas.indices {
                guard let d = dfas[t] else { continue }
                if let same = (0..<t).first(where: { hashes[$0] == hashes[t] && dfas[$0] == d }) {
                    boundaries[t] = boundaries[same]
                    stores[t] = stores[same]
                } else {
                    boundaries[t] = TerminalBoundaries(stateCount: d.stateCount)
                    stores[t] = MaskStore(dfa: d, tokens: tokens, boundaries: boundaries[t]!)
                }
            }
        }
        self.terminalBoundaries = boundaries
        self.terminalStores = stores
        self.terminals = infos
        self.ruleNames = order.map { g.rules[$0].name }
        self.start = ruleMap[g.start]
        self.productionRule = productionRule
        self.symbolStart = symbolStart
        self.symbols = symbols
        self.ruleProductionStart = ruleProductionStart
        self.nullable = derivingRules(ruleCount: order.count, productionRule: productionRule, symbols: production) {
            infos[$0].nullable
        }
        self.ignoredTerminals = ignored.sorted()
        self.hasTokenTerminals = infos.contains { $0.token != nil }
        self.isByteTerminal = infos.map { $0.pattern != nil }
        self.terminalNullable = infos.map(\.nullable)
        var dottedSymbol: [Int32] = [], dottedRule: [Int32] = []
        dottedSymbol.reserveCapacity(symbols.count + productionRule.count)
        dottedRule.reserveCapacity(symbols.count + productionRule.count)
        for p in productionRule.indices {
            for e in Int(symbolStart[p])..<Int(symbolStart[p + 1]) { dottedSymbol.append(symbols[e]); dottedRule.append(productionRule[p]) }
            dottedSymbol.append(ParseTables.endOfProduction); dottedRule.append(productionRule[p])
        }
        self.dottedSymbol = dottedSymbol
        self.dottedRule = dottedRule
        var predicted: [Int32] = [], predictedStart: [Int32] = [0]
        for r in 0..<order.count {
            for p in ruleProductionStart[r]..<ruleProductionStart[r + 1] {
                var at = symbolStart[Int(p)] + p
                predicted.append(at)
                for e in Int(symbolStart[Int(p)])..<Int(symbolStart[Int(p) + 1]) {
                    let sym = symbols[e]
                    guard sym >= 0 ? nullable[Int(sym)] : terminalNullable[Int(~sym)] else { break }
                    at += 1
                    predicted.append(at)
                }
            }
            predictedStart.append(Int32(predicted.count))
        }
        self.predictedItems = predicted
        self.predictedItemStart = predictedStart
        self.lexers = LexerCache()
        self.lexerDescription = "grammar \(g.source)"
        self.predictions = PredictionClosures(ruleCount: order.count, terminalCount: infos.count)
    }

    /// At most this many layouts are redone after budget errors on collapsed rules.
    static let maxUncollapsed = 8
    /// State budget of a collapsed rule's DFA (a user's terminal keeps `RegexOptions.maxStates`).
    /// Collapsing only makes a regular rule one lexeme; past this budget the rule is parsed as
    /// a rule, exactly as well. A smaller budget makes the doomed attempts cheaper: at 100,000
    /// states and 2 M NFA states, maskbench-dev Github_hard---o9787 made four (640 ms TTFM;
    /// 196 ms with these budgets). Halving them again saves more there but costs the schemas
    /// whose collapsed rules need 40-65 k states (WashingtonPost---wp_*: +30 %).
    static let collapsedMaxStates = 65_536
    /// NFA budget of a collapsed rule, for the same reason: building the NFA of a big object's
    /// members is most of a doomed attempt once the DFA budget is small.
    static let collapsedMaxNFAStates = 524_288

    /// A budget error on the terminal of collapsed rule `rule`.
    private struct Uncollapse: Error {
        var rule: Int
        var error: FSMDecodeError
    }

    /// A grammar terminal that matches no string.
    private struct EmptyTerminal: Error {
        var error: FSMDecodeError
    }

    /// A regular rule is inlined as one terminal only when its DFA is estimated at most this
    /// big (`limitCollapse`). A bigger one stays a rule over its parts: collapsed, it copies
    /// every part into a DFA of its own (a JSON object: its bounded whitespace alone is 20
    /// states at each place it may appear, its value patterns once per member), while as a
    /// rule its parts are terminals whose equal patterns share one DFA. Measured on
    /// maskbench-dev (cold, flexible whitespace), against collapsing every regular rule: TTFM
    /// p50 −20 %, p95 −44 %, TBM p50 +0.2 µs and p99 unchanged within noise; callgrind over
    /// compile and first mask alike for 16, 32 and 64 (Benchmarks/README.md).
    static let collapseLimit = 64

    /// Whether a regular rule with pattern `p` is inlined as one terminal (and a grammar
    /// whose start rule is, compiled as one DFA).
    static func collapses(_ p: TerminalPattern) -> Bool {
        sizeEstimate(p, cap: collapseLimit + 1) <= collapseLimit
    }

    /// The runtime grammar: terminals (with their DFAs) and the flattened productions of the
    /// kept rules.
    private struct Layout {
        var infos: [TerminalInfo]
        var dfas: [ByteDFA?]
        var order: [Int]
        var ruleMap: [Int32]
        var productionRule: [Int32]
        var symbolStart: [Int32]
        var symbols: [Int32]
        var ruleProductionStart: [Int32]
        var ignored: [Int32]
        /// Original terminal index → runtime terminal (terminals the runtime uses).
        var runtimeTerminal: [Int: Int32]
    }

    /// Lays out `g` for the runtime: which regular rules are inlined as terminals (all but the
    /// `blocked` ones, big-part members and, under `limitCollapse`, big rules), the kept rules' productions over runtime terminals,
    /// and each terminal's DFA. Throws `Uncollapse` when an inlined rule's DFA passes a budget.
    private static func layout(_ g: Grammar, vocabulary: Vocabulary?, options: RegexOptions, blocked: Set<Int>,
                               limitCollapse: Bool) throws -> Layout {
        // Rules to inline as terminals (character-level): regular rules, small ones only
        // under `limitCollapse`.
        var collapse = [Bool](repeating: false, count: g.rules.count)
        if g.lexing == .characterLevel {
            for r in g.rules.indices where !blocked.contains(r) {
                guard let pattern = g.regularPatterns[r] else { continue }
                collapse[r] = !limitCollapse || collapses(pattern)
            }
            // A regular rule used by the context-free part that is one sequence with a big part
            // (a JSON member `"key": value` with a long string value) stays a rule over its
            // parts: collapsed, each such rule copies the big part into a DFA of its own
            // (compiled, masked and joined into lexers separately; a lexer over the members of
            // an object is as big as their sum). Its parts become terminals (equal ones share).
            for r in g.rules.indices where g.regularPatterns[r] == nil {
                for p in g.productions(of: r) {
                    for s in g.symbols(ofProduction: p) where !s.isTerminal && collapse[s.index] && s.index != g.start {
                        let sub = g.productions(of: s.index)
                        guard sub.count == 1 else { continue }
                        let parts = g.symbols(ofProduction: sub.lowerBound)
                        guard parts.count > 1 else { continue }
                        let big = parts.contains { part in
                            guard let pattern = part.isTerminal ? g.terminals[part.index].pattern : g.regularPatterns[part.index] else { return false }
                            return ParseTables.sizeEstimate(pattern, cap: ParseTables.bigPart) >= ParseTables.bigPart
                        }
                        if big { collapse[s.index] = false }
                    }
                }
            }
        }
        // Keep rules reachable from the start through kept rules (iterative).
        var keep = [Bool](repeating: false, count: g.rules.count)
        var ruleMap = [Int32](repeating: -1, count: g.rules.count)
        var order: [Int] = []
        var terminalMap: [Int32: Int32] = [:]  // original terminal index or ~(rule) key -> runtime terminal
        var infos: [TerminalInfo] = []
        // Regrowing copies every entry's strings and pattern (retains, releases): reserved.
        infos.reserveCapacity(g.terminals.count + g.rules.count)
        // Character-level grammar terminals (not inlined rules) whose nullability is read off
        // their DFA (the place is named when it matches nothing).
        var nullableFromDFA = Set<Int>()
        // Terminals standing for collapsed rules: their rule.
        var ruleOfTerminal: [Int: Int] = [:]
        func runtimeTerminal(forRule r: Int) throws -> Int32 {
            let key = Int32(g.terminals.count + r)
            if let t = terminalMap[key] { return t }
            let pattern = g.regularPatterns[r]!
            let t = Int32(infos.count)
            ruleOfTerminal[infos.count] = r
            infos.append(TerminalInfo(origin: .rule(name: g.rules[r].name, location: g.rules[r].location), pattern: pattern, token: nil,
                                      nullable: pattern.matchesEmptyStructurally ?? g.nullable[r],
                                      ignored: false, priority: 0))
            terminalMap[key] = t
            return t
        }
        func runtimeTerminal(_ i: Int) throws -> Int32 {
            if let t = terminalMap[Int32(i)] { return t }
            let term = g.terminals[i]
            var info = TerminalInfo(origin: .terminal(term), pattern: nil, token: nil, nullable: false,
                                    ignored: term.isIgnored, priority: term.priority)
            var place: String { info.place }
            switch term.pattern {
            case _ where term.isDeclared:
                break  // produced by the indentation step, never lexed
            case .token(let id, let negated):
                guard let v = vocabulary, Int(id) < v.maskWidth, !v.flags[Int(id)].contains(.absent) else {
                    throw FSMDecodeError(.grammar, "\(place): token id \(id) is not in the vocabulary")
                }
                info.token = (Int32(id), negated)
            case .tokenText(let text, let negated):
                guard let v = vocabulary else { throw FSMDecodeError(.grammar, "\(place): <\(text)> needs a vocabulary") }
                guard let id = ParseTables.tokenID(named: text, in: v) else {
                    throw FSMDecodeError(.grammar, "\(place): <\(text)> is not a single token of the vocabulary \(v.source)")
                }
                info.token = (id, negated)
            default:
                info.pattern = term.pattern
                if g.lexing == .characterLevel { nullableFromDFA.insert(infos.count) }
            }
            let t = Int32(infos.count)
            infos.append(info)
            terminalMap[Int32(i)] = t
            return t
        }
        var stack = [g.start]
        keep[g.start] = true
        while let r = stack.popLast() {
            order.append(r)
            for p in g.productions(of: r) {
                for s in g.symbols(ofProduction: p) where !s.isTerminal && !keep[s.index] && !(collapse[s.index] && s.index != g.start) {
                    keep[s.index] = true
                    stack.append(s.index)
                }
            }
        }
        order.sort()
        for (k, r) in order.enumerated() { ruleMap[r] = Int32(k) }
        var productionRule: [Int32] = [], symbolStart: [Int32] = [0], symbols: [Int32] = []
        var ruleProductionStart: [Int32] = [0]
        for r in order {
            if collapse[r] && r == g.start {
                // The whole grammar is regular: start ::= T.
                productionRule.append(ruleMap[r])
                symbols.append(~(try runtimeTerminal(forRule: r)))
                symbolStart.append(Int32(symbols.count))
            } else {
                for p in g.productions(of: r) {
                    productionRule.append(ruleMap[r])
                    for s in g.symbols(ofProduction: p) {
                        if s.isTerminal {
                            symbols.append(~(try runtimeTerminal(s.index)))
                        } else if collapse[s.index] {
                            symbols.append(~(try runtimeTerminal(forRule: s.index)))
                        } else {
                            symbols.append(ruleMap[s.index])
                        }
                    }
                    symbolStart.append(Int32(symbols.count))
                }
            }
            ruleProductionStart.append(Int32(productionRule.count))
        }
        // Ignored terminals are lexed even though no production names them.
        var ignored: [Int32] = []
        if g.lexing == .longestMatch {
            for i in g.terminals.indices where g.terminals[i].isIgnored { ignored.append(try runtimeTerminal(i)) }
        }
        // Each terminal's DFA, compiled once: lexers are products of these (`Lexer`),
        // and a DFA over the state budget is a compile error here, not a lexer that fails to
        // build in the middle of a mask.
        var dfas: [ByteDFA?] = []
        for t in infos.indices {
            guard let pattern = infos[t].pattern else { dfas.append(nil); continue }
            let dfa: ByteDFA?
            do {
                var budget = options
                if ruleOfTerminal[t] != nil {
                    budget.maxStates = min(budget.maxStates, collapsedMaxStates)
                    budget.maxNFAStates = min(budget.maxNFAStates, collapsedMaxNFAStates)
                }
                dfa = try ParseTables.compileTerminal(pattern, where: infos[t].place, options: budget,
                                                      description: "\(g.source): terminal \(infos[t].name)")
            } catch let e as FSMDecodeError where e.kind == .budget {
                if let r = ruleOfTerminal[t] { throw Uncollapse(rule: r, error: e) }
                throw e
            }
            if nullableFromDFA.contains(t) {
                guard let dfa else { throw EmptyTerminal(error: FSMDecodeError(.grammar, "\(infos[t].place) matches no string")) }
                infos[t].nullable = dfa.accepting[Int(dfa.start)]
            }
            dfas.append(dfa)
        }
        var runtime: [Int: Int32] = [:]
        for (key, t) in terminalMap where key >= 0 && Int(key) < g.terminals.count { runtime[Int(key)] = t }
        return Layout(infos: infos, dfas: dfas, order: order, ruleMap: ruleMap, productionRule: productionRule,
                      symbolStart: symbolStart, symbols: symbols, ruleProductionStart: ruleProductionStart, ignored: ignored,
                      runtimeTerminal: runtime)
    }

    var productionCount: Int { productionRule.count }

    /// The runtime side of `g.indentation`: replaces the newline terminal's DFA in `dfas` by
    /// its column-counting product (see `IndentationTracker`).
    private static func indentationTracker(_ g: Grammar, _ runtime: [Int: Int32], _ dfas: inout [ByteDFA?]) throws -> IndentationTracker? {
        guard let ind = g.indentation else { return nil }
        let term = g.terminals[ind.newline]
        guard let nl = runtime[ind.newline], let indent = runtime[ind.indent], let dedent = runtime[ind.dedent] else {
            throw FSMDecodeError(.grammar, "\(term.location): indentation needs the rules to use \(term.name), _INDENT and _DEDENT")
        }
        guard let d = dfas[Int(nl)],
              let (counted, widths) = IndentationTracker.countingColumns(d, tabWidth: ind.tabWidth, maxColumns: ind.maxColumns) else {
            throw FSMDecodeError(.grammar, "\(term.location): the newline terminal '\(term.name)' matches nothing within \(ind.maxColumns) columns")
        }
        dfas[Int(nl)] = counted
        return IndentationTracker(newline: nl, indent: indent, dedent: dedent,
                                  opens: ind.openBrackets.compactMap { runtime[$0] }, closes: ind.closeBrackets.compactMap { runtime[$0] },
                                  tabWidth: ind.tabWidth, maxColumns: ind.maxColumns, widths: widths)
    }

    /// A readable name of a terminal for messages (`"{"`, `string`, `NUMBER`).
    func terminalName(_ t: Int32) -> String { terminals[Int(t)].name }

    // MARK: - Lexers

    /// The lexer for a sorted set of terminals (byte terminals only), created on first use
    /// (cheap: its states are built as they are stepped). Throws `.grammar` when every terminal
    /// matches nothing; the state budget is met while stepping (`Lexer.overBudget`).
    func lexer(for terminalSet: [Int32]) throws -> Lexer {
        if let l = lexers.lookup(terminalSet) { return l }
        let dfas = terminalSet.map { terminalDFAs[Int($0)] }
        guard dfas.contains(where: { $0 != nil }) else {
            throw FSMDecodeError(.grammar, "grammar \(grammar.source): terminals \(terminalSet.map { terminalName($0) }) match nothing")
        }
        return try lexers.insert(terminalSet, description: lexerDescription) { id in
            Lexer(id: id, terminals: terminalSet, dfas: dfas,
                  priorities: terminalSet.map { terminals[Int($0)].priority },
                  ignored: terminalSet.map { terminals[Int($0)].ignored }, longestMatch: lexing == .longestMatch,
                  terminalStores: terminalStores, wordCount: grammarTokens?.wordCount ?? 0,
                  maxStates: regexOptions.maxStates, description: lexerDescription,
                  newlinePart: indentation.flatMap { terminalSet.firstIndex(of: $0.newline) },
                  newlineWidths: indentation?.widths ?? [], endClasses: endClasses)!
        }
    }

    func lexer(id: Int32) -> Lexer { lexers.get(id) }
    /// `lexer(id:)` unretained: the cache holds its lexers as long as these tables live.
    @inline(__always) func unretainedLexer(id: Int32) -> Unmanaged<Lexer> { lexers.unretained(id) }

    /// The trie nodes where terminal `t`'s match, begun at the root in DFA state `state`, ends
    /// with bytes to go (`TerminalBoundaries`); walks the trie on first use.
    func boundaries(terminal t: Int32, state: Int32) -> [UInt32] {
        _ = terminalStores[Int(t)]!.entryIndex(state)
        return terminalBoundaries[Int(t)]!.get(state)!
    }

    // MARK: - Terminal compilation

    /// Patterns estimated at this many DFA states or more are not copied into collapsed rules.
    /// Low on purpose: a lexer over an object's members is the product of their terminals, so
    /// copying each value pattern into its member makes every lexer as big as the sum of the
    /// values (measured on every 10th maskbench-dev schema, cold, flexible: 2048 → 16 cut CPU
    /// by a third, TTFM p50 40 → 26 ms, TBM avg 257 → 155 µs; 64 was in between).
    static let bigPart = 16

    /// A rough size of `p`'s DFA: bytes of literals and classes, repetitions multiplied out.
    /// Regexes count their source length (unknown shape). Stops counting at `cap` (so asking
    /// whether a big pattern is small costs about `cap` steps, not the pattern's size).
    static func sizeEstimate(_ p: TerminalPattern, cap: Int = 1 << 24) -> Int {
        switch p {
        case .literal(let b): return min(cap, b.count)
        case .caseInsensitiveLiteral(let s): return min(cap, s.unicodeScalars.count)
        case .regex(let source, _): return min(cap, source.utf8.count)
        case .codePointClass, .token, .tokenText: return 1
        case .sequence(let parts), .alternation(let parts):
            var sum = 0
            for q in parts {
                sum += sizeEstimate(q, cap: cap - sum)
                if sum >= cap { return cap }
            }
            return sum
        case .repetition(let q, let lo, let hi):
            return min(cap, max(1, sizeEstimate(q, cap: cap)) * max(1, min(cap, hi ?? (lo + 1))))
        case .difference(let a, let b):
            let x = sizeEstimate(a, cap: cap)
            return x >= cap ? cap : x + sizeEstimate(b, cap: cap - x)
        case .multipleOf(let q, let factor, let scale):
            return min(cap, sizeEstimate(q, cap: cap) + min(cap, factor) * (scale + 2))
        case .jsonStringAutomaton(let a):
            return min(cap, a.edges.reduce(2) { $0 + 7 * $1.count })
        case .jsonString(let values):
            // As the spellings written out: quotes, and per character the raw form and `\u` + 4.
            return min(cap, values.reduce(0) { $0 + 2 + 7 * $1.count })
        }
    }

    /// The regex AST of a byte-level pattern. Recursion is bounded by the front-ends' nesting limit.
    /// A `.difference` is compiled here (both parts through `compileTerminal`, then their
    /// product) and enters the AST as an automaton; `options` bound it.
    static func regexAST(_ p: TerminalPattern, where place: @autoclosure () -> String, options: RegexOptions) throws -> RegexAST {
        // JSON's any-string and any-number lexemes are constants: their DFAs are prebuilt.
        if let d = JSONLexemes.prebuiltDFA(p), d.stateCount <= options.maxStates { return .automaton(d) }
        return try spelledRegexAST(p, where: place(), options: options)
    }

    /// `regexAST` without the prebuilt DFAs: the pattern converted (what they are checked against).
    static func spelledRegexAST(_ p: TerminalPattern, where place: @autoclosure () -> String, options: RegexOptions) throws -> RegexAST {
        // A terminal that is one JSON-string set takes its direct DFA (inside bigger patterns
        // it is spelled out: see `RegexAST.jsonStrings`).
        if case .jsonString(let values) = p {
            return try ByteDFA.jsonStrings(values, maxStates: options.maxStates, description: place()).map { .automaton($0) } ?? .scalars(CodePointSet())
        }
        // JSON-string terminals repeat a few classes and literals (hex digits, `\u`, short
        // escapes) hundreds of times: each distinct one is converted once per pattern, and the
        // copies share their storage.
        var memo = RegexASTMemo(options: options)
        return try regexAST(p, where: place(), memo: &memo)
    }

    private struct RegexASTMemo {
        let options: RegexOptions
        var classes: [MemoKey<ClosedRange<UInt32>>: RegexAST] = [:]
        var literals: [MemoKey<UInt8>: RegexAST] = [:]
    }

    /// A memo key hashed once by `StableHasher`: `Hasher` over every range or byte, at each
    /// of the thousands of lookups a JSON-string terminal makes, cost about what the
    /// conversions it saves do.
    private struct MemoKey<T: Hashable>: Hashable {
        let items: [T]
        let h: UInt64

        init(_ items: [T], _ word: (T) -> UInt64) {
            self.items = items
            var h = StableHasher()
            h.combine(UInt64(items.count))
            for x in items { h.combine(word(x)) }
            self.h = h.finalize()
        }

        func hash(into hasher: inout Hasher) { hasher.combine(h) }
        func _rawHashValue(seed: Int) -> Int { SeededHash.of(h, seed: seed) }
        static func == (a: MemoKey, b: MemoKey) -> Bool { a.h == b.h && a.items == b.items }
    }

    private static func regexAST(_ p: TerminalPattern, where place: @autoclosure () -> String, memo: inout RegexASTMemo) throws -> RegexAST {
        switch p {
        case .literal(let bytes):
            let key = MemoKey(bytes) { UInt64($0) }
            if let a = memo.literals[key] { return a }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw FSMDecodeError(.grammar, "\(place()): literal is not valid UTF-8")
            }
            let a = RegexAST.literal(text)
            memo.literals[key] = a
            return a
        case .caseInsensitiveLiteral(let s):
            let items = s.unicodeScalars.map { RegexAST.scalars(CodePointSet(TerminalPattern.caseInsensitiveAlternatives(of: $0))) }
            return items.isEmpty ? .empty : items.count == 1 ? items[0] : .concat(items)
        case .regex(let source, let flags):
            var ast: RegexAST
            do {
                ast = try RegexParser.parse(source, dotAll: flags.contains(.dotAll))
            } catch let e as FSMDecodeError {
                throw FSMDecodeError(.grammar, "\(place()): \(e.message)")
            }
            if flags.contains(.ignoreCase) { ast = CaseFolding.fold(ast) }
            return ast
        case .codePointClass(let ranges):
            let key = MemoKey(ranges) { UInt64($0.lowerBound) << 32 | UInt64($0.upperBound) }
            if let a = memo.classes[key] { return a }
            let a = RegexAST.scalars(CodePointSet(ranges))
            memo.classes[key] = a
            return a
        case .sequence(let parts):
            if parts.isEmpty { return .empty }
            var items: [RegexAST] = []
            items.reserveCapacity(parts.count)
            for q in parts { items.append(try regexAST(q, where: place(), memo: &memo)) }
            return .concat(items)
        case .alternation(let parts):
            if parts.isEmpty { return .scalars(CodePointSet()) }
            var items: [RegexAST] = []
            items.reserveCapacity(parts.count)
            for q in parts { items.append(try regexAST(q, where: place(), memo: &memo)) }
            return .alternation(items)
        case .repetition(let q, let min, let max):
            return .repetition(try regexAST(q, where: place(), memo: &memo), min: min, max: max)
        case .difference(let a, let b):
            func description() -> String { "\(place()): difference" }
            let maxStates = memo.options.maxStates
            // Each part as a terminal of its own; a JSON-string set (undeclared member names:
            // any string minus the keys) is subtracted straight from its spelling trie.
            guard let da = try compileTerminal(a, where: place(), options: memo.options, description: description()) else {
                return .scalars(CodePointSet())
            }
            let difference: ByteDFA?
            if case .jsonString(let values) = b {
                difference = try ByteDFA.jsonStringsComplement(values, in: da, maxStates: maxStates, description: description())
            } else if let db = try compileTerminal(b, where: place(), options: memo.options, description: description()) {
                difference = try da.subtracting(db, maxStates: maxStates, description: description())
            } else {
                difference = da
            }
            return difference.map { .automaton($0) } ?? .scalars(CodePointSet())
        case .multipleOf(let q, let factor, let scale):
            // The number pattern's DFA minus the literals whose value is not a multiple.
            func description() -> String { "\(place()): multipleOf" }
            let maxStates = memo.options.maxStates
            guard let numbers = try compileTerminal(q, where: place(), options: memo.options, description: description()) else {
                return .scalars(CodePointSet())
            }
            let others = try ByteDFA.decimalNonMultiples(factor: factor, scale: scale, maxStates: maxStates, description: description())
            return try numbers.subtracting(others, maxStates: maxStates, description: description()).map { .automaton($0) } ?? .scalars(CodePointSet())
        case .jsonString(let values):
            return RegexAST.jsonStrings(values)
        case .jsonStringAutomaton:
            return try compileTerminal(p, where: place(), options: memo.options, description: "\(place()): JSON string automaton").map { .automaton($0) } ?? .scalars(CodePointSet())
        case .token, .tokenText:
            throw FSMDecodeError(.grammar, "\(place()): a vocabulary token inside a composite pattern is not supported; use it as its own grammar element")
        }
    }

    /// A terminal's DFA (nil: it matches nothing), shared through `SharedCaches.terminalDFAs`
    /// by every terminal of the process with an equal pattern and budgets. Keyed by the
    /// pattern, not its regex AST: schemas repeat value patterns across members, and a hit then
    /// skips the conversion too (a JSON-string set is a value list here, a tree of eight nodes
    /// per character once spelled out; converting, hashing and comparing those trees was a
    /// sixth of a cold compile). Errors are not cached; `place` names the pattern in them.
    static func compileTerminal(_ p: TerminalPattern, where place: @autoclosure () -> String, options: RegexOptions,
                                description: @autoclosure () -> String) throws -> ByteDFA? {
        if let d = chainDFA(p, options: options) { return d }
        let key = SharedCaches.TerminalKey(pattern: p, options: options)
        let cache = SharedCaches.dfaCache(for: key)
        if let cached = cache.get(key) { return cached }
        let dfa: ByteDFA?
        if case .jsonStringAutomaton(let a) = p {
            // Built directly, here, so that inside a bigger pattern it is a cache hit too.
            dfa = try a.byteDFA(options: options, description: "\(place()): JSON string automaton")
        } else {
            dfa = try compileTerminal(regexAST(p, where: place(), options: options), options: options, description: description())
        }
        cache.put(key, dfa, cost: dfa?.table.count ?? 1)
        return dfa
    }

    /// ASCII literals and bounded runs of an ASCII class (whitespace), built directly
    /// (`ByteDFA.chain`): cheaper than a cache lookup, and a tenth of a regex compile. nil for
    /// anything else, or past the state budget (the general path reports it).
    static func chainDFA(_ p: TerminalPattern, options: RegexOptions) -> ByteDFA? {
        switch p {
        case .literal(let bytes) where bytes.count < options.maxStates && bytes.allSatisfy({ $0 < 0x80 }):
            return .literal(bytes)
        case .repetition(.codePointClass(let ranges), let lo, let hi?) where hi < options.maxStates && ranges.allSatisfy({ $0.upperBound < 0x80 }):
            var set = [Bool](repeating: false, count: 256)
            for r in ranges { for c in r { set[Int(c)] = true } }
            return ByteDFA.boundedRun(of: set, min: lo, max: hi)
        default:
            return nil
        }
    }

    /// The DFA of a converted pattern. Literals, the most common terminals, are built
    /// directly as a chain (already minimal and trimmed); the rest go through the regex
    /// compiler.
    private static func compileTerminal(_ ast: RegexAST, options: RegexOptions, description: @autoclosure () -> String) throws -> ByteDFA? {
        // Already compiled (a difference, a JSON-string set or a prebuilt lexeme, by `regexAST`).
        if case .automaton(let d) = ast { return d }
        if let bytes = literalBytes(ast), bytes.count < options.maxStates { return .literal(bytes) }
        return try RegexCompiler.compile(ast, options: options, description: description())
    }

    /// The UTF-8 bytes of an AST that is a sequence of single (valid) scalars, else nil.
    static func literalBytes(_ ast: RegexAST) -> [UInt8]? {
        func scalar(_ a: RegexAST, into out: inout [UInt8]) -> Bool {
            guard case .scalars(let set) = a, let v = set.singleScalar, let c = Unicode.Scalar(v) else { return false }
            UTF8.encode(c) { out.append($0) }
            return true
        }
        var out: [UInt8] = []
        switch ast {
        case .empty: return out
        case .scalars: return scalar(ast, into: &out) ? out : nil
        case .concat(let items):
            for a in items where !scalar(a, into: &out) { return nil }
            return out
        default: return nil
        }
    }

    /// The id of the token whose piece (or, failing that, whose bytes) is exactly `text`.
    static func tokenID(named text: String, in v: Vocabulary) -> Int32? {
        if let id = v.id(ofPiece: text) { return id }
        let bytes = Array(text.utf8)
        for id in 0..<v.size where v.bytes(of: id) == bytes && !v.flags[id].contains(.absent) { return Int32(id) }
        return nil
    }
}

/// Append-only, thread-safe registry of lexers: lookups by terminal set take a lock; lookups
/// by id read slots published with release/acquire ordering, so the per-byte path never
/// locks. Slots come in pages allocated as lexers are added (a compiled grammar holds a
/// 512-byte page table, not room for every possible lexer). Capacity is a budget
/// (`maxLexers`): past it, `insert` throws.
final class LexerCache: @unchecked Sendable {
    static let maxLexers = 1 << 16
    private static let pageShift = 10
    private static let pageSize = 1 << pageShift
    private static let pageCount = maxLexers >> pageShift
    /// Per page: nil until its first lexer is added, then `1 << pageShift` slots.
    private let pages: UnsafeMutablePointer<Atomic<UnsafeMutablePointer<Atomic<UnsafeRawPointer?>>?>>
    private let state = Mutex<(byKey: [IntListKey<Int32>: Int32], all: [Lexer])>(([:], []))

    init() {
        pages = .allocate(capacity: LexerCache.pageCount)
        for i in 0..<LexerCache.pageCount { (pages + i).initialize(to: Atomic(nil)) }
    }

    deinit {
        for i in 0..<LexerCache.pageCount {
            if let page = pages[i].load(ordering: .relaxed) {
                page.deinitialize(count: LexerCache.pageSize)
                page.deallocate()
            }
        }
        pages.deinitialize(count: LexerCache.pageCount)
        pages.deallocate()
    }

    var count: Int { state.withLock { $0.all.count } }
    var all: [Lexer] { state.withLock { $0.all } }

    func lookup(_ key: [Int32]) -> Lexer? {
        let key = IntListKey(key)
        return state.withLock { s in s.byKey[key].map { s.all[Int($0)] } }
    }

    /// The lexer for `key`, made by `make` (given its id) when new. Throws `.budget` when
    /// `maxLexers` lexers exist already.
    func insert(_ key: [Int32], description: String, _ make: (Int32) -> Lexer) throws -> Lexer {
        let key = IntListKey(key)
        return try state.withLock { s in
            if let id = s.byKey[key] { return s.all[Int(id)] }
            guard s.all.count < LexerCache.maxLexers else {
                throw FSMDecodeError(.budget, "\(description): more than \(LexerCache.maxLexers) lexers (distinct sets of terminals expected next)")
            }
            let id = Int(s.all.count)
            let l = make(Int32(id))
            s.all.append(l)  // keeps the lexer alive for the cache's lifetime
            s.byKey[key] = Int32(id)
            let p = id >> LexerCache.pageShift
            var page = pages[p].load(ordering: .relaxed)
            if page == nil {
                let fresh = UnsafeMutablePointer<Atomic<UnsafeRawPointer?>>.allocate(capacity: LexerCache.pageSize)
                for i in 0..<LexerCache.pageSize { (fresh + i).initialize(to: Atomic(nil)) }
                pages[p].store(fresh, ordering: .releasing)
                page = fresh
            }
            page![id & (LexerCache.pageSize - 1)].store(UnsafeRawPointer(Unmanaged.passUnretained(l).toOpaque()), ordering: .releasing)
            return l
        }
    }

    /// The lexer with id `id` (one `insert` returned).
    @inline(__always) func get(_ id: Int32) -> Lexer { unretained(id).takeUnretainedValue() }

    /// `get` without a retain (the cache keeps every lexer for its own lifetime).
    @inline(__always) func unretained(_ id: Int32) -> Unmanaged<Lexer> {
        let page = pages[Int(id) >> LexerCache.pageShift].load(ordering: .acquiring)!
        let p = page[Int(id) & (LexerCache.pageSize - 1)].load(ordering: .acquiring)!
        return Unmanaged<Lexer>.fromOpaque(p)
    }
}

/// Unicode simple case folding of regex ASTs (Lark's `/…/i`): each code-point set is closed
/// under the case mappings `TerminalPattern.caseInsensitiveAlternatives` uses.
enum CaseFolding {
    /// Every scalar with a non-trivial single-scalar case mapping, with its alternatives.
    private static let cased: [(UInt32, [ClosedRange<UInt32>])] = {
        var out: [(UInt32, [ClosedRange<UInt32>])] = []
        for v in UInt32(0)...0x1FFFF {
            guard let c = Unicode.Scalar(v), c.properties.changesWhenCaseMapped else { continue }
            let alts = TerminalPattern.caseInsensitiveAlternatives(of: c)
            if alts != [v...v] { out.append((v, alts)) }
        }
        return out
    }()

    static func fold(_ ast: RegexAST) -> RegexAST {
        switch ast {
        case .empty: return .empty
        case .scalars(let set):
            var extra: [ClosedRange<UInt32>] = []
            for (v, alts) in cased where set.contains(v) { extra += alts }
            return extra.isEmpty ? ast : .scalars(set.union(CodePointSet(extra)))
        case .concat(let items): return .concat(items.map(fold))
        case .alternation(let items): return .alternation(items.map(fold))
        case .repetition(let item, let min, let max): return .repetition(fold(item), min: min, max: max)
        case .automaton: return ast // never in a parsed regex
        }
    }
}
