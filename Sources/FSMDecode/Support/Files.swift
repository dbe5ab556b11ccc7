#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file, with errors that name the path and the reason.
public func readFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
        throw FSMDecodeError(.io, "\(path): cannot open: \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else {
        throw FSMDecodeError(.io, "\(path): cannot stat: \(String(cString: strerror(errno)))")
    }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        throw FSMDecodeError(.io, "\(path): is a directory, expected a file")
    }
    var out = [UInt8](repeating: 0, count: Int(st.st_size))
    var filled = 0
    while true {
        if filled == out.count { out.append(contentsOf: repeatElement(0, count: max(4096, out.count))) }
        let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
        if n < 0 {
            if errno == EINTR { continue }
            throw FSMDecodeError(.io, "\(path): read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { break }
        filled += n
    }
    out.removeSubrange(filled...)
    return out
}
