#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// GGUF vocabulary metadata (`tokenizer.ggml.*`), read from the header only; tensors are never read.
///
/// Layout (little-endian, versions 2 and 3): magic `GGUF`, u32 version, u64 tensor count, u64
/// metadata count, then per entry a string key (u64 length + bytes), a u32 value type and the
/// value. Every read is bounds-checked against the file; array counts are checked against the
/// bytes left before anything is allocated, and nesting is limited, so a corrupt or hostile
/// file gives one `FSMDecodeError` naming the file, the byte offset and the problem.
enum GGUFVocabularyLoader {
    /// Loads from a file, memory-mapped so that only the header's pages are ever read
    /// (model files with tensors can be many gigabytes).
    static func load(path: String) throws -> Vocabulary {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FSMDecodeError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FSMDecodeError(.io, "\(path): cannot stat: \(String(cString: strerror(errno)))") }
        let size = Int(st.st_size)
        guard size > 0, let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            // Not mappable (a pipe, an empty file): read it instead.
            return try load(bytes: try readFile(path), path: path)
        }
        defer { munmap(base, size) }
        var reader = GGUFReader(bytes: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size), path: path)
        let meta = try reader.readMetadata()
        return try build(meta, reader: reader)
    }

    static func load(bytes: [UInt8], path: String) throws -> Vocabulary {
        try bytes.withUnsafeBufferPointer { buf in
            var reader = GGUFReader(bytes: buf, path: path)
            let meta = try reader.readMetadata()
            return try build(meta, reader: reader)
        }
    }

    /// Pre-tokenizer split patterns, as the models' tokenizer.json files write them.
    static let llama3SplitPattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2SplitPattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    private static func build(_ meta: GGUFMetadata, reader: GGUFReader) throws -> Vocabulary {
        let path = reader.path
        func fail(_ key: String, _ what: String) -> FSMDecodeError {
            let at = meta.values[key].map { " (byte offset \($0.offset))" } ?? ""
            return FSMDecodeError(.vocabulary, "\(path): GGUF \(key)\(at): \(messageText(what))")
        }
        guard let modelValue = meta.values["tokenizer.ggml.model"] else {
            throw FSMDecodeError(.vocabulary, "\(path): GGUF file has no tokenizer.ggml.model (not a GGUF with a vocabulary)")
        }
        guard case .string(let modelRange) = modelValue.value else { throw fail("tokenizer.ggml.model", "is not a string") }
        let model = reader.text(modelRange)
        let byteLevel: Bool
        switch model {
        case "gpt2": byteLevel = true
        case "llama": byteLevel = false
        default:
            throw fail("tokenizer.ggml.model", "unsupported tokenizer model \"\(model)\" (supported: gpt2 = byte-level BPE, llama = SentencePiece BPE)")
        }

        // Tokens.
        guard let tokensValue = meta.values["tokenizer.ggml.tokens"] else {
            throw FSMDecodeError(.vocabulary, "\(path): GGUF file has no tokenizer.ggml.tokens")
        }
        guard case .array(let tokType, let tokCount, let tokStart) = tokensValue.value, tokType == GGUFType.string.rawValue else {
            throw fail("tokenizer.ggml.tokens", "is not an array of strings")
        }
        guard tokCount > 0, tokCount <= 1 << 24 else { throw fail("tokenizer.ggml.tokens", "has \(tokCount) tokens (expected 1 ..< 2^24)") }
        let size = tokCount
        let tokenRanges = try reader.stringArray(at: tokStart, count: size)

        // Token types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
        var types = [Int64](repeating: 1, count: size)
        if let typeValue = meta.values["tokenizer.ggml.token_type"] {
            guard case .array(let t, let n, let start) = typeValue.value, GGUFType.isInteger(t) else {
                throw fail("tokenizer.ggml.token_type", "is not an array of integers")
            }
            guard n == size else { throw fail("tokenizer.ggml.token_type", "has \(n) entries for \(size) tokens") }
            types = try reader.integerArray(at: start, count: n, type: t)
        }

        let scores: [Float]?
        if let scoreValue = meta.values["tokenizer.ggml.scores"] {
            guard case .array(let t, let n, let start) = scoreValue.value, t == GGUFType.float32.rawValue else {
                throw fail("tokenizer.ggml.scores", "is not an array of float32")
            }
            guard n == size else { throw fail("tokenizer.ggml.scores", "has \(n) entries for \(size) tokens") }
            scores = try reader.float32Array(at: start, count: n)
        } else {
            scores = nil
        }

        var tokens = SparseTokenTable(size: size, expectedBytes: tokenRanges.count * 8)
        var pieceToID = PieceIndex(capacity: size)
        var added: [(content: String, id: Int32)] = []
        var firstUnknown: Int32? = nil
        var scratch: [UInt8] = []
        for id in 0..<size {
            let piece = reader.slice(tokenRanges[id])
            scratch.removeAll(keepingCapacity: true)
            var flags: TokenFlags = []
            switch types[id] {
            case 0, 1:  // undefined (old converters) or normal
                if byteLevel {
                    if !ByteLevelAlphabet.decode(piece, into: &scratch) {
                        scratch.removeAll(keepingCapacity: true)
                        scratch.append(contentsOf: piece)
                    }
                } else {
                    metaspaceToSpace(piece, into: &scratch)
                }
            case 2:  // unknown
                flags = [.special, .unknown]
                scratch.append(contentsOf: piece)
                if firstUnknown == nil { firstUnknown = Int32(id) }
            case 3:  // control
                flags = .special
                scratch.append(contentsOf: piece)
            case 4:  // user-defined: matched literally; padding fillers are never allowed
                scratch.append(contentsOf: piece)
                if TokenizerJSONLoader.isPaddingFiller(String(decoding: piece, as: UTF8.self)) { flags = [.special, .padding] }
            case 5:  // unused: no bytes, so absent
                break
            case 6:  // byte
                guard let b = TokenizerJSONLoader.sentencePieceByte(piece) else {
                    throw fail("tokenizer.ggml.token_type", "token \(id) \"\(String(decoding: piece, as: UTF8.self))\" has type 6 (byte) but is not <0xXX>")
                }
                scratch.append(b)
                flags = .byteFallback
            default:
                throw fail("tokenizer.ggml.token_type", "token \(id) has unknown type \(types[id]) (known: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte)")
            }
            scratch.withUnsafeBufferPointer { tokens.set(id: id, piece: piece, bytes: $0, flags: flags) }
            pieceToID.insert(piece, id: Int32(id))
            if (2...4).contains(types[id]) { added.append((String(decoding: piece, as: UTF8.self), Int32(id))) }
        }

        // Special ids.
        func tokenID(_ key: String) throws -> Int32? {
            guard let v = meta.values[key] else { return nil }
            guard case .integer(let n) = v.value else { throw fail(key, "is not an integer") }
            guard n >= 0, n < size else { throw fail(key, "id \(n) is not a token id (the vocabulary has \(size) tokens)") }
            return Int32(n)
        }
        let bosID = try tokenID("tokenizer.ggml.bos_token_id")
        var eosIDs: [Int32] = []
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let id = try tokenID(key), !eosIDs.contains(id) { eosIDs.append(id) }
        }
        let unknownID = try tokenID("tokenizer.ggml.unknown_token_id") ?? firstUnknown
        func flag(_ key: String) throws -> Bool? {
            guard let v = meta.values[key] else { return nil }
            guard case .bool(let b) = v.value else { throw fail(key, "is not a bool") }
            return b
        }

        // Encoding rules.
        var spec = TokenizerSpec(model: byteLevel ? .byteLevelBPE : .sentencePieceBPE)
        spec.addedTokens = added
        spec.addBOS = try flag("tokenizer.ggml.add_bos_token") ?? !byteLevel
        if let mergesValue = meta.values["tokenizer.ggml.merges"] {
            guard case .array(let t, let n, let start) = mergesValue.value, t == GGUFType.string.rawValue else {
                throw fail("tokenizer.ggml.merges", "is not an array of strings")
            }
            let ranges = try reader.stringArray(at: start, count: n)
            spec.merges.reserveCapacity(n)
            for (rank, r) in ranges.enumerated() {
                let s = reader.slice(r)
                guard let sp = s.firstIndex(of: 0x20),
                      let l = pieceToID.lookup(UnsafeBufferPointer(rebasing: s[..<sp])),
                      let rt = pieceToID.lookup(UnsafeBufferPointer(rebasing: s[(sp + 1)...])) else {
                    throw fail("tokenizer.ggml.merges", "merge \(rank) \"\(String(decoding: s, as: UTF8.self))\" is not two tokens separated by a space")
                }
                spec.merges.append((l, rt))
            }
        } else if !byteLevel, let scores {
            spec.merges = mergesFromScores(tokens: tokenRanges, scores: scores, reader: reader, index: pieceToID)
        } else if byteLevel {
            throw FSMDecodeError(.vocabulary, "\(path): GGUF byte-level BPE vocabulary has no tokenizer.ggml.merges")
        }
        if byteLevel {
            let pre: String? = try meta.values["tokenizer.ggml.pre"].map { v in
                guard case .string(let r) = v.value else { throw fail("tokenizer.ggml.pre", "is not a string") }
                return reader.text(r)
            }
            switch pre {
            case "llama-bpe", "llama3", "llama-v3":
                spec.splitPatterns = [llama3SplitPattern]
                spec.ignoreMerges = true
            case "qwen2":
                spec.splitPatterns = [qwen2SplitPattern]
                spec.normalizeNFC = true
            case "gpt-2", "gpt2":
                spec.splitPatterns = [TokenizerJSONLoader.gpt2SplitPattern]
            case let other:
                let name = other.map { "\"\($0)\"" } ?? "missing (llama.cpp's \"default\")"
                spec.encodingUnsupported = "\(path): GGUF tokenizer.ggml.pre is \(name); its pre-tokenizer split pattern is not known (supported: llama-bpe/llama3, qwen2, gpt-2/gpt2), so text cannot be encoded exactly (token bytes are exact)"
            }
        } else {
            spec.byteFallback = true
            spec.prependSpace = try flag("tokenizer.ggml.add_space_prefix") ?? true
        }

        return try Vocabulary(kind: byteLevel ? .byteLevelBPE : .sentencePieceBPE, source: path, table: tokens.assemble(),
                              bosID: bosID, eosIDs: eosIDs, unknownID: unknownID, maskWidth: nil, tokenizerSpec: spec)
    }

    /// SentencePiece merges rebuilt from piece scores as Hugging Face's converter does: for every
    /// piece, each split into two pieces of the vocabulary (at character boundaries), ordered by
    /// (left id, right id); then all of them stably by the whole piece's score, highest first.
    /// Cost: O(total piece bytes) lookups.
    static func mergesFromScores(tokens: [Range<Int>], scores: [Float], reader: GGUFReader, index: PieceIndex) -> [(Int32, Int32)] {
        let order = (0..<tokens.count).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        var merges: [(Int32, Int32)] = []
        var local: [(Int32, Int32)] = []
        for id in order {
            let piece = reader.slice(tokens[id])
            local.removeAll(keepingCapacity: true)
            var cut = 1
            while cut < piece.count {
                if piece[cut] & 0xC0 != 0x80,
                   let l = index.lookup(UnsafeBufferPointer(rebasing: piece[..<cut])),
                   let r = index.lookup(UnsafeBufferPointer(rebasing: piece[cut...])) {
                    local.append((l, r))
                }
                cut += 1
            }
            local.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            merges.append(contentsOf: local)
        }
        return merges
    }
}

/// GGUF metadata value types.
enum GGUFType: UInt32 {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

    /// Encoded size of a fixed-size value, nil for strings and arrays.
    var fixedSize: Int? {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string, .array: return nil
        }
    }

    /// The fewest bytes one value of this type takes (a string: its u64 length; an array: type + count).
    var minimumSize: Int { fixedSize ?? (self == .string ? 8 : 12) }

    static func isInteger(_ raw: UInt32) -> Bool {
        guard let t = GGUFType(rawValue: raw) else { return false }
        return [.uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64].contains(t)
    }
}

/// The metadata values the vocabulary needs; others are skipped (but still bounds-checked).
struct GGUFMetadata {
    enum Value {
        case integer(Int64)
        case bool(Bool)
        case string(Range<Int>)
        /// Element type, count, and the offset of the first element.
        case array(UInt32, Int, Int)
        case other
    }
    /// Key → value and the byte offset of the entry's key.
    var values: [String: (value: Value, offset: Int)] = [:]
}

/// A bounds-checked little-endian cursor over a GGUF file's bytes.
struct GGUFReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    var pos = 0
    /// Arrays nested deeper than this are refused (GGUF writers nest at most one level).
    static let maxNesting = 8

    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
    }

    func error(at offset: Int, _ what: String) -> FSMDecodeError {
        // `what` may quote keys and strings from the file: kept on one line.
        FSMDecodeError(.vocabulary, "\(path): GGUF byte offset \(offset): \(messageText(what))")
    }

    private func need(_ n: Int, _ what: String) throws {
        guard n <= bytes.count - pos else {
            throw error(at: pos, "file truncated: \(what) needs \(n) bytes but \(bytes.count - pos) remain")
        }
    }

    mutating func u32(_ what: String) throws -> UInt32 {
        try need(4, what)
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(bytes[pos + k]) << (8 * k) }
        pos += 4
        return v
    }

    mutating func u64(_ what: String) throws -> UInt64 {
        try need(8, what)
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(bytes[pos + k]) << (8 * k) }
        pos += 8
        return v
    }

    /// A string's byte range (u64 length, then that many bytes).
    mutating func string(_ what: String) throws -> Range<Int> {
        let at = pos
        let n = try u64("the length of \(what)")
        guard n <= UInt64(bytes.count - pos) else {
            throw error(at: at, "\(what) claims \(n) bytes but only \(bytes.count - pos) remain in the file")
        }
        let start = pos
        pos += Int(n)
        return start..<pos
    }

    /// An array count, refused when that many elements cannot fit in the rest of the file.
    private mutating func arrayCount(elementType: GGUFType, _ what: String) throws -> Int {
        let at = pos
        let n = try u64("the element count of \(what)")
        let room = UInt64((bytes.count - pos) / elementType.minimumSize)
        guard n <= room else {
            throw error(at: at, "\(what) claims \(n) elements of type \(elementType) but the rest of the file holds at most \(room)")
        }
        return Int(n)
    }

    private mutating func valueType(_ what: String) throws -> GGUFType {
        let at = pos
        let raw = try u32("the value type of \(what)")
        guard let t = GGUFType(rawValue: raw) else {
            throw error(at: at, "\(what) has unknown value type \(raw) (known: 0...12)")
        }
        return t
    }

    func slice(_ r: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[r]) }
    func text(_ r: Range<Int>) -> String { String(decoding: slice(r), as: UTF8.self) }

    /// Reads the header and every metadata entry; keeps `tokenizer.*` values (arrays by position).
    mutating func readMetadata() throws -> GGUFMetadata {
        try need(4, "the magic")
        guard Array(slice(0..<4)) == Array("GGUF".utf8) else { throw error(at: 0, "not a GGUF file (magic is not 'GGUF')") }
        pos = 4
        let version = try u32("the version")
        if version & 0xFFFF == 0 && version != 0 {
            throw error(at: 4, "big-endian GGUF files are not supported (version field reads \(version.byteSwapped) byte-swapped)")
        }
        guard version == 2 || version == 3 else {
            throw error(at: 4, "unsupported GGUF version \(version) (supported: 2 and 3)")
        }
        _ = try u64("the tensor count")  // tensors are never read
        let countAt = pos
        let kvCount = try u64("the metadata entry count")
        let room = UInt64((bytes.count - pos) / 12)  // each entry: key length (8) + value type (4), at least
        guard kvCount <= room else {
            throw error(at: countAt, "the metadata entry count \(kvCount) cannot fit in the rest of the file (at most \(room))")
        }
        var meta = GGUFMetadata()
        var seen = Set<String>()
        for i in 0..<Int(kvCount) {
            let entryAt = pos
            let key = text(try string("metadata key \(i)"))
            guard seen.insert(key).inserted else { throw error(at: entryAt, "duplicate metadata key \"\(key)\"") }
            let type = try valueType("metadata \"\(key)\"")
            let value = try readValue(type, what: "metadata \"\(key)\"", keep: key.hasPrefix("tokenizer."))
            if key.hasPrefix("tokenizer.") { meta.values[key] = (value, entryAt) }
        }
        return meta
    }

    /// Reads (or, when `keep` is false, skips) one value of type `type` at `pos`.
    private mutating func readValue(_ type: GGUFType, what: String, keep: Bool) throws -> GGUFMetadata.Value {
        switch type {
        case .string:
            let r = try string(what)
            return keep ? .string(r) : .other
        case .array:
            let elementType = try valueType("the elements of \(what)")
            let n = try arrayCount(elementType: elementType, what)
            let start = pos
            try skipElements(elementType, count: n, what: what, depth: 1)
            return .array(elementType.rawValue, n, start)
        case .bool:
            try need(1, what)
            let b = bytes[pos]
            guard b <= 1 else { throw error(at: pos, "\(what) is a bool with value \(b) (expected 0 or 1)") }
            pos += 1
            return .bool(b == 1)
        case .float32, .float64:
            try need(type.fixedSize!, what)
            pos += type.fixedSize!
            return .other
        default:
            let at = pos
            let n = type.fixedSize!
            try need(n, what)
            var raw: UInt64 = 0
            for k in 0..<n { raw |= UInt64(bytes[at + k]) << (8 * k) }
            pos += n
            switch type {
            case .int8: return .integer(Int64(Int8(truncatingIfNeeded: raw)))
            case .int16: return .integer(Int64(Int16(truncatingIfNeeded: raw)))
            case .int32: return .integer(Int64(Int32(truncatingIfNeeded: raw)))
            case .int64: return .integer(Int64(bitPattern: raw))
            case .uint64 where raw > UInt64(Int64.max):
                return .integer(-1)  // out of any id range; callers reject negatives
            default: return .integer(Int64(raw))
            }
        }
    }

    /// Skips `count` array elements, checking every string length and nested array against the file.
    private mutating func skipElements(_ type: GGUFType, count: Int, what: String, depth: Int) throws {
        if let size = type.fixedSize {
            try need(count * size, "\(count) elements of \(what)")  // count <= bytes left / size: no overflow
            if type == .bool {
                for k in 0..<count where bytes[pos + k] > 1 {
                    throw error(at: pos + k, "\(what)[\(k)] is a bool with value \(bytes[pos + k]) (expected 0 or 1)")
                }
            }
            pos += count * size
        } else if type == .string {
            for k in 0..<count { _ = try string("\(what)[\(k)]") }
        } else {
            guard depth < Self.maxNesting else {
                throw error(at: pos, "\(what) nests arrays more than \(Self.maxNesting) levels deep")
            }
            for k in 0..<count {
                let inner = try valueType("the elements of \(what)[\(k)]")
                let n = try arrayCount(elementType: inner, "\(what)[\(k)]")
                try skipElements(inner, count: n, what: "\(what)[\(k)]", depth: depth + 1)
            }
        }
    }

    /// The byte ranges of `count` strings starting at `offset` (already validated by the skip).
    func stringArray(at offset: Int, count: Int) throws -> [Range<Int>] {
        var r = self
        r.pos = offset
        var out: [Range<Int>] = []
        out.reserveCapacity(count)
        for k in 0..<count { out.append(try r.string("string \(k)")) }
        return out
    }

    func integerArray(at offset: Int, count: Int, type raw: UInt32) throws -> [Int64] {
        var r = self
        r.pos = offset
        let type = GGUFType(rawValue: raw)!
        var out: [Int64] = []
        out.reserveCapacity(count)
        for k in 0..<count {
            guard case .integer(let v) = try r.readValue(type, what: "element \(k)", keep: true) else { continue }
            out.append(v)
        }
        return out
    }

    func float32Array(at offset: Int, count: Int) throws -> [Float] {
        var r = self
        r.pos = offset
        var out: [Float] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(Float(bitPattern: try r.u32("a float32"))) }
        return out
    }
}
