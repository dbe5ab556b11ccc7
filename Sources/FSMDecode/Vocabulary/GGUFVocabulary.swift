/// GGUF vocabulary metadata (`tokenizer.ggml.*`), read from the header only.
enum GGUFVocabularyLoader {
    static func load(bytes: [UInt8], path: String) throws -> Vocabulary {
        throw FSMDecodeError(.vocabulary, "\(path): GGUF loading is not implemented yet")
    }
}
