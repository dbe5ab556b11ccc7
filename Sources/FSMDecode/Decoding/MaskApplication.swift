/// Sets disallowed logits to −∞ in place. `mask` uses the caller layout (bit `i % 32` of word
/// `i / 32` is token i); ids beyond the mask's width are disallowed. Words that are all ones
/// are skipped and all-zero words are filled, so the cost is close to one pass over the row.
public enum MaskApplication {
    public static func apply(_ mask: UnsafeBufferPointer<UInt32>, to logits: UnsafeMutableBufferPointer<Float>) {
        applyKernel(mask, logits, negativeInfinity: -Float.infinity)
    }

    /// IEEE half-precision bit patterns (−∞ = 0xFC00).
    public static func apply(_ mask: UnsafeBufferPointer<UInt32>, toFloat16Bits logits: UnsafeMutableBufferPointer<UInt16>) {
        applyKernel(mask, logits, negativeInfinity: 0xFC00)
    }

    /// bfloat16 bit patterns (−∞ = 0xFF80).
    public static func apply(_ mask: UnsafeBufferPointer<UInt32>, toBFloat16Bits logits: UnsafeMutableBufferPointer<UInt16>) {
        applyKernel(mask, logits, negativeInfinity: 0xFF80)
    }

    @inline(__always)
    static func applyKernel<T>(_ mask: UnsafeBufferPointer<UInt32>, _ logits: UnsafeMutableBufferPointer<T>, negativeInfinity: T) {
        let n = logits.count
        var w = 0
        while w * 32 < n {
            let word: UInt32 = w < mask.count ? mask[w] : 0
            let base = w * 32
            let end = min(base + 32, n)
            if word == 0 {
                for i in base..<end { logits[i] = negativeInfinity }
            } else if word != .max {
                var rejected = ~word
                while rejected != 0 {
                    let bit = rejected.trailingZeroBitCount
                    let i = base + bit
                    if i < end { logits[i] = negativeInfinity }
                    rejected &= rejected - 1
                }
            }
            w += 1
        }
    }
}
