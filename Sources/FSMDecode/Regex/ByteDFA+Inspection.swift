/// Where a text stops matching a `ByteDFA`, and the DFA as Graphviz DOT.
public struct ValidationFailure: Sendable, Equatable {
    /// Byte offset of the first byte that cannot continue any match, or the text's length when
    /// the text is a viable but incomplete prefix.
    public let offset: Int
    /// 1-based line (LF-separated) of `offset`.
    public let line: Int
    /// 1-based column of `offset`, counting UTF-8 characters (lead bytes) on its line.
    public let column: Int
    /// True when every byte was accepted but the text ends before a match is complete.
    public let incomplete: Bool

    /// One sentence naming the location.
    public var message: String {
        incomplete
            ? "text ends at byte \(offset) (line \(line), column \(column)) before the pattern is complete"
            : "byte \(offset) (line \(line), column \(column)) cannot continue a match"
    }
}

extension ByteDFA {
    /// nil when the whole of `bytes` is in the language; otherwise where it went wrong. O(n).
    public func validationFailure(_ bytes: [UInt8]) -> ValidationFailure? {
        var s = start
        for (i, b) in bytes.enumerated() {
            s = next(s, b)
            if s == ByteDFA.dead { return Self.failure(bytes, at: i, incomplete: false) }
        }
        return accepting[Int(s)] ? nil : Self.failure(bytes, at: bytes.count, incomplete: true)
    }

    /// Byte offset where `bytes` stops matching, or nil on a full match (see `validationFailure`).
    public func validationFailureOffset(_ bytes: [UInt8]) -> Int? { validationFailure(bytes)?.offset }

    private static func failure(_ bytes: [UInt8], at offset: Int, incomplete: Bool) -> ValidationFailure {
        var line = 1, column = 1
        for b in bytes[..<offset] {
            if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return ValidationFailure(offset: offset, line: line, column: column, incomplete: incomplete)
    }

    /// Graphviz DOT: one node per state (accepting ones `doublecircle`), an invisible entry arrow
    /// to the start, one edge per (state, target) labelled with its byte ranges
    /// (printable ASCII as itself, other bytes as `\xHH`).
    public func dot(name: String = "dfa") -> String {
        var out = "digraph \(Self.dotQuote(name)) {\n  rankdir=LR;\n  node [shape=circle];\n"
        out += "  __start [shape=point];\n  __start -> \(start);\n"
        for s in 0 ..< stateCount where accepting[s] { out += "  \(s) [shape=doublecircle];\n" }
        for s in 0 ..< stateCount {
            // Byte ranges per target, in byte order.
            var targets: [Int32] = []
            var rangesByTarget: [Int32: [ClosedRange<Int>]] = [:]
            for b in 0 ..< 256 {
                let t = table[s * classCount + Int(byteClass[b])]
                if t == ByteDFA.dead { continue }
                if var rs = rangesByTarget[t] {
                    if let last = rs.last, last.upperBound == b - 1 { rs[rs.count - 1] = last.lowerBound ... b } else { rs.append(b ... b) }
                    rangesByTarget[t] = rs
                } else {
                    targets.append(t)
                    rangesByTarget[t] = [b ... b]
                }
            }
            for t in targets {
                let label = rangesByTarget[t]!.map { r in
                    r.lowerBound == r.upperBound ? Self.byteLabel(r.lowerBound) : Self.byteLabel(r.lowerBound) + "-" + Self.byteLabel(r.upperBound)
                }.joined(separator: " ")
                out += "  \(s) -> \(t) [label=\(Self.dotQuote(label))];\n"
            }
        }
        return out + "}\n"
    }

    private static func byteLabel(_ b: Int) -> String {
        if b > 0x20 && b < 0x7F && b != 0x2D { return String(UnicodeScalar(UInt8(b))) }
        let h = String(b, radix: 16, uppercase: true)
        return "\\x" + (h.count == 1 ? "0" + h : h)
    }

    private static func dotQuote(_ s: String) -> String {
        var out = "\""
        for ch in s {
            if ch == "\\" || ch == "\"" { out.append("\\") }
            out.append(ch)
        }
        return out + "\""
    }
}
