/// Sampling settings. `temperature == 0` is greedy. Filters apply in the order
/// repetition penalty → temperature → top-k → top-p → min-p, as in Hugging Face's pipeline.
public struct SamplerConfig: Sendable, Equatable {
    public var temperature: Float = 1
    /// 0 = off.
    public var topK: Int = 0
    /// 1 = off.
    public var topP: Float = 1
    /// 0 = off.
    public var minP: Float = 0
    /// 1 = off; > 1 discourages tokens already generated.
    public var repetitionPenalty: Float = 1
    public var seed: UInt64 = 0

    public init(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                repetitionPenalty: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.seed = seed
    }

    /// Rejects settings outside their meaningful ranges.
    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else { throw FSMDecodeError(.usage, "temperature must be >= 0, got \(temperature)") }
        guard topK >= 0 else { throw FSMDecodeError(.usage, "top-k must be >= 0, got \(topK)") }
        guard topP > 0, topP <= 1 else { throw FSMDecodeError(.usage, "top-p must be in (0, 1], got \(topP)") }
        guard minP >= 0, minP <= 1 else { throw FSMDecodeError(.usage, "min-p must be in [0, 1], got \(minP)") }
        guard repetitionPenalty > 0, repetitionPenalty.isFinite else { throw FSMDecodeError(.usage, "repetition penalty must be > 0, got \(repetitionPenalty)") }
    }
}

/// xoshiro256** seeded through SplitMix64: fast, and identical on every platform, so a seed
/// reproduces a run exactly.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1).
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}

/// Picks the next token from a (masked) logits row. Tokens at −∞ are never chosen, so sampling
/// after masking always yields an allowed token.
public struct Sampler: Sendable {
    public let config: SamplerConfig
    private var rng: SeededGenerator
    private var candidates: [(id: Int32, logit: Float)] = []

    public init(_ config: SamplerConfig) {
        self.config = config
        self.rng = SeededGenerator(seed: config.seed)
    }

    /// The chosen id, or nil when every logit is −∞ (or NaN). `history` feeds the repetition
    /// penalty. `logits` is modified (penalty applied in place).
    public mutating func sample(_ logits: UnsafeMutableBufferPointer<Float>, history: [Int32] = []) -> Int32? {
        if config.repetitionPenalty != 1 {
            for id in Set(history) where Int(id) < logits.count && id >= 0 {
                let l = logits[Int(id)]
                logits[Int(id)] = l > 0 ? l / config.repetitionPenalty : l * config.repetitionPenalty
            }
        }
        candidates.removeAll(keepingCapacity: true)
        var best: Int32 = -1
        var bestLogit = -Float.infinity
        for i in 0..<logits.count {
            let l = logits[i]
            guard l > -Float.infinity, !l.isNaN else { continue }
            candidates.append((Int32(i), l))
            if l > bestLogit { bestLogit = l; best = Int32(i) }
        }
        guard best >= 0 else { return nil }
        if config.temperature == 0 || candidates.count == 1 { return best }

        // Highest first; ties by id so the order (and the draw) is deterministic.
        candidates.sort { $0.logit != $1.logit ? $0.logit > $1.logit : $0.id < $1.id }
        if config.topK > 0 && candidates.count > config.topK { candidates.removeSubrange(config.topK...) }
        let invT = 1 / Double(config.temperature)
        let top = Double(candidates[0].logit)
        var probs = candidates.map { Foundation_exp((Double($0.logit) - top) * invT) }
        var total = probs.reduce(0, +)
        if config.topP < 1 {
            var cumulative = 0.0
            var keep = probs.count
            for (i, p) in probs.enumerated() {
                cumulative += p / total
                if cumulative >= Double(config.topP) { keep = i + 1; break }
            }
            probs.removeSubrange(keep...)
            total = probs.reduce(0, +)
        }
        if config.minP > 0 {
            let threshold = Double(config.minP) * probs[0]
            let keep = probs.firstIndex { $0 < threshold } ?? probs.count
            probs.removeSubrange(max(keep, 1)...)
            total = probs.reduce(0, +)
        }
        var r = rng.nextUnit() * total
        for (i, p) in probs.enumerated() {
            r -= p
            if r < 0 { return candidates[i].id }
        }
        return candidates[probs.count - 1].id
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func Foundation_exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
@inline(__always) func Foundation_exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
