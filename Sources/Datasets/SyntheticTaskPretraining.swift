// Unlabelled text of the synthetic task's domain, the default D_PT for MiniLLM's L_PT term:
// the task's vocabulary and formats (lists of category items, letter sets, number sequences,
// filled sentence templates), but no instruction and no answer to one.


extension SyntheticTask {
  /// `documents` paragraphs of domain text from `seed`, separated by blank lines (the
  /// paragraph form `PretrainingCorpus` reads). Kinds, drawn uniformly: a list of 2–10 distinct
  /// items of a category ("Some birds: crow, jay, swan."), 2–16 distinct letters in random
  /// order, 2–12 distinct numbers from 1 to 40 in increasing order, a filled template sentence,
  /// a list of 2–5 of the task's words in random order. Arithmetic results, sorted or reversed
  /// word lists and the made-up facts never appear, so the text answers no instruction of the
  /// single-answer families.
  public static func pretrainingText(documents: Int, seed: UInt64) -> String {
    var draws = SyntheticDraws(seed: seed)
    func pick(_ n: Int) -> Int { draws.pick(n) }
    func distinct(_ k: Int, of items: [String]) -> [String] { draws.distinct(k, of: items) }
    let allCategories = categories.map { (plural: $0.plural, items: $0.items) } + largeCategories
    var paragraphs: [String] = []
    for _ in 0..<documents {
      switch pick(5) {
      case 0:
        let category = allCategories[pick(allCategories.count)]
        let n = 2 + pick(min(9, category.items.count - 1))
        paragraphs.append("Some \(category.plural): " + distinct(n, of: category.items).joined(separator: ", ") + ".")
      case 1:
        paragraphs.append("Letters: " + distinct(2 + pick(15), of: letters).joined(separator: ", ") + ".")
      case 2:
        let numbers = distinct(2 + pick(11), of: (1...numberSequenceMaximum).map(String.init)).map { Int($0)! }.sorted()
        paragraphs.append("Numbers in order: " + numbers.map(String.init).joined(separator: ", ") + ".")
      case 3:
        let template = templates[pick(templates.count)]
        let items = categories[template.category].items
        paragraphs.append(template.text.replacingOccurrences(of: "___", with: items[pick(items.count)]))
      default:
        paragraphs.append("Words: " + distinct(2 + pick(4), of: words).joined(separator: ", ") + ".")
      }
    }
    return paragraphs.joined(separator: "\n\n") + "\n"
  }
}
