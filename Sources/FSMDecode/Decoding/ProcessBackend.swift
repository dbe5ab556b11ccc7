import Foundation

/// A model backend in another process, driven over its stdin/stdout with a line protocol, so any
/// inference stack can use fsmdecode without linking it. One request per step:
///
///     fsmdecode → peer:  TOKENS <k> <id1> … <idk>\n     tokens appended since the last request
///                                                       (the first carries the prompt; k may be 0)
///     peer → fsmdecode:  LOGITS <width>\n + width little-endian float32 values (4·width bytes)
///                    or  NPY <nbytes>\n + a .npy file of shape [width] or [1, width] (f32/f16)
///                    or  END\n                          the peer has nothing more (a recording ran out)
///     fsmdecode → peer:  DONE <stop_reason>\n           at the end; then stdin is closed
///
/// The chosen token reaches the peer as the first id of the next TOKENS line (followed by any
/// forced tokens). A peer that exits, sends garbage or a wrong width is an error naming the step.
public final class ProcessBackend: ModelBackend {
    public let command: [String]
    public let width: Int
    private let process: Process
    private let toPeer: FileHandle
    private let fromPeer: FileHandle
    private var sent = 0
    private var step = 0
    private var buffer: [UInt8] = []

    /// Starts `command` (argv; the first element is looked up in PATH).
    public init(command: [String], width: Int) throws {
        guard !command.isEmpty else { throw FSMDecodeError(.usage, "process backend: empty command") }
        self.command = command
        self.width = width
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        do { try p.run() } catch {
            throw FSMDecodeError(.io, "process backend: cannot start \(command.joined(separator: " ")): \(error)")
        }
        process = p
        toPeer = inPipe.fileHandleForWriting
        fromPeer = outPipe.fileHandleForReading
        signal(SIGPIPE, SIG_IGN)
    }

    deinit {
        try? toPeer.close()
        if process.isRunning { process.terminate() }
    }

    var name: String { "process backend (\(command.joined(separator: " ")))" }

    public func nextLogits(after tokens: [Int32], into row: inout [Float]) throws -> Bool {
        let new = tokens.count >= sent ? Array(tokens[sent...]) : tokens
        sent = tokens.count
        try send("TOKENS \(new.count)" + new.map { " \($0)" }.joined() + "\n")
        let line = try readLine()
        let parts = line.split(separator: " ")
        defer { step += 1 }
        switch parts.first {
        case "END":
            return false
        case "LOGITS":
            guard parts.count == 2, let w = Int(parts[1]) else { throw protocolError("malformed LOGITS line '\(line)'") }
            guard w == width else { throw protocolError("sent a logits row of width \(w), expected \(width)") }
            let raw = try readExactly(4 * w)
            if row.count != w { row = [Float](repeating: 0, count: w) }
            raw.withUnsafeBytes { src in
                for i in 0..<w { row[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            }
            return true
        case "NPY":
            guard parts.count == 2, let n = Int(parts[1]), n > 0, n < 1 << 31 else { throw protocolError("malformed NPY line '\(line)'") }
            let raw = try readExactly(n)
            let path = NSTemporaryDirectory() + "fsmdecode-process-\(getpid())-\(step).npy"
            defer { try? FileManager.default.removeItem(atPath: path) }
            guard FileManager.default.createFile(atPath: path, contents: Data(raw)) else {
                throw protocolError("cannot write the .npy it sent to \(path) (is the temporary directory full or read-only?)")
            }
            let file = try LogitsFile(path: path)
            guard file.width == width, file.steps == 1 else { throw protocolError("sent an .npy of shape [\(file.steps), \(file.width)], expected [\(width)]") }
            file.readRow(0, into: &row)
            return true
        default:
            throw protocolError("unexpected line '\(line.prefix(80))' (expected LOGITS, NPY or END)")
        }
    }

    /// Tells the peer why decoding ended and closes its input.
    public func finish(reason: String) {
        try? send("DONE \(reason)\n")
        try? toPeer.close()
        process.waitUntilExit()
    }

    private func protocolError(_ what: String) -> FSMDecodeError {
        FSMDecodeError(.io, "\(name): step \(step): \(what)")
    }

    private func send(_ text: String) throws {
        do { try toPeer.write(contentsOf: Data(text.utf8)) } catch {
            throw protocolError("the peer stopped reading (exit status \(process.isRunning ? "running" : "\(process.terminationStatus)"))")
        }
    }

    private func fill() throws {
        let chunk = fromPeer.availableData
        guard !chunk.isEmpty else {
            process.waitUntilExit()
            throw protocolError("the peer closed its output (exit status \(process.terminationStatus))")
        }
        buffer += chunk
    }

    private func readLine() throws -> String {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            guard buffer.count < 4096 else { throw protocolError("a header line longer than 4096 bytes") }
            try fill()
        }
    }

    private func readExactly(_ n: Int) throws -> [UInt8] {
        while buffer.count < n { try fill() }
        let out = Array(buffer[..<n])
        buffer.removeSubrange(..<n)
        return out
    }
}
