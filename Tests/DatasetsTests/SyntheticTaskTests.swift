// The synthetic task: deterministic by seed, every family present, the checker accepts every
// reference answer and rejects corrupted ones.

import Datasets
import XCTest

final class SyntheticTaskTests: XCTestCase {
  func testDeterministicBySeed() {
    XCTAssertEqual(SyntheticTask.generate(count: 300, seed: 4), SyntheticTask.generate(count: 300, seed: 4))
    XCTAssertNotEqual(SyntheticTask.generate(count: 300, seed: 4), SyntheticTask.generate(count: 300, seed: 5))
  }

  func testCheckerAcceptsEveryReferenceAndCoversEveryFamily() {
    let records = SyntheticTask.generate(count: 2000, seed: 1)
    var manyAnswer = 0
    for record in records {
      XCTAssertTrue(
        SyntheticTask.isValid(instruction: record.instruction, input: record.input, response: record.output),
        "\(record)")
      for reference in record.references {
        XCTAssertTrue(SyntheticTask.isValid(instruction: record.instruction, input: record.input, response: reference))
      }
      if record.references.count > 1 { manyAnswer += 1 }
      // Formatting slack the checker allows: case, surrounding space, a final period.
      XCTAssertTrue(SyntheticTask.isValid(instruction: record.instruction, input: record.input, response: "  " + record.output.uppercased() + (record.output.hasSuffix(".") ? "" : ".") + "\n"))
    }
    XCTAssertGreaterThan(manyAnswer, 300)
    let instructions = records.map(\.instruction)
    for prefix in ["What is", "Reverse", "Sort", "What is the capital", "Which river", "Name a", "List", "Complete the sentence"] {
      XCTAssertTrue(instructions.contains { $0.hasPrefix(prefix) }, "no \(prefix) records")
    }
  }

  func testCheckerRejectsCorruptedAnswers() {
    for record in SyntheticTask.generate(count: 1000, seed: 2) {
      var corrupted: [String] = [record.output + " extra", "", "zzz"]
      if let number = Int(record.output) { corrupted.append(String(number + 1)) }
      let items = record.output.components(separatedBy: ", ")
      if items.count > 1 {
        corrupted.append(items.dropFirst().joined(separator: ", "))  // one item missing
        corrupted.append(([items[0]] + items.dropLast()).joined(separator: ", "))  // a duplicate
        if record.instruction.hasPrefix("Reverse") || record.instruction.hasPrefix("Sort") {
          corrupted.append(Array(items.reversed()).joined(separator: ", ") == record.output ? items.joined(separator: ", ") + "," : items.reversed().joined(separator: ", "))
        }
      }
      for answer in corrupted where answer != record.output {
        XCTAssertFalse(
          SyntheticTask.isValid(instruction: record.instruction, input: record.input, response: answer),
          "accepted \(answer.debugDescription) for \(record.instruction) \(record.input)")
      }
    }
    XCTAssertFalse(SyntheticTask.isValid(instruction: "Unknown task?", input: "", response: "anything"))
  }

  func testTrainValidationSplitIsDisjointAndComplete() {
    let records = Array(0..<50)
    let (train, validation) = splitTrainValidation(records, validationCount: 12, seed: 3)
    XCTAssertEqual(validation.count, 12)
    XCTAssertEqual(Set(train).union(validation), Set(records))
    XCTAssertTrue(Set(train).isDisjoint(with: validation))
    XCTAssertEqual(splitTrainValidation(records, validationCount: 12, seed: 3).validation, validation)
  }
}
