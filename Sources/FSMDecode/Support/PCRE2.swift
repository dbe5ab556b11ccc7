import CPCRE2

/// A compiled PCRE2 pattern (8-bit code units, UTF mode). Immutable and safe to share:
/// every match allocates its own match data. Used as the independent regex oracle and by
/// the BPE pre-tokenizers (which need `\p{L}`, `\p{N}` and lookahead).
public final class PCRE2Pattern: @unchecked Sendable {
    let code: OpaquePointer
    public let pattern: String

    /// `options` are PCRE2 compile options; UTF and UCP are always on.
    public init(_ pattern: String, options: UInt32 = 0, jit: Bool = true) throws {
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let bytes = Array(pattern.utf8)
        let compiled = bytes.withUnsafeBufferPointer { buf in
            pcre2_compile_8(buf.baseAddress ?? UnsafePointer(bitPattern: 1), buf.count,
                            UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP) | options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            var msg = [UInt8](repeating: 0, count: 256)
            let n = pcre2_get_error_message_8(errorCode, &msg, msg.count)
            let text = n > 0 ? String(decoding: msg.prefix(Int(n)), as: UTF8.self) : "error \(errorCode)"
            throw FSMDecodeError(.regex, "PCRE2 cannot compile /\(pattern)/ at offset \(errorOffset): \(text)")
        }
        code = compiled
        self.pattern = pattern
        if jit { _ = pcre2_jit_compile_8(code, UInt32(PCRE2_JIT_COMPLETE)) }
    }

    deinit { pcre2_code_free_8(code) }

    /// The first match at or after `start`, as a byte range, or nil.
    /// `options` are PCRE2 match options (e.g. anchoring).
    public func firstMatch(in subject: UnsafeBufferPointer<UInt8>, from start: Int = 0, options: UInt32 = 0) -> Range<Int>? {
        guard let md = pcre2_match_data_create_from_pattern_8(code, nil) else { return nil }
        defer { pcre2_match_data_free_8(md) }
        let base = subject.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let rc = pcre2_match_8(code, base, subject.count, start, options | UInt32(PCRE2_NO_UTF_CHECK), md, nil)
        guard rc > 0 else { return nil }
        let ov = pcre2_get_ovector_pointer_8(md)!
        return Int(ov[0])..<Int(ov[1])
    }

    /// True when the whole subject matches (anchored at both ends). Invalid UTF-8 never matches.
    public func matchesWhole(_ subject: [UInt8]) -> Bool {
        guard let md = pcre2_match_data_create_from_pattern_8(code, nil) else { return false }
        defer { pcre2_match_data_free_8(md) }
        return subject.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress ?? UnsafePointer(bitPattern: 1)!
            let rc = pcre2_match_8(code, base, buf.count, 0,
                                   UInt32(PCRE2_ANCHORED) | UInt32(PCRE2_ENDANCHORED), md, nil)
            return rc > 0
        }
    }

    /// Splits `subject` into the matches of this pattern and the gaps between them, in order
    /// (Hugging Face's `Split` with behaviour `Isolated`). Empty matches are skipped.
    public func isolatedSplit(_ subject: [UInt8]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        guard let md = pcre2_match_data_create_from_pattern_8(code, nil) else { return [0..<subject.count] }
        defer { pcre2_match_data_free_8(md) }
        subject.withUnsafeBufferPointer { buf in
            let base = buf.baseAddress ?? UnsafePointer(bitPattern: 1)!
            var pos = 0, last = 0
            while pos <= buf.count {
                let rc = pcre2_match_8(code, base, buf.count, pos, UInt32(PCRE2_NO_UTF_CHECK), md, nil)
                if rc <= 0 { break }
                let ov = pcre2_get_ovector_pointer_8(md)!
                let s = Int(ov[0]), e = Int(ov[1])
                if e == s {
                    // Empty match: step one UTF-8 character forward.
                    pos = s + 1
                    while pos < buf.count && buf[pos] & 0xC0 == 0x80 { pos += 1 }
                    continue
                }
                if s > last { pieces.append(last..<s) }
                pieces.append(s..<e)
                last = e
                pos = e
            }
            if last < buf.count { pieces.append(last..<buf.count) }
        }
        return pieces
    }
}
