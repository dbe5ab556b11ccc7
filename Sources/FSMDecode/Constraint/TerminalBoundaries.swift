import Synchronization

/// Where one terminal's match ends inside tokens, per state of its DFA: the trie nodes (in
/// node order) that the terminal, started at the trie root in that state, reaches in an
/// accepting state and that have children (bytes after the lexeme's end). Filled by the
/// terminal's `MaskStore` in the same trie walk as the state's inside mask and published
/// before it, so a state whose mask is available has its list too; first publisher wins.
/// Lexers read these to find their own lexeme ends without walking the trie (a lexer state
/// is a union of terminal states, see `Lexer.partStart`).
final class TerminalBoundaries: Sendable {
    private let lists: Mutex<[[UInt32]?]>

    init(stateCount: Int) { lists = Mutex([[UInt32]?](repeating: nil, count: stateCount)) }

    func publish(_ state: Int32, _ nodes: [UInt32]) {
        lists.withLock { l in if l[Int(state)] == nil { l[Int(state)] = nodes } }
    }

    func get(_ state: Int32) -> [UInt32]? { lists.withLock { $0[Int(state)] } }
}
