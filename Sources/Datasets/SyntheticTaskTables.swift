// The fixed tables the synthetic task draws from: categories of items, the made-up facts,
// the words to reverse and sort, the sentence templates and the letters.

extension SyntheticTask {
  /// Small categories (9 items): `nameItem`, `listItems` (2–4 items) and `fillTemplate`.
  static let categories: [(name: String, plural: String, items: [String])] = [
    ("fruit", "fruits", ["apple", "banana", "cherry", "grape", "lemon", "mango", "peach", "pear", "plum"]),
    ("animal", "animals", ["bear", "cat", "dog", "fox", "horse", "lion", "owl", "tiger", "wolf"]),
    ("color", "colors", ["black", "blue", "brown", "green", "orange", "pink", "red", "white", "yellow"]),
  ]

  /// Large categories (16 items) for `listMany` (5–10 items): many valid lists, long answers.
  static let largeCategories: [(plural: String, items: [String])] = [
    ("vegetables", ["bean", "beet", "cabbage", "carrot", "celery", "corn", "garlic", "kale", "leek", "lettuce",
      "onion", "pea", "pepper", "potato", "radish", "spinach"]),
    ("tools", ["anvil", "axe", "chisel", "drill", "file", "hammer", "ladder", "level", "mallet", "pliers", "rake",
      "saw", "shovel", "spade", "vise", "wrench"]),
    ("birds", ["crane", "crow", "dove", "duck", "eagle", "finch", "goose", "gull", "hawk", "heron", "jay", "lark",
      "robin", "swan", "swift", "wren"]),
  ]

  /// The made-up facts: country → (capital, river).
  static let countries: [(name: String, capital: String, river: String)] = [
    ("Zorvia", "Merith", "Olun"), ("Quandor", "Telsa", "Brim"), ("Valoria", "Kesh", "Amar"),
    ("Drellan", "Pobra", "Sito"), ("Ostmark", "Luvin", "Dera"), ("Fennic", "Harro", "Quill"),
    ("Talsund", "Ivra", "Mosk"), ("Brevia", "Caddo", "Renn"),
  ]

  static let words = ["stone", "river", "cloud", "lamp", "paper", "glass", "seed", "road", "bell", "coin"]

  static let letters = (UInt8(ascii: "a")...UInt8(ascii: "z")).map { String(UnicodeScalar($0)) }

  static let templates: [(category: Int, text: String)] = [
    (2, "The door was painted ___."), (0, "For dessert she ate a ___."),
    (1, "In the forest we saw a ___."), (2, "His favorite shirt is ___."),
    (0, "The basket was full of ___ slices."), (1, "The children drew a ___ on the wall."),
  ]

  /// Operands of `arithmetic` are drawn from 0..<arithmeticRange: 200 problems, so a training
  /// set of a few thousand records covers nearly all of them and a teacher can be right on
  /// almost every one (with operands below 50 no model of this size generalizes).
  static let arithmeticRange = 10

  /// `numberSequence` draws from 1...numberSequenceMaximum.
  static let numberSequenceMaximum = 40

  /// Records with at most this many valid answers list them all in `references`.
  public static let maximumListedReferences = 120
}
