/// JSON's short escapes: the character, and the letter after the backslash.
private let jsonShortEscapes: [UInt32: UInt8] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 8: 0x62, 0xC: 0x66, 0xA: 0x6E, 0xD: 0x72, 9: 0x74]

extension ByteDFA {
    /// The JSON string tokens (quotes included) whose decoded value is one of `values` (code
    /// points; surrogates are not values), in every spelling JSON allows: a character raw
    /// (when it may be), as a short escape (`\n`, `\"`, `\/`, …), or as `\u` with four hex
    /// digits of either case (a surrogate pair above U+FFFF). Minimal and canonical, so equal
    /// to the regex compiler's DFA of the same spellings written as a pattern; nil when
    /// `values` is empty. A `.budget` error when the trie passes `maxStates` states (about six
    /// per character: a hostile schema's megabyte-long key must not become a huge automaton).
    ///
    /// Built directly as a byte trie of the spellings: the values share a code-point trie, and
    /// under each of its nodes the spellings of the next characters share their byte prefixes
    /// (`\`, `\u`, `\u00`, …). No NFA and no subset construction: member names are the most
    /// common terminals of schema grammars, and this is what compiling them costs.
    public static func jsonStrings(_ values: [[UInt32]], maxStates: Int, description: @autoclosure () -> String) throws -> ByteDFA? {
        if values.isEmpty { return nil }
        let (b, close) = try spellingTrie(values, maxStates: maxStates, description: description())
        // One value's trie is already minimal: its character nodes differ in how many
        // characters are left, and a spelling's inner nodes in the character and the node they
        // lead to. Only the byte classes and the numbering are left to make canonical.
        if values.count == 1 { return canonicalTrieDFA(b, accepting: close) }
        // Dense table over byte classes: each byte the trie uses is a class, the rest share
        // one; classes numbered by first byte (what `DFABuilder.finish` expects).
        let (byteClass, k) = singletonClasses(b.edges.lazy.map(\.byte))
        var table = [Int32](repeating: ByteDFA.dead, count: b.count * k)
        for n in 0 ..< b.count {
            b.forEachEdge(of: n) { edge in table[n * k + Int(byteClass[Int(edge.byte)])] = edge.target }
        }
        var labelOf = [[Int32]](repeating: [], count: b.count), labelKey = [Int32](repeating: 0, count: b.count)
        labelOf[Int(close)] = [0]
        labelKey[Int(close)] = 1
        // A trie has no cycles: minimized bottom-up.
        return DFABuilder.finishOverCore(table: table, count: b.count, byteClass: byteClass, classCount: k,
                                         labelOf: labelOf, labelKey: labelKey, isCore: [Bool](repeating: false, count: b.count))?.dfa
    }

    /// The canonical DFA of a minimal trie (every node live and distinct; `accepting` the one
    /// accepting node), built from its edges: what `DFABuilder.canonical` makes of it through a
    /// dense node × byte-class table, at a few edges per node instead of ~25 classes. Bytes
    /// whose edges agree at every node share a class (classes numbered by first byte, the
    /// unused bytes one dead class); nodes are numbered breadth-first in class order.
    static func canonicalTrieDFA(_ b: SpellingTrie, accepting: Int32) -> ByteDFA {
        let n = b.count, edgeCount = b.edges.count
        // Each byte's edges as (node, target), by byte then node (a column, sparsely).
        var start = [Int32](repeating: 0, count: 257)
        for edge in b.edges { start[Int(edge.byte) + 1] += 1 }
        for x in 0 ..< 256 { start[x + 1] += start[x] }
        var column = [Int64](repeating: 0, count: edgeCount)
        var fill = start
        for node in 0 ..< n {
            b.forEachEdge(of: node) { edge in
                column[Int(fill[Int(edge.byte)])] = Int64(node) << 32 | Int64(edge.target)
                fill[Int(edge.byte)] += 1
            }
        }
        // Nodes are visited in order and have at most one edge per byte, so each column lists
        // its pairs by node: equal columns are equal slices.
        var byteClass = [UInt8](repeating: 0, count: 256)
        // Per class: its first byte (-1 for the dead class) and its column's hash (an
        // order-free sum over its pairs), so only equal hashes are compared in full.
        var representatives: [Int] = [], representativeHash: [UInt64] = []
        var dead = -1
        column.withUnsafeBufferPointer { col in
            start.withUnsafeBufferPointer { st in
                for x in 0 ..< 256 {
                    let a = Int(st[x]), len = Int(st[x + 1]) - a
                    if len == 0 {
                        if dead < 0 { dead = representatives.count; representatives.append(-1); representativeHash.append(0) }
                        byteClass[x] = UInt8(dead)
                        continue
                    }
                    var h = UInt64(len)
                    for i in a ..< a + len { h &+= StampedSetTable.mix64(UInt64(bitPattern: col[i])) }
                    var cls = -1
                    for j in representatives.indices where representativeHash[j] == h && representatives[j] >= 0 {
                        let c = Int(st[representatives[j]])
                        if Int(st[representatives[j] + 1]) - c != len { continue }
                        var same = true
                        for i in 0 ..< len where col[a + i] != col[c + i] { same = false; break }
                        if same { cls = j; break }
                    }
                    if cls < 0 { cls = representatives.count; representatives.append(x); representativeHash.append(h) }
                    byteClass[x] = UInt8(cls)
                }
            }
        }
        let k = representatives.count
        // Breadth-first numbering; a row is its node's edges by class (bytes of one class
        // agree, so any of a class's edges decides it).
        var number = [Int32](repeating: -1, count: n)
        var order = [Int32](repeating: 0, count: n)
        number[0] = 0
        var count = 1
        let table = [Int32](unsafeUninitializedCapacity: n * k) { out, initialized in
            out.initialize(repeating: ByteDFA.dead)
            // A node's edges, sorted by class (at most one per byte).
            withUnsafeTemporaryAllocation(of: (cls: Int32, target: Int32).self, capacity: 256) { pairs in
                for oi in 0 ..< n {
                    let node = Int(order[oi])
                    var m = 0
                    b.forEachEdge(of: node) { edge in
                        var i = m
                        pairs[m] = (Int32(byteClass[Int(edge.byte)]), edge.target)
                        m += 1
                        while i > 0 && pairs[i - 1].cls > pairs[i].cls { pairs.swapAt(i - 1, i); i -= 1 }
                    }
                    for i in 0 ..< m {
                        let (cls, target) = pairs[i]
                        if number[Int(target)] < 0 { number[Int(target)] = Int32(count); order[count] = target; count += 1 }
                        out[oi * k + Int(cls)] = number[Int(target)]
                    }
                }
            }
            initialized = n * k
        }
        precondition(count == n, "a minimal trie reaches every node")
        var accept = [Bool](repeating: false, count: n)
        accept[Int(number[Int(accepting)])] = true
        return ByteDFA(stateCount: n, start: 0, byteClass: byteClass, classCount: k, table: table, accepting: accept)
    }

    /// The byte trie of every spelling of `values` (see `jsonStrings`): node 0 before the
    /// opening quote, `close` after the closing one.
    static func spellingTrie(_ values: [[UInt32]], maxStates: Int, description: @autoclosure () -> String) throws -> (SpellingTrie, close: Int32) {
        func overBudget() -> FSMDecodeError {
            FSMDecodeError(.budget, "\(description()): JSON strings of \(values.reduce(0) { $0 + $1.count }) characters need more than \(maxStates) DFA states")
        }
        // About five nodes and nine edges a character (raw byte, `\`, `u`, four hex digits,
        // letters' two cases); reserved, so the trie's arrays do not regrow as it fills.
        let characters = values.reduce(0) { $0 + $1.count }
        var b = SpellingTrie(reserving: characters)
        let open = b.node()           // before the opening quote
        let root = b.node()           // inside, nothing read
        let close = b.node()          // after the closing quote: accepting
        b.link(open, 0x22, root)
        // (trie node, next character) → the byte node after that character's spellings.
        var after: [WordKey: Int32] = [:]
        for value in values {
            var at = root
            for c in value {
                let key = WordKey(at, c)
                if let next = after[key] { at = next; continue }
                let next = b.node()
                after[key] = next
                b.spell(c, from: at, to: next)
                at = next
                // Checked per character (a character adds at most 16 states).
                if b.count > maxStates { throw overBudget() }
            }
            b.link(at, 0x22, close)
        }
        return (b, close)
    }

    /// A deterministic byte trie (state 0 is the start) whose edges may join: the two cases of
    /// a hex digit lead to one node, and a character's spellings end at one node. Each node's
    /// edges are a short linked list in one flat array (a node has a few children; a hashed
    /// edge map cost more than the rest of the construction).
    struct SpellingTrie {
        struct Edge {
            var target: Int32
            /// The next edge of the same node (-1: none).
            var next: Int32
            var byte: UInt8
        }
        var count = 0
        /// Per node: its first edge (-1: none).
        var firstEdge: [Int32] = []
        var edges: [Edge] = []

        init(reserving characters: Int) {
            firstEdge.reserveCapacity(5 * characters + 3)
            edges.reserveCapacity(9 * characters + 3)
        }

        mutating func node() -> Int32 { count += 1; firstEdge.append(-1); return Int32(count - 1) }

        /// Calls `body` with each edge of node `n`, the last added first.
        @inline(__always) func forEachEdge(of n: Int, _ body: (Edge) throws -> Void) rethrows {
            var e = Int(firstEdge[n])
            while e >= 0 {
                let edge = edges[e]
                try body(edge)
                e = Int(edge.next)
            }
        }

        func target(_ n: Int32, _ byte: UInt8) -> Int32? {
            var e = firstEdge[Int(n)]
            while e >= 0 {
                let edge = edges[Int(e)]
                if edge.byte == byte { return edge.target }
                e = edge.next
            }
            return nil
        }

        private mutating func add(_ n: Int32, _ byte: UInt8, _ to: Int32) {
            edges.append(Edge(target: to, next: firstEdge[Int(n)], byte: byte))
            firstEdge[Int(n)] = Int32(edges.count - 1)
        }

        /// The target of `n`'s edge on `byte`, made when missing.
        mutating func child(_ n: Int32, _ byte: UInt8) -> Int32 {
            if let t = target(n, byte) { return t }
            let t = node()
            add(n, byte, t)
            return t
        }

        /// Sets `n`'s edge on `byte` to `to` (spellings are prefix-free: never a different one).
        mutating func link(_ n: Int32, _ byte: UInt8, _ to: Int32) {
            if let t = target(n, byte) { assert(t == to); return }
            add(n, byte, to)
        }

        /// A hex digit: both cases of a letter lead to one node (`to`, or a new one).
        mutating func hexDigit(_ n: Int32, _ v: UInt32, to: Int32?) -> Int32 {
            let lower = UInt8(v < 10 ? 48 + v : 87 + v)
            let t = to ?? child(n, lower)
            link(n, lower, t)
            if v >= 10 { link(n, lower - 32, t) }
            return t
        }

        /// `\u` and four digits of `x`, from `n`; the last digit leads to `to` (nil: a new node).
        mutating func escapeU(_ x: UInt32, from n: Int32, to: Int32?) -> Int32 {
            var at = child(child(n, 0x5C), 0x75)
            at = hexDigit(at, x >> 12 & 15, to: nil)
            at = hexDigit(at, x >> 8 & 15, to: nil)
            at = hexDigit(at, x >> 4 & 15, to: nil)
            return hexDigit(at, x & 15, to: to)
        }

        /// Every spelling of character `c` from `n` to `to`.
        mutating func spell(_ c: UInt32, from n: Int32, to: Int32) {
            if c >= 0x20 && c != 0x22 && c != 0x5C, Unicode.Scalar(c) != nil {
                // UTF-8, byte by byte (no string per character).
                let length = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4
                var at = n
                for i in 0 ..< length {
                    let shift = UInt32(6 * (length - 1 - i))
                    let lead: UInt32 = length == 1 ? 0 : length == 2 ? 0xC0 : length == 3 ? 0xE0 : 0xF0
                    let byte = UInt8(i == 0 ? lead | c >> shift : 0x80 | c >> shift & 0x3F)
                    if i < length - 1 { at = child(at, byte) } else { link(at, byte, to) }
                }
            }
            if let e = jsonShortEscapes[c] { link(child(n, 0x5C), e, to) }
            if c <= 0xFFFF {
                _ = escapeU(c, from: n, to: to)
            } else {
                let a = c - 0x10000
                let high = escapeU(0xD800 + (a >> 10), from: n, to: nil)
                _ = escapeU(0xDC00 + (a & 0x3FF), from: high, to: to)
            }
        }
    }
}

extension RegexAST {
    /// The language of `ByteDFA.jsonStrings(values)` as a tree: quote, per character the
    /// alternation of its spellings, quote. Inside bigger patterns (a collapsed member rule)
    /// the NFA shares the tree's equal suffixes across copies, which an embedded automaton's
    /// states cannot be; alone, a terminal takes the direct DFA.
    static func jsonStrings(_ values: [[UInt32]]) -> RegexAST {
        func char(_ x: UInt32) -> RegexAST { .scalars(CodePointSet(scalar: x)) }
        func hexDigit(_ v: UInt32) -> RegexAST {
            v < 10 ? char(48 + v) : .scalars(CodePointSet([(55 + v)...(55 + v), (87 + v)...(87 + v)]))
        }
        func escapeU(_ x: UInt32) -> [RegexAST] { [char(0x5C), char(0x75)] + [12, 8, 4, 0].map { hexDigit(x >> UInt32($0) & 15) } }
        func spellings(_ c: UInt32) -> RegexAST {
            var alts: [RegexAST] = []
            if c >= 0x20 && c != 0x22 && c != 0x5C { alts.append(char(c)) }
            if let e = jsonShortEscapes[c] { alts.append(.concat([char(0x5C), char(UInt32(e))])) }
            if c <= 0xFFFF { alts.append(.concat(escapeU(c))) } else {
                let a = c - 0x10000
                alts.append(.concat(escapeU(0xD800 + (a >> 10)) + escapeU(0xDC00 + (a & 0x3FF))))
            }
            return .alternation(alts)
        }
        let quote = char(0x22)
        return .alternation(values.map { v in .concat([quote] + v.map(spellings) + [quote]) })
    }
}

