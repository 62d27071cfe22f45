// The embedded default task: instruction data generated from a seed with no files, mixing
// families with one correct answer and families with many valid answers, plus a checker that
// says whether a response is valid for its instruction.

import Foundation
import Randomness

/// Generates and checks the synthetic instruction task.
///
/// Single-answer families: arithmetic, reversing a list, sorting a list, looking up a fact in a
/// fixed made-up table. Many-answer families: name an item of a category, list N distinct items
/// of a category, fill a sentence template with an item of a category. Many-answer records
/// carry every valid answer in `references`, so Rouge-L (max over references) and the checker
/// agree.
public enum SyntheticTask {
  /// The families, in the order `generate` cycles through them.
  public enum Family: String, CaseIterable, Sendable {
    case arithmetic, reverse, sort, lookup, nameItem, listItems, fillTemplate
  }

  static let categories: [(name: String, plural: String, items: [String])] = [
    ("fruit", "fruits", ["apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "pear", "plum"]),
    ("animal", "animals", ["bear", "cat", "dog", "fox", "horse", "lion", "owl", "tiger", "wolf"]),
    ("color", "colors", ["black", "blue", "brown", "green", "orange", "pink", "red", "white", "yellow"]),
  ]

  /// The made-up facts: country → (capital, river).
  static let countries: [(name: String, capital: String, river: String)] = [
    ("Zorvia", "Merith", "Olun"), ("Quandor", "Telsa", "Brim"), ("Valoria", "Kesh", "Amar"),
    ("Drellan", "Pobra", "Sito"), ("Ostmark", "Luvin", "Dera"), ("Fennic", "Harro", "Quill"),
    ("Talsund", "Ivra", "Mosk"), ("Brevia", "Caddo", "Renn"),
  ]

  static let words = ["stone", "river", "cloud", "lamp", "paper", "glass", "seed", "road", "bell", "coin"]

  static let templates: [(category: Int, text: String)] = [
    (2, "The door was painted ___."), (0, "For dessert she ate a ___."),
    (1, "In the forest we saw a ___."), (2, "His favorite shirt is ___."),
    (0, "The basket was full of ___ slices."), (1, "The children drew a ___ on the wall."),
  ]

  /// `count` records from `seed`; the same seed always gives the same records.
  public static func generate(count: Int, seed: UInt64) -> [InstructionRecord] {
    var random = SeededGenerator(seed: seed)
    func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
    func distinct(_ k: Int, of items: [String]) -> [String] {
      var pool = items
      var chosen: [String] = []
      for _ in 0..<k { chosen.append(pool.remove(at: pick(pool.count))) }
      return chosen
    }
    var records: [InstructionRecord] = []
    for _ in 0..<count {
      let family = Family.allCases[pick(Family.allCases.count)]
      switch family {
      case .arithmetic:
        let a = pick(50)
        let b = pick(50)
        let plus = pick(2) == 0
        let answer = plus ? a + b : a - b
        records.append(InstructionRecord(
          instruction: "What is \(a) \(plus ? "plus" : "minus") \(b)?", output: "\(answer)"))
      case .reverse:
        let items = distinct(3 + pick(3), of: words)
        records.append(InstructionRecord(
          instruction: "Reverse the order of these words.", input: items.joined(separator: ", "),
          output: items.reversed().joined(separator: ", ")))
      case .sort:
        let items = distinct(3 + pick(3), of: words)
        records.append(InstructionRecord(
          instruction: "Sort these words alphabetically.", input: items.joined(separator: ", "),
          output: items.sorted().joined(separator: ", ")))
      case .lookup:
        let country = countries[pick(countries.count)]
        let askCapital = pick(2) == 0
        records.append(InstructionRecord(
          instruction: askCapital
            ? "What is the capital of \(country.name)?" : "Which river flows through \(country.name)?",
          output: askCapital ? country.capital : country.river))
      case .nameItem:
        let category = categories[pick(categories.count)]
        let answer = category.items[pick(category.items.count)]
        records.append(InstructionRecord(
          instruction: "Name a \(category.name).", output: answer, references: category.items))
      case .listItems:
        let category = categories[pick(categories.count)]
        let n = 2 + pick(3)
        let answer = distinct(n, of: category.items).joined(separator: ", ")
        records.append(InstructionRecord(
          instruction: "List \(n) different \(category.plural).", output: answer))
      case .fillTemplate:
        let template = templates[pick(templates.count)]
        let category = categories[template.category]
        let options = category.items.map { template.text.replacingOccurrences(of: "___", with: $0) }
        records.append(InstructionRecord(
          instruction: "Complete the sentence with a \(category.name): \(template.text)",
          output: options[pick(options.count)], references: options))
      }
    }
    return records
  }

  /// Whether `response` is a valid answer to the record's instruction (and input). Whitespace
  /// at the ends and a final period are ignored; comparisons are case-insensitive.
  public static func isValid(instruction: String, input: String, response: String) -> Bool {
    let answer = normalize(response)
    if let (a, op, b) = parseArithmetic(instruction) {
      return answer == String(op == "plus" ? a + b : a - b)
    }
    if instruction == "Reverse the order of these words." {
      return answer == normalize(input.components(separatedBy: ", ").reversed().joined(separator: ", "))
    }
    if instruction == "Sort these words alphabetically." {
      return answer == normalize(input.components(separatedBy: ", ").sorted().joined(separator: ", "))
    }
    for country in countries {
      if instruction == "What is the capital of \(country.name)?" { return answer == normalize(country.capital) }
      if instruction == "Which river flows through \(country.name)?" { return answer == normalize(country.river) }
    }
    for category in categories {
      if instruction == "Name a \(category.name)." { return category.items.contains(answer) }
      for n in 1...9 where instruction == "List \(n) different \(category.plural)." {
        let items = answer.components(separatedBy: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return items.count == n && Set(items).count == n && items.allSatisfy(category.items.contains)
      }
      let prefix = "Complete the sentence with a \(category.name): "
      if instruction.hasPrefix(prefix) {
        let template = String(instruction.dropFirst(prefix.count))
        return category.items.contains { normalize(template.replacingOccurrences(of: "___", with: $0)) == answer }
      }
    }
    return false
  }

  static func normalize(_ text: String) -> String {
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
}
