import FSMDecode
import Foundation

/// Locations and shared fixtures for tests.
enum TestSupport {
    /// This test process's directory for the files tests write, removed when the process exits
    /// (files written straight into the system's temporary directory piled up run after run).
    static let scratchDirectory: String = {
        let dir = NSTemporaryDirectory() + "fsmdecode-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: TestSupport.scratchDirectory) }
        return dir
    }()

    /// A path for `name` inside `scratchDirectory`.
    static func scratchPath(_ name: String) -> String { scratchDirectory + "/" + name }

    /// The repository root (this file is Tests/FSMDecodeTests/TestSupport.swift).
    static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `../shared` beside the repository, or $FSMDECODE_SHARED.
    static let sharedRoot: String = ProcessInfo.processInfo.environment["FSMDECODE_SHARED"]
        ?? URL(fileURLWithPath: repoRoot).deletingLastPathComponent().appendingPathComponent("shared").path

    /// Full path of a file under ../shared, or nil (tests then skip, naming the path).
    static func shared(_ relative: String) -> String? {
        let path = sharedRoot + "/" + relative
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Corpus-wide and brute-force suites run only with FSMDECODE_FULL=1 (`make test-release`);
    /// `make test` runs deterministic samples of them.
    static let fullSuites = ProcessInfo.processInfo.environment["FSMDECODE_FULL"] == "1"

    /// Real vocabularies, loaded once per test process (loading is the slow part in debug builds).
    static func vocabulary(_ name: String) -> Vocabulary? {
        cache.get(name)
    }

    private static let cache = VocabularyCache()

    private final class VocabularyCache: @unchecked Sendable {
        private let lock = NSLock()
        private var loaded: [String: Vocabulary] = [:]

        func get(_ name: String) -> Vocabulary? {
            lock.lock(); defer { lock.unlock() }
            if let v = loaded[name] { return v }
            guard let path = TestSupport.shared("vocab/\(name)/tokenizer.json") else {
                print("skipping: \(TestSupport.sharedRoot)/vocab/\(name)/tokenizer.json not found")
                return nil
            }
            let v = try? Vocabulary.load(path: path)
            loaded[name] = v
            return v
        }
    }
}
