/// Writing JSON text: string escaping shared by the CLI's `--json` output, artifacts and
/// generated tokenizer files.
public enum JSONText {
    /// `text` with JSON whitespace outside strings dropped (a pretty-printed document made
    /// compact, byte for byte otherwise; the text is not validated).
    public static func compact(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var inString = false, escaped = false
        for c in text {
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
            } else if c == 0x22 {
                inString = true; out.append(c)
            } else if c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09 {
                out.append(c)
            }
        }
        return out
    }

    /// A JSON string literal for `s`, escaped as Python's `json.dumps(ensure_ascii=False)` does:
    /// `\" \\ \n \r \t \b \f`, other control characters as `\u00XX`, everything else raw UTF-8.
    public static func quote(_ s: String) -> String { quote(s, controls: .json) }

    /// How `quote(_:controls:)` writes control characters other than `\n \r \t`.
    enum ControlEscapes {
        /// JSON: `\b \f`, the rest of U+0000–U+001F as `\u00XX`; DEL raw.
        case json
        /// GBNF / Lark literals: U+0000–U+001F and DEL as `\xHH`.
        case grammar
    }

    /// `"…"` with `\" \\ \n \r \t` escaped and other control characters as `controls` says;
    /// one writer for JSON text and for grammar literals in `TerminalPattern.description`.
    static func quote(_ s: String, controls: ControlEscapes) -> String {
        // Most strings (member names) need no escape: every escape is of an ASCII byte.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || ($0 == 0x7F && controls == .grammar) }) {
            return "\"" + s + "\""
        }
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let v = u.value
                switch controls {
                case .json where v == 0x08: out += "\\b"
                case .json where v == 0x0C: out += "\\f"
                case .json where v < 0x20: out += "\\u" + hex(v, 4, uppercase: false)
                case .grammar where v < 0x20 || v == 0x7F: out += "\\x" + hex(v, 2, uppercase: true)
                default: out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    private static func hex(_ v: UInt32, _ width: Int, uppercase: Bool) -> String {
        let s = String(v, radix: 16, uppercase: uppercase)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    public static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }

    public static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}
