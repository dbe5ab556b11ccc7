import CJSONC
#if canImport(Glibc)
import Glibc
#endif

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
        if try fileStartsWithGGUFMagic(path) {
            return try GGUFVocabularyLoader.load(path: path).applying(options)
        }
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

    /// True when the file's first four bytes are `GGUF` (false for a shorter or unreadable file;
    /// `readFile` then reports the problem).
    private static func fileStartsWithGGUFMagic(_ path: String) throws -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 4)
        let n = magic.withUnsafeMutableBytes { read(fd, $0.baseAddress!, 4) }
        return n == 4 && magic == Array("GGUF".utf8)
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
            throw FSMDecodeError(.vocabulary, "\(source): \(what) '\(messageText(ref))' is not a token of this vocabulary")
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
        return decode(piece, into: &out) ? out : nil
    }

    /// Appends the raw bytes of a byte-level token string to `out`; false (with `out` partly
    /// written) when the string uses characters outside the alphabet.
    static func decode(_ piece: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) -> Bool {
        byteOf.withUnsafeBufferPointer { table in
            var i = 0
            while i < piece.count {
                let b0 = piece[i]
                var scalar: Int
                if b0 < 0x80 { scalar = Int(b0); i += 1 }
                else if b0 & 0xE0 == 0xC0, i + 1 < piece.count, piece[i + 1] & 0xC0 == 0x80 {
                    scalar = (Int(b0 & 0x1F) << 6) | Int(piece[i + 1] & 0x3F); i += 2
                } else { return false }
                guard scalar < table.count, table[scalar] >= 0 else { return false }
                out.append(UInt8(table[scalar]))
            }
            return true
        }
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
            throw FSMDecodeError(.vocabulary, "\(path): unsupported tokenizer model type \"\(messageText(modelType))\" (supported: BPE, byte-level or SentencePiece-style)")
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

        // Model vocabulary: piece -> id. Keys are read as bytes straight from json-c; no String per piece.
        var maxID: Int32 = -1
        var vocabEntries: [VocabEntry] = []
        var keyBuffer: [UInt8] = []
        vocabEntries.reserveCapacity(vocabObj.count)
        keyBuffer.reserveCapacity(vocabObj.count * 8)
        if let badKey = collectVocab(vocabObj, into: &vocabEntries, keys: &keyBuffer, maxID: &maxID) {
            throw FSMDecodeError(.vocabulary, "\(path): model.vocab entry \"\(messageText(badKey))\" has no valid id (an integer in 0..<2^24)")
        }

        var addedEntries: [(String, Int32, Bool)] = []
        for t in root["added_tokens"]?.array ?? [] {
            guard let id = t["id"]?.int, id >= 0, id < 1 << 24, let content = t["content"]?.string else {
                throw FSMDecodeError(.vocabulary, "\(path): an added_tokens entry lacks an integer id or a content string")
            }
            addedEntries.append((content, Int32(id), t["special"]?.bool ?? false))
            maxID = max(maxID, Int32(id))
        }

        let size = Int(maxID) + 1
        var tokens = SparseTokenTable(size: size, expectedBytes: keyBuffer.count)
        var pieceToID = PieceIndex(capacity: vocabEntries.count)
        let unkPiece = model["unk_token"]?.string
        var unkBytes = Array((unkPiece ?? "").utf8)
        var scratch: [UInt8] = []
        scratch.reserveCapacity(64)
        keyBuffer.withUnsafeBufferPointer { kb in
            unkBytes.withUnsafeMutableBufferPointer { unk in
                for entry in vocabEntries {
                    let piece = UnsafeBufferPointer(rebasing: kb[entry.keyStart..<entry.keyEnd])
                    var flags: TokenFlags = []
                    scratch.removeAll(keepingCapacity: true)
                    if byteLevel {
                        // A piece outside the byte alphabet is literal text.
                        if !ByteLevelAlphabet.decode(piece, into: &scratch) {
                            scratch.removeAll(keepingCapacity: true)
                            scratch.append(contentsOf: piece)
                        }
                    } else if let b = sentencePieceByte(piece) {
                        scratch.append(b); flags.insert(.byteFallback)
                    } else {
                        metaspaceToSpace(piece, into: &scratch)
                    }
                    if unkPiece != nil && piece.elementsEqual(UnsafeBufferPointer(unk)) { flags.insert(.unknown) }
                    scratch.withUnsafeBufferPointer { tokens.set(id: Int(entry.id), piece: piece, bytes: $0, flags: flags) }
                    pieceToID.insert(piece, id: entry.id)
                }
            }
        }
        var added: [(content: String, id: Int32)] = []
        for (content, id, special) in addedEntries {
            var flags: TokenFlags = special ? [.special] : []
            if content == unkPiece { flags.insert(.unknown) }
            if isPaddingFiller(content) { flags.insert(.padding) }
            if tokens.contains(Int(id)), !special {
                tokens.addFlags(id: Int(id), flags)
            } else {
                var c = content
                c.withUTF8 { tokens.set(id: Int(id), piece: $0, bytes: $0, flags: flags) }
            }
            added.append((content, id))
        }

        // Merges: "a b" strings or [a, b] pairs, in rank order.
        var merges: [(Int32, Int32)] = []
        if let m = model["merges"], m.kind == .array {
            merges = try readMerges(m, pieceToID: pieceToID, path: path)
        } else if let m = model["merges"], !m.isNull {
            throw FSMDecodeError(.vocabulary, "\(path): model.merges is not an array")
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
                guard let id = pieceToID.lookup(content) ?? added.first(where: { $0.content == content })?.id else {
                    throw FSMDecodeError(.vocabulary, "\(configPath): \(key) \"\(messageText(content))\" is not a token of \(path)")
                }
                return id
            }
            bosID = try lookup("bos_token")
            if let e = try lookup("eos_token") { eosIDs = [e] }
            spec.addBOS = config["add_bos_token"]?.bool ?? false
        }
        let unknownID = unkPiece.flatMap { pieceToID.lookup($0) ?? added.first(where: { $0.content == unkPiece })?.id }
        return try Vocabulary(kind: byteLevel ? .byteLevelBPE : .sentencePieceBPE, source: path, table: tokens.assemble(),
                              bosID: bosID, eosIDs: eosIDs, unknownID: unknownID, maskWidth: nil, tokenizerSpec: spec)
    }

    /// A `model.vocab` member: its key is `keys[keyStart ..< keyEnd]`.
    struct VocabEntry {
        var keyStart: Int
        var keyEnd: Int
        var id: Int32
    }

    /// Appends every `model.vocab` member's key bytes to `keys` and its id to `entries`; returns
    /// the first key whose value is not an id in 0..<2^24, or nil. Walks json-c's object directly.
    private static func collectVocab(_ vocab: JSONValue, into entries: inout [VocabEntry],
                                     keys: inout [UInt8], maxID: inout Int32) -> String? {
        var it = json_object_iter_begin(vocab.object)
        var end = json_object_iter_end(vocab.object)
        while json_object_iter_equal(&it, &end) == 0 {
            let name = json_object_iter_peek_name(&it)!
            let n = strlen(name)
            let key = name.withMemoryRebound(to: UInt8.self, capacity: n) { UnsafeBufferPointer(start: $0, count: n) }
            let value = json_object_iter_peek_value(&it)
            guard json_object_get_type(value) == json_type_int else { return String(decoding: key, as: UTF8.self) }
            let id = json_object_get_int64(value)
            guard id >= 0, id < 1 << 24 else { return String(decoding: key, as: UTF8.self) }
            let start = keys.count
            keys.append(contentsOf: key)
            entries.append(VocabEntry(keyStart: start, keyEnd: keys.count, id: Int32(id)))
            maxID = max(maxID, Int32(id))
            json_object_iter_next(&it)
        }
        return nil
    }

    /// `model.merges` as id pairs, in rank order. Each item is `"a b"` (split at the first space;
    /// no piece contains one) or `["a", "b"]`; both pieces must be in `model.vocab`.
    private static func readMerges(_ list: JSONValue, pieceToID: PieceIndex, path: String) throws -> [(Int32, Int32)] {
        let count = list.count
        var merges: [(Int32, Int32)] = []
        merges.reserveCapacity(count)
        for rank in 0..<count {
            let item = json_object_array_get_idx(list.object, rank)
            var left: Int32? = nil, right: Int32? = nil
            var ok = false
            if json_object_get_type(item) == json_type_string {
                let n = Int(json_object_get_string_len(item))
                json_object_get_string(item)!.withMemoryRebound(to: UInt8.self, capacity: n) { p in
                    let s = UnsafeBufferPointer(start: p, count: n)
                    guard let sp = s.firstIndex(of: 0x20) else { return }
                    ok = true
                    left = pieceToID.lookup(UnsafeBufferPointer(rebasing: s[..<sp]))
                    right = pieceToID.lookup(UnsafeBufferPointer(rebasing: s[(sp + 1)...]))
                }
            } else if json_object_get_type(item) == json_type_array, json_object_array_length(item) == 2,
                      let a = stringBytes(json_object_array_get_idx(item, 0)),
                      let b = stringBytes(json_object_array_get_idx(item, 1)) {
                ok = true
                left = pieceToID.lookup(a)
                right = pieceToID.lookup(b)
            }
            guard ok else {
                throw FSMDecodeError(.vocabulary, "\(path): model.merges[\(rank)] is neither \"a b\" nor [a, b]")
            }
            guard let l = left, let r = right else {
                let text = JSONValue(document: list.document, object: item).serialized
                throw FSMDecodeError(.vocabulary, "\(path): model.merges[\(rank)] \(messageText(text)) names a piece that is not in model.vocab")
            }
            merges.append((l, r))
        }
        return merges
    }

    /// A json-c string's bytes (valid while the document lives), or nil for another type.
    private static func stringBytes(_ object: OpaquePointer?) -> UnsafeBufferPointer<UInt8>? {
        guard json_object_get_type(object) == json_type_string, let p = json_object_get_string(object) else { return nil }
        let n = Int(json_object_get_string_len(object))
        return p.withMemoryRebound(to: UInt8.self, capacity: n) { UnsafeBufferPointer(start: $0, count: n) }
    }

    /// `<0xXX>` → XX.
    static func sentencePieceByte(_ piece: String) -> UInt8? {
        var piece = piece
        return piece.withUTF8 { sentencePieceByte($0) }
    }

    /// `<0xXX>` (two hex digits, either case) → XX.
    static func sentencePieceByte(_ u: UnsafeBufferPointer<UInt8>) -> UInt8? {
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
              u[5] == UInt8(ascii: ">"), let hi = hexDigitValue(u[3]), let lo = hexDigitValue(u[4]) else { return nil }
        return hi << 4 | lo
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
                throw FSMDecodeError(.vocabulary, "\(path): unsupported pre_tokenizer Split behaviour \"\(messageText(behavior))\" (supported: Isolated)")
            }
            if let r = value["pattern"]?["Regex"]?.string { return [r] }
            if let s = value["pattern"]?["String"]?.string { return [escapeLiteral(s)] }
            throw FSMDecodeError(.vocabulary, "\(path): pre_tokenizer Split has no pattern")
        case "ByteLevel":
            return (value["use_regex"]?.bool ?? true) ? [gpt2SplitPattern] : []
        case "Digits":
            return (value["individual_digits"]?.bool ?? false) ? [#"\p{N}"#] : [#"\p{N}+"#]
        case let other?:
            throw FSMDecodeError(.vocabulary, "\(path): unsupported pre_tokenizer type \"\(messageText(other))\"")
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
    var piece = piece
    piece.withUTF8 { metaspaceToSpace($0, into: &out) }
    return out
}

/// Appends `u` to `out` with every `▁` replaced by a space.
func metaspaceToSpace(_ u: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
    var i = 0
    while i < u.count {
        if i + 2 < u.count, u[i] == 0xE2, u[i + 1] == 0x96, u[i + 2] == 0x81 { out.append(0x20); i += 3 }
        else { out.append(u[i]); i += 1 }
    }
}
