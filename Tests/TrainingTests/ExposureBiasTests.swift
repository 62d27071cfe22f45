// Exposure bias (ExAccErr): the per-step KL of a batch of padded sequences equals the KL
// computed one prefix at a time with unbatched forwards; a student identical to the oracle has
// no error at all; the accumulation and the ratio follow their definitions; the per-prompt rows
// add up to the sums, and the bootstrap spread over prompts is the standard error of a mean.

import Collectives
import Kernels
import Model
import Training
import XCTest

final class ExposureBiasTests: XCTestCase {
  let config = GPTConfig(vocabSize: 11, contextLength: 32, dModel: 16, nLayer: 2, nHead: 2, initStd: 0.4)

  func model(seed: UInt64) throws -> GPT {
    let model = try GPT(config: config)
    model.initializeGPT2(seed: seed)
    return model
  }

  /// KL(p ‖ q) of the next-token distributions after `prefix`, one unbatched forward each.
  func klAfter(_ prefix: [Int32], oracle: GPT, student: GPT) -> Double {
    func logSoftmax(_ model: GPT) -> [Double] {
      let logits = model.forward(TokenBatch(B: 1, T: prefix.count, tokens: prefix))
      let row = (0..<config.vocabSize).map { Double(logits[(prefix.count - 1) * config.paddedVocabSize + $0]) }
      let m = row.max()!
      let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
      return row.map { $0 - lse }
    }
    let p = logSoftmax(oracle)
    let q = logSoftmax(student)
    return zip(p, q).reduce(0) { $0 + exp($1.0) * ($1.0 - $1.1) }
  }

  func testBatchedStepErrorsEqualPrefixByPrefixKL() throws {
    let oracle = try model(seed: 1)
    let student = try model(seed: 2)
    let prompts: [[Int32]] = [[1, 2, 3], [4], [5, 6, 7, 8, 9]]
    let sequences = try ExposureBias.measure(
      student: student, oracle: oracle, prompts: prompts, maxNewTokens: 6, eos: 10, seed: 3,
      group: SingleProcessCollective(), batchSize: 2)
    // Every response step's sum over prompts: recompute it with the same samples.
    XCTAssertTrue(sequences.studentPrefixCount.allSatisfy { $0 <= 3 } && sequences.studentPrefixCount[0] == 3)
    XCTAssertTrue((sequences.studentPrefixError + sequences.oraclePrefixError).allSatisfy { $0 >= 0 })
    let responses: [[Int32]] = [[7, 7, 2], [1], [3, 4, 5, 6]]
    let errors = try ExposureBias.stepErrorsForTesting(student: student, oracle: oracle, prompts: prompts, responses: responses, pad: 10)
    for (b, response) in responses.enumerated() {
      XCTAssertEqual(errors[b].count, response.count)
      for k in response.indices {
        let prefix = prompts[b] + response.prefix(k)
        XCTAssertEqual(errors[b][k], klAfter(prefix, oracle: oracle, student: student), accuracy: 1e-4, "row \(b) step \(k)")
      }
    }
  }

  func testAStudentEqualToTheOracleHasNoErrorAndTheRatioFollowsItsDefinition() throws {
    let oracle = try model(seed: 1)
    let same = try ExposureBias.measure(
      student: oracle, oracle: oracle, prompts: [[1, 2], [3]], maxNewTokens: 4, eos: 10, seed: 3,
      group: SingleProcessCollective())
    XCTAssertTrue(same.studentPrefixError.allSatisfy { abs($0) < 1e-5 }, "\(same.studentPrefixError)")
    let made = ExposureBias(
      studentPrefixError: [2, 3, 0], studentPrefixCount: [2, 1, 0], oraclePrefixError: [1, 1, 4], oraclePrefixCount: [2, 2, 2])
    // R = 1, 4, 4; ε = 0.5, 1, 3.
    XCTAssertEqual(made.accumulated.r, [1, 4, 4])
    XCTAssertEqual(made.accumulated.epsilon, [0.5, 1, 3])
    XCTAssertEqual(made.exAccErr(length: 1)!, 100, accuracy: 1e-12)
    XCTAssertEqual(made.exAccErr(length: 2)!, 300, accuracy: 1e-12)
    XCTAssertEqual(made.exAccErr(length: 3)!, 100 * (4 - 3) / 3.0, accuracy: 1e-12)
    XCTAssertNil(made.exAccErr(length: 4))
  }

  func testPerPromptRowsAddUpToTheSums() throws {
    let oracle = try model(seed: 1)
    let student = try model(seed: 2)
    let prompts: [[Int32]] = [[1, 2, 3], [4], [5, 6, 7, 8, 9], [2, 2]]
    let measured = try ExposureBias.measure(
      student: student, oracle: oracle, prompts: prompts, maxNewTokens: 5, eos: 10, seed: 4,
      group: SingleProcessCollective(), batchSize: 3)
    XCTAssertEqual(measured.perPrompt.count, prompts.count)
    for t in 0..<5 {
      let rowsQ = measured.perPrompt.filter { $0.student.count > t }
      let rowsP = measured.perPrompt.filter { $0.oracle.count > t }
      XCTAssertEqual(measured.studentPrefixCount[t], Double(rowsQ.count))
      XCTAssertEqual(measured.oraclePrefixCount[t], Double(rowsP.count))
      XCTAssertEqual(measured.studentPrefixError[t], rowsQ.reduce(0) { $0 + $1.student[t] }, accuracy: 1e-12)
      XCTAssertEqual(measured.oraclePrefixError[t], rowsP.reduce(0) { $0 + $1.oracle[t] }, accuracy: 1e-12)
    }
  }

  func testTheBootstrapSpreadMatchesTheStandardErrorOfAMean() throws {
    // One step per response and an oracle error of 1 everywhere: ExAccErr(1) = 100·(mean e − 1),
    // so its bootstrap spread is 100 × the standard error of the mean of the student errors.
    let errors = (0..<60).map { Double($0 % 13) / 4 }
    let rows = errors.map { (student: [$0], oracle: [1.0]) }
    let made = ExposureBias(perPrompt: rows, selecting: Array(rows.indices), steps: 1)
    let mean = errors.reduce(0, +) / 60
    XCTAssertEqual(made.exAccErr(length: 1)!, 100 * (mean - 1), accuracy: 1e-9)
    let variance = errors.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 60
    let standardError = 100 * (variance / 60).squareRoot()
    let spread = try XCTUnwrap(made.exAccErrSpread(length: 1, resamples: 400, seed: 7))
    XCTAssertEqual(spread, standardError, accuracy: 0.12 * standardError)
    XCTAssertEqual(made.exAccErrSpread(length: 1, resamples: 400, seed: 7), spread, "one seed, one spread")
    XCTAssertNotEqual(made.exAccErrSpread(length: 1, resamples: 400, seed: 8), spread)
    let constant = ExposureBias(perPrompt: rows.map { _ in (student: [2.0], oracle: [1.0]) }, selecting: Array(0..<60), steps: 1)
    XCTAssertEqual(constant.exAccErrSpread(length: 1)!, 0, accuracy: 1e-9)
    XCTAssertNil(ExposureBias(studentPrefixError: [1], studentPrefixCount: [1], oraclePrefixError: [1], oraclePrefixCount: [1])
      .exAccErrSpread(length: 1), "no per-prompt rows, no spread")
  }
}
