import FSMDecode
import Testing

@Suite struct VocabularySmokeTests {
    @Test func plainVocabularyTrieListsEveryGrammarToken() throws {
        let words = ["a", "ab", "abc", "b", "ba", "", "ab"]
        let tokens = words.map { w -> (bytes: [UInt8], piece: String, flags: TokenFlags)? in (Array(w.utf8), w, []) }
        let v = try Vocabulary(kind: .plain, source: "test", tokens: tokens, bosID: nil, eosIDs: [])
        let trie = v.trie
        // Every non-empty token appears exactly once, at a node whose path spells its bytes.
        var seen: [Int32] = []
        var path: [UInt8] = []
        for node in 1..<trie.nodeCount {
            path.removeSubrange(Int(trie.depth[node]) - 1 ..< path.count)
            path.append(trie.byte[node])
            for k in Int(trie.tokenStart[node])..<Int(trie.tokenStart[node + 1]) {
                let id = trie.tokenIDs[k]
                #expect(v.bytes(of: Int(id)) == path)
                seen.append(id)
            }
            #expect(Int(trie.subtreeEnd[node]) > node)
        }
        #expect(seen.sorted() == [0, 1, 2, 3, 4, 6])
        #expect(v.flags[5].contains(.absent))
    }
}
