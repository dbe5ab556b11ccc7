/// Development access to the regex ASTs the runtime compiles for a grammar, so the regex
/// compiler can be measured on real terminals (Benchmarks' `terminals` suite) without
/// widening the parser's public surface. Not part of the stable API.
@_spi(Benchmarks) public enum TerminalCorpus {
    /// The ASTs that `ParseTables` hands to `RegexCompiler.compile` for `grammar`, in terminal
    /// order (literal terminals, built directly as chains, are left out). Builds the parse
    /// tables without a vocabulary, so it also compiles every terminal once.
    public static func compiledTerminalASTs(of grammar: Grammar, options: RegexOptions = RegexOptions()) throws -> [RegexAST] {
        let tables = try ParseTables(grammar: grammar, vocabulary: nil, options: options)
        return try tables.terminals.compactMap { info in
            guard let pattern = info.pattern else { return nil }
            let ast = try ParseTables.regexAST(pattern, where: info.place, options: options)
            if let bytes = ParseTables.literalBytes(ast), bytes.count < options.maxStates { return nil }
            return ast
        }
    }
}
