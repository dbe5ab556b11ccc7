import ArgumentParser
import FSMDecode
import Foundation

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text into token ids, as Hugging Face does (no BOS/EOS unless --add-special).",
        discussion: """
            Text that begins with '-' can be given as --text=-1, or after '--': tokenize --vocab V -- -1
            """)

    @OptionGroup var vocabulary: VocabularyFlags

    @Argument(help: ArgumentHelp("The text to encode (after '--' when it begins with '-').", valueName: "text"))
    var positionalText: String?

    @Option(name: .customLong("text"), help: "The text to encode (use --text=VALUE for text that begins with '-').")
    var optionText: String?

    @Option(name: .long, help: "Read the text from this file instead.")
    var file: String?

    @Flag(name: .long, help: "Also time loading, encoder construction and encoding (repeated for at least 0.5 s).")
    var time = false

    @Flag(name: .customLong("add-special"), help: "Prepend the BOS token when the vocabulary has one.")
    var addSpecial = false

    @Flag(name: .long, help: "Print one JSON object: ids, pieces, count.")
    var json = false

    func validate() throws {
        let given = [positionalText != nil, optionText != nil, file != nil].filter { $0 }.count
        if given == 0 { throw ValidationError("give the text to encode: TEXT, --text=TEXT or --file PATH") }
        if given > 1 { throw ValidationError("give the text once: TEXT, --text=TEXT or --file PATH") }
    }

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let text = try file.map { String(decoding: try readFile($0), as: UTF8.self) } ?? optionText ?? positionalText ?? ""
            let t0 = DispatchTime.now().uptimeNanoseconds
            let v = try vocabulary.load()
            let t1 = DispatchTime.now().uptimeNanoseconds
            let encoder = try TokenEncoder(vocabulary: v)
            let t2 = DispatchTime.now().uptimeNanoseconds
            let ids = encoder.encode(text, addSpecial: addSpecial)
            var timing: [(String, String)] = []
            if time {
                // CPU time of this thread (the machine may be shared) and wall time, over >= 0.5 s.
                func cpuSeconds() -> Double {
                    var ts = timespec()
                    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
                    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
                }
                var runs = 0
                let start = DispatchTime.now().uptimeNanoseconds, cpuStart = cpuSeconds()
                var elapsed: UInt64 = 0
                repeat {
                    precondition(encoder.encode(text, addSpecial: addSpecial).count == ids.count)
                    runs += 1
                    elapsed = DispatchTime.now().uptimeNanoseconds - start
                } while elapsed < 500_000_000
                let seconds = Double(elapsed) / 1e9, cpu = cpuSeconds() - cpuStart
                timing = [("load_ms", String(format: "%.1f", Double(t1 - t0) / 1e6)),
                          ("encoder_ms", String(format: "%.1f", Double(t2 - t1) / 1e6)),
                          ("encode_mb_per_s", String(format: "%.2f", Double(text.utf8.count * runs) / seconds / 1e6)),
                          ("encode_mb_per_cpu_s", String(format: "%.2f", Double(text.utf8.count * runs) / cpu / 1e6)),
                          ("encode_tokens_per_cpu_s", String(format: "%.0f", Double(ids.count * runs) / cpu))]
            }
            let shown = ids.map { displayBytes(v.bytes(of: Int($0))) }
            if json {
                print(JSONOut.object([
                    ("ids", JSONOut.array(ids.map { "\($0)" })),
                    ("pieces", JSONOut.array(shown.map(JSONOut.string))),
                    ("tokens", JSONOut.array(ids.map { JSONOut.string(v.pieces[Int($0)]) })),
                    ("count", "\(ids.count)"),
                    ("bytes", "\(text.utf8.count)"),
                ] + timing))
                return
            }
            print("\(ids.count) tokens for \(text.utf8.count) bytes")
            if time {
                print(timing.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
                return
            }
            let width = ids.map { "\($0)".count }.max() ?? 1
            for (id, piece) in zip(ids, shown) {
                let pad = String(repeating: " ", count: width - "\(id)".count)
                let special = v.flags[Int(id)].contains(.special) ? "  (special)" : ""
                print("\(pad)\(id)  \"\(piece)\"\(special)")
            }
        }
    }
}
