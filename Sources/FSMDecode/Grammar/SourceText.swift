/// Grammar source as Unicode scalars with line:column lookup, shared by the front-ends.
/// Cost: O(n) to build; `location(of:)` is O(log lines).
struct SourceText {
    let file: String
    let scalars: [Unicode.Scalar]
    private let lineStarts: [Int]

    init(bytes: [UInt8], file: String, limits: GrammarLimits) throws {
        guard bytes.count <= limits.maxSourceBytes else {
            throw FSMDecodeError(.budget, "\(file): grammar source is \(bytes.count) bytes, above the limit of \(limits.maxSourceBytes) (GrammarLimits.maxSourceBytes)")
        }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(bytes.count)
        var decoder = UTF8()
        var it = bytes.makeIterator()
        var offset = 0
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s):
                out.append(s)
                offset += UTF8.width(s)
            case .emptyInput: break loop
            case .error:
                throw FSMDecodeError(.grammar, "\(file): invalid UTF-8 at byte offset \(offset)")
            }
        }
        var starts = [0]
        for (i, s) in out.enumerated() where s == "\n" { starts.append(i + 1) }
        if out.first == "\u{FEFF}" { out[0] = " " } // a byte-order mark is whitespace
        self.file = file
        self.scalars = out
        self.lineStarts = starts
    }

    func location(of index: Int) -> SourcePosition {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return SourcePosition(file: file, line: lo + 1, column: index - lineStarts[lo] + 1)
    }

    /// Messages quote the source, so they are made one line here (`messageText`).
    func error(_ index: Int, _ message: String) -> FSMDecodeError {
        FSMDecodeError(.grammar, "\(location(of: index)): \(messageText(message))")
    }

    /// The scalar at `i`, or nil at the end.
    subscript(_ i: Int) -> Unicode.Scalar? { i < scalars.count ? scalars[i] : nil }

    /// A short quote of the source at `i` for messages (`end of input` at the end).
    func quote(_ i: Int) -> String {
        guard i < scalars.count else { return "end of input" }
        var s = ""
        for c in scalars[i..<min(scalars.count, i + 12)] {
            if c == "\n" { break }
            s.unicodeScalars.append(c)
        }
        return "'\(messageText(s))'"
    }
}

/// `text` made safe to quote in a one-line error message: line breaks, NUL and the other
/// control, separator and bidirectional-override characters become escapes (`\n`, `\u{0}`),
/// so hostile input can neither split a message nor make it display as something else.
/// Everything else (including non-ASCII text) is kept.
func messageText<S: StringProtocol>(_ text: S) -> String {
    // Printable ASCII throughout (most messages): nothing to escape.
    if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return String(text) }
    var out = String.UnicodeScalarView()
    for u in text.unicodeScalars {
        switch u.value {
        case 0x0A: out.append(contentsOf: "\\n".unicodeScalars)
        case 0x0D: out.append(contentsOf: "\\r".unicodeScalars)
        case 0x09: out.append(contentsOf: "\\t".unicodeScalars)
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF:
            out.append(contentsOf: "\\u{\(String(u.value, radix: 16, uppercase: true))}".unicodeScalars)
        default: out.append(u)
        }
    }
    return String(out)
}
