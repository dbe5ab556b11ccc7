import ArgumentParser
import FSMDecode
import Foundation

/// `--mask-width`, `--bos`, `--eos`: how a vocabulary file is read (`vocab` and every subcommand
/// that takes `--vocab`).
struct VocabularyOverrides: ParsableArguments {
    @Option(name: .customLong("mask-width"), help: "Logits width of the model (default: highest id + 1).")
    var maskWidth: Int?

    @Option(name: .long, help: "BOS token (id or token string), overriding tokenizer_config.json.")
    var bos: String?

    @Option(name: .long, parsing: .singleValue, help: "EOS token(s) (id or token string); repeatable; replaces the file's.")
    var eos: [String] = []

    func load(path: String) throws -> Vocabulary {
        try Vocabulary.load(path: path, options: VocabularyOptions(maskWidth: maskWidth, bos: bos, eos: eos))
    }
}

/// Flags shared by every subcommand that needs a vocabulary.
struct VocabularyFlags: ParsableArguments {
    @Option(name: .long, help: "tokenizer.json or GGUF file.")
    var vocab: String

    @OptionGroup var overrides: VocabularyOverrides

    var maskWidth: Int? { overrides.maskWidth }
    var bos: String? { overrides.bos }
    var eos: [String] { overrides.eos }

    func load() throws -> Vocabulary { try overrides.load(path: vocab) }
}

/// `--json` output helpers (the library's JSON text writer).
typealias JSONOut = JSONTextCLI

enum JSONTextCLI {
    static func string(_ s: String) -> String { JSONText.quote(s) }
    static func object(_ fields: [(String, String)]) -> String { JSONText.object(fields) }
    static func array(_ items: [String]) -> String { JSONText.array(items) }
}

/// Human-readable display of token bytes: printable ASCII as is, the rest escaped.
func displayBytes(_ bytes: [UInt8]) -> String {
    var out = ""
    var i = 0
    while i < bytes.count {
        let b = bytes[i]
        if b >= 0x20 && b < 0x7F { out.append(Character(UnicodeScalar(b))); i += 1; continue }
        if b == 0x0A { out += "\\n"; i += 1; continue }
        if b == 0x09 { out += "\\t"; i += 1; continue }
        // A complete multi-byte UTF-8 character prints as itself.
        let len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0
        if len > 0, i + len <= bytes.count, let s = String(validating: bytes[i..<i + len], as: UTF8.self) {
            out += s; i += len; continue
        }
        out += String(format: "\\x%02X", b); i += 1
    }
    return out
}

/// 1234567 → "1.2M"; 2048 → "2.0 KiB" with `bytes: true`.
func humanCount(_ n: Int, bytes: Bool = false) -> String {
    let units = bytes ? ["B", "KiB", "MiB", "GiB", "TiB"] : ["", "k", "M", "G", "T"]
    let base = bytes ? 1024.0 : 1000.0
    var v = Double(n), u = 0
    while v >= base && u < units.count - 1 { v /= base; u += 1 }
    if u == 0 { return bytes ? "\(n) B" : "\(n)" }
    return String(format: bytes ? "%.1f %@" : "%.1f%@", v, units[u])
}
