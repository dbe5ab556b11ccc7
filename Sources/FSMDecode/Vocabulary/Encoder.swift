import Foundation

/// Text → token ids, the way Hugging Face `tokenizers` encodes with `add_special_tokens=False`.
///
/// Pipeline per input: added tokens (`<|begin_of_text|>`, `<s>`) found literally in the raw
/// bytes become their ids (leftmost-longest); every stretch between them is normalized (NFC when
/// the tokenizer asks), then
/// - byte-level BPE (GPT-2, Llama-3, Qwen2): split by the pre-tokenizer patterns (PCRE2, UTF
///   mode), each piece starts as one symbol per byte; Llama-3's `ignore_merges` emits a piece
///   that is itself a token directly; otherwise merges apply by rank;
/// - SentencePiece BPE (Llama-2): a space is prepended to each non-empty stretch (dummy prefix),
///   spaces are `▁`, each character is one symbol (or its `<0xXX>` byte tokens when it is not a
///   token), consecutive unknowns fuse, then merges apply by rank over the whole stretch.
///
/// Immutable and `Sendable`; `encode` allocates its own scratch buffers, so one encoder serves
/// any number of threads. Construction hashes every piece and merge once (O(vocab + merges)).
/// Encoding a pre-token of n symbols costs O(n²) for n <= 24 (a scan) and O(n log n) above
/// (heap-ordered merges over a linked list of symbols); SentencePiece stretches are merged in
/// chunks that start at space runs when the vocabulary allows it (see `sentencePiece`).
public struct TokenEncoder: Sendable {
    public let vocabulary: Vocabulary
    private let model: TokenizerSpec.Model
    private let splitters: [PCRE2Pattern]
    private let normalizeNFC: Bool
    private let prependSpace: Bool
    private let ignoreMerges: Bool
    private let merges: MergeTable
    private let pieces: PieceTable
    private let added: AddedTokenMatcher
    /// Byte-level: the id of each byte's one-character token. SentencePiece: the `<0xXX>` token
    /// of each byte (byte fallback), or -1.
    private let byteIDs: [Int32]
    /// SentencePiece: ids of single ASCII characters (space → `▁`), or -1.
    private let asciiIDs: [Int32]
    /// Byte-level: each byte's character in GPT-2's byte alphabet, as UTF-8 (for whole-piece
    /// lookups): one or two bytes, the second (when present) in the high byte.
    private let alphabetUTF8: [UInt16]
    private let unknownID: Int32?
    /// SentencePiece: no piece has `▁` right after another character (see `sentencePiece`).
    private let splitsBeforeSpace: Bool

    public init(vocabulary: Vocabulary) throws {
        guard let spec = vocabulary.tokenizerSpec else {
            throw FSMDecodeError(.encoding, "\(vocabulary.source): a \(vocabulary.kind.rawValue) vocabulary has no tokenizer model (merges, pre-tokenizer); it cannot encode text")
        }
        if let reason = spec.encodingUnsupported { throw FSMDecodeError(.encoding, reason) }
        self.vocabulary = vocabulary
        model = spec.model
        normalizeNFC = spec.normalizeNFC
        prependSpace = spec.prependSpace
        ignoreMerges = spec.ignoreMerges
        unknownID = vocabulary.unknownID
        splitters = try spec.splitPatterns.map { pattern in
            do { return try PCRE2Pattern(pattern) } catch let e as FSMDecodeError {
                throw FSMDecodeError(.encoding, "\(vocabulary.source): pre-tokenizer pattern does not compile: \(e.message)")
            }
        }
        added = AddedTokenMatcher(spec.addedTokens)

        // Model vocabulary: every present id that is not an added token.
        var include = vocabulary.pieces.prefix(vocabulary.size).map { !$0.isEmpty }
        for t in spec.addedTokens where t.id >= 0 && Int(t.id) < vocabulary.size { include[Int(t.id)] = false }
        let table = PieceTable(pieces: Array(vocabulary.pieces.prefix(vocabulary.size)), include: include)
        pieces = table

        // Merges: the result of (l, r) is the model token whose piece is piece(l) + piece(r).
        var triples: [(Int32, Int32, Int32)] = []
        triples.reserveCapacity(spec.merges.count)
        for (rank, (l, r)) in spec.merges.enumerated() {
            guard l >= 0, r >= 0, Int(l) < vocabulary.size, Int(r) < vocabulary.size else {
                throw FSMDecodeError(.encoding, "\(vocabulary.source): merge #\(rank) names an id outside the vocabulary (\(l), \(r))")
            }
            let merged = table.lookupConcatenation(l, r)
            guard merged >= 0 else {
                throw FSMDecodeError(.encoding, "\(vocabulary.source): merge #\(rank) (\(vocabulary.pieces[Int(l)]) \(vocabulary.pieces[Int(r)])) produces \"\(vocabulary.pieces[Int(l)] + vocabulary.pieces[Int(r)])\", which is not in the vocabulary")
            }
            triples.append((l, r, merged))
        }
        merges = MergeTable(triples)

        var byteIDs = [Int32](repeating: -1, count: 256)
        var asciiIDs = [Int32](repeating: -1, count: 128)
        var alphabet = [[UInt8]](repeating: [], count: 256)
        switch spec.model {
        case .byteLevelBPE:
            for (scalar, b) in ByteLevelAlphabet.byteOf.enumerated() where b >= 0 {
                alphabet[Int(b)] = Array(String(UnicodeScalar(UInt32(scalar))!).utf8)
            }
            for b in 0..<256 {
                byteIDs[b] = table.lookup(alphabet[b])
                guard byteIDs[b] >= 0 else {
                    let hex = (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
                    throw FSMDecodeError(.encoding, "\(vocabulary.source): byte-level vocabulary has no token for byte 0x\(hex) (piece \"\(String(decoding: alphabet[b], as: UTF8.self))\"); it cannot encode arbitrary bytes")
                }
            }
        case .sentencePieceBPE:
            for id in 0..<vocabulary.size where vocabulary.flags[id].contains(.byteFallback) {
                let bytes = vocabulary.bytes(of: id)
                if bytes.count == 1, byteIDs[Int(bytes[0])] < 0 { byteIDs[Int(bytes[0])] = Int32(id) }
            }
            if !spec.byteFallback { byteIDs = [Int32](repeating: -1, count: 256) }
            for c in 0..<128 {
                asciiIDs[c] = c == 0x20 ? table.lookup(Array("▁".utf8)) : table.lookup([UInt8(c)])
            }
        }
        self.splitsBeforeSpace = spec.model == .sentencePieceBPE && asciiIDs[0x20] >= 0
            && !vocabulary.pieces.contains { TokenEncoder.hasSpaceAfterOtherCharacter($0) }
        self.byteIDs = byteIDs
        self.asciiIDs = asciiIDs
        self.alphabetUTF8 = alphabet.map { $0.count == 2 ? UInt16($0[0]) | UInt16($0[1]) << 8 : $0.isEmpty ? 0 : UInt16($0[0]) }
    }

    /// Token ids of `text`, without BOS/EOS unless `addSpecial` (then BOS first, when the
    /// vocabulary has one; nothing is appended).
    public func encode(_ text: String, addSpecial: Bool = false) -> [Int32] {
        var out: [Int32] = []
        if addSpecial, let bos = vocabulary.bosID { out.append(bos) }
        encode(Array(text.utf8), continuation: false, into: &out)
        return out
    }

    /// Token ids of raw bytes, exactly as `encode(_:)` for valid UTF-8. Invalid UTF-8 is
    /// accepted: each maximal invalid run is its own pre-token (byte-level BPE merges its bytes;
    /// SentencePiece emits `<0xXX>` byte tokens), so `decode` gives the bytes back.
    public func encode(bytes: [UInt8]) -> [Int32] {
        var out: [Int32] = []
        encode(bytes, continuation: false, into: &out)
        return out
    }

    /// Token ids for bytes appended in the middle of an output (a forced continuation):
    /// no added-token matching, no normalization and no SentencePiece dummy prefix, so
    /// `decode(encodeContinuation(b)) == b` for every byte string (given byte tokens for
    /// every byte, as all byte-level and byte-fallback vocabularies have).
    public func encodeContinuation(_ bytes: [UInt8]) -> [Int32] {
        var out: [Int32] = []
        encode(bytes, continuation: true, into: &out)
        return out
    }

    /// The bytes of the ids, concatenated (special tokens give their text). Ids outside the
    /// vocabulary, and ids with no token, contribute nothing.
    public func decode(_ ids: [Int32]) -> [UInt8] {
        var out: [UInt8] = []
        vocabulary.tokenBytes.withUnsafeBufferPointer { tb in
            vocabulary.tokenOffsets.withUnsafeBufferPointer { off in
                for id in ids where id >= 0 && Int(id) < vocabulary.maskWidth {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: tb[Int(off[Int(id)])..<Int(off[Int(id) + 1])]))
                }
            }
        }
        return out
    }

    // MARK: - Pipeline

    private func encode(_ input: [UInt8], continuation: Bool, into out: inout [Int32]) {
        var scratch = BPEScratch()
        if continuation || added.isEmpty {
            encodeStretch(input[...], continuation: continuation, scratch: &scratch, into: &out)
            return
        }
        input.withUnsafeBufferPointer { buf in
            var pos = 0
            while let m = added.firstMatch(in: buf, from: pos) {
                if m.range.lowerBound > pos {
                    encodeStretch(input[pos..<m.range.lowerBound], continuation: false, scratch: &scratch, into: &out)
                }
                out.append(m.id)
                pos = m.range.upperBound
            }
            if pos < buf.count {
                encodeStretch(input[pos...], continuation: false, scratch: &scratch, into: &out)
            }
        }
    }

    /// Text between added tokens: normalize, pre-tokenize, BPE.
    private func encodeStretch(_ raw: ArraySlice<UInt8>, continuation: Bool, scratch: inout BPEScratch, into out: inout [Int32]) {
        var text = Array(raw)
        if normalizeNFC && !continuation { text = TokenEncoder.nfc(text) }
        switch model {
        case .sentencePieceBPE:
            if text.isEmpty { return }
            sentencePiece(text, dummyPrefix: prependSpace && !continuation, scratch: &scratch, into: &out)
        case .byteLevelBPE:
            text.withUnsafeBufferPointer { buf in
                // Valid UTF-8 runs go through the pre-tokenizer; each invalid run is one pre-token.
                var i = 0
                while i < buf.count {
                    var j = i
                    while j < buf.count { let n = validUTF8Length(buf, at: j); if n == 0 { break }; j += n }
                    if j > i { preTokenize(Array(buf[i..<j]), scratch: &scratch, into: &out) }
                    var k = j
                    while k < buf.count && validUTF8Length(buf, at: k) == 0 { k += 1 }
                    if k > j { byteLevelWord(UnsafeBufferPointer(rebasing: buf[j..<k]), scratch: &scratch, into: &out) }
                    i = k
                }
            }
        }
    }

    /// Applies the split patterns one after another (Hugging Face `Split`, behaviour Isolated),
    /// then encodes each resulting piece.
    private func preTokenize(_ text: [UInt8], scratch: inout BPEScratch, into out: inout [Int32]) {
        var ranges: [Range<Int>] = [0..<text.count]
        for (k, splitter) in splitters.enumerated() {
            if k == 0 { ranges = splitter.isolatedSplit(text); continue }
            var refined: [Range<Int>] = []
            for r in ranges {
                for sub in splitter.isolatedSplit(Array(text[r])) {
                    refined.append(r.lowerBound + sub.lowerBound ..< r.lowerBound + sub.upperBound)
                }
            }
            ranges = refined
        }
        text.withUnsafeBufferPointer { buf in
            for r in ranges { byteLevelWord(UnsafeBufferPointer(rebasing: buf[r]), scratch: &scratch, into: &out) }
        }
    }

    /// One byte-level pre-token: one symbol per byte, then merges (or the whole piece when
    /// `ignore_merges` and it is a token).
    private func byteLevelWord(_ word: UnsafeBufferPointer<UInt8>, scratch: inout BPEScratch, into out: inout [Int32]) {
        if word.isEmpty { return }
        if ignoreMerges && word.count > 1 {
            scratch.piece.removeAll(keepingCapacity: true)
            for b in word {
                let c = alphabetUTF8[Int(b)]
                scratch.piece.append(UInt8(truncatingIfNeeded: c))
                if c > 0xFF { scratch.piece.append(UInt8(truncatingIfNeeded: c >> 8)) }
            }
            let id = scratch.piece.withUnsafeBufferPointer { pieces.lookup($0) }
            if id >= 0 { out.append(id); return }
        }
        scratch.ids.removeAll(keepingCapacity: true)
        for b in word { scratch.ids.append(byteIDs[Int(b)]) }
        scratch.mergeAndEmit(merges, into: &out)
    }

    /// One SentencePiece stretch (the whole stretch is one word): characters → symbols, byte
    /// fallback for characters that are not tokens, fused unknowns, then merges.
    ///
    /// When no piece has `▁` right after another character (`splitsBeforeSpace`), no merge can
    /// join a symbol to a following space run, so the stretch is merged in independent chunks
    /// that start at each such space; the result is the same as merging the whole stretch.
    private func sentencePiece(_ text: [UInt8], dummyPrefix: Bool, scratch: inout BPEScratch, into out: inout [Int32]) {
        scratch.symbols.removeAll(keepingCapacity: true)
        var chunkStarts: [Int] = []
        if dummyPrefix { pushSymbol(asciiIDs[0x20], &scratch) }
        var previousWasSpace = dummyPrefix
        text.withUnsafeBufferPointer { buf in
            var i = 0
            while i < buf.count {
                let b = buf[i]
                if b == 0x20 {
                    if splitsBeforeSpace && !previousWasSpace && !scratch.symbols.isEmpty { chunkStarts.append(scratch.symbols.count) }
                    previousWasSpace = true
                } else {
                    previousWasSpace = false
                }
                if b < 0x80, asciiIDs[Int(b)] >= 0 { scratch.symbols.append(asciiIDs[Int(b)]); i += 1; continue }
                let n = validUTF8Length(buf, at: i)
                if n == 0 { pushSymbol(byteIDs[Int(b)], &scratch); i += 1; continue }
                let char = UnsafeBufferPointer(rebasing: buf[i..<i + n])
                let id = pieces.lookup(char)
                if id >= 0 {
                    scratch.symbols.append(id)
                } else if char.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                    for c in char { scratch.symbols.append(byteIDs[Int(c)]) }
                } else {
                    pushSymbol(-1, &scratch)
                }
                i += n
            }
        }
        chunkStarts.append(scratch.symbols.count)
        var start = 0
        for end in chunkStarts where end > start {
            scratch.ids.removeAll(keepingCapacity: true)
            scratch.ids.append(contentsOf: scratch.symbols[start..<end])
            scratch.mergeAndEmit(merges, into: &out)
            start = end
        }
    }

    /// Appends a symbol that may be unknown (-1): unknowns become the unknown token, and
    /// consecutive unknowns fuse into one (SentencePiece `fuse_unk`); with no unknown token
    /// they are dropped, as Hugging Face does.
    private func pushSymbol(_ id: Int32, _ scratch: inout BPEScratch) {
        if id >= 0 { scratch.symbols.append(id); return }
        guard let unk = unknownID else { return }
        if scratch.symbols.last != unk { scratch.symbols.append(unk) }
    }

    /// True when `piece` has `▁` (E2 96 81) right after a character other than `▁`.
    static func hasSpaceAfterOtherCharacter(_ piece: String) -> Bool {
        var previous: Unicode.Scalar? = nil
        for u in piece.unicodeScalars {
            if u == "\u{2581}", let p = previous, p != "\u{2581}" { return true }
            previous = u
        }
        return false
    }

    /// Unicode NFC of the valid UTF-8 runs; invalid bytes are kept as they are. ASCII is NFC.
    static func nfc(_ bytes: [UInt8]) -> [UInt8] {
        if bytes.allSatisfy({ $0 < 0x80 }) { return bytes }
        return bytes.withUnsafeBufferPointer { buf in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var i = 0
            while i < buf.count {
                var j = i
                while j < buf.count { let n = validUTF8Length(buf, at: j); if n == 0 { break }; j += n }
                if j > i {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: buf[i..<j]), as: UTF8.self)
                    out.append(contentsOf: s.precomposedStringWithCanonicalMapping.utf8)
                }
                while j < buf.count && validUTF8Length(buf, at: j) == 0 { out.append(buf[j]); j += 1 }
                i = j
            }
            return out
        }
    }
}
