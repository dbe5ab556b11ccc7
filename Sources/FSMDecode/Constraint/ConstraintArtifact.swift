#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The compiled-constraint file: a regex constraint's DFA and mask store, reloadable without
/// recompiling, for exactly the vocabulary it was compiled against.
///
/// Layout (little-endian, no padding):
/// ```
/// header   magic "FSMDMASK" · format version u32 · kind u32 (1 = regex) · vocabulary fingerprint u64
///          · mask width u32 · mode u32 (0 eager, 1 lazy) · payload length u64          (40 bytes)
/// payload  DFA: states u32 · start i32 · classes u32 · byteClass[256] u8 · table i32[states×classes]
///               · accepting u8[states]
///          masks: count u32, then per mask: encoding u8 · allowed u32 · words u32 · payload u32[words]
///          slots: i32[states] (mask index per state, -1 = not computed yet: filled lazily on load)
/// trailer  checksum u64 = StableHasher over header and payload
/// ```
/// Loading checks, in order: size, magic, version, length, checksum, vocabulary, then every
/// index and id (so even a file with a forged checksum cannot make the matcher read out of
/// bounds). Each failure is an `FSMDecodeError(.artifact)` naming the file and the problem.
public enum ConstraintArtifact {
    public static let formatVersion: UInt32 = 1
    static let magic = Array("FSMDMASK".utf8)
    static let headerSize = 40
    static let kindRegex: UInt32 = 1

    /// The artifact bytes of `constraint` (masks computed so far; all of them when eager).
    public static func serialize(_ constraint: RegexConstraint) -> [UInt8] {
        let dfa = constraint.dfa
        var w = ByteWriter()
        w.bytes(magic)
        w.u32(formatVersion)
        w.u32(kindRegex)
        w.u64(constraint.vocabularyFingerprint)
        w.u32(UInt32(constraint.vocabulary.maskWidth))
        w.u32(constraint.store.mode == .eager ? 0 : 1)
        let lengthAt = w.out.count
        w.u64(0)
        let payloadStart = w.out.count
        w.u32(UInt32(dfa.stateCount))
        w.u32(UInt32(bitPattern: dfa.start))
        w.u32(UInt32(dfa.classCount))
        w.bytes(dfa.byteClass)
        for t in dfa.table { w.u32(UInt32(bitPattern: t)) }
        for a in dfa.accepting { w.out.append(a ? 1 : 0) }
        let snap = constraint.store.snapshot()
        w.u32(UInt32(snap.masks.count))
        for m in snap.masks {
            w.out.append(m.encoding.rawValue)
            w.u32(UInt32(m.allowed))
            w.u32(UInt32(m.payload.count))
            for x in m.payload { w.u32(x) }
        }
        for s in snap.slots { w.u32(UInt32(bitPattern: s)) }
        let length = UInt64(w.out.count - payloadStart)
        for k in 0..<8 { w.out[lengthAt + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(k))) }
        var h = StableHasher()
        w.out.withUnsafeBytes { h.combine(bytes: $0) }
        w.u64(h.finalize())
        return w.out
    }

    /// Writes `constraint` to `path`.
    public static func write(_ constraint: RegexConstraint, to path: String) throws {
        let data = serialize(constraint)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FSMDecodeError(.io, "\(path): cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var done = 0
        while done < data.count {
            let n = data.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FSMDecodeError(.io, "\(path): write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
    }

    /// Reads the artifact at `path` for `vocabulary`.
    public static func load(path: String, vocabulary: Vocabulary) throws -> RegexConstraint {
        try load(bytes: try readFile(path), source: path, vocabulary: vocabulary)
    }

    /// Parses artifact bytes; `source` names them in errors.
    public static func load(bytes: [UInt8], source: String, vocabulary: Vocabulary) throws -> RegexConstraint {
        func fail(_ problem: String) -> FSMDecodeError { FSMDecodeError(.artifact, "\(source): \(problem)") }
        guard bytes.count >= headerSize + 8 else {
            throw fail("truncated: \(bytes.count) bytes, shorter than the \(headerSize + 8)-byte header and checksum")
        }
        guard Array(bytes[0..<8]) == magic else { throw fail("not an fsmdecode constraint artifact (bad magic)") }
        var r = ByteReader(bytes: bytes, offset: 8, fail: fail)
        let version = try r.u32()
        guard version == formatVersion else {
            throw fail("format version \(version); this build reads version \(formatVersion): compile the constraint again")
        }
        let kind = try r.u32()
        guard kind == kindRegex else { throw fail("holds constraint kind \(kind); only regex constraints (kind 1) are supported") }
        let fingerprint = try r.u64()
        let width = try r.u32()
        let modeCode = try r.u32()
        let length = try r.u64()
        let expected = UInt64(headerSize) + length + 8
        guard expected == UInt64(bytes.count) else {
            throw fail(expected > UInt64(bytes.count)
                ? "truncated: the header promises \(expected) bytes, the file has \(bytes.count)"
                : "\(UInt64(bytes.count) - expected) unexpected bytes after the checksum")
        }
        var h = StableHasher()
        bytes.withUnsafeBytes { h.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 8)])) }
        var tail = ByteReader(bytes: bytes, offset: bytes.count - 8, fail: fail)
        guard try tail.u64() == h.finalize() else { throw fail("corrupted: checksum mismatch") }
        let actual = vocabulary.fingerprint
        guard fingerprint == actual && Int(width) == vocabulary.maskWidth else {
            throw fail("compiled for another vocabulary (fingerprint \(hex(fingerprint)), mask width \(width)); "
                + "\(vocabulary.source) has fingerprint \(hex(actual)), mask width \(vocabulary.maskWidth)")
        }
        guard modeCode <= 1 else { throw fail("unknown mask store mode \(modeCode)") }

        // DFA
        let states = Int(try r.u32())
        let start = Int32(bitPattern: try r.u32())
        let classes = Int(try r.u32())
        guard states >= 1, classes >= 1, classes <= 256 else { throw fail("invalid DFA size: \(states) states, \(classes) byte classes") }
        guard start >= 0 && Int(start) < states else { throw fail("DFA start state \(start) out of range 0..<\(states)") }
        guard states.multipliedReportingOverflow(by: classes).partialValue <= bytes.count else { throw fail("truncated DFA table") }
        let byteClass = try r.bytes(256)
        if let bad = byteClass.firstIndex(where: { Int($0) >= classes }) { throw fail("byte \(bad) has class \(byteClass[bad]) of \(classes)") }
        var table = [Int32](repeating: 0, count: states * classes)
        for i in 0..<table.count {
            let t = Int32(bitPattern: try r.u32())
            guard t >= -1 && Int(t) < states else { throw fail("DFA transition \(i) targets state \(t) of \(states)") }
            table[i] = t
        }
        let accepting = try r.bytes(states).map { $0 != 0 }
        let dfa = ByteDFA(stateCount: states, start: start, byteClass: byteClass, classCount: classes, table: table, accepting: accepting)

        // Masks
        let words = TokenMask.wordCount(vocabulary.maskWidth)
        var grammar = TokenMask(width: vocabulary.maskWidth)
        for id in vocabulary.trie.tokenIDs where !vocabulary.eosIDs.contains(id) { grammar.insert(id) }
        let grammarCount = grammar.count
        let maskCount = Int(try r.u32())
        guard maskCount <= states else { throw fail("\(maskCount) masks for \(states) states") }
        var masks: [(encoding: MaskEncoding, allowed: Int32, payload: [UInt32])] = []
        for m in 0..<maskCount {
            guard let encoding = MaskEncoding(rawValue: try r.u8()) else { throw fail("mask \(m): unknown encoding") }
            let allowed = Int(try r.u32())
            let count = Int(try r.u32())
            guard count <= bytes.count / 4 else { throw fail("mask \(m): truncated") }
            var payload = [UInt32](repeating: 0, count: count)
            for k in 0..<count { payload[k] = try r.u32() }
            switch encoding {
            case .bitset:
                guard count == words else { throw fail("mask \(m): bitset of \(count) words, expected \(words)") }
                var bits = 0
                for k in 0..<count {
                    guard payload[k] & ~grammar.words[k] == 0 else { throw fail("mask \(m): allows an id that is not a grammar token") }
                    bits += payload[k].nonzeroBitCount
                }
                guard bits == allowed else { throw fail("mask \(m): allowed count \(allowed) differs from its \(bits) bits") }
            case .acceptList, .rejectList:
                for k in 0..<count {
                    let id = payload[k]
                    guard id < UInt32(vocabulary.maskWidth), grammar.contains(Int32(id)), k == 0 || payload[k - 1] < id else {
                        throw fail("mask \(m): id list entry \(k) (\(id)) is not an increasing grammar token id")
                    }
                }
                guard allowed == (encoding == .acceptList ? count : grammarCount - count) else {
                    throw fail("mask \(m): allowed count \(allowed) does not match its \(count)-id list")
                }
            }
            masks.append((encoding, Int32(allowed), payload))
        }
        var slots = [Int32](repeating: -1, count: states)
        for s in 0..<states {
            let e = Int32(bitPattern: try r.u32())
            guard e >= -1 && Int(e) < maskCount else { throw fail("state \(s) refers to mask \(e) of \(maskCount)") }
            slots[s] = e
        }
        guard r.offset == bytes.count - 8 else { throw fail("\(bytes.count - 8 - r.offset) unparsed bytes before the checksum") }
        let store = MaskStore(dfa: dfa, vocabulary: vocabulary, mode: modeCode == 0 ? .eager : .lazy,
                              preset: (slots, masks))
        return RegexConstraint(store: store, fingerprint: fingerprint)
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

extension RegexConstraint {
    /// Writes this constraint's artifact (see `ConstraintArtifact`).
    public func write(to path: String) throws { try ConstraintArtifact.write(self, to: path) }

    /// Loads an artifact written for `vocabulary`, without recompiling.
    public static func load(path: String, vocabulary: Vocabulary) throws -> RegexConstraint {
        try ConstraintArtifact.load(path: path, vocabulary: vocabulary)
    }
}

private struct ByteWriter {
    var out: [UInt8] = []
    mutating func bytes(_ b: [UInt8]) { out.append(contentsOf: b) }
    mutating func u32(_ v: UInt32) { for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) } }
    mutating func u64(_ v: UInt64) { for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
}

/// Bounds-checked little-endian reads; running past the end is a "truncated" error.
private struct ByteReader {
    let bytes: [UInt8]
    var offset: Int
    let fail: (String) -> FSMDecodeError

    private mutating func take(_ n: Int) throws -> Int {
        guard n <= bytes.count - offset else { throw fail("truncated at byte \(offset) (needs \(n) more bytes)") }
        defer { offset += n }
        return offset
    }

    mutating func u8() throws -> UInt8 { bytes[try take(1)] }

    mutating func u32() throws -> UInt32 {
        let o = try take(4)
        return UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
    }

    mutating func u64() throws -> UInt64 {
        let lo = UInt64(try u32())
        return lo | UInt64(try u32()) << 32
    }

    mutating func bytes(_ n: Int) throws -> [UInt8] {
        let o = try take(n)
        return Array(bytes[o..<o + n])
    }
}
