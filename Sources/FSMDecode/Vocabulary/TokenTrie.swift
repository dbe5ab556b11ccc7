/// A byte trie over a vocabulary's grammar tokens, flattened depth-first.
///
/// Node 0 is the root (the empty string). Node i (i > 0) adds byte `byte[i]` to its parent and
/// sits at depth `depth[i]`; its subtree is the nodes `i ..< subtreeEnd[i]`, so a dead branch is
/// skipped in one step. Children appear in ascending byte order. The tokens whose bytes end
/// exactly at node i are `tokenIDs[tokenStart[i] ..< tokenStart[i+1]]` (several ids may share
/// bytes, e.g. a SentencePiece `<0x41>` and `A`). Special, padding, unknown and absent ids are
/// not in the trie. Walkers keep a stack of recognizer states indexed by depth.
public struct TokenTrie: Sendable {
    public let byte: [UInt8]
    public let depth: [UInt16]
    public let subtreeEnd: [UInt32]
    public let tokenStart: [UInt32]
    public let tokenIDs: [Int32]
    public let maxDepth: Int
    /// The root's children (depth-1 nodes) in node order, and their bytes: a walk from a
    /// state with few live bytes reads these two small arrays instead of touching ~250
    /// scattered nodes in four big ones (most of the cost of a narrow state's walk).
    public let rootChildren: [UInt32]
    public let rootChildBytes: [UInt8]
    /// Per byte b (and 256): the index in `rootChildren` of the first child whose byte is at
    /// least b, so the root's children on a range of bytes are one slice of it: a walk visits
    /// only the ranges its start state keeps alive (a member name's literal lives on one byte
    /// of ~250).
    public let rootChildFrom: [UInt16]
    /// Per node, its parent (the root's is 0): a node's path is read from the trie's own
    /// arrays, next to it in memory, rather than from a token's bytes elsewhere.
    public let parent: [UInt32]

    public var nodeCount: Int { byte.count }

    /// Builds the trie of every grammar token (see `TokenFlags.neverAllowed`) with non-empty bytes.
    /// Cost: one sort of the grammar tokens by bytes (O(n log n) comparisons, almost all of them a
    /// single 64-bit compare of the first 8 bytes), then one linear pass.
    init(tokenBytes: [UInt8], offsets: [UInt32], flags: [TokenFlags]) {
        let ids = Self.sortedGrammarTokens(tokenBytes: tokenBytes, offsets: offsets, flags: flags)
        var byte: [UInt8] = [0]
        var depth: [UInt16] = [0]
        var tokenStart: [UInt32] = [0]
        var tokenIDs: [Int32] = []
        // Path of node indices from the root to the current node.
        var path: [Int] = [0]
        var pathBytes: [UInt8] = []
        var maxDepth = 0
        tokenIDs.reserveCapacity(ids.count)
        for id in ids {
            let s = Int(offsets[Int(id)]), e = Int(offsets[Int(id) + 1])
            let n = e - s
            // Longest common prefix with the current path.
            var common = 0
            while common < pathBytes.count && common < n && pathBytes[common] == tokenBytes[s + common] { common += 1 }
            path.removeSubrange((common + 1)...)
            pathBytes.removeSubrange(common...)
            for k in common..<n {
                let b = tokenBytes[s + k]
                byte.append(b)
                depth.append(UInt16(k + 1))
                tokenStart.append(UInt32(tokenIDs.count))
                path.append(byte.count - 1)
                pathBytes.append(b)
            }
            maxDepth = max(maxDepth, n)
            // Sorted order guarantees the token ends at the most recently created node (or at
            // that same node again for duplicate bytes), whose id range is still open.
            tokenIDs.append(id)
        }
        tokenStart.append(UInt32(tokenIDs.count))

        var subtreeEnd = [UInt32](repeating: 0, count: byte.count)
        // Subtree end: the next node with depth <= this node's depth.
        var stack: [Int] = []
        for i in 0..<byte.count {
            while let top = stack.last, depth[top] >= depth[i] {
                subtreeEnd[top] = UInt32(i)
                stack.removeLast()
            }
            stack.append(i)
        }
        for i in stack { subtreeEnd[i] = UInt32(byte.count) }

        self.byte = byte
        self.depth = depth
        self.subtreeEnd = subtreeEnd
        self.tokenStart = tokenStart
        self.tokenIDs = tokenIDs
        self.maxDepth = maxDepth
        var rootChildren: [UInt32] = [], rootChildBytes: [UInt8] = []
        var c = 1
        while c < byte.count {
            rootChildren.append(UInt32(c))
            rootChildBytes.append(byte[c])
            c = Int(subtreeEnd[c])
        }
        self.rootChildren = rootChildren
        self.rootChildBytes = rootChildBytes
        var from = [UInt16](repeating: UInt16(rootChildren.count), count: 257)
        for r in stride(from: rootChildBytes.count - 1, through: 0, by: -1) {
            for b in (r == 0 ? 0 : Int(rootChildBytes[r - 1]) + 1)...Int(rootChildBytes[r]) { from[b] = UInt16(r) }
        }
        self.rootChildFrom = from
        // A node's parent is the last node one level up before it (children follow parents).
        var parent = [UInt32](repeating: 0, count: byte.count)
        var last = [UInt32](repeating: 0, count: maxDepth + 1)
        for i in 1..<max(byte.count, 1) {
            let d = Int(depth[i])
            parent[i] = last[d - 1]
            last[d] = UInt32(i)
        }
        self.parent = parent
    }

    /// A grammar token with the first 8 bytes of its bytes as a big-endian integer (zero-padded),
    /// so that comparing keys compares those bytes lexicographically.
    private struct SortKey {
        var prefix: UInt64
        var id: Int32
    }

    /// Grammar token ids ordered by bytes (a proper prefix first), ties by id.
    private static func sortedGrammarTokens(tokenBytes: [UInt8], offsets: [UInt32], flags: [TokenFlags]) -> [Int32] {
        var keys: [SortKey] = []
        keys.reserveCapacity(flags.count)
        tokenBytes.withUnsafeBufferPointer { tb in
            for id in 0..<flags.count where flags[id].isDisjoint(with: .neverAllowed) && offsets[id + 1] > offsets[id] {
                let s = Int(offsets[id]), e = Int(offsets[id + 1])
                var prefix: UInt64 = 0
                for k in 0..<8 { prefix = prefix << 8 | UInt64(s + k < e ? tb[s + k] : 0) }
                keys.append(SortKey(prefix: prefix, id: Int32(id)))
            }
            offsets.withUnsafeBufferPointer { off in
                keys.sort { x, y in
                    if x.prefix != y.prefix { return x.prefix < y.prefix }
                    // Equal padded prefixes: compare the whole byte strings (rare; exact).
                    let sa = Int(off[Int(x.id)]), ea = Int(off[Int(x.id) + 1])
                    let sb = Int(off[Int(y.id)]), eb = Int(off[Int(y.id) + 1])
                    var i = sa, j = sb
                    while i < ea && j < eb {
                        if tb[i] != tb[j] { return tb[i] < tb[j] }
                        i += 1; j += 1
                    }
                    if (ea - sa) != (eb - sb) { return (ea - sa) < (eb - sb) }
                    return x.id < y.id
                }
            }
        }
        return keys.map(\.id)
    }
}
