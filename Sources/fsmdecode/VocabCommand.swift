import ArgumentParser
import FSMDecode
import Foundation

struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab", abstract: "Inspect a tokenizer.json or GGUF vocabulary.")

    @Argument(help: "tokenizer.json or GGUF file.")
    var path: String

    @OptionGroup var overrides: VocabularyOverrides

    @Flag(name: .long, help: "Print one JSON object.")
    var json = false

    func run() throws {
        try FSMDecodeCommand.runReportingErrors {
            let start = DispatchTime.now().uptimeNanoseconds
            let v = try overrides.load(path: path)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            let specials = (0..<v.size).filter { v.flags[$0].contains(.special) }
            let longest = v.longestTokenID
            if json {
                print(JSONOut.object([
                    ("path", JSONOut.string(path)),
                    ("kind", JSONOut.string(v.kind.rawValue)),
                    ("size", "\(v.size)"),
                    ("mask_width", "\(v.maskWidth)"),
                    ("grammar_tokens", "\(v.trie.tokenIDs.count)"),
                    ("special_count", "\(specials.count)"),
                    ("byte_tokens", "\(v.byteFallbackCount)"),
                    ("bos", v.bosID.map { "\($0)" } ?? "null"),
                    ("eos", JSONOut.array(v.eosIDs.map { "\($0)" })),
                    ("longest_token", longest.map { JSONOut.object([("id", "\($0)"), ("bytes", "\(v.bytes(of: $0).count)"), ("piece", JSONOut.string(v.pieces[$0]))]) } ?? "null"),
                    ("trie_nodes", "\(v.trie.nodeCount)"),
                    ("merges", "\(v.tokenizerSpec?.merges.count ?? 0)"),
                    ("load_ms", String(format: "%.1f", ms)),
                ]))
                return
            }
            func name(_ id: Int32) -> String { "\(id) \(v.pieces[Int(id)])" }
            print("vocabulary   \(path)")
            print("kind         \(v.kind.rawValue)")
            print("size         \(v.size) ids (\(humanCount(v.size)))")
            print("mask width   \(v.maskWidth)")
            print("grammar      \(v.trie.tokenIDs.count) tokens a grammar may allow; trie of \(humanCount(v.trie.nodeCount)) nodes")
            print("specials     \(specials.count)" + (specials.isEmpty ? "" : ": " + specials.prefix(6).map { name(Int32($0)) }.joined(separator: ", ") + (specials.count > 6 ? ", …" : "")))
            print("bos          \(v.bosID.map(name) ?? "none")")
            print("eos          \(v.eosIDs.isEmpty ? "none" : v.eosIDs.map(name).joined(separator: ", "))")
            print("byte tokens  \(v.byteFallbackCount)")
            if let l = longest { print("longest      \(l) \"\(displayBytes(v.bytes(of: l)))\" (\(v.bytes(of: l).count) bytes)") }
            if let spec = v.tokenizerSpec { print("merges       \(humanCount(spec.merges.count))") }
            print(String(format: "loaded in    %.0f ms", ms))
        }
    }
}
