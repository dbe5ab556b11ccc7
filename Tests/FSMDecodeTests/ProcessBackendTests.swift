import FSMDecode
import Foundation
import Testing

@Suite struct ProcessBackendTests {
    /// A peer that answers each TOKENS line with a row whose best token is (last id + 1) % width,
    /// alternating raw float32 and .npy replies; after `steps` rows it says END or dies.
    static func peer(width: Int, steps: Int, then ending: String) -> [String] {
        let script = """
        import sys, struct
        w, steps, ending = \(width), \(steps), "\(ending)"
        out = sys.stdout.buffer
        n = 0
        for line in sys.stdin:
            parts = line.split()
            if parts[0] == "DONE": break
            ids = [int(x) for x in parts[2:]]
            if n == steps:
                if ending == "die": sys.exit(3)
                out.write(b"END\\n"); out.flush(); continue
            last = ids[-1] if ids else -1
            row = [0.0] * w
            row[(last + 1) % w] = 5.0
            data = struct.pack("<%df" % w, *row)
            if n % 2 == 0:
                out.write(b"LOGITS %d\\n" % w + data)
            else:
                hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % w
                hdr += " " * (63 - (10 + len(hdr)) % 64) + "\\n"
                npy = b"\\x93NUMPY\\x01\\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + data
                out.write(b"NPY %d\\n" % len(npy) + npy)
            out.flush()
            n += 1
        """
        return ["python3", "-c", script]
    }

    @Test func exchangesRowsOverTheLineProtocol() throws {
        let backend = try ProcessBackend(command: Self.peer(width: 10, steps: 4, then: "end"), width: 10)
        var tokens: [Int32] = [3]
        var row: [Float] = []
        for _ in 0..<4 {
            #expect(try backend.nextLogits(after: tokens, into: &row))
            tokens.append(Int32(row.indices.max { row[$0] < row[$1] }!))
        }
        #expect(tokens == [3, 4, 5, 6, 7])
        #expect(try backend.nextLogits(after: tokens, into: &row) == false)
        backend.finish(reason: "end_of_logits")
    }

    @Test func aPeerThatDiesOrLiesIsAClearError() throws {
        let dying = try ProcessBackend(command: Self.peer(width: 10, steps: 1, then: "die"), width: 10)
        var row: [Float] = []
        #expect(try dying.nextLogits(after: [], into: &row))
        #expect {
            _ = try dying.nextLogits(after: [1], into: &row)
        } throws: { ($0 as? FSMDecodeError)?.message.contains("closed its output") == true }

        let wrongWidth = try ProcessBackend(command: Self.peer(width: 12, steps: 3, then: "end"), width: 10)
        #expect {
            _ = try wrongWidth.nextLogits(after: [], into: &row)
        } throws: { ($0 as? FSMDecodeError)?.message.contains("width 12, expected 10") == true }

        #expect(throws: FSMDecodeError.self) { _ = try ProcessBackend(command: [], width: 10) }
    }
}
