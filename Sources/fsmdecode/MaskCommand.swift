import ArgumentParser
import FSMDecode

/// `fsmdecode mask --vocab V <constraint> --prefix P [--json]`: the tokens allowed after the bytes
/// of P. `--json` prints `{"allowed": [ids…], "eos_allowed": bool}` (`allowed` is the whole mask,
/// EOS ids included when allowed). A prefix that cannot continue to a match exits 1 naming the
/// byte offset where it stopped.
struct MaskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mask", abstract: "List the tokens allowed after a prefix.")

    @OptionGroup var vocabulary: VocabularyFlags
    @OptionGroup var constraint: ConstraintFlags

    @Option(name: .long, help: "Text already generated, fed as UTF-8 bytes (use --prefix=VALUE for values starting with '-').")
    var prefix: String = ""

    @Option(name: .long, help: "List at most this many tokens (text output only).")
    var limit: Int = 100

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let v = try vocabulary.load()
            var matcher = try constraint.compile(vocabulary: v).makeMatcher()
            let bytes = Array(prefix.utf8)
            let viable = matcher.viablePrefixLength(bytes)
            guard viable == bytes.count, matcher.accept(bytes: bytes) else {
                throw FSMDecodeError(.usage, "--prefix: \"\(displayBytes(bytes))\" cannot continue to a match: it fails at byte offset \(viable) "
                    + "(after \"\(displayBytes(Array(bytes[..<viable])))\", byte 0x\(String(format: "%02X", bytes[viable])))")
            }
            let mask = matcher.nextTokenMask()
            let allowed = mask.allowedIDs
            let eosAllowed = v.eosIDs.contains { mask.contains($0) }
            if json {
                print(JSONOut.object([
                    ("allowed", JSONOut.array(allowed.map { "\($0)" })),
                    ("eos_allowed", "\(eosAllowed)"),
                ]))
                return
            }
            print("after \"\(displayBytes(bytes))\" (\(bytes.count) bytes): \(humanCount(allowed.count)) tokens allowed, "
                + "EOS \(eosAllowed ? "allowed" : "not allowed")\(matcher.isTerminated ? "; nothing else can follow" : "")")
            let forced = matcher.forcedBytes()
            if !forced.isEmpty { print("forced continuation \"\(displayBytes(forced))\"") }
            for id in allowed.prefix(limit) {
                print("  \(id)\t\(v.pieces[Int(id)])\t\"\(displayBytes(v.bytes(of: Int(id))))\"")
            }
            if allowed.count > limit { print("  … \(allowed.count - limit) more (--limit N)") }
        }
    }
}
