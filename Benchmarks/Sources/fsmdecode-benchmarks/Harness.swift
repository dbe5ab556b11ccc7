#if canImport(Glibc)
import Glibc
#endif

/// A small timing harness: warm-up runs, then N timed repetitions on the monotonic clock.
struct Timing {
    /// Seconds per repetition, sorted ascending.
    let samples: [Double]

    var min: Double { samples.first ?? .nan }
    var median: Double { percentile(0.5) }
    var p95: Double { percentile(0.95) }

    /// Nearest-rank percentile.
    func percentile(_ q: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let rank = Int((q * Double(samples.count)).rounded(.up))
        return samples[Swift.max(0, Swift.min(samples.count - 1, rank - 1))]
    }

    /// Runs `body` `warmup` times untimed, then `repetitions` times timed.
    static func measure(warmup: Int = 1, repetitions: Int, _ body: () throws -> Void) rethrows -> Timing {
        for _ in 0..<warmup { try body() }
        var samples: [Double] = []
        for _ in 0..<repetitions {
            let start = monotonicNow()
            try body()
            samples.append(monotonicNow() - start)
        }
        return Timing(samples: samples.sorted())
    }
}

/// Seconds on CLOCK_MONOTONIC.
func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Peak resident set size of this process so far (VmHWM), in bytes; nil where /proc is absent.
func peakRSSBytes() -> Int? {
    guard let f = fopen("/proc/self/status", "r") else { return nil }
    defer { fclose(f) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), f) != nil {
        let s = line.withUnsafeBufferPointer { String(decoding: $0.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        if s.hasPrefix("VmHWM:") {
            let digits = s.filter(\.isNumber)
            return Int(digits).map { $0 * 1024 }
        }
    }
    return nil
}

/// The machine, for reports: core count and CPU model.
func machineDescription() -> String {
    var model = "unknown CPU"
    if let f = fopen("/proc/cpuinfo", "r") {
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = line.withUnsafeBufferPointer { String(decoding: $0.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            if s.hasPrefix("model name"), let colon = s.firstIndex(of: ":") {
                model = s[s.index(after: colon)...].trimmingCharacters()
                break
            }
        }
    }
    return "\(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores, \(model)"
}

extension Substring {
    func trimmingCharacters() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\n" || $0 == "\t" }.reversed())
    }
}

/// Writes `text` to `path`; false on failure.
@discardableResult
func writeText(_ text: String, to path: String) -> Bool {
    guard let f = fopen(path, "w") else { return false }
    defer { fclose(f) }
    return fputs(text, f) >= 0
}

func ms(_ seconds: Double) -> String {
    let v = (seconds * 10_000).rounded() / 10
    return "\(v)"
}

func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
    let n = s.count
    guard n < width else { return s }
    let fill = String(repeating: " ", count: width - n)
    return left ? s + fill : fill + s
}
