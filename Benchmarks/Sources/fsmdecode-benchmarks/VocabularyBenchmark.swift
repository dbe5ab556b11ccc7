import FSMDecode
#if canImport(Glibc)
import Glibc
#endif

/// Time to load each real vocabulary (tokenizer.json → token bytes, flags, merges) and build its
/// token trie, and the process's peak RSS after each. Writes results/vocab-load.json.
enum VocabularyBenchmark {
    static let names = ["llama3", "qwen2", "gpt2", "llama2"]

    static func run(shared: String, resultsDir: String, repetitions: Int) -> Int32 {
        print("vocabulary load + trie build (release), \(repetitions) repetitions after 1 warm-up")
        print("machine: \(machineDescription())")
        print(pad("vocab", 8, left: true) + pad("ids", 9) + pad("trie nodes", 12) + pad("min ms", 9) + pad("median ms", 11)
              + pad("p95 ms", 9) + pad("peak RSS MiB", 14))
        var rows: [String] = []
        for name in names {
            let path = "\(shared)/vocab/\(name)/tokenizer.json"
            guard access(path, R_OK) == 0 else { print("skipping \(name): \(path) not found"); continue }
            var last: Vocabulary? = nil
            let timing: Timing
            do {
                timing = try Timing.measure(repetitions: repetitions) { last = try Vocabulary.load(path: path) }
            } catch {
                print("error: \(error)")
                return 1
            }
            let v = last!
            let rss = peakRSSBytes() ?? 0
            print(pad(name, 8, left: true) + pad("\(v.size)", 9) + pad("\(v.trie.nodeCount)", 12) + pad(ms(timing.min), 9)
                  + pad(ms(timing.median), 11) + pad(ms(timing.p95), 9) + pad("\(rss >> 20)", 14))
            rows.append("""
                {"vocab":"\(name)","ids":\(v.size),"trie_nodes":\(v.trie.nodeCount),"repetitions":\(repetitions),\
                "min_ms":\(ms(timing.min)),"median_ms":\(ms(timing.median)),"p95_ms":\(ms(timing.p95)),"peak_rss_bytes":\(rss)}
                """)
        }
        let json = "{\"benchmark\":\"vocab-load\",\"machine\":\"\(machineDescription())\",\"results\":[\n  "
            + rows.joined(separator: ",\n  ") + "\n]}\n"
        let out = "\(resultsDir)/vocab-load.json"
        if writeText(json, to: out) { print("wrote \(out)") } else { print("warning: cannot write \(out)") }
        return 0
    }
}
