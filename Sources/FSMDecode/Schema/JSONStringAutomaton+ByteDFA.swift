extension JSONStringAutomaton {
    init(_ d: CodePointDFA) {
        var edges: [[Edge]] = []
        for q in 0 ..< d.count {
            edges.append(d.transitions(q).map { Edge(ranges: d.alphabet.ranges($0.1), target: $0.0) })
        }
        self.init(start: d.start, accepting: d.accepting, edges: edges)
    }

    /// Most states a token's byte DFA may have, whatever the lexer's budget: bigger ones cost
    /// more to build than their faster masks save (measured on maskbench-dev); the schema
    /// compiler then writes the automaton as rules.
    static let maxByteStates = 20_000

    /// The byte DFA of the token: an opening quote, then from each automaton state q the
    /// JSON spellings of each edge's characters (`JSONLexemes.jsonChar`, compiled once per
    /// distinct class) merged into one deterministic tree, whose leaves continue at the edges'
    /// targets, and a closing quote where q accepts. The spellings of distinct characters are
    /// prefix-free (raw UTF-8, escapes of fixed length, surrogate pairs that are never complete
    /// halfway), so a leaf is one edge's and the merge is exact; nil when the language is
    /// empty. `.budget` error past `options.maxStates` (at most `maxByteStates`) states.
    func byteDFA(options: RegexOptions, description: String) throws -> ByteDFA? {
        let maxStates = min(options.maxStates, Self.maxByteStates)
        // Encoders: one acyclic DFA per distinct class. Edges, flat: state q's are
        // `edgeStart[q] ..< edgeStart[q + 1]`, each an encoder and a target.
        var encoderOf: [[ClosedRange<UInt32>]: Int] = [:]
        var encoders: [ByteDFA] = []
        var edgeStart: [Int] = [0], edgeEncoder: [Int] = [], edgeTarget: [Int32] = []
        for q in 0 ..< stateCount {
            for e in edges[q] {
                let k: Int
                if let known = encoderOf[e.ranges] { k = known } else {
                    guard let dfa = try ParseTables.compileTerminal(JSONLexemes.jsonChar(e.ranges), where: description,
                                                                    options: options, description: description) else { continue }
                    k = encoders.count
                    encoders.append(dfa)
                    encoderOf[e.ranges] = k
                }
                edgeEncoder.append(k)
                edgeTarget.append(e.target)
            }
            edgeStart.append(edgeEncoder.count)
        }
        let quote: UInt8 = 0x22
        guard let quoteDFA = try ParseTables.compileTerminal(.literal([quote]), where: description, options: options, description: description) else { return nil }
        let (byteClass, classCount) = ByteDFA.commonByteClasses(encoders + [quoteDFA])
        // Work bound: every tuple state steps each of its components over every class; past
        // ~4 M steps from the roots alone, the rules are cheaper than building this DFA.
        let rootWork = (0 ..< stateCount).reduce(0) { $0 + max(edgeStart[$1 + 1] - edgeStart[$1], 1) } * classCount
        guard rootWork <= 4_000_000 else {
            throw FSMDecodeError(.budget, "\(description): JSON string automaton would take \(rootWork) steps from its roots alone")
        }
        let reps = byteClass.withUnsafeBufferPointer { ByteDFA.classRepresentatives($0, count: classCount) }
        // Each encoder's steps over the common classes (state s of encoder e at
        // `base[e] + s * classCount + c`, -1 dead); `done` marks a complete character.
        var base: [Int] = [], step: [Int32] = [], done: [Bool] = [], doneBase: [Int] = []
        for e in encoders {
            base.append(step.count)
            doneBase.append(done.count)
            for s in 0 ..< e.stateCount {
                for c in 0 ..< classCount { step.append(e.next(Int32(s), reps[c])) }
                done.append(e.accepting[s])
            }
        }
        let edgeRoot = edgeEncoder.map { encoders[$0].start }
        // States: 0 before the opening quote, 1 after the closing one (the only accepting
        // state), then (q, tuple of encoder states) for the spellings being read from q.
        var ids: [IntListKey<Int32>: Int32] = [:]
        var keys: [[Int32]] = [[], []]
        func id(_ key: [Int32]) throws -> Int32 {
            let hashed = IntListKey(key)
            if let i = ids[hashed] { return i }
            guard keys.count < maxStates else {
                throw FSMDecodeError(.budget, "\(description): JSON string automaton needs more than \(maxStates) states")
            }
            let i = Int32(keys.count)
            ids[hashed] = i
            keys.append(key)
            return i
        }
        // Each state's root (all its spellings at their start), numbered once: a complete
        // character lands on one, so looking its key up every time cost most of the build.
        var rootID = [Int32](repeating: -1, count: stateCount)
        func root(_ q: Int32) throws -> Int32 {
            if rootID[Int(q)] >= 0 { return rootID[Int(q)] }
            let r = try id([q] + edgeRoot[edgeStart[Int(q)] ..< edgeStart[Int(q) + 1]])
            rootID[Int(q)] = r
            return r
        }
        var table = [Int32](repeating: -1, count: 2 * classCount)
        table[Int(byteClass[Int(quote)])] = try root(start)
        var next: [Int32] = []
        var row = [Int32](repeating: -1, count: classCount)
        let quoteClass = Int(byteClass[Int(quote)])
        var i = 2
        while i < keys.count {
            let key = keys[i]
            let q = Int(key[0])
            let e0 = edgeStart[q], n = edgeStart[q + 1] - e0
            let isRoot = key.count == n + 1 && (0 ..< n).allSatisfy { key[1 + $0] == edgeRoot[e0 + $0] }
            for c in 0 ..< classCount { row[c] = -1 }
            for c in 0 ..< classCount {
                if isRoot && c == quoteClass {
                    if accepting[q] { row[c] = 1 }
                    continue
                }
                next.removeAll(keepingCapacity: true)
                next.append(Int32(q))
                var alive = 0, complete: Int32 = -1, ambiguous = false
                for j in 0 ..< n {
                    let s = key[1 + j]
                    let k = edgeEncoder[e0 + j]
                    let t = s < 0 ? ByteDFA.dead : step[base[k] + Int(s) * classCount + c]
                    next.append(t)
                    guard t >= 0 else { continue }
                    alive += 1
                    if done[doneBase[k] + Int(t)] {
                        if complete >= 0 { ambiguous = true }
                        complete = edgeTarget[e0 + j]
                    }
                }
                if alive == 0 { continue }
                if complete >= 0 {
                    // A complete character: the spellings are prefix-free, so nothing else is
                    // still being read.
                    guard !ambiguous, alive == 1 else {
                        throw FSMDecodeError(.budget, "\(description): JSON string automaton: overlapping character spellings")
                    }
                    row[c] = try root(complete)
                } else {
                    row[c] = try id(next)
                }
            }
            table += row
            i += 1
        }
        let labelOf: [[Int32]] = keys.indices.map { $0 == 1 ? [0] : [] }
        let labelKey: [Int32] = keys.indices.map { $0 == 1 ? 1 : 0 }
        return DFABuilder.finish(table: table, count: keys.count, byteClass: byteClass, classCount: classCount,
                                 labelOf: labelOf, labelKey: labelKey)?.dfa
    }
}
