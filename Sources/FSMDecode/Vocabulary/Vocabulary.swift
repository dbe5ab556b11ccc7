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
    /// The token slices and grammar-token bits every mask walk over this vocabulary (and its
    /// copies) reads, built on first use. See `SharedCaches`.
    public let maskWalkTables = MaskWalkTables()
    /// Identity of everything a compiled constraint depends on (token bytes and flags, mask
    /// width, eos ids): artifacts store it and refuse another vocabulary.
    public let fingerprint: UInt64

    /// Builds a vocabulary from per-id entries. `tokens[i] == nil` means no token has id i.
    public init(kind: Kind, source: String, tokens: [(bytes: [UInt8], piece: String, flags: TokenFlags)?],
                bosID: Int32?, eosIDs: [Int32], unknownID: Int32? = nil,
                maskWidth: Int? = nil, tokenizerSpec: TokenizerSpec? = nil) throws {
        var table = TokenTable(capacity: tokens.count)
        for t in tokens {
            if let t { t.bytes.withUnsafeBufferPointer { table.append(bytes: $0, piece: t.piece, flags: t.flags) } }
            else { table.appendAbsent() }
        }
        try self.init(kind: kind, source: source, table: table, bosID: bosID, eosIDs: eosIDs, unknownID: unknownID,
                      maskWidth: maskWidth, tokenizerSpec: tokenizerSpec)
    }

    /// Builds a vocabulary from flat per-id storage (`table.count` ids), padding it with absent ids
    /// up to the mask width. `trie` may be passed when it is known to be the same (the grammar
    /// tokens and their bytes are unchanged); otherwise it is built, O(n log n) in the token count.
    init(kind: Kind, source: String, table: TokenTable, bosID: Int32?, eosIDs: [Int32], unknownID: Int32?,
         maskWidth: Int?, tokenizerSpec: TokenizerSpec?, trie: TokenTrie? = nil) throws {
        let size = table.count
        let width = maskWidth ?? size
        guard width >= size else {
            throw FSMDecodeError(.vocabulary, "\(source): mask width \(width) is smaller than the vocabulary (\(size) ids)")
        }
        for id in eosIDs + (bosID.map { [$0] } ?? []) where id < 0 || Int(id) >= size || table.isAbsentEntry(Int(id)) {
            throw FSMDecodeError(.vocabulary, "\(source): bos/eos id \(id) is not a token of this vocabulary (\(size) ids)")
        }
        // The trie stores depths as UInt16.
        for id in 0..<size where table.offsets[id + 1] - table.offsets[id] > UInt32(UInt16.max) {
            throw FSMDecodeError(.vocabulary, "\(source): token \(id) is \(table.offsets[id + 1] - table.offsets[id]) bytes long (at most \(UInt16.max) supported)")
        }
        var table = table
        table.reserve(width)
        while table.count < width { table.appendAbsent() }
        self.kind = kind
        self.source = source
        self.size = size
        self.maskWidth = width
        self.bosID = bosID
        self.eosIDs = eosIDs
        self.unknownID = unknownID
        self.tokenBytes = table.bytes
        self.tokenOffsets = table.offsets
        self.flags = table.flags
        self.pieces = table.pieces
        self.tokenizerSpec = tokenizerSpec
        self.trie = trie ?? TokenTrie(tokenBytes: table.bytes, offsets: table.offsets, flags: table.flags)
        self.fingerprint = Vocabulary.fingerprint(maskWidth: width, tokenBytes: table.bytes, tokenOffsets: table.offsets,
                                                  flags: table.flags, eosIDs: eosIDs)
    }

    /// The first `size` ids as flat storage (what the initialisers take).
    private var sizedTable: TokenTable {
        TokenTable(bytes: Array(tokenBytes[..<Int(tokenOffsets[size])]), offsets: Array(tokenOffsets[...size]),
                   flags: Array(flags[..<size]), pieces: Array(pieces[..<size]))
    }

    /// The same vocabulary with a wider logits row (models often pad it; the extra ids are absent).
    /// The trie is shared: ids beyond `size` are never in it.
    public func withMaskWidth(_ width: Int) throws -> Vocabulary {
        guard width != maskWidth else { return self }
        return try Vocabulary(kind: kind, source: source, table: sizedTable, bosID: bosID, eosIDs: eosIDs,
                              unknownID: unknownID, maskWidth: width, tokenizerSpec: tokenizerSpec, trie: trie)
    }

    /// The same vocabulary with other bos/eos ids (command-line overrides). Flags, bytes and the
    /// trie are unchanged.
    public func withSpecialIDs(bos: Int32?, eos: [Int32]) throws -> Vocabulary {
        try Vocabulary(kind: kind, source: source, table: sizedTable, bosID: bos, eosIDs: eos,
                       unknownID: unknownID, maskWidth: maskWidth, tokenizerSpec: tokenizerSpec, trie: trie)
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
    /// The tokenizer asks for BOS at the start of an encoded text (`add_bos_token`).
    public var addBOS: Bool
    /// When set, this vocabulary's token bytes are exact but its encoding rules are not known
    /// (e.g. a GGUF `tokenizer.ggml.pre` this library does not map); an encoder must fail with
    /// this message instead of guessing.
    public var encodingUnsupported: String?

    public init(model: Model, splitPatterns: [String] = [], normalizeNFC: Bool = false, prependSpace: Bool = false,
                merges: [(Int32, Int32)] = [], ignoreMerges: Bool = false, byteFallback: Bool = false,
                addedTokens: [(content: String, id: Int32)] = [], addBOS: Bool = false,
                encodingUnsupported: String? = nil) {
        self.model = model
        self.splitPatterns = splitPatterns
        self.normalizeNFC = normalizeNFC
        self.prependSpace = prependSpace
        self.merges = merges
        self.ignoreMerges = ignoreMerges
        self.byteFallback = byteFallback
        self.addedTokens = addedTokens
        self.addBOS = addBOS
        self.encodingUnsupported = encodingUnsupported
    }
}

/// Flat per-id token storage that loaders fill in id order: token i has bytes
/// `bytes[offsets[i] ..< offsets[i+1]]`, `flags[i]` and `pieces[i]`. An absent id has no bytes,
/// `.absent` and an empty piece. Appending is amortised O(bytes); no per-token arrays.
struct TokenTable {
    var bytes: [UInt8] = []
    var offsets: [UInt32] = [0]
    var flags: [TokenFlags] = []
    var pieces: [String] = []

    var count: Int { flags.count }

    init(capacity: Int) {
        reserve(capacity)
        bytes.reserveCapacity(capacity * 8)
    }

    init(bytes: [UInt8], offsets: [UInt32], flags: [TokenFlags], pieces: [String]) {
        self.bytes = bytes; self.offsets = offsets; self.flags = flags; self.pieces = pieces
    }

    mutating func reserve(_ n: Int) {
        offsets.reserveCapacity(n + 1); flags.reserveCapacity(n); pieces.reserveCapacity(n)
    }

    /// Appends a token. One with no bytes that is not special can never be produced: it is `.absent`.
    mutating func append(bytes b: UnsafeBufferPointer<UInt8>, piece: String, flags f: TokenFlags) {
        bytes.append(contentsOf: b)
        offsets.append(UInt32(bytes.count))
        flags.append(b.isEmpty && !f.contains(.special) ? f.union(.absent) : f)
        pieces.append(piece)
    }

    mutating func appendAbsent() {
        offsets.append(UInt32(bytes.count))
        flags.append(.absent)
        pieces.append("")
    }

    /// True for an id no token has (as opposed to a token that merely has no bytes).
    func isAbsentEntry(_ id: Int) -> Bool { flags[id].contains(.absent) && pieces[id].isEmpty }
}
