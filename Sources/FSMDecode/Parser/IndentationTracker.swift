import Synchronization

/// The runtime side of `Indentation` (Lark's `PythonIndenter`): the indentation state each
/// chart set parses from, and the newline lexeme's column count.
///
/// A state is the bracket depth and the stack of open blocks' widths (the outermost, 0, left
/// implicit); states are interned (`Int32` ids, 0 = no bracket open, no block open) and every
/// move is memoized, so a chart set carries one id and its context hash covers the whole
/// stack. Ids are numbered in order of first use and shared by every matcher of the constraint
/// (mask memo keys compare them).
///
/// Columns: the newline terminal's DFA is replaced by its product with a column counter
/// (`countingColumns`), so the lexer state in which a newline lexeme ends says how wide its
/// last line is, and walks that end the lexeme at different widths never share a result.
final class IndentationTracker: Sendable {
    /// Runtime terminals.
    let newline: Int32
    let indent: Int32
    let dedent: Int32
    private let opens: [Int32]
    private let closes: [Int32]
    let tabWidth: Int
    let maxColumns: Int
    /// Per state of the newline terminal's (counting) DFA: the columns of its last line.
    let widths: [Int32]

    private struct Table {
        /// Per id: [bracket depth, block widths from the outermost].
        var states: [[Int32]] = [[0]]
        var ids: [[Int32]: Int32] = [[0]: 0]
        /// (id << 32 | move) → packed result (see `move`).
        var moves: [Int64: Int64] = [:]
    }
    private let table = Mutex(Table())

    init(newline: Int32, indent: Int32, dedent: Int32, opens: [Int32], closes: [Int32], tabWidth: Int, maxColumns: Int,
         widths: [Int32]) {
        self.newline = newline
        self.indent = indent
        self.dedent = dedent
        self.opens = opens
        self.closes = closes
        self.tabWidth = tabWidth
        self.maxColumns = maxColumns
        self.widths = widths
    }

    static let initial: Int32 = 0

    /// Open brackets in state `s`.
    func bracketDepth(_ s: Int32) -> Int32 {
        s == IndentationTracker.initial ? 0 : table.withLock { $0.states[Int(s)][0] }
    }

    /// Blocks open in state `s` (the dedents the end of input produces).
    func openBlocks(_ s: Int32) -> Int {
        s == IndentationTracker.initial ? 0 : table.withLock { $0.states[Int(s)].count - 1 }
    }

    /// The widths of the blocks open in state `s`, outermost first (0 left out).
    func blockWidths(_ s: Int32) -> [Int32] {
        s == IndentationTracker.initial ? [] : table.withLock { Array($0.states[Int(s)].dropFirst()) }
    }

    /// +1 for an opening bracket terminal, -1 for a closing one, 0 otherwise.
    @inline(__always) func bracketDelta(_ t: Int32) -> Int32 {
        opens.contains(t) ? 1 : closes.contains(t) ? -1 : 0
    }

    /// The state after a lexeme with bracket delta `delta` (non-zero); nil for a closing
    /// bracket with none open.
    func afterBracket(_ s: Int32, delta: Int32) -> Int32? {
        let r = move(s, op: delta > 0 ? -1 : -2)
        return r < 0 ? nil : Int32(r >> 24)
    }

    /// The state after a newline lexeme whose last line is `width` columns wide, outside
    /// brackets, and the `indent`/`dedent` terminals it produces (`indents` is 0 or 1); nil
    /// when it dedents to a width no open block has.
    func afterNewline(_ s: Int32, width: Int32) -> (state: Int32, indents: Int, dedents: Int)? {
        let r = move(s, op: width)
        guard r >= 0 else { return nil }
        return (Int32(r >> 24), Int(r & 1), Int((r >> 1) & 0x7F_FFFF))
    }

    /// op ≥ 0: a newline of that width; -1: an opening bracket; -2: a closing one. Result:
    /// state << 24 | dedents << 1 | indents, or -1 for an error.
    private func move(_ s: Int32, op: Int32) -> Int64 {
        table.withLock { t in
            let key = Int64(s) << 32 | Int64(UInt32(bitPattern: op))
            if let r = t.moves[key] { return r }
            var st = t.states[Int(s)]
            var indents = 0, dedents = 0
            var failed = false
            switch op {
            case -1: st[0] += 1
            case -2: if st[0] == 0 { failed = true } else { st[0] -= 1 }
            default:
                let top = st.count > 1 ? st[st.count - 1] : 0
                if op > top {
                    st.append(op)
                    indents = 1
                } else {
                    while st.count > 1 && op < st[st.count - 1] { st.removeLast(); dedents += 1 }
                    if op != (st.count > 1 ? st[st.count - 1] : 0) { failed = true }
                }
            }
            var r: Int64 = -1
            if !failed {
                let id: Int32
                if let known = t.ids[st] { id = known } else {
                    id = Int32(t.states.count)
                    t.states.append(st)
                    t.ids[st] = id
                }
                r = Int64(id) << 24 | Int64(dedents) << 1 | Int64(indents)
            }
            t.moves[key] = r
            return r
        }
    }

    /// The product of `dfa` (the newline terminal's) with a column counter: a line feed resets
    /// to 0, then a space adds one column and a tab `tabWidth` until the line's first other
    /// byte, which freezes the count (a comment's own spaces do not indent it). Lark counts
    /// every space and tab after the last line feed, comment text included; that differs only
    /// when the lexeme ends in a comment, which only the end of the input can follow, and it
    /// would make every space of a comment a lexer state of its own. Lines wider than
    /// `maxColumns` are dead. Returns the DFA and each state's column count (-1 for states
    /// that do not accept: only an ending lexeme's width is read); nil when no match fits the
    /// column limit.
    static func countingColumns(_ dfa: ByteDFA, tabWidth: Int, maxColumns: Int) -> (dfa: ByteDFA, widths: [Int32])? {
        let (byteClass, k) = ByteDFA.commonByteClasses([dfa, ByteDFA.literal([0x09, 0x0A, 0x20])])
        let rep = byteClass.withUnsafeBufferPointer { ByteDFA.classRepresentatives($0, count: k) }
        let span = maxColumns + 1
        // Breadth-first over (state, columns, frozen), then keep the states that can still accept.
        var number: [Int: Int32] = [:]
        var order: [(q: Int32, w: Int, frozen: Bool)] = [(dfa.start, 0, false)]
        number[Int(dfa.start) * span * 2] = 0
        var table: [Int32] = []
        var i = 0
        while i < order.count {
            let (q, w, frozen) = order[i]
            i += 1
            for c in 0..<k {
                let b = rep[c]
                let q2 = dfa.next(q, b)
                var w2 = w, frozen2 = frozen
                switch b {
                case 0x0A: w2 = 0; frozen2 = false
                case 0x20 where !frozen: w2 = w + 1
                case 0x09 where !frozen: w2 = w + tabWidth
                case 0x20, 0x09: break
                default: frozen2 = true
                }
                guard q2 != ByteDFA.dead, w2 <= maxColumns else { table.append(ByteDFA.dead); continue }
                let key = (Int(q2) * span + w2) * 2 + (frozen2 ? 1 : 0)
                if let n = number[key] { table.append(n); continue }
                let n = Int32(order.count)
                number[key] = n
                order.append((q2, w2, frozen2))
                table.append(n)
            }
        }
        // Trimmed (a wide enough line can cut every way to acceptance), minimized and
        // numbered by the shared builder, each accepting state labelled with its width: only
        // states whose widths can never differ merge.
        let labels = order.map { dfa.accepting[Int($0.q)] ? [Int32($0.w)] : [] }
        guard let r = DFABuilder.finish(table: table, count: order.count, byteClass: byteClass, classCount: k,
                                        labelOf: labels, labelKey: labels.map { $0.first.map { $0 + 1 } ?? 0 }) else { return nil }
        return (r.dfa, r.labels.map { $0.first ?? -1 })
    }
}
