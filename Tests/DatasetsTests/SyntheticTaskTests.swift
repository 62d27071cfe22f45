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
    for prefix in ["What is", "Reverse", "Sort", "What is the capital", "Which river", "Name a", "List", "Complete the sentence",
      "Write each letter from", "Name 7 different", "Write 9 different numbers"] {
      XCTAssertTrue(instructions.contains { $0.hasPrefix(prefix) }, "no \(prefix) records")
    }
    // Every record's family is recognized, every family occurs, and the families drawn are
    // roughly uniform (2000 records, 10 families: 200 expected each).
    var counts: [SyntheticTask.Family: Int] = [:]
    for record in records {
      guard let family = SyntheticTask.family(instruction: record.instruction) else { return XCTFail("no family for \(record)") }
      counts[family, default: 0] += 1
    }
    XCTAssertEqual(Set(counts.keys), Set(SyntheticTask.Family.allCases))
    XCTAssertTrue(counts.values.allSatisfy { (140...260).contains($0) }, "\(counts)")
  }

  func testReferencesListEveryValidAnswerWhenFewAndLongFamiliesHaveLongAnswers() {
    for record in SyntheticTask.generate(count: 3000, seed: 7) {
      let family = SyntheticTask.family(instruction: record.instruction)!
      let items = record.output.components(separatedBy: ", ")
      switch family {
      case .listItems where items.count == 2:
        XCTAssertEqual(record.references.count, 72)  // ordered pairs of 9 items
      case .letterRange:
        let n = items.count
        XCTAssertTrue((5...14).contains(n))
        XCTAssertTrue(record.input.isEmpty)
        // The output is the range forwards or backwards: consecutive letters, each once.
        let codes = items.map { Int($0.unicodeScalars.first!.value) }
        let steps = Set(zip(codes, codes.dropFirst()).map { $1 - $0 })
        XCTAssertTrue(steps == [1] || steps == [-1], "\(record)")
        XCTAssertTrue(record.instruction.contains("from \(UnicodeScalar(UInt8(codes.min()!))) to \(UnicodeScalar(UInt8(codes.max()!))) "), "\(record)")
        if n == 5 {
          XCTAssertEqual(record.references.count, 120, "\(record)")
        } else {
          XCTAssertEqual(record.references.count, 2, "\(record)")
          XCTAssertTrue(record.references.contains(record.output))
        }
        XCTAssertEqual(Set(record.references).count, record.references.count)
      case .listMany:
        XCTAssertTrue((5...10).contains(items.count))
        XCTAssertTrue(record.references.isEmpty)
      case .numberSequence:
        XCTAssertTrue((5...12).contains(items.count))
        XCTAssertEqual(items.map { Int($0)! }, items.map { Int($0)! }.sorted())
      case .arithmetic:
        let operands = record.instruction.dropLast().split(separator: " ").compactMap { Int($0) }
        XCTAssertEqual(operands.count, 2)
        XCTAssertTrue(operands.allSatisfy { (0..<10).contains($0) }, record.instruction)
      default:
        break
      }
      XCTAssertLessThanOrEqual(record.references.count, SyntheticTask.maximumListedReferences)
    }
  }

  func testLongFamiliesRejectInvalidMixtures() {
    let letters = "Write each letter from a to e exactly once, in any order."
    XCTAssertTrue(SyntheticTask.isValid(instruction: letters, input: "", response: "d, a, c, b, e"))
    XCTAssertTrue(SyntheticTask.isValid(instruction: letters, input: "", response: "e, d, c, b, a"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: letters, input: "", response: "d, a, c, a, e"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: letters, input: "", response: "d, a, c, b"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: letters, input: "", response: "d, a, c, b, e, f"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: letters, input: "", response: "a, b, c, e, f"))
    // A range that runs backwards in the instruction, or a letter that is not one, is no family.
    XCTAssertNil(SyntheticTask.family(instruction: "Write each letter from e to a exactly once, in any order."))
    XCTAssertNil(SyntheticTask.family(instruction: "Write each letter from a to 7 exactly once, in any order."))
    let birds = "Name 5 different birds, separated by commas."
    XCTAssertTrue(SyntheticTask.isValid(instruction: birds, input: "", response: "crow, wren, swan, jay, dove"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: birds, input: "", response: "crow, wren, swan, jay, crow"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: birds, input: "", response: "crow, wren, swan, jay, axe"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: birds, input: "", response: "crow, wren, swan, jay"))
    let numbers = "Write 5 different numbers from 1 to 40 in increasing order."
    XCTAssertTrue(SyntheticTask.isValid(instruction: numbers, input: "", response: "2, 7, 19, 33, 40"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: numbers, input: "", response: "2, 7, 19, 19, 40"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: numbers, input: "", response: "2, 7, 33, 19, 40"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: numbers, input: "", response: "2, 7, 19, 33, 41"))
    XCTAssertFalse(SyntheticTask.isValid(instruction: numbers, input: "", response: "02, 7, 19, 33, 40"))
    XCTAssertEqual(SyntheticTask.family(instruction: "Name 5 different birds."), nil)
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
