/// The one error type the library throws. `message` is a complete, human-readable sentence
/// that names the input and the location (file, line:column, byte offset or JSON pointer).
public struct FSMDecodeError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: String, Sendable {
        case io, json, vocabulary, encoding, regex, grammar, schema, budget, logits, artifact, usage
    }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
