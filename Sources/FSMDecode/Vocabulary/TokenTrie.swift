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

    public var nodeCount: Int { byte.count }

    init(tokenBytes: [UInt8], offsets: [UInt32], flags: [TokenFlags]) {
        // Sort grammar tokens by bytes, then emit nodes in one pass over the sorted list.
        var ids: [Int32] = []
        for id in 0..<flags.count where flags[id].isDisjoint(with: .neverAllowed) && offsets[id + 1] > offsets[id] {
            ids.append(Int32(id))
        }
        tokenBytes.withUnsafeBufferPointer { tb in
            offsets.withUnsafeBufferPointer { off in
                ids.sort { a, b in
                    let sa = Int(off[Int(a)]), ea = Int(off[Int(a) + 1])
                    let sb = Int(off[Int(b)]), eb = Int(off[Int(b) + 1])
                    var i = sa, j = sb
                    while i < ea && j < eb {
                        if tb[i] != tb[j] { return tb[i] < tb[j] }
                        i += 1; j += 1
                    }
                    if (ea - sa) != (eb - sb) { return (ea - sa) < (eb - sb) }
                    return a < b
                }
            }
        }
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
    }
}
