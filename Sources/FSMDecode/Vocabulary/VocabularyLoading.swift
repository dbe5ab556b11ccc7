/// How to load a vocabulary; every field overrides what the file says.
public struct VocabularyOptions: Sendable {
    /// Logits width of the model (>= tokenizer size). nil: highest id + 1.
    public var maskWidth: Int?
    /// BOS override, as an id or a token string (`"<s>"`).
    public var bos: String?
    /// EOS override(s), as ids or token strings; replaces the file's eos set.
    public var eos: [String]

    public init(maskWidth: Int? = nil, bos: String? = nil, eos: [String] = []) {
        self.maskWidth = maskWidth
        self.bos = bos
        self.eos = eos
    }
}

extension Vocabulary {
    /// Loads a Hugging Face `tokenizer.json` (with `tokenizer_config.json` beside it when present)
    /// or a GGUF file's vocabulary metadata; the format is detected from the content.
    public static func load(path: String, options: VocabularyOptions = VocabularyOptions()) throws -> Vocabulary {
        let data = try readFile(path)
        var vocab: Vocabulary
        if data.starts(with: Array("GGUF".utf8)) {
            vocab = try GGUFVocabularyLoader.load(bytes: data, path: path)
        } else if data.first(where: { ![0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains($0) }) == UInt8(ascii: "{") {
            vocab = try TokenizerJSONLoader.load(bytes: data, path: path)
        } else if data.isEmpty {
            throw FSMDecodeError(.vocabulary, "\(path): file is empty; expected a tokenizer.json or a GGUF file")
        } else {
            throw FSMDecodeError(.vocabulary, "\(path): neither a tokenizer.json (JSON object) nor a GGUF file (magic 'GGUF')")
        }
        return try vocab.applying(options)
    }

    func applying(_ options: VocabularyOptions) throws -> Vocabulary {
        var v = self
        if options.bos != nil || !options.eos.isEmpty {
            let bos = try options.bos.map { try v.resolveTokenReference($0, what: "--bos") } ?? v.bosID
            let eos = options.eos.isEmpty ? v.eosIDs : try options.eos.map { try v.resolveTokenReference($0, what: "--eos") }
            v = try v.withSpecialIDs(bos: bos, eos: eos)
        }
        if let w = options.maskWidth { v = try v.withMaskWidth(w) }
        return v
    }

    /// An id given as a number or as a token's piece string.
    public func resolveTokenReference(_ ref: String, what: String) throws -> Int32 {
        if let n = Int32(ref) {
            guard n >= 0, Int(n) < size, !flags[Int(n)].contains(.absent) || !pieces[Int(n)].isEmpty else {
                throw FSMDecodeError(.vocabulary, "\(source): \(what) \(ref) is not a token id (the vocabulary has \(size) ids)")
            }
            return n
        }
        guard let id = id(ofPiece: ref) else {
            throw FSMDecodeError(.vocabulary, "\(source): \(what) '\(ref)' is not a token of this vocabulary")
        }
        return id
    }
}

/// GPT-2's byte-level alphabet: every byte is shown as a printable code point.
enum ByteLevelAlphabet {
    /// `byteOf[scalar]` for scalars < 324, or -1.
    static let byteOf: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        var extra = 0
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable { table[b] = Int16(b) } else { table[256 + extra] = Int16(b); extra += 1 }
        }
        return table
    }()

    /// Raw bytes of a byte-level token string, or nil when it uses characters outside the alphabet.
    static func decode(_ piece: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(piece.count)
        var i = 0
        while i < piece.count {
            let b0 = piece[i]
            var scalar: Int
            if b0 < 0x80 { scalar = Int(b0); i += 1 }
            else if b0 & 0xE0 == 0xC0, i + 1 < piece.count {
                scalar = (Int(b0 & 0x1F) << 6) | Int(piece[i + 1] & 0x3F); i += 2
            } else { return nil }
            guard scalar < byteOf.count, byteOf[scalar] >= 0 else { return nil }
            out.append(UInt8(byteOf[scalar]))
        }
        return out
    }
}

/// Hugging Face `tokenizer.json` (BPE models: byte-level and SentencePiece-style).
enum TokenizerJSONLoader {
    static let gpt2SplitPattern =
        #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

    static func load(bytes: [UInt8], path: String) throws -> Vocabulary {
        let doc = try JSONDocument(bytes: bytes, source: path)
        let root = doc.value
        guard root.kind == .object else {
            throw FSMDecodeError(.vocabulary, "\(path): not a tokenizer.json: the top level is not an object")
        }
        guard let model = root["model"], model.kind == .object else {
            throw FSMDecodeError(.vocabulary, "\(path): not a tokenizer.json: no \"model\" object")
        }
        let modelType = model["type"]?.string ?? (model["merges"] != nil ? "BPE" : "unknown")
        guard modelType == "BPE" else {
            throw FSMDecodeError(.vocabulary, "\(path): unsupported tokenizer model type \"\(modelType)\" (supported: BPE, byte-level or SentencePiece-style)")
        }
        guard let vocabObj = model["vocab"], vocabObj.kind == .object else {
            throw FSMDecodeError(.vocabulary, "\(path): model.vocab is missing or not an object")
        }

        let preTok = root["pre_tokenizer"]
        let decoder = root["decoder"]
        let normalizer = root["normalizer"]
        let byteLevel = containsType("ByteLevel", preTok) || containsType("ByteLevel", decoder)
        let byteFallback = model["byte_fallback"]?.bool ?? false
        let spm = !byteLevel && (byteFallback || containsType("Metaspace", preTok) || containsType("Replace", normalizer)
                                 || containsType("Metaspace", decoder) || containsType("Replace", decoder))
        guard byteLevel || spm else {
            throw FSMDecodeError(.vocabulary, "\(path): unsupported BPE tokenizer: neither byte-level (ByteLevel pre-tokenizer/decoder) nor SentencePiece-style (▁ for space)")
        }

        // Model vocabulary: piece -> id.
        var entries: [(String, Int32)] = []
        entries.reserveCapacity(vocabObj.count)
        var maxID: Int32 = -1
        var badID: String? = nil
        vocabObj.forEachMember { key, value in
            guard let id = value.int, id >= 0, id < 1 << 24 else {
                badID = badID ?? String(decoding: key, as: UTF8.self); return
            }
            entries.append((String(decoding: key, as: UTF8.self), Int32(id)))
            maxID = max(maxID, Int32(id))
        }
        if let badID { throw FSMDecodeError(.vocabulary, "\(path): model.vocab entry \"\(badID)\" has no valid id") }

        var addedEntries: [(String, Int32, Bool)] = []
        for t in root["added_tokens"]?.array ?? [] {
            guard let id = t["id"]?.int, id >= 0, id < 1 << 24, let content = t["content"]?.string else {
                throw FSMDecodeError(.vocabulary, "\(path): an added_tokens entry lacks an integer id or a content string")
            }
            addedEntries.append((content, Int32(id), t["special"]?.bool ?? false))
            maxID = max(maxID, Int32(id))
        }

        let size = Int(maxID) + 1
        var tokens = [(bytes: [UInt8], piece: String, flags: TokenFlags)?](repeating: nil, count: size)
        var pieceToID: [String: Int32] = [:]
        pieceToID.reserveCapacity(entries.count)
        let unkPiece = model["unk_token"]?.string
        for (piece, id) in entries {
            var flags: TokenFlags = []
            let raw: [UInt8]
            if byteLevel {
                guard let b = Array(piece.utf8).withUnsafeBufferPointer({ ByteLevelAlphabet.decode($0) }) else {
                    // Not in the byte alphabet: the piece is literal text.
                    tokens[Int(id)] = (Array(piece.utf8), piece, flags)
                    pieceToID[piece] = id
                    continue
                }
                raw = b
            } else if let b = sentencePieceByte(piece) {
                raw = [b]; flags.insert(.byteFallback)
            } else {
                raw = metaspaceToSpace(piece)
            }
            if piece == unkPiece { flags.insert(.unknown) }
            tokens[Int(id)] = (raw, piece, flags)
            pieceToID[piece] = id
        }
        var added: [(content: String, id: Int32)] = []
        for (content, id, special) in addedEntries {
            var flags: TokenFlags = special ? [.special] : []
            if content == unkPiece { flags.insert(.unknown) }
            if isPaddingFiller(content) { flags.insert(.padding) }
            if let existing = tokens[Int(id)], !special {
                tokens[Int(id)] = (existing.bytes, existing.piece, existing.flags.union(flags))
            } else {
                tokens[Int(id)] = (Array(content.utf8), content, flags)
            }
            added.append((content, id))
        }

        // Merges: "a b" strings or [a, b] pairs, in rank order.
        var merges: [(Int32, Int32)] = []
        if let m = model["merges"]?.array {
            merges.reserveCapacity(m.count)
            for (rank, item) in m.enumerated() {
                let left: String, right: String
                if let s = item.string, let sp = s.firstIndex(of: " ") {
                    left = String(s[..<sp]); right = String(s[s.index(after: sp)...])
                } else if item.kind == .array, item.count == 2, let a = item[0].string, let b = item[1].string {
                    left = a; right = b
                } else {
                    throw FSMDecodeError(.vocabulary, "\(path): model.merges[\(rank)] is neither \"a b\" nor [a, b]")
                }
                guard let l = pieceToID[left], let r = pieceToID[right] else {
                    throw FSMDecodeError(.vocabulary, "\(path): model.merges[\(rank)] names a piece that is not in model.vocab (\(left) \(right))")
                }
                merges.append((l, r))
            }
        }

        var spec = TokenizerSpec(model: byteLevel ? .byteLevelBPE : .sentencePieceBPE)
        spec.merges = merges
        spec.ignoreMerges = model["ignore_merges"]?.bool ?? false
        spec.byteFallback = byteFallback
        spec.addedTokens = added
        spec.normalizeNFC = containsType("NFC", normalizer)
        spec.prependSpace = spm && (containsType("Prepend", normalizer) || metaspacePrepends(preTok))
        if byteLevel {
            spec.splitPatterns = try splitPatterns(preTok, path: path)
        }

        // bos/eos: tokenizer_config.json beside the file, when present.
        var bosID: Int32? = nil
        var eosIDs: [Int32] = []
        let dir = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let configPath = dir + "/tokenizer_config.json"
        if let configBytes = try? readFile(configPath) {
            let config = try JSONDocument(bytes: configBytes, source: configPath).value
            func lookup(_ key: String) throws -> Int32? {
                guard let v = config[key], !v.isNull else { return nil }
                guard let content = v.string ?? v["content"]?.string else { return nil }
                guard let id = pieceToID[content] ?? added.first(where: { $0.content == content })?.id else {
                    throw FSMDecodeError(.vocabulary, "\(configPath): \(key) \"\(content)\" is not a token of \(path)")
                }
                return id
            }
            bosID = try lookup("bos_token")
            if let e = try lookup("eos_token") { eosIDs = [e] }
        }
        let unknownID = unkPiece.flatMap { pieceToID[$0] ?? added.first(where: { $0.content == unkPiece })?.id }
        return try Vocabulary(kind: byteLevel ? .byteLevelBPE : .sentencePieceBPE, source: path, tokens: tokens,
                              bosID: bosID, eosIDs: eosIDs, unknownID: unknownID, tokenizerSpec: spec)
    }

    /// `<0xXX>` → XX.
    static func sentencePieceByte(_ piece: String) -> UInt8? {
        let u = Array(piece.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
              u[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: u[3...4], as: UTF8.self), radix: 16)
    }

    static func isPaddingFiller(_ content: String) -> Bool {
        content.hasPrefix("[PAD") && content.hasSuffix("]") || content.hasPrefix("<|PAD") || content == "<pad>"
    }

    /// True when `value` or any nested step (Sequence) has `"type": type`.
    static func containsType(_ type: String, _ value: JSONValue?) -> Bool {
        guard let value, value.kind == .object else { return false }
        if value["type"]?.string == type { return true }
        for key in ["pretokenizers", "normalizers", "decoders"] {
            if let list = value[key]?.array, list.contains(where: { containsType(type, $0) }) { return true }
        }
        return false
    }

    static func metaspacePrepends(_ value: JSONValue?) -> Bool {
        guard let value, value.kind == .object else { return false }
        if value["type"]?.string == "Metaspace" {
            return (value["prepend_scheme"]?.string).map { $0 != "never" } ?? (value["add_prefix_space"]?.bool ?? true)
        }
        return (value["pretokenizers"]?.array ?? []).contains { metaspacePrepends($0) }
    }

    /// The pre-tokenizer's `Split` regexes, in order, plus GPT-2's pattern for `ByteLevel(use_regex)`.
    static func splitPatterns(_ value: JSONValue?, path: String) throws -> [String] {
        guard let value, value.kind == .object else { return [] }
        switch value["type"]?.string {
        case "Sequence":
            return try (value["pretokenizers"]?.array ?? []).flatMap { try splitPatterns($0, path: path) }
        case "Split":
            let behavior = value["behavior"]?.string ?? "Isolated"
            guard behavior == "Isolated", !(value["invert"]?.bool ?? false) else {
                throw FSMDecodeError(.vocabulary, "\(path): unsupported pre_tokenizer Split behaviour \"\(behavior)\" (supported: Isolated)")
            }
            if let r = value["pattern"]?["Regex"]?.string { return [r] }
            if let s = value["pattern"]?["String"]?.string { return [escapeLiteral(s)] }
            throw FSMDecodeError(.vocabulary, "\(path): pre_tokenizer Split has no pattern")
        case "ByteLevel":
            return (value["use_regex"]?.bool ?? true) ? [gpt2SplitPattern] : []
        case "Digits":
            return (value["individual_digits"]?.bool ?? false) ? [#"\p{N}"#] : [#"\p{N}+"#]
        case let other?:
            throw FSMDecodeError(.vocabulary, "\(path): unsupported pre_tokenizer type \"\(other)\"")
        case nil:
            return []
        }
    }

    static func escapeLiteral(_ s: String) -> String {
        var out = ""
        for ch in s {
            if "\\^$.|?*+()[]{}".contains(ch) { out.append("\\") }
            out.append(ch)
        }
        return out
    }
}

/// SentencePiece pieces write a space as `▁` (U+2581, bytes E2 96 81).
func metaspaceToSpace(_ piece: String) -> [UInt8] {
    var out: [UInt8] = []
    let u = Array(piece.utf8)
    var i = 0
    while i < u.count {
        if i + 2 < u.count, u[i] == 0xE2, u[i + 1] == 0x96, u[i + 2] == 0x81 { out.append(0x20); i += 3 }
        else { out.append(u[i]); i += 1 }
    }
    return out
}
