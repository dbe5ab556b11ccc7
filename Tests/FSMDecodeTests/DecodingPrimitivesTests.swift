import FSMDecode
import Foundation
import Testing

/// Writes logits files in the formats `LogitsFile` reads, byte by byte, so tests do not depend
/// on NumPy being installed.
enum LogitsWriter {
    static func npy(_ rows: [[Float]], descr: String = "<f4", version: UInt8 = 1, shape: String? = nil, fortran: Bool = false) -> [UInt8] {
        let width = rows.first?.count ?? 0
        let shapeText = shape ?? "(\(rows.count), \(width))"
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
        let prefix = version == 1 ? 10 : 12
        while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        let n = header.utf8.count
        if version == 1 { out += [UInt8(n & 0xFF), UInt8(n >> 8)] } else { out += withUnsafeBytes(of: UInt32(n).littleEndian) { Array($0) } }
        out += Array(header.utf8)
        for row in rows {
            for x in row {
                if descr.hasSuffix("f2") { out += withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { Array($0) } }
                else { out += withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) } }
            }
        }
        return out
    }

    static func safetensors(_ rows: [[Float]], dtype: String = "F32", name: String = "logits", extraTensor: Bool = false) -> [UInt8] {
        var data: [UInt8] = []
        for row in rows {
            for x in row {
                switch dtype {
                case "F16": data += withUnsafeBytes(of: Float16(x).bitPattern.littleEndian) { Array($0) }
                case "BF16": data += withUnsafeBytes(of: UInt16(x.bitPattern >> 16).littleEndian) { Array($0) }
                default: data += withUnsafeBytes(of: x.bitPattern.littleEndian) { Array($0) }
                }
            }
        }
        var header = "{\"__metadata__\":{\"by\":\"test\"},\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":[\(rows.count),\(rows.first?.count ?? 0)],\"data_offsets\":[0,\(data.count)]}"
        if extraTensor { header += ",\"other\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[\(data.count),\(data.count)]}" }
        header += "}"
        return withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8) + data
    }

    static func write(_ bytes: [UInt8], name: String) -> String {
        let path = TestSupport.scratchPath(name)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
        return path
    }
}

@Suite struct LogitsFileTests {
    let rows: [[Float]] = [[0, 1.5, -2, 3.25, 100], [-1, -0.5, 0.25, 7, -100]]

    @Test(arguments: [("<f4", UInt8(1)), ("<f4", 2), ("<f4", 3), ("<f2", 1)])
    func readsNPY(descr: String, version: UInt8) throws {
        let path = LogitsWriter.write(LogitsWriter.npy(rows, descr: descr, version: version), name: "ok-\(version)\(descr).npy")
        let f = try LogitsFile(path: path)
        #expect(f.steps == 2 && f.width == 5)
        var row: [Float] = []
        for s in 0..<2 { f.readRow(s, into: &row); #expect(row == rows[s]) }
    }

    @Test(arguments: ["F32", "F16", "BF16"])
    func readsSafetensors(dtype: String) throws {
        let path = LogitsWriter.write(LogitsWriter.safetensors(rows, dtype: dtype, name: "scores", extraTensor: false), name: "ok-\(dtype).safetensors")
        let f = try LogitsFile(path: path)
        #expect(f.steps == 2 && f.width == 5 && f.dtype.rawValue.isEmpty == false)
        var row: [Float] = []
        f.readRow(1, into: &row)
        #expect(row == rows[1])   // every value here is exact in half and bfloat16
    }

    @Test func oneDimensionalShapeIsOneStep() throws {
        let path = LogitsWriter.write(LogitsWriter.npy([rows[0]], shape: "(5,)"), name: "1d.npy")
        let f = try LogitsFile(path: path)
        #expect(f.steps == 1 && f.width == 5)
    }

    @Test func badFilesGiveClearErrors() throws {
        let good = LogitsWriter.npy(rows)
        let cases: [([UInt8], String)] = [
            (Array(good.prefix(good.count - 3)), "truncated"),
            (Array(good.prefix(8)), "truncated"),
            (LogitsWriter.npy(rows, descr: ">f4"), "unsupported .npy dtype"),
            (LogitsWriter.npy(rows, descr: "<i4"), "unsupported .npy dtype"),
            (LogitsWriter.npy(rows, fortran: true), "Fortran"),
            (LogitsWriter.npy(rows, shape: "(1, 2, 5)"), "shape"),
            (Array("hello world, not logits".utf8), "not a logits file"),
            (LogitsWriter.safetensors(rows, dtype: "I8"), "unsupported dtype"),
            (LogitsWriter.safetensors(rows, name: "a", extraTensor: true), "no tensor named 'logits'"),
            (Array(LogitsWriter.safetensors(rows).dropLast(4)), "truncated"),
        ]
        for (i, (bytes, expected)) in cases.enumerated() {
            let path = LogitsWriter.write(bytes, name: "bad\(i)")
            #expect {
                _ = try LogitsFile(path: path)
            } throws: { error in
                let message = (error as? FSMDecodeError)?.message ?? ""
                return message.contains(expected) && message.contains(path)
            }
        }
        #expect(throws: FSMDecodeError.self) { _ = try LogitsFile(path: "/nonexistent/logits.npy") }
    }
}

@Suite struct MaskApplicationTests {
    @Test func matchesScalarReferenceForEveryDType() {
        var rng = SeededGenerator(seed: 7)
        for width in [1, 31, 32, 33, 100, 1000] {
            let words = (width + 31) / 32
            let mask = (0..<words).map { _ -> UInt32 in
                switch rng.next() % 4 { case 0: return 0; case 1: return .max; default: return UInt32(truncatingIfNeeded: rng.next()) }
            }
            let allowed = (0..<width).map { mask[$0 / 32] >> UInt32($0 % 32) & 1 == 1 }
            var f = (0..<width).map { Float($0) }
            var h = (0..<width).map { Float16(Float($0 % 100)).bitPattern }
            var b = (0..<width).map { UInt16((Float($0).bitPattern) >> 16) }
            mask.withUnsafeBufferPointer { m in
                f.withUnsafeMutableBufferPointer { MaskApplication.apply(m, to: $0) }
                h.withUnsafeMutableBufferPointer { MaskApplication.apply(m, toFloat16Bits: $0) }
                b.withUnsafeMutableBufferPointer { MaskApplication.apply(m, toBFloat16Bits: $0) }
            }
            for i in 0..<width {
                #expect((f[i] == -.infinity) == !allowed[i])
                #expect((h[i] == 0xFC00) == !allowed[i])
                #expect((b[i] == 0xFF80) == !allowed[i])
                if allowed[i] { #expect(f[i] == Float(i)) }
            }
        }
    }

    @Test func idsBeyondTheMaskAreDisallowed() {
        var f = [Float](repeating: 1, count: 40)
        [UInt32.max].withUnsafeBufferPointer { m in f.withUnsafeMutableBufferPointer { MaskApplication.apply(m, to: $0) } }
        #expect(f[..<32].allSatisfy { $0 == 1 } && f[32...].allSatisfy { $0 == -.infinity })
    }
}

@Suite struct SamplerTests {
    func logits(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in Float(rng.nextUnit() * 10 - 5) }
    }

    @Test func greedyPicksTheBestAllowedToken() {
        var l: [Float] = [1, 9, 3, -.infinity, 2]
        var s = Sampler(SamplerConfig(temperature: 0))
        #expect(l.withUnsafeMutableBufferPointer { s.sample($0) } == 1)
        l[1] = -.infinity
        #expect(l.withUnsafeMutableBufferPointer { s.sample($0) } == 2)
        var none: [Float] = [-.infinity, -.infinity]
        #expect(none.withUnsafeMutableBufferPointer { s.sample($0) } == nil)
    }

    @Test func neverPicksAMaskedTokenAndIsReproducible() {
        let configs = [SamplerConfig(temperature: 1.5, seed: 1), SamplerConfig(temperature: 0.7, topK: 5, seed: 2),
                       SamplerConfig(temperature: 1, topP: 0.9, seed: 3), SamplerConfig(temperature: 1, minP: 0.1, seed: 4),
                       SamplerConfig(temperature: 1, repetitionPenalty: 1.3, seed: 5)]
        for config in configs {
            var a = Sampler(config), b = Sampler(config)
            for step in 0..<200 {
                var row = logits(300, seed: UInt64(step))
                for i in stride(from: 0, to: 300, by: 3) { row[i] = -.infinity }
                var row2 = row
                let x = row.withUnsafeMutableBufferPointer { a.sample($0, history: [1, 2]) }
                let y = row2.withUnsafeMutableBufferPointer { b.sample($0, history: [1, 2]) }
                #expect(x == y)
                #expect(x.map { $0 % 3 != 0 } == true)
            }
        }
    }

    @Test func filtersRestrictTheCandidates() {
        let base: [Float] = [5, 4, 3, 2, 1, 0]
        for seed in 0..<50 as Range<UInt64> {
            var k = Sampler(SamplerConfig(topK: 2, seed: seed))
            var row = base
            #expect([0, 1].contains(row.withUnsafeMutableBufferPointer { k.sample($0) }!))
            var p = Sampler(SamplerConfig(topP: 0.01, seed: seed))
            row = base
            #expect(row.withUnsafeMutableBufferPointer { p.sample($0) } == 0)
            var m = Sampler(SamplerConfig(minP: 0.3, seed: seed))
            row = base   // p(1)/p(0) = e^-1 ≈ 0.37 ≥ 0.3, p(2)/p(0) ≈ 0.14 < 0.3
            #expect([0, 1].contains(row.withUnsafeMutableBufferPointer { m.sample($0) }!))
        }
    }

    @Test func frequenciesFollowTheSoftmax() {
        // Two tokens with logits differing by ln 3: expect a 3:1 split.
        var s = Sampler(SamplerConfig(seed: 42))
        var counts = [0, 0]
        for _ in 0..<8000 {
            var row: [Float] = [Float(log(3.0)), 0]
            counts[Int(row.withUnsafeMutableBufferPointer { s.sample($0) }!)] += 1
        }
        let ratio = Double(counts[0]) / Double(counts[1])
        #expect(ratio > 2.7 && ratio < 3.3)
    }

    @Test func repetitionPenaltyDemotesRepeatedTokens() {
        var s = Sampler(SamplerConfig(temperature: 0, repetitionPenalty: 2))
        var row: [Float] = [3, 2]
        #expect(row.withUnsafeMutableBufferPointer { s.sample($0, history: [0]) } == 1)
    }

    @Test func invalidSettingsAreRejected() {
        #expect(throws: FSMDecodeError.self) { try SamplerConfig(temperature: -1).validate() }
        #expect(throws: FSMDecodeError.self) { try SamplerConfig(topP: 0).validate() }
        #expect(throws: FSMDecodeError.self) { try SamplerConfig(minP: 2).validate() }
        #expect(throws: FSMDecodeError.self) { try SamplerConfig(repetitionPenalty: 0).validate() }
    }
}
