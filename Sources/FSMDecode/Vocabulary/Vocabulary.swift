/// What a token id is, beyond its bytes.
public struct TokenFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Special or control token (`<|eot_id|>`, `</s>`): never allowed unless a grammar names it.
    public static let special = TokenFlags(rawValue: 1 << 0)
    /// No token has this id (a gap, or a logits column beyond the tokenizer).
    public static let absent = TokenFlags(rawValue: 1 << 1)
    /// SentencePiece byte-fallback token `<0xXX>`: its bytes are that one raw byte.
    public static let byteFallback = TokenFlags(rawValue: 1 << 2)
    /// Padding filler (`[PAD151935]`); never allowed.
    public static let padding = TokenFlags(rawValue: 1 << 3)
    /// The unknown token (`<unk>`); never allowed.
    public static let unknown = TokenFlags(rawValue: 1 << 4)

    /// Flags that keep a token out of every grammar mask.
    public static let neverAllowed: TokenFlags = [.special, .absent, .padding, .unknown]
}

/// One tokenizer vocabulary: exact bytes per id, flags, bos/eos, and the mask width.
///
/// Invariants: `maskWidth >= size`; ids in `size..<maskWidth` are `.absent`; token bytes are the
/// raw bytes the token decodes to (byte-level BPE alphabet mapped back, `▁` → space, `<0xXX>` →
/// that byte). Immutable and `Sendable`; all storage is flat arrays, so sharing it across
/// threads or matchers costs nothing.
public struct Vocabulary: Sendable {
    public enum Kind: String, Sendable {
        case byteLevelBPE = "byte-level BPE"
        case sentencePieceBPE = "SentencePiece BPE"
        case plain = "plain list"
    }

    public let kind: Kind
    /// Where it came from (a path, or a description for built-in vocabularies).
    public let source: String
    /// Number of ids the tokenizer defines: highest id + 1.
    public let size: Int
    /// Width of the model's logits row, and so of every mask (>= size).
    public let maskWidth: Int
    public let bosID: Int32?
    /// Ids that end generation (e.g. `<|end_of_text|>`, and `<|eot_id|>` when configured).
    public let eosIDs: [Int32]
    public let unknownID: Int32?

    /// Token bytes, concatenated; token i is `tokenBytes[tokenOffsets[i] ..< tokenOffsets[i+1]]`.
    public let tokenBytes: [UInt8]
    /// `maskWidth + 1` offsets into `tokenBytes`.
    public let tokenOffsets: [UInt32]
    public let flags: [TokenFlags]
    /// The token's string as written in the tokenizer file (e.g. `Ġthe`, `▁the`, `<0x0A>`).
    public let pieces: [String]
    /// Everything the encoder needs (merges, pre-tokenizer); nil for plain lists.
    public let tokenizerSpec: TokenizerSpec?
    /// Depth-first trie over every token that a grammar may allow (no special/absent ids).
    public let trie: TokenTrie

    /// Builds a vocabulary from per-id entries. `tokens[i] == nil` means no token has id i.
    public init(kind: Kind, source: String, tokens: [(bytes: [UInt8], piece: String, flags: TokenFlags)?],
                bosID: Int32?, eosIDs: [Int32], unknownID: Int32? = nil,
                maskWidth: Int? = nil, tokenizerSpec: TokenizerSpec? = nil) throws {
        let size = tokens.count
        let width = maskWidth ?? size
        guard width >= size else {
            throw FSMDecodeError(.vocabulary, "\(source): mask width \(width) is smaller than the vocabulary (\(size) ids)")
        }
        var bytes: [UInt8] = []
        var offsets: [UInt32] = [0]
        var flags: [TokenFlags] = []
        var pieces: [String] = []
        offsets.reserveCapacity(width + 1); flags.reserveCapacity(width); pieces.reserveCapacity(width)
        for id in 0..<width {
            if id < size, let t = tokens[id] {
                bytes.append(contentsOf: t.bytes)
                flags.append(t.bytes.isEmpty && !t.flags.contains(.special) ? t.flags.union(.absent) : t.flags)
                pieces.append(t.piece)
            } else {
                flags.append(.absent)
                pieces.append("")
            }
            offsets.append(UInt32(bytes.count))
        }
        for id in eosIDs + (bosID.map { [$0] } ?? []) where id < 0 || Int(id) >= size || tokens[Int(id)] == nil {
            throw FSMDecodeError(.vocabulary, "\(source): bos/eos id \(id) is not a token of this vocabulary (\(size) ids)")
        }
        self.kind = kind
        self.source = source
        self.size = size
        self.maskWidth = width
        self.bosID = bosID
        self.eosIDs = eosIDs
        self.unknownID = unknownID
        self.tokenBytes = bytes
        self.tokenOffsets = offsets
        self.flags = flags
        self.pieces = pieces
        self.tokenizerSpec = tokenizerSpec
        self.trie = TokenTrie(tokenBytes: bytes, offsets: offsets, flags: flags)
    }

    /// The same vocabulary with a wider logits row (models often pad it; the extra ids are absent).
    public func withMaskWidth(_ width: Int) throws -> Vocabulary {
        guard width != maskWidth else { return self }
        guard width >= size else {
            throw FSMDecodeError(.vocabulary, "\(source): mask width \(width) is smaller than the vocabulary (\(size) ids)")
        }
        let tokens = (0..<size).map { id -> (bytes: [UInt8], piece: String, flags: TokenFlags)? in
            flags[id].contains(.absent) && pieces[id].isEmpty ? nil : (self.bytes(of: id), pieces[id], flags[id])
        }
        return try Vocabulary(kind: kind, source: source, tokens: tokens, bosID: bosID, eosIDs: eosIDs,
                              unknownID: unknownID, maskWidth: width, tokenizerSpec: tokenizerSpec)
    }

    /// The same vocabulary with other bos/eos ids (command-line overrides).
    public func withSpecialIDs(bos: Int32?, eos: [Int32]) throws -> Vocabulary {
        let tokens = (0..<size).map { id -> (bytes: [UInt8], piece: String, flags: TokenFlags)? in
            flags[id].contains(.absent) && pieces[id].isEmpty ? nil : (self.bytes(of: id), pieces[id], flags[id])
        }
        return try Vocabulary(kind: kind, source: source, tokens: tokens, bosID: bos, eosIDs: eos,
                              unknownID: unknownID, maskWidth: maskWidth, tokenizerSpec: tokenizerSpec)
    }

    @inlinable public func bytes(of id: Int) -> [UInt8] {
        Array(tokenBytes[Int(tokenOffsets[id])..<Int(tokenOffsets[id + 1])])
    }

    /// True when grammars may ever allow this id (present, not special/padding/unknown).
    @inlinable public func isGrammarToken(_ id: Int) -> Bool {
        flags[id].isDisjoint(with: .neverAllowed)
    }

    /// Ids whose `piece` string equals `piece` (for `--eos '<|eot_id|>'`-style lookups).
    public func id(ofPiece piece: String) -> Int32? {
        pieces.firstIndex(of: piece).map { Int32($0) }
    }

    public var specialCount: Int { flags.lazy.filter { $0.contains(.special) }.count }
    public var byteFallbackCount: Int { flags.lazy.filter { $0.contains(.byteFallback) }.count }
    /// Id of a longest grammar token (by bytes), or nil when there are none.
    public var longestTokenID: Int? {
        var best: Int? = nil, bestLen = -1
        for id in 0..<size where isGrammarToken(id) {
            let n = Int(tokenOffsets[id + 1] - tokenOffsets[id])
            if n > bestLen { bestLen = n; best = id }
        }
        return best
    }
}

/// What the encoder needs besides token bytes; filled by the loaders.
public struct TokenizerSpec: Sendable {
    public enum Model: String, Sendable { case byteLevelBPE, sentencePieceBPE }
    public var model: Model
    /// Hugging Face `Split` patterns (behaviour `Isolated`), applied one after another.
    public var splitPatterns: [String]
    /// Unicode NFC before pre-tokenizing (Qwen2).
    public var normalizeNFC: Bool
    /// SentencePiece: prepend a space (rendered `▁`) to the input (`add_dummy_prefix`).
    public var prependSpace: Bool
    /// BPE merges as (left id, right id) in rank order; the result is the token `left+right`.
    public var merges: [(Int32, Int32)]
    /// Llama-3: a pre-token that is itself a vocabulary token is emitted without merging.
    public var ignoreMerges: Bool
    /// SentencePiece: unknown characters become `<0xXX>` byte tokens.
    public var byteFallback: Bool
    /// Added tokens that are matched literally in input text, with their ids.
    public var addedTokens: [(content: String, id: Int32)]

    public init(model: Model, splitPatterns: [String] = [], normalizeNFC: Bool = false, prependSpace: Bool = false,
                merges: [(Int32, Int32)] = [], ignoreMerges: Bool = false, byteFallback: Bool = false,
                addedTokens: [(content: String, id: Int32)] = []) {
        self.model = model
        self.splitPatterns = splitPatterns
        self.normalizeNFC = normalizeNFC
        self.prependSpace = prependSpace
        self.merges = merges
        self.ignoreMerges = ignoreMerges
        self.byteFallback = byteFallback
        self.addedTokens = addedTokens
    }
}
