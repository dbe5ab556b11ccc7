/// Something that produces the next logits row given the tokens so far: a recorded run, a
/// built-in n-gram model, or an external process. The decoder masks the row, samples, and
/// appends the chosen token.
public protocol ModelBackend {
    /// Length of every logits row (must equal the vocabulary's mask width).
    var width: Int { get }
    /// Fills `row` (resized to `width`) with the logits after `tokens`. Returns false when the
    /// backend has no more rows (a recording ran out); throws on a backend failure.
    mutating func nextLogits(after tokens: [Int32], into row: inout [Float]) throws -> Bool
}

/// Replays a recorded logits file: row i at step i, whatever the tokens were.
public struct LogitsReplayBackend: ModelBackend {
    public let file: LogitsFile
    private var step = 0

    public init(file: LogitsFile, expectedWidth: Int) throws {
        guard file.width == expectedWidth else {
            throw FSMDecodeError(.logits, "\(file.path): logits width \(file.width) does not match the vocabulary's mask width \(expectedWidth) (use --mask-width if the model pads its logits)")
        }
        self.file = file
    }

    public var width: Int { file.width }

    public mutating func nextLogits(after tokens: [Int32], into row: inout [Float]) throws -> Bool {
        guard step < file.steps else { return false }
        file.readRow(step, into: &row)
        step += 1
        return true
    }
}
