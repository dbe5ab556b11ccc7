#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A token n-gram language model with interpolated Kneser-Ney smoothing, the built-in backend
/// for demos and error-rate benchmarks. Trained in one pass over token sequences; every grammar
/// token keeps some probability mass (the lowest level mixes in a uniform distribution), so a
/// constraint can always find an allowed token.
///
/// Cost: a row costs O(width × order) (dense mixing per level) plus the sparse counts seen.
public struct NGramModel: ModelBackend, Sendable {
    public let order: Int
    public let width: Int
    /// Absolute discount.
    public let discount: Double
    /// Per context (hash of the last k tokens, k ≥ 1): follower counts.
    private let contexts: [UInt64: Followers]
    /// Continuation-count unigram distribution mixed with uniform over `allowed`, as probabilities.
    private let base: [Double]
    /// Tokens that may be produced at all (grammar tokens plus eos).
    private let allowed: [Bool]

    struct Followers: Sendable {
        var ids: [Int32]
        var counts: [Int32]
        var total: Int32
    }

    /// `sequences` are token id sequences (documents); `eos` is appended after each so the
    /// model learns to stop. Ids outside `0..<width` or not `allowed` are skipped.
    public init(sequences: [[Int32]], width: Int, allowed: [Bool], eos: Int32?, order: Int = 4, discount: Double = 0.75) throws {
        guard order >= 1, order <= 8 else { throw FSMDecodeError(.usage, "n-gram order must be in 1...8, got \(order)") }
        guard allowed.count == width else { throw FSMDecodeError(.usage, "n-gram: allowed flags (\(allowed.count)) do not match width \(width)") }
        self.order = order
        self.width = width
        self.discount = discount
        var allowedPlus = allowed
        if let eos, eos >= 0, Int(eos) < width { allowedPlus[Int(eos)] = true }
        self.allowed = allowedPlus

        var raw: [UInt64: [Int32: Int32]] = [:]
        var continuation = [Int32](repeating: 0, count: width)
        var seenPair = Set<UInt64>()
        for seq in sequences {
            var s = seq.filter { $0 >= 0 && Int($0) < width && allowedPlus[Int($0)] }
            if let eos { s.append(eos) }
            for i in 0..<s.count {
                let w = s[i]
                if i > 0 {
                    let pair = UInt64(UInt32(bitPattern: s[i - 1])) << 32 | UInt64(UInt32(bitPattern: w))
                    if seenPair.insert(pair).inserted { continuation[Int(w)] += 1 }
                } else {
                    continuation[Int(w)] += 1
                }
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for k in 1..<order where i - k >= 0 {
                    h = Self.extend(h, s[i - k])
                    raw[h, default: [:]][w, default: 0] += 1
                }
            }
        }
        var contexts: [UInt64: Followers] = [:]
        contexts.reserveCapacity(raw.count)
        for (h, followers) in raw {
            let sorted = followers.sorted { $0.key < $1.key }
            contexts[h] = Followers(ids: sorted.map { $0.key }, counts: sorted.map { $0.value }, total: sorted.reduce(0) { $0 + $1.value })
        }
        self.contexts = contexts

        // Base: 90% continuation unigram, 10% uniform over allowed tokens (all mass on allowed).
        let allowedCount = max(1, allowedPlus.lazy.filter { $0 }.count)
        let contTotal = Double(continuation.reduce(0) { $0 + Int($1) })
        var base = [Double](repeating: 0, count: width)
        for i in 0..<width where allowedPlus[i] {
            let uni = 1.0 / Double(allowedCount)
            base[i] = contTotal > 0 ? 0.9 * Double(continuation[i]) / contTotal + 0.1 * uni : uni
        }
        self.base = base
    }

    @inline(__always) static func extend(_ h: UInt64, _ token: Int32) -> UInt64 {
        var x = h ^ UInt64(UInt32(bitPattern: token))
        x = x &* 0x0000_0100_0000_01B3
        return x ^ (x >> 29)
    }

    public mutating func nextLogits(after tokens: [Int32], into row: inout [Float]) throws -> Bool {
        logits(after: tokens, into: &row)
        return true
    }

    /// Interpolated Kneser-Ney: p_k(w) = max(c(ctx_k, w) − D, 0)/c(ctx_k) + D·n(ctx_k)/c(ctx_k) · p_{k−1}(w).
    public func logits(after tokens: [Int32], into row: inout [Float]) {
        var p = base
        // Contexts from the shortest to the longest.
        var hashes: [UInt64] = []
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in 1..<order where tokens.count - k >= 0 {
            h = Self.extend(h, tokens[tokens.count - k])
            hashes.append(h)
        }
        for h in hashes {
            guard let f = contexts[h] else { break }
            let total = Double(f.total)
            let lambda = discount * Double(f.ids.count) / total
            p.withUnsafeMutableBufferPointer { pp in
                for i in 0..<pp.count { pp[i] *= lambda }
                for (j, id) in f.ids.enumerated() {
                    pp[Int(id)] += max(Double(f.counts[j]) - discount, 0) / total
                }
            }
        }
        if row.count != width { row = [Float](repeating: 0, count: width) }
        for i in 0..<width {
            row[i] = allowed[i] && p[i] > 0 ? Float(log(p[i])) : -Float.infinity
        }
    }
}
