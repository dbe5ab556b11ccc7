extension ByteDFA {
    /// The subtrahend that turns a number pattern into its `multipleOf` part: a complete
    /// automaton over all bytes that accepts a decimal literal (`-`, digits, one `.`, digits; no
    /// exponent) exactly when its value is *not* an integer multiple of `factor` × 10^-`scale`.
    /// Subtracting it from a DFA of such literals (`subtracting`) leaves the multiples, with
    /// the number's syntax settled by that DFA: on strings that are not literals this one's
    /// verdict does not matter (a `-` is skipped wherever it is, any other byte outside
    /// `-.0-9` goes to an accepting sink).
    ///
    /// The value x = N / 10^f (N the digits read, f the fraction digits) is a multiple when
    /// x × 10^scale is an integer divisible by `factor`: no nonzero fraction digit past
    /// position `scale`, and N × 10^(scale - f) ≡ 0 (mod `factor`). States: the remainder of
    /// N while in the integer part, (remainder, f ≤ `scale`) in the fraction, and the sink;
    /// reachable ones only, numbered breadth-first. `.budget` error past `maxStates`.
    static func decimalNonMultiples(factor: Int, scale: Int, maxStates: Int, description: String) throws -> ByteDFA {
        precondition(factor >= 1 && scale >= 0)
        let total = factor.multipliedReportingOverflow(by: scale + 2)
        guard !total.overflow, total.partialValue < maxStates else {
            throw FSMDecodeError(.budget, "\(description): a multiple of \(factor)e-\(scale) needs about \(factor) × \(scale + 2) remainder states (budget \(maxStates))")
        }
        // Classes by first byte: other, '-', '.', '0' ... '9'.
        var byteClass = [UInt8](repeating: 0, count: 256)
        byteClass[Int(UInt8(ascii: "-"))] = 1
        byteClass[Int(UInt8(ascii: "."))] = 2
        for d in 0 ..< 10 { byteClass[48 + d] = UInt8(3 + d) }
        let classCount = 13
        // Abstract states: integer part r = 0 ..< factor; fraction (r, f) = factor × (1 + f) + r;
        // the sink.
        let sink = factor * (scale + 2)
        func fraction(_ r: Int, _ f: Int) -> Int { factor * (1 + f) + r }
        func successors(_ s: Int) -> [Int] {
            var row = [Int](repeating: sink, count: classCount)
            if s == sink { return row }
            if s < factor {
                row[1] = s
                row[2] = fraction(s, 0)
                for d in 0 ..< 10 { row[3 + d] = (s * 10 + d) % factor }
            } else {
                let f = s / factor - 1, r = s % factor
                row[1] = s
                for d in 0 ..< 10 {
                    if f < scale { row[3 + d] = fraction((r * 10 + d) % factor, f + 1) }
                    else if d == 0 { row[3] = s }  // zeros past `scale` keep the value
                }
            }
            return row
        }
        func accepts(_ s: Int) -> Bool {
            if s == sink { return true }
            let (r, f) = s < factor ? (s, 0) : (s % factor, s / factor - 1)
            var x = r
            for _ in f ..< scale { x = x * 10 % factor }
            return x != 0
        }
        var number = [Int32](repeating: -1, count: sink + 1)
        var order: [Int] = [0]
        number[0] = 0
        var table: [Int32] = []
        var i = 0
        while i < order.count {
            for t in successors(order[i]) {
                if number[t] < 0 { number[t] = Int32(order.count); order.append(t) }
                table.append(number[t])
            }
            i += 1
        }
        return ByteDFA(stateCount: order.count, start: 0, byteClass: byteClass, classCount: classCount,
                       table: table, accepting: order.map(accepts))
    }
}
