/// The value of one ASCII hex digit (`0-9`, `a-f`, `A-F`), nil for any other code unit or
/// scalar. Shared by the regex parser (`\x`, `\u`), `$ref` percent escapes and `<0xXX>`
/// byte tokens.
@inline(__always) func hexDigitValue(_ c: UInt32) -> UInt32? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x41...0x46: return c - 0x41 + 10
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
}

@inline(__always) func hexDigitValue(_ b: UInt8) -> UInt8? { hexDigitValue(UInt32(b)).map { UInt8($0) } }
