import FSMDecode
import Testing
import Foundation

@Suite struct NGramModelTests {
    @Test func learnsContinuationsAndKeepsMassOnEveryAllowedToken() throws {
        let width = 50
        var allowed = [Bool](repeating: true, count: width)
        allowed[7] = false
        let seqs: [[Int32]] = Array(repeating: [1, 2, 3, 4, 5], count: 20) + [[1, 2, 9]]
        var model = try NGramModel(sequences: seqs, width: width, allowed: allowed, eos: 0, order: 3)
        var row: [Float] = []
        _ = try model.nextLogits(after: [1, 2], into: &row)
        let best = row.indices.max { row[$0] < row[$1] }!
        #expect(best == 3)
        #expect(row[3] > row[9] && row[9] > row[20])
        #expect(row[7] == -.infinity)
        #expect(row.enumerated().allSatisfy { $0.offset == 7 || $0.element.isFinite })
        // Probabilities sum to one.
        let sum = row.reduce(0.0) { $0 + ($1.isFinite ? Double(exp($1)) : 0) }
        #expect(abs(sum - 1) < 1e-3)
        _ = try model.nextLogits(after: [3, 4, 5], into: &row)
        #expect(row.indices.max { row[$0] < row[$1] } == 0)   // eos after the document
    }

    @Test func rejectsBadSettings() {
        #expect(throws: FSMDecodeError.self) { _ = try NGramModel(sequences: [], width: 3, allowed: [true, true, true], eos: nil, order: 0) }
        #expect(throws: FSMDecodeError.self) { _ = try NGramModel(sequences: [], width: 3, allowed: [true], eos: nil) }
    }
}
