import Dispatch
import Synchronization

/// Trie nodes below which a lexeme of one lexer, run from one state, ends inside a token: the
/// path from the state to each node reaches accepting state `state` and the node has children.
struct BoundaryGroup: Sendable {
    var state: Int32
    var nodes: [UInt32]
}

/// A compiled context-free constraint: the grammar's parse tables, its lexers (built on first
/// use) and their per-state token masks, against one vocabulary. Immutable apart from those
/// lazily filled, thread-safe caches; `Sendable`; create one `GrammarMatcher` per sequence.
///
/// Masks (exact): for each live lexer thread in DFA state q, the tokens whose bytes stay
/// inside the lexeme are allowed whatever the parser state (every rule is productive, so a
/// live lexeme can always be finished and the sentence completed; for longest-match grammars
/// a byte that continues the lexeme never ends it) — one cached mask per (lexer, q). Tokens
/// whose bytes end the lexeme and go on are checked by walking only the trie subtrees below
/// the per-(lexer, q) boundary nodes, pushing their bytes into an overlay of the parser.
public final class GrammarConstraint: Sendable {
    public let grammar: Grammar
    public let vocabulary: Vocabulary
    public let vocabularyFingerprint: UInt64
    let tables: ParseTables
    /// Every grammar token (in the trie, not EOS), as mask words.
    let grammarBits: [UInt32]

    /// Compiles `grammar` against `vocabulary`. Throws `.grammar` for terminals the byte-level
    /// lexer cannot honour and `.budget` when a terminal's DFA exceeds `options.maxStates`.
    /// Cost: one DFA per terminal and the start lexer; everything else is built on first use.
    public init(grammar: Grammar, vocabulary: Vocabulary, options: RegexOptions = RegexOptions()) throws {
        self.grammar = grammar
        self.vocabulary = vocabulary
        self.vocabularyFingerprint = vocabulary.fingerprint
        self.tables = try ParseTables(grammar: grammar, vocabulary: vocabulary, options: options)
        var bits = [UInt32](repeating: 0, count: TokenMask.wordCount(vocabulary.maskWidth))
        for id in vocabulary.trie.tokenIDs { bits[Int(id) >> 5] |= 1 << (UInt32(id) & 31) }
        for id in vocabulary.eosIDs { bits[Int(id) >> 5] &= ~(1 << (UInt32(id) & 31)) }
        self.grammarBits = bits
        // Build the start lexer now so grammar-level errors surface at compile time.
        let core = EarleyCore(tables: tables)
        if let e = core.error { throw e }
    }

    /// A matcher at the empty output.
    public func makeMatcher() -> GrammarMatcher { GrammarMatcher(self) }

    /// Number of lexers built so far (distinct sets of terminals met).
    public var lexerCount: Int { tables.lexers.count }

    /// The lexers built so far as Graphviz DOT (one cluster-less digraph per lexer).
    public func lexerDOT() -> String {
        var out = ""
        for l in tables.lexers.all {
            out += l.dfa.dot(name: "lexer\(l.id)_" + l.terminals.map { sanitize(tables.terminalName($0)) }.joined(separator: "_"))
        }
        return out
    }

    private func sanitize(_ s: String) -> String {
        String(s.unicodeScalars.map { c -> Character in
            (c.properties.isAlphabetic || ("0"..."9").contains(c)) && c.isASCII ? Character(c) : "_"
        }.prefix(24))
    }

    /// Fills masks for many matchers at once, spreading them over all cores. `masks[i]` gets
    /// matcher i's mask; each must be `maskWidth` wide.
    public static func fillMasks(_ matchers: [GrammarMatcher], into masks: inout [TokenMask]) {
        precondition(matchers.count == masks.count, "one mask per matcher")
        let n = matchers.count
        masks.withUnsafeMutableBufferPointer { buf in
            let base = SendableMaskPointer(pointer: buf.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: n) { i in
                // Each iteration writes only masks[i].
                matchers[i].fillNextTokenMask(into: &base.pointer[i])
            }
        }
    }

    // MARK: - Boundaries

    /// The boundary groups of `lexer` from `state` (computed once per pair, then cached).
    /// Longest-match lexers keep only nodes with a child byte that does not continue the DFA.
    func boundaries(_ lexer: Lexer, _ state: Int32) -> [BoundaryGroup] {
        if let g = lexer.boundaries.withLock({ $0[state] }) { return g }
        let groups = computeBoundaries(lexer, state)
        lexer.boundaries.withLock { $0[state] = groups }
        return groups
    }

    private func computeBoundaries(_ lexer: Lexer, _ state: Int32) -> [BoundaryGroup] {
        let trie = vocabulary.trie
        let dfa = lexer.dfa
        let longest = tables.lexing == .longestMatch
        var stack = [Int32](repeating: 0, count: trie.maxDepth + 1)
        stack[0] = state
        var groups: [Int32: [UInt32]] = [:]
        var i = 1
        let n = trie.nodeCount
        while i < n {
            let d = Int(trie.depth[i])
            let s = dfa.next(stack[d - 1], trie.byte[i])
            if s < 0 { i = Int(trie.subtreeEnd[i]); continue }
            stack[d] = s
            let end = Int(trie.subtreeEnd[i])
            if end > i + 1 && (!lexer.labels[Int(s)].isEmpty || lexer.acceptsIgnored[Int(s)]) {
                var useful = !longest
                if longest {
                    var c = i + 1
                    while c < end {
                        if dfa.next(s, trie.byte[c]) < 0 { useful = true; break }
                        c = Int(trie.subtreeEnd[c])
                    }
                }
                if useful { groups[s, default: []].append(UInt32(i)) }
            }
            i += 1
        }
        return groups.keys.sorted().map { BoundaryGroup(state: $0, nodes: groups[$0]!) }
    }
}

private struct SendableMaskPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<TokenMask>
}

/// One sequence's position in a `GrammarConstraint`. Cheap to create; a copy is an
/// independent fork (the chart is copy-on-write). Not for concurrent mutation.
///
/// State: the parser core (append-only chart and thread log with a checkpoint per byte) and
/// the byte checkpoint of every accepted step, so `rollback(n)` is a truncation.
public struct GrammarMatcher: TokenMatcher, Sendable {
    public let constraint: GrammarConstraint
    var core: EarleyCore
    /// `core.pushedCount` after each accepted step (`[0]` at the start).
    private var steps: [Int32] = [0]
    private var terminatedAt = 0

    public init(_ constraint: GrammarConstraint) {
        self.constraint = constraint
        self.core = EarleyCore(tables: constraint.tables)
    }

    public var maskWidth: Int { constraint.vocabulary.maskWidth }
    public var acceptedCount: Int { steps.count - 1 }
    private var eosAccepted: Bool { terminatedAt != 0 }
    public var isAccepting: Bool { eosAccepted || core.isAccepting() }
    /// Bytes accepted so far.
    public var position: Int { Int(core.position) }

    public var isTerminated: Bool {
        if eosAccepted { return true }
        return !canContinue()
    }

    /// Some byte or token can follow the output.
    private func canContinue() -> Bool {
        if let k = core.setAtPosition, constraint.tables.hasTokenTerminals, expectsTokenTerminal(k) { return true }
        for th in core.currentThreads where constraint.tables.lexer(id: th.lexer).hasExit[Int(th.state)] { return true }
        guard core.longest, let th = core.currentThreads.first, th.start < core.position else { return false }
        let l = constraint.tables.lexer(id: th.lexer)
        guard !l.labels[Int(th.state)].isEmpty || l.acceptsIgnored[Int(th.state)] else { return false }
        var o = EarleyCore(overlaying: core)
        o.restartAfterCommit(from: th.set, labels: l.labels[Int(th.state)], ignored: l.acceptsIgnored[Int(th.state)], position: core.position)
        return !o.currentThreads.isEmpty
    }

    private func expectsTokenTerminal(_ k: Int32) -> Bool {
        var found = false
        core.forEachItem(inSet: k) { it in
            if let s = core.nextSymbol(it), s < 0, constraint.tables.terminals[Int(~s)].token != nil { found = true }
        }
        return found
    }

    // MARK: - Accepting

    public mutating func accept(token: Int32) -> Bool {
        let v = constraint.vocabulary
        guard !eosAccepted, token >= 0, Int(token) < v.maskWidth else { return false }
        if v.eosIDs.contains(token) {
            guard core.isAccepting() else { return false }
            steps.append(Int32(core.pushedCount))
            terminatedAt = steps.count
            return true
        }
        let start = core.pushedCount
        let k0 = core.setAtPosition
        var bytesOK = false
        if v.isGrammarToken(Int(token)) {
            bytesOK = true
            for k in Int(v.tokenOffsets[Int(token)])..<Int(v.tokenOffsets[Int(token) + 1]) where !core.push(v.tokenBytes[k]) {
                bytesOK = false
                break
            }
            if !bytesOK { core.pop(to: start) }
        }
        var tokenOK = false
        if constraint.tables.hasTokenTerminals, let k0 {
            let n = Int32(v.tokenOffsets[Int(token) + 1] - v.tokenOffsets[Int(token)])
            if !bytesOK { core.advanceWithoutBytes(by: max(1, n)) }
            tokenOK = core.scanToken(token, at: k0)
            if !tokenOK && !bytesOK { core.pop(to: start) }
        }
        guard bytesOK || tokenOK else { return false }
        steps.append(Int32(core.pushedCount))
        return true
    }

    public mutating func accept(bytes: [UInt8]) -> Bool {
        guard !eosAccepted else { return false }
        let start = core.pushedCount
        for b in bytes where !core.push(b) {
            core.pop(to: start)
            return false
        }
        steps.append(Int32(core.pushedCount))
        return true
    }

    /// How many leading bytes of `bytes` keep the output viable (`bytes.count` when all do).
    public func viablePrefixLength(_ bytes: [UInt8]) -> Int {
        guard !eosAccepted else { return 0 }
        var o = EarleyCore(overlaying: core)
        o.restartAt(position: core.position, threads: Array(core.currentThreads))
        for (i, b) in bytes.enumerated() where !o.push(b) { return i }
        return bytes.count
    }

    /// What the grammar expects at the current position (terminal names), for messages.
    public func expectedHere() -> [String] {
        var names: [String] = []
        for th in core.currentThreads {
            let l = constraint.tables.lexer(id: th.lexer)
            for t in l.terminals where !names.contains(constraint.tables.terminalName(t)) {
                names.append(constraint.tables.terminalName(t))
            }
        }
        if let k = core.setAtPosition {
            for n in core.expectedNames(set: k) where !names.contains(n) { names.append(n) }
        }
        return names
    }

    public mutating func rollback(_ count: Int) {
        precondition(count >= 0 && count <= acceptedCount, "cannot roll back \(count) steps; \(acceptedCount) accepted")
        steps.removeLast(count)
        core.pop(to: Int(steps[steps.count - 1]))
        if terminatedAt > steps.count { terminatedAt = 0 }
    }

    public mutating func reset() {
        rollback(acceptedCount)
        terminatedAt = 0
    }

    public func forcedBytes() -> [UInt8] {
        guard !eosAccepted else { return [] }
        var o = EarleyCore(overlaying: core)
        o.restartAt(position: core.position, threads: Array(core.currentThreads))
        if let k = core.setAtPosition, constraint.tables.hasTokenTerminals, expectsTokenTerminal(k) { return [] }
        var out: [UInt8] = []
        while out.count < 4096 && !o.isAccepting() {
            var only = -1
            for b in 0..<256 {
                if o.push(UInt8(b)) {
                    o.pop(to: o.pushedCount - 1)
                    if only >= 0 { return out }
                    only = b
                }
            }
            guard only >= 0, o.push(UInt8(only)) else { return out }
            out.append(UInt8(only))
        }
        return out
    }

    // MARK: - Masks

    public func fillNextTokenMask(into mask: UnsafeMutableBufferPointer<UInt32>) {
        let words = TokenMask.wordCount(maskWidth)
        precondition(mask.count >= words, "mask buffer has \(mask.count) words, needs \(words)")
        let dst = mask.baseAddress!
        dst.update(repeating: 0, count: words)
        if eosAccepted { return }
        let tables = constraint.tables
        let trie = constraint.vocabulary.trie
        var tmp = [UInt32](repeating: 0, count: words)
        var overlay = EarleyCore(overlaying: core)
        let pos = core.position
        for th in core.currentThreads {
            let l = tables.lexer(id: th.lexer)
            tmp.withUnsafeMutableBufferPointer { t in
                l.store!.fill(state: th.state, into: t)
                for w in 0..<words { dst[w] |= t[w] }
            }
            for g in constraint.boundaries(l, th.state) {
                overlay.restartAfterCommit(from: th.set, labels: l.labels[Int(g.state)], ignored: l.acceptsIgnored[Int(g.state)], position: pos)
                for n in g.nodes { walk(Int(n), &overlay, trie, dst, skipAlive: core.longest ? (l, g.state) : nil) }
            }
            if core.longest && th.start < pos && (!l.labels[Int(th.state)].isEmpty || l.acceptsIgnored[Int(th.state)]) {
                overlay.restartAfterCommit(from: th.set, labels: l.labels[Int(th.state)], ignored: l.acceptsIgnored[Int(th.state)], position: pos)
                walk(0, &overlay, trie, dst, skipAlive: (l, th.state))
            }
        }
        if tables.hasTokenTerminals, let k = core.setAtPosition {
            core.forEachItem(inSet: k) { it in
                guard let s = core.nextSymbol(it), s < 0, let tok = tables.terminals[Int(~s)].token else { return }
                if tok.negated {
                    for w in 0..<words { dst[w] |= constraint.grammarBits[w] }
                    // Cleared below unless another terminal allows it.
                } else {
                    dst[Int(tok.id) >> 5] |= 1 << (UInt32(tok.id) & 31)
                }
            }
            // A negated terminal allows every grammar token except its id; the id stays allowed
            // only when its bytes or a positive terminal allow it (re-checked exactly).
            core.forEachItem(inSet: k) { it in
                guard let s = core.nextSymbol(it), s < 0, let tok = tables.terminals[Int(~s)].token, tok.negated else { return }
                var m = self
                if !m.accept(token: tok.id) { dst[Int(tok.id) >> 5] &= ~(1 << (UInt32(tok.id) & 31)) }
            }
        }
        for id in constraint.vocabulary.eosIDs { dst[Int(id) >> 5] &= ~(1 << (UInt32(id) & 31)) }
        if core.isAccepting() {
            for id in constraint.vocabulary.eosIDs { dst[Int(id) >> 5] |= 1 << (UInt32(id) & 31) }
        }
    }

    /// Walks the trie subtree below `node` (not `node` itself) pushing bytes into `o` (which
    /// sits right after a lexeme ended at `node`), setting the bits of tokens that stay viable.
    /// With `skipAlive`, children of `node` that continue that lexer state are skipped (they
    /// are the inside tokens, already allowed). Iterative; restores `o` to its starting point.
    private func walk(_ node: Int, _ o: inout EarleyCore, _ trie: TokenTrie, _ dst: UnsafeMutablePointer<UInt32>,
                      skipAlive: (Lexer, Int32)?) {
        let base = Int(trie.depth[node])
        let end = Int(trie.subtreeEnd[node])
        let start = o.pushedCount
        var i = node + 1
        while i < end {
            let d = Int(trie.depth[i]) - base
            o.pop(to: start + d - 1)
            if d == 1, let (l, s) = skipAlive, l.dfa.next(s, trie.byte[i]) >= 0 {
                i = Int(trie.subtreeEnd[i])
                continue
            }
            if !o.push(trie.byte[i]) {
                i = Int(trie.subtreeEnd[i])
                continue
            }
            for k in Int(trie.tokenStart[i])..<Int(trie.tokenStart[i + 1]) {
                let id = UInt32(bitPattern: trie.tokenIDs[k])
                dst[Int(id >> 5)] |= 1 << (id & 31)
            }
            i += 1
        }
        o.pop(to: start)
    }
}
