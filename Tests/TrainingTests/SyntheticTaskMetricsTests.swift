// The synthetic task's breakdown: valid rate per family and length bucket, distinct valid
// answers per prompt over seeds, the single-answer subset used for calibration.

import Datasets
import Training
import XCTest

final class SyntheticTaskMetricsTests: XCTestCase {
  let records = [
    InstructionRecord(instruction: "What is 3 plus 4?", output: "7"),
    InstructionRecord(instruction: "Name 5 different birds, separated by commas.", output: "crow, wren, swan, jay, dove"),
    InstructionRecord(instruction: "Name a fruit.", output: "apple"),
    InstructionRecord(instruction: "Write each letter from a to d exactly once, in any order.", output: "a, b, c, d"),
  ]

  func testBreakdownByFamilyAndLength() {
    let metrics = SyntheticTaskMetrics(records: records, referenceLengths: [1, 10, 1, 30])
    let valid = metrics.validity(["7", "crow, crow, swan, jay, dove", "Pear.", "d, c, b, a"])
    XCTAssertEqual(valid, [true, false, true, true])
    let breakdown = metrics.breakdown(valid)
    XCTAssertEqual(breakdown["valid_rate/arithmetic"], 100)
    XCTAssertEqual(breakdown["valid_rate/listMany"], 0)
    XCTAssertEqual(breakdown["valid_rate/nameItem"], 100)
    XCTAssertEqual(breakdown["valid_rate/letterRange"], 100)
    XCTAssertNil(breakdown["valid_rate/sort"])  // absent from the set
    XCTAssertEqual(breakdown["valid_rate/length_1-4"], 100)
    XCTAssertEqual(breakdown["valid_rate/length_5-12"], 0)
    XCTAssertEqual(breakdown["valid_rate/length_25+"], 100)
    XCTAssertNil(breakdown["valid_rate/length_13-24"])
    XCTAssertEqual(metrics.singleAnswerIndices, [0])
  }

  func testDistinctValidAnswersPerPromptOverSeeds() {
    let metrics = SyntheticTaskMetrics(records: records, referenceLengths: [1, 10, 1, 7])
    let seeds = [
      ["7", "crow, wren, swan, jay, dove", "apple", "a, b, c, d"],
      ["7", "Crow, wren, swan, jay, dove.", "pear", "a, b, c"],  // same list again; letters invalid
      ["8", "dove, wren, swan, jay, crow", "stone", "b, a, c, d"],
    ]
    // Many-answer prompts: birds 2 distinct valid, fruit 2 (apple, pear), letters 2 → mean 2.
    XCTAssertEqual(metrics.distinctValidPerPrompt(seeds)!, 2, accuracy: 1e-12)
  }
}
