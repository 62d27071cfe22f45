// The embedded default task: instruction data generated from a seed with no files, mixing
// families with one correct answer and families with many valid answers (some of them long),
// with a checker that says whether a response is valid (SyntheticTaskChecker.swift).

import Foundation

/// Generates and checks the synthetic instruction task.
///
/// Single-answer families: arithmetic, reversing a list, sorting a list, looking up a fact in a
/// fixed made-up table. Many-answer families with short answers: name an item of a category,
/// list 2–4 distinct items of a category, fill a sentence template with an item. Many-answer
/// families with long answers (9–27 tokens), where a student that spreads its mass over all
/// valid answers produces invalid mixtures (duplicates, omissions, wrong items): write each
/// letter of an alphabet range of 5–14 letters ("from c to m") exactly once, in any order;
/// list 5–10 distinct items of a 16-item category; write 5–12 distinct numbers from 1 to 40 in
/// increasing order. The checker accepts every valid answer, but the training answers follow a
/// few simple modes a small teacher can learn, so the teacher's distribution is multi-modal:
/// the range forwards or backwards; a run of consecutive items of the category's alphabetical
/// list (wrapping around) from a random start; an arithmetic progression with a random start
/// and step 1–4. A student that switches modes inside one answer can write an invalid one. A
/// record with at most `maximumListedReferences` valid answers lists them all in `references`
/// (longer letter ranges list their two modes' answers).
public enum SyntheticTask {
  /// The families, in the order `generate` draws from.
  public enum Family: String, CaseIterable, Sendable {
    case arithmetic, reverse, sort, lookup, nameItem, listItems, fillTemplate, letterRange, listMany, numberSequence

    /// Whether the family has more than one valid answer per instruction.
    public var hasManyAnswers: Bool {
      switch self {
      case .arithmetic, .reverse, .sort, .lookup: return false
      default: return true
      }
    }
  }

  /// `count` records from `seed`; the same seed always gives the same records. Each record's
  /// family is drawn uniformly.
  public static func generate(count: Int, seed: UInt64) -> [InstructionRecord] {
    var draws = SyntheticDraws(seed: seed)
    func pick(_ n: Int) -> Int { draws.pick(n) }
    func distinct(_ k: Int, of items: [String]) -> [String] { draws.distinct(k, of: items) }
    var records: [InstructionRecord] = []
    for _ in 0..<count {
      let family = Family.allCases[pick(Family.allCases.count)]
      switch family {
      case .arithmetic:
        let a = pick(arithmeticRange)
        let b = pick(arithmeticRange)
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
        records.append(InstructionRecord(
          instruction: listItemsInstruction(n, category.plural),
          output: distinct(n, of: category.items).joined(separator: ", "),
          references: orderedSelections(n, of: category.items).map { $0.joined(separator: ", ") }))
      case .fillTemplate:
        let template = templates[pick(templates.count)]
        let category = categories[template.category]
        let options = category.items.map { template.text.replacingOccurrences(of: "___", with: $0) }
        records.append(InstructionRecord(
          instruction: "Complete the sentence with a \(category.name): \(template.text)",
          output: options[pick(options.count)], references: options))
      case .letterRange:
        let n = 5 + pick(10)
        let first = pick(letters.count - n + 1)
        let range = Array(letters[first..<(first + n)])
        let modes = [range, range.reversed()]
        let all = orderedSelections(n, of: range)
        records.append(InstructionRecord(
          instruction: letterRangeInstruction(range.first!, range.last!),
          output: modes[pick(modes.count)].joined(separator: ", "),
          references: (all.isEmpty ? modes : all).map { $0.joined(separator: ", ") }))
      case .listMany:
        let category = largeCategories[pick(largeCategories.count)]
        let n = 5 + pick(6)
        let start = pick(category.items.count)
        let run = (0..<n).map { category.items[(start + $0) % category.items.count] }
        records.append(InstructionRecord(
          instruction: listManyInstruction(n, category.plural), output: run.joined(separator: ", ")))
      case .numberSequence:
        let n = 5 + pick(8)
        let step = 1 + pick(min(4, (numberSequenceMaximum - 1) / (n - 1)))
        let first = 1 + pick(numberSequenceMaximum - (n - 1) * step)
        let numbers = (0..<n).map { first + $0 * step }
        records.append(InstructionRecord(
          instruction: "Write \(n) different numbers from 1 to \(numberSequenceMaximum) in increasing order.",
          output: numbers.map(String.init).joined(separator: ", ")))
      }
    }
    return records
  }

  /// The instruction of a `letterRange` record.
  static func letterRangeInstruction(_ first: String, _ last: String) -> String {
    "Write each letter from \(first) to \(last) exactly once, in any order."
  }

  /// The instruction of a `listItems` record.
  static func listItemsInstruction(_ n: Int, _ plural: String) -> String { "List \(n) different \(plural)." }

  /// The instruction of a `listMany` record.
  static func listManyInstruction(_ n: Int, _ plural: String) -> String { "Name \(n) different \(plural), separated by commas." }

  /// The lists in their first order of appearance, without repeats.
  static func distinctInOrder(_ lists: [[String]]) -> [[String]] {
    var seen = Set<[String]>()
    return lists.filter { seen.insert($0).inserted }
  }

  /// Every ordered selection of `k` distinct items, when there are at most
  /// `maximumListedReferences` of them; else none (the checker is then the only judge).
  static func orderedSelections(_ k: Int, of items: [String]) -> [[String]] {
    var count = 1
    for i in 0..<k {
      count *= items.count - i
      if count > maximumListedReferences { return [] }
    }
    var result: [[String]] = []
    func extend(_ prefix: [String], _ rest: [String]) {
      if prefix.count == k { result.append(prefix); return }
      for (i, item) in rest.enumerated() {
        var remaining = rest
        remaining.remove(at: i)
        extend(prefix + [item], remaining)
      }
    }
    extend([], items)
    return result
  }
}
