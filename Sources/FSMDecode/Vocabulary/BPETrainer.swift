/// Trains a small byte-level BPE vocabulary (GPT-2 pre-tokenizer, 256 byte tokens + merges +
/// one end-of-text token) and writes it as a Hugging Face `tokenizer.json`. This is how the
/// project makes the demo vocabulary it ships (`fsmdecode train-vocab`), so `make demo` runs
/// without any downloaded tokenizer. Deterministic: ties between pairs break by token id.
///
/// Cost: O(merges × distinct pre-tokens); meant for corpora of up to a few MB.
public enum BPETrainer {
    public struct Result: Sendable {
        /// Token strings in the byte-level alphabet, by id.
        public var pieces: [String]
        public var merges: [(Int32, Int32)]
        public var endOfText: Int32
        /// The tokenizer.json text.
        public var tokenizerJSON: String
        /// The tokenizer_config.json text (eos/bos token names).
        public var configJSON: String
    }

    public static func train(corpus: [UInt8], vocabularySize: Int, endOfText: String = "<|endoftext|>") throws -> Result {
        guard vocabularySize > 257, vocabularySize <= 1 << 20 else {
            throw FSMDecodeError(.usage, "vocabulary size must be in 258...1048576 (256 bytes + merges + end-of-text), got \(vocabularySize)")
        }
        let splitter = try PCRE2Pattern(TokenizerJSONLoader.gpt2SplitPattern)
        // Distinct pre-tokens with their counts.
        var wordCounts: [[UInt8]: Int] = [:]
        let valid = String(validating: corpus, as: UTF8.self) != nil
        guard valid else { throw FSMDecodeError(.encoding, "training corpus is not valid UTF-8") }
        for r in splitter.isolatedSplit(corpus) { wordCounts[Array(corpus[r]), default: 0] += 1 }
        var words: [[Int32]] = []
        var counts: [Int] = []
        for (w, c) in wordCounts.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            words.append(w.map { Int32($0) }); counts.append(c)
        }
        var tokenBytes: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var merges: [(Int32, Int32)] = []
        let target = vocabularySize - 1
        while tokenBytes.count < target {
            var pairCounts: [UInt64: Int] = [:]
            for (w, c) in zip(words, counts) where w.count > 1 {
                for i in 0..<(w.count - 1) {
                    pairCounts[UInt64(UInt32(w[i])) << 32 | UInt64(UInt32(w[i + 1])), default: 0] += c
                }
            }
            guard let best = pairCounts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }),
                  best.value >= 2 else { break }
            let l = Int32(best.key >> 32), r = Int32(best.key & 0xFFFF_FFFF)
            let new = Int32(tokenBytes.count)
            tokenBytes.append(tokenBytes[Int(l)] + tokenBytes[Int(r)])
            merges.append((l, r))
            for k in words.indices where words[k].count > 1 {
                var w = words[k], out: [Int32] = [], i = 0
                out.reserveCapacity(w.count)
                while i < w.count {
                    if i + 1 < w.count && w[i] == l && w[i + 1] == r { out.append(new); i += 2 } else { out.append(w[i]); i += 1 }
                }
                w = out
                words[k] = w
            }
        }
        let pieces = tokenBytes.map { ByteLevelAlphabet.encode($0) }
        let eos = Int32(pieces.count)
        var vocabFields: [String] = []
        for (id, p) in pieces.enumerated() { vocabFields.append("\(JSONText.quote(p)):\(id)") }
        let mergeItems = merges.map { JSONText.quote(pieces[Int($0.0)] + " " + pieces[Int($0.1)]) }
        let byteLevel = #"{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}"#
        let json = """
        {"version":"1.0","truncation":null,"padding":null,
        "added_tokens":[{"id":\(eos),"content":\(JSONText.quote(endOfText)),"single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true}],
        "normalizer":null,
        "pre_tokenizer":\(byteLevel),
        "post_processor":null,
        "decoder":\(byteLevel),
        "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,"ignore_merges":false,
        "vocab":{\(vocabFields.joined(separator: ",\n"))},
        "merges":[\(mergeItems.joined(separator: ",\n"))]}}

        """
        let config = """
        {"tokenizer_class":"PreTrainedTokenizerFast","bos_token":null,"eos_token":\(JSONText.quote(endOfText)),"add_bos_token":false}

        """
        return Result(pieces: pieces, merges: merges, endOfText: eos, tokenizerJSON: json, configJSON: config)
    }
}

extension ByteLevelAlphabet {
    /// The byte-level alphabet string of raw bytes (inverse of `decode`).
    static func encode(_ bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(UInt32(scalarOf[Int(b)]))!) }
        return String(s)
    }

    static let scalarOf: [UInt16] = {
        var table = [UInt16](repeating: 0, count: 256)
        for (scalar, b) in byteOf.enumerated() where b >= 0 { table[Int(b)] = UInt16(scalar) }
        return table
    }()
}
