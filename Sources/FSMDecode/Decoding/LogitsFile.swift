#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Element type of a logits buffer.
public enum LogitsDType: String, Sendable {
    case float32, float16, bfloat16

    public var byteWidth: Int { self == .float32 ? 4 : 2 }
}

/// A memory-mapped logits file: NumPy `.npy` (v1–v3, little-endian float32/float16, C order) or
/// `.safetensors` (tensor `logits`, or the only tensor; F32/F16/BF16), shape `[steps, width]` or
/// `[width]`. The data is never copied; rows are read in place. Immutable and shareable.
public final class LogitsFile: @unchecked Sendable {
    public let path: String
    public let steps: Int
    public let width: Int
    public let dtype: LogitsDType
    public let format: String

    private let mapping: UnsafeMutableRawPointer
    private let mappingLength: Int
    private let dataOffset: Int

    public init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw FSMDecodeError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw FSMDecodeError(.logits, "\(path): not a regular file")
        }
        let length = Int(st.st_size)
        guard length > 0 else { throw FSMDecodeError(.logits, "\(path): empty file; expected .npy or .safetensors logits") }
        guard let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw FSMDecodeError(.io, "\(path): cannot map: \(String(cString: strerror(errno)))")
        }
        let bytes = UnsafeRawBufferPointer(start: p, count: length)
        do {
            let header = try Self.parseHeader(bytes, path: path)
            self.steps = header.steps
            self.width = header.width
            self.dtype = header.dtype
            self.format = header.format
            self.dataOffset = header.offset
        } catch {
            munmap(p, length)
            throw error
        }
        self.path = path
        self.mapping = p
        self.mappingLength = length
    }

    deinit { munmap(mapping, mappingLength) }

    /// Raw bytes of row `step` (`width × dtype.byteWidth`).
    public func rowBytes(_ step: Int) -> UnsafeRawBufferPointer {
        precondition(step >= 0 && step < steps)
        let rowSize = width * dtype.byteWidth
        return UnsafeRawBufferPointer(start: mapping + dataOffset + step * rowSize, count: rowSize)
    }

    /// Copies row `step` into `out` as float32 (converting half/bfloat16).
    public func readRow(_ step: Int, into out: inout [Float]) {
        let raw = rowBytes(step)
        if out.count != width { out = [Float](repeating: 0, count: width) }
        out.withUnsafeMutableBufferPointer { dst in
            switch dtype {
            case .float32:
                _ = memcpy(dst.baseAddress!, raw.baseAddress!, raw.count)
            case .float16:
                for i in 0..<width { dst[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .bfloat16:
                for i in 0..<width {
                    let h = UInt32(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    dst[i] = Float(bitPattern: h << 16)
                }
            }
        }
    }

    struct Header { var steps: Int; var width: Int; var dtype: LogitsDType; var offset: Int; var format: String }

    static func parseHeader(_ b: UnsafeRawBufferPointer, path: String) throws -> Header {
        let npyMagic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        if b.count >= 6 && Array(b[0..<6]) == npyMagic { return try parseNPY(b, path: path) }
        if b.count >= 9 && b[8] == UInt8(ascii: "{") { return try parseSafetensors(b, path: path) }
        throw FSMDecodeError(.logits, "\(path): not a logits file: expected NumPy .npy (magic \\x93NUMPY) or .safetensors")
    }

    static func shapeToRows(_ shape: [Int], path: String) throws -> (Int, Int) {
        switch shape.count {
        case 1: return (1, shape[0])
        case 2: return (shape[0], shape[1])
        default: throw FSMDecodeError(.logits, "\(path): logits must have shape [steps, width] or [width], found \(shape)")
        }
    }

    /// Headers larger than this are refused before they are parsed (NumPy writes a few
    /// hundred bytes; the safetensors format caps its header at 100 MB).
    static let maxHeaderBytes = 100 << 20

    /// `shape × dtype` in bytes, nil when it does not fit in an Int (a lying header).
    static func dataBytes(steps: Int, width: Int, dtype: LogitsDType) -> Int? {
        let (elements, o1) = steps.multipliedReportingOverflow(by: width)
        let (bytes, o2) = elements.multipliedReportingOverflow(by: dtype.byteWidth)
        return o1 || o2 ? nil : bytes
    }

    /// The file holds `shape × dtype` bytes after `offset` (all arithmetic overflow-checked:
    /// header values are untrusted).
    static func checkSize(_ b: UnsafeRawBufferPointer, offset: Int, steps: Int, width: Int, dtype: LogitsDType, path: String) throws {
        guard width > 0 else { throw FSMDecodeError(.logits, "\(path): logits width is 0") }
        let available = offset <= b.count ? b.count - offset : 0
        guard let need = dataBytes(steps: steps, width: width, dtype: dtype), offset <= b.count, need <= available else {
            let needText = dataBytes(steps: steps, width: width, dtype: dtype).map(String.init) ?? "more than \(Int.max)"
            throw FSMDecodeError(.logits, "\(path): truncated: shape [\(steps), \(width)] of \(dtype.rawValue) needs \(needText) data bytes after offset \(offset), the file has \(available)")
        }
    }

    static func parseNPY(_ b: UnsafeRawBufferPointer, path: String) throws -> Header {
        guard b.count >= 10 else { throw FSMDecodeError(.logits, "\(path): truncated .npy header") }
        let major = b[6]
        let headerLen: Int, start: Int
        switch major {
        case 1: headerLen = Int(b.loadUnaligned(fromByteOffset: 8, as: UInt16.self).littleEndian); start = 10
        case 2, 3:
            guard b.count >= 12 else { throw FSMDecodeError(.logits, "\(path): truncated .npy header") }
            headerLen = Int(b.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian); start = 12
        default: throw FSMDecodeError(.logits, "\(path): unsupported .npy format version \(major)")
        }
        guard start + headerLen <= b.count else { throw FSMDecodeError(.logits, "\(path): truncated .npy header (\(headerLen) bytes announced)") }
        guard headerLen <= maxHeaderBytes else {
            throw FSMDecodeError(.logits, "\(path): .npy header of \(headerLen) bytes is above the limit of \(maxHeaderBytes) (not a NumPy header)")
        }
        let text = String(decoding: b[start..<start + headerLen], as: UTF8.self)
        func value(_ key: String) -> Substring? {
            let needle = Array("'\(key)'")
            let chars = Array(text)
            guard needle.count <= chars.count,
                  let at = (0...(chars.count - needle.count)).first(where: { Array(chars[$0..<$0 + needle.count]) == needle })
            else { return nil }
            var rest = Substring(String(chars[(at + needle.count)...])).drop { $0 == " " || $0 == ":" }
            if rest.first == "(" { rest = rest.prefix { $0 != ")" }; return rest.dropFirst() }
            return rest.prefix { $0 != "," && $0 != "}" }
        }
        guard let descrRaw = value("descr"), let shapeRaw = value("shape") else {
            throw FSMDecodeError(.logits, "\(path): .npy header lacks 'descr' or 'shape': \(messageText(text.prefix(200)))")
        }
        let descr = descrRaw.trimmingCharacters(in: " '")
        let dtype: LogitsDType
        switch descr {
        case "<f4", "f4": dtype = .float32
        case "<f2", "f2": dtype = .float16
        default: throw FSMDecodeError(.logits, "\(path): unsupported .npy dtype '\(messageText(descr))' (supported: little-endian float32 '<f4', float16 '<f2')")
        }
        if let f = value("fortran_order"), f.contains("True") {
            throw FSMDecodeError(.logits, "\(path): Fortran-order .npy arrays are not supported; save with C order")
        }
        var shape: [Int] = []
        for part in shapeRaw.split(separator: ",") {
            let t = part.trimmingCharacters(in: " ")
            if t.isEmpty { continue }
            guard let n = Int(t), n >= 0 else { throw FSMDecodeError(.logits, "\(path): bad .npy shape (\(messageText(shapeRaw)))") }
            shape.append(n)
        }
        let (steps, width) = try shapeToRows(shape, path: path)
        try checkSize(b, offset: start + headerLen, steps: steps, width: width, dtype: dtype, path: path)
        return Header(steps: steps, width: width, dtype: dtype, offset: start + headerLen, format: "npy v\(major)")
    }

    static func parseSafetensors(_ b: UnsafeRawBufferPointer, path: String) throws -> Header {
        let n = b.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard n < UInt64(b.count), 8 + Int(n) <= b.count else {
            throw FSMDecodeError(.logits, "\(path): truncated .safetensors header (\(n) bytes announced, file has \(b.count))")
        }
        guard Int(n) <= maxHeaderBytes else {
            throw FSMDecodeError(.logits, "\(path): .safetensors header of \(n) bytes is above the format's limit of \(maxHeaderBytes)")
        }
        let doc = try JSONDocument(bytes: Array(b[8..<8 + Int(n)]), source: "\(path) (safetensors header)")
        let tensors = doc.value.members.filter { $0.0 != "__metadata__" }
        guard let (name, t) = tensors.first(where: { $0.0 == "logits" }) ?? (tensors.count == 1 ? tensors[0] : nil) else {
            throw FSMDecodeError(.logits, "\(path): no tensor named 'logits' among \(tensors.count) tensors (\(messageText(tensors.prefix(5).map { $0.0 }.joined(separator: ", "))))")
        }
        let dtype: LogitsDType
        switch t["dtype"]?.string {
        case "F32": dtype = .float32
        case "F16": dtype = .float16
        case "BF16": dtype = .bfloat16
        case let d: throw FSMDecodeError(.logits, "\(path): tensor '\(messageText(name))' has unsupported dtype \(messageText(d ?? "none")) (supported: F32, F16, BF16)")
        }
        guard let shapeArr = t["shape"]?.array, let offs = t["data_offsets"]?.array, offs.count == 2,
              let begin = offs[0].int, let end = offs[1].int, begin >= 0, end >= begin else {
            throw FSMDecodeError(.logits, "\(path): tensor '\(messageText(name))' lacks a valid shape or data_offsets")
        }
        let shape = try shapeArr.map { v -> Int in
            guard let x = v.int, x >= 0 else { throw FSMDecodeError(.logits, "\(path): tensor '\(messageText(name))' has a bad shape") }
            return x
        }
        let (steps, width) = try shapeToRows(shape, path: path)
        let need = dataBytes(steps: steps, width: width, dtype: dtype)
        guard end - begin == need else {
            throw FSMDecodeError(.logits, "\(path): tensor '\(messageText(name))' data_offsets span \(end - begin) bytes, shape \(shape) of \(dtype.rawValue) needs \(need.map(String.init) ?? "more than \(Int.max)")")
        }
        // `begin` is untrusted: an offset past the file is reported, not computed with overflow.
        guard begin <= b.count - (8 + Int(n)) else {
            throw FSMDecodeError(.logits, "\(path): tensor '\(messageText(name))' data_offsets [\(begin), \(end)] start past the end of the file (\(b.count - 8 - Int(n)) data bytes)")
        }
        let offset = 8 + Int(n) + begin
        try checkSize(b, offset: offset, steps: steps, width: width, dtype: dtype, path: path)
        return Header(steps: steps, width: width, dtype: dtype, offset: offset, format: "safetensors")
    }
}

private extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
