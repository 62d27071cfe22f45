// Instruction data in JSON Lines: one record per line with instruction, input and output
// (Dolly's context/response names are accepted too), plus optional reference answers.

import Foundation

/// One instruction-following example.
public struct InstructionRecord: Sendable, Equatable {
  public var instruction: String
  /// Context for the instruction; empty when there is none.
  public var input: String
  /// The reference response.
  public var output: String
  /// Further acceptable responses for evaluation (the `references` list), if any.
  public var references: [String]

  public init(instruction: String, input: String = "", output: String, references: [String] = []) {
    self.instruction = instruction
    self.input = input
    self.output = output
    self.references = references
  }

  /// The prompt text for this record in `template`.
  public func prompt(_ template: PromptTemplate) -> String { template.prompt(instruction: instruction, input: input) }

  /// Reads a JSONL file. Blank lines are skipped; any other problem (bad JSON, bad UTF-8, a
  /// missing or empty field) throws `DatasetError` naming the file, line and field.
  public static func readJSONL(_ path: String) throws -> [InstructionRecord] {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw DatasetError(path: path, "cannot read the file (\(error.localizedDescription))")
    }
    var records: [InstructionRecord] = []
    var lineNumber = 0
    for lineBytes in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      lineNumber += 1
      if lineBytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
      guard String(validating: lineBytes, as: UTF8.self) != nil else {
        throw DatasetError(path: path, line: lineNumber, "is not valid UTF-8")
      }
      guard let object = (try? JSONSerialization.jsonObject(with: Data(lineBytes))) as? [String: Any] else {
        throw DatasetError(path: path, line: lineNumber, "is not a JSON object")
      }
      func text(_ names: [String], required: Bool) throws -> String {
        for name in names {
          if let value = object[name] {
            guard let string = value as? String else {
              throw DatasetError(path: path, line: lineNumber, field: name, "must be a string")
            }
            return string
          }
        }
        if required {
          throw DatasetError(path: path, line: lineNumber, field: names[0], "is missing")
        }
        return ""
      }
      let instruction = try text(["instruction"], required: true)
      let input = try text(["input", "context"], required: false)
      let output = try text(["output", "response"], required: true)
      if instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
        throw DatasetError(path: path, line: lineNumber, field: "instruction", "is empty")
      }
      if output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
        throw DatasetError(path: path, line: lineNumber, field: "output", "is empty")
      }
      var references: [String] = []
      if let list = object["references"] {
        guard let strings = list as? [String] else {
          throw DatasetError(path: path, line: lineNumber, field: "references", "must be a list of strings")
        }
        references = strings
      }
      records.append(InstructionRecord(instruction: instruction, input: input, output: output, references: references))
    }
    return records
  }

  /// The record as one JSONL line (keys instruction, input, output, references when present).
  public var jsonLine: String {
    var object: [String: Any] = ["instruction": instruction, "input": input, "output": output]
    if !references.isEmpty { object["references"] = references }
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self)
  }
}
