// The synthetic task's exact checker: which family an instruction belongs to, and whether a
// response is a valid answer to it.

import Foundation

extension SyntheticTask {
  /// The family of an instruction, or nil when it is not one of the task's.
  public static func family(instruction: String) -> Family? {
    if parseArithmetic(instruction) != nil { return .arithmetic }
    if instruction == "Reverse the order of these words." { return .reverse }
    if instruction == "Sort these words alphabetically." { return .sort }
    if letterRange(instruction) != nil { return .letterRange }
    if countries.contains(where: {
      instruction == "What is the capital of \($0.name)?" || instruction == "Which river flows through \($0.name)?"
    }) { return .lookup }
    if categories.contains(where: { instruction == "Name a \($0.name)." }) { return .nameItem }
    if listCount(instruction, plurals: categories.map(\.plural), format: listItemsInstruction) != nil {
      return .listItems
    }
    if categories.contains(where: { instruction.hasPrefix("Complete the sentence with a \($0.name): ") }) {
      return .fillTemplate
    }
    if listCount(instruction, plurals: largeCategories.map(\.plural), format: listManyInstruction) != nil {
      return .listMany
    }
    if sequenceCount(instruction) != nil { return .numberSequence }
    return nil
  }

  /// Whether `response` is a valid answer to the record's instruction (and input). Whitespace
  /// at the ends and a final period are ignored; comparisons are case-insensitive; list items
  /// are separated by commas.
  public static func isValid(instruction: String, input: String, response: String) -> Bool {
    let answer = normalize(response)
    let items = answer.components(separatedBy: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    func distinctItems(_ n: Int, from allowed: [String]) -> Bool {
      items.count == n && Set(items).count == n && items.allSatisfy(allowed.contains)
    }
    /// n distinct items of the category the instruction `format(n, plural)` names.
    func listAnswerIsValid(_ categories: [(plural: String, items: [String])], format: (Int, String) -> String) -> Bool {
      for category in categories {
        if let n = listCount(instruction, plurals: [category.plural], format: format) { return distinctItems(n, from: category.items) }
      }
      return false
    }
    let given = input.components(separatedBy: ", ")
    switch family(instruction: instruction) {
    case .arithmetic:
      let (a, op, b) = parseArithmetic(instruction)!
      return answer == String(op == "plus" ? a + b : a - b)
    case .reverse:
      return answer == normalize(given.reversed().joined(separator: ", "))
    case .sort:
      return answer == normalize(given.sorted().joined(separator: ", "))
    case .lookup:
      for country in countries {
        if instruction == "What is the capital of \(country.name)?" { return answer == normalize(country.capital) }
        if instruction == "Which river flows through \(country.name)?" { return answer == normalize(country.river) }
      }
      return false
    case .nameItem:
      return categories.contains { instruction == "Name a \($0.name)." && $0.items.contains(answer) }
    case .listItems:
      return listAnswerIsValid(categories.map { ($0.plural, $0.items) }, format: listItemsInstruction)
    case .fillTemplate:
      for category in categories {
        let prefix = "Complete the sentence with a \(category.name): "
        guard instruction.hasPrefix(prefix) else { continue }
        let template = String(instruction.dropFirst(prefix.count))
        return category.items.contains { normalize(template.replacingOccurrences(of: "___", with: $0)) == answer }
      }
      return false
    case .letterRange:
      let range = letterRange(instruction)!
      return distinctItems(range.count, from: range)
    case .listMany:
      return listAnswerIsValid(largeCategories, format: listManyInstruction)
    case .numberSequence:
      let n = sequenceCount(instruction)!
      let numbers = items.compactMap { Int($0) }
      return numbers.count == n && items.allSatisfy { Int($0).map(String.init) == $0 }
        && zip(numbers, numbers.dropFirst()).allSatisfy { $0 < $1 }
        && numbers.allSatisfy { (1...numberSequenceMaximum).contains($0) }
    case nil:
      return false
    }
  }

  /// The form the checker compares: trimmed, lower-cased, without a final period.
  public static func normalize(_ text: String) -> String {
    var result = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    if result.hasSuffix(".") { result.removeLast() }
    return result
  }

  static func parseArithmetic(_ instruction: String) -> (Int, String, Int)? {
    let parts = instruction.split(separator: " ")
    guard parts.count == 5, parts[0] == "What", parts[1] == "is", parts[4].hasSuffix("?"),
      let a = Int(parts[2]), let b = Int(parts[4].dropLast()), parts[3] == "plus" || parts[3] == "minus"
    else { return nil }
    return (a, String(parts[3]), b)
  }

  /// n when the instruction is `format(n, plural)` for one of `plurals` and n in 1...16.
  static func listCount(_ instruction: String, plurals: [String], format: (Int, String) -> String) -> Int? {
    for plural in plurals {
      for n in 1...16 where instruction == format(n, plural) { return n }
    }
    return nil
  }

  /// The letters of "Write each letter from x to y exactly once, in any order." (x before y).
  static func letterRange(_ instruction: String) -> [String]? {
    let parts = instruction.split(separator: " ")
    guard parts.count == 12, let a = letters.firstIndex(of: String(parts[4])), let b = letters.firstIndex(of: String(parts[6])),
      a < b, instruction == letterRangeInstruction(letters[a], letters[b])
    else { return nil }
    return Array(letters[a...b])
  }

  /// n of "Write n different numbers from 1 to M in increasing order.".
  static func sequenceCount(_ instruction: String) -> Int? {
    for n in 1...numberSequenceMaximum
    where instruction == "Write \(n) different numbers from 1 to \(numberSequenceMaximum) in increasing order." {
      return n
    }
    return nil
  }
}
