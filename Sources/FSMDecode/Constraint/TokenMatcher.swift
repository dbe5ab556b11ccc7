/// The per-sequence side of a compiled constraint: which tokens may come next, and the state
/// after each accepted one. Regular (`RegexMatcher`) and context-free matchers share it; use it
/// through generics (`some TokenMatcher`), not existentials, on hot paths.
///
/// Semantics every conformer keeps:
/// - the mask is exact: a token is allowed iff appending its bytes keeps the output a viable
///   prefix; an EOS id iff the output is a complete sentence; special, padding, unknown and
///   absent ids never;
/// - `accept(token:)` and `accept(bytes:)` return false and change nothing when not allowed;
///   each successful call is one step that `rollback(1)` undoes;
/// - after an EOS token is accepted the matcher is terminated: nothing more is accepted and
///   the mask is empty until `rollback` or `reset`.
public protocol TokenMatcher {
    /// Ids covered by a mask (the vocabulary's `maskWidth`); masks have `ceil(maskWidth / 32)` words.
    var maskWidth: Int { get }
    /// Writes the next-token mask into `mask[0 ..< ceil(maskWidth / 32)]` (bit `i % 32` of word
    /// `i / 32` is token i).
    func fillNextTokenMask(into mask: UnsafeMutableBufferPointer<UInt32>)
    /// Advances by one token; false (and no change) when the token is not allowed.
    mutating func accept(token: Int32) -> Bool
    /// Advances by raw bytes (forced text, a prompt's assistant prefix) as one step; false (and
    /// no change) when the bytes do not keep the output viable.
    mutating func accept(bytes: [UInt8]) -> Bool
    /// Undoes the last `count` successful accepts; `count` must be `<= acceptedCount`.
    mutating func rollback(_ count: Int)
    /// Number of steps that `rollback` can undo.
    var acceptedCount: Int { get }
    /// The output so far is a complete sentence (EOS would be allowed, or was accepted).
    var isAccepting: Bool { get }
    /// Generation is over: an EOS token was accepted, or no byte can follow the output (then
    /// only EOS is allowed).
    var isTerminated: Bool { get }
    /// Back to the empty output.
    mutating func reset()
    /// Bytes that every valid completion of the current output starts with (jump-forward);
    /// empty when there is a choice, when the output is already complete, or after EOS.
    func forcedBytes() -> [UInt8]
}

extension TokenMatcher {
    /// Fills `mask` (its width must be `maskWidth`).
    public func fillNextTokenMask(into mask: inout TokenMask) {
        precondition(mask.width == maskWidth, "mask width \(mask.width) differs from the matcher's \(maskWidth)")
        mask.words.withUnsafeMutableBufferPointer { fillNextTokenMask(into: $0) }
    }

    /// A fresh mask of the next allowed tokens.
    public func nextTokenMask() -> TokenMask {
        var mask = TokenMask(width: maskWidth)
        fillNextTokenMask(into: &mask)
        return mask
    }
}
