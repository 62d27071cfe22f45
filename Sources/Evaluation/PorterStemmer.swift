// The Porter suffix-stripping stemmer, behaving like NLTK's `PorterStemmer()` in its default
// NLTK_EXTENSIONS mode, which is the stemmer rouge-score applies when `use_stemmer=True`.

/// Reduces English words to stems with the Porter algorithm, including the NLTK extensions
/// (irregular forms, `-ies`/`-ied` on four-letter words, `(*c and not c) Y -> I`, `-alli`,
/// `-fulli`, `-logi`, and the two-letter `*o` rule).
///
/// Letters are handled as Unicode scalars, the way Python indexes a `str`. The vowels are
/// `a e i o u` (and `y` after a consonant); every other scalar, digits included, counts as a
/// consonant. The stemmer holds no state, so one value can be shared freely.
public struct PorterStemmer: Sendable {
  /// Creates a stemmer.
  public init() {}

  /// Returns the stem of `word`, lowercased first as NLTK does.
  ///
  /// Lowercasing uses Swift's `lowercased()`, the same full Unicode mapping as Python's
  /// `str.lower()` (so `İ` becomes `i` + U+0307) except for context-dependent rules such as a
  /// word-final capital sigma. Words of at most two Unicode scalars come back lowercased but
  /// otherwise unchanged.
  public func stem(_ word: String) -> String {
    let lowered = word.lowercased()
    if let irregular = Self.irregularStems[lowered] { return irregular }
    if word.unicodeScalars.count <= 2 { return lowered }
    var letters = Array(lowered.unicodeScalars)
    letters = step1a(letters)
    letters = step1b(letters)
    letters = step1c(letters)
    letters = step2(letters)
    letters = step3(letters)
    letters = step4(letters)
    letters = step5a(letters)
    letters = step5b(letters)
    var stem = ""
    stem.unicodeScalars.append(contentsOf: letters)
    return stem
  }

  // MARK: - Irregular forms

  /// Words NLTK maps straight to a fixed stem, skipping the suffix rules.
  static let irregularStems: [String: String] = [
    "sky": "sky", "skies": "sky",
    "dying": "die", "lying": "lie", "tying": "tie",
    "news": "news",
    "innings": "inning", "inning": "inning",
    "outings": "outing", "outing": "outing",
    "cannings": "canning", "canning": "canning",
    "howe": "howe",
    "proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
  ]

  // MARK: - Steps

  /// Plural endings: `sses -> ss`, `ies -> i` (`ie` for four-letter words), `ss`, `s -> `.
  private func step1a(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
    if word.count == 4 && word.hasSuffix(Self.ies) {
      return word.dropLast(3) + Self.ie
    }
    return applyFirstMatchingRule(Self.step1aRules, to: word)
  }

  /// Past tense and gerund endings (`eed`, `ed`, `ing`, NLTK's `ied`), then the tidy-up that
  /// restores an `e` or undoubles a final consonant.
  private func step1b(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
    if word.hasSuffix(Self.ied) {
      return word.dropLast(3) + (word.count == 4 ? Self.ie : Self.i)
    }
    if word.hasSuffix(Self.eed) {
      let stem = Array(word.dropLast(3))
      return measure(stem) > 0 ? stem + Self.ee : word
    }
    // A word ends with at most one of `ed` and `ing`; it goes only if a vowel is left.
    guard let suffix = [Self.ed, Self.ing].first(where: { word.hasSuffix($0) }) else {
      return word
    }
    let stem = Array(word.dropLast(suffix.count))
    guard containsVowel(stem) else { return word }

    for (suffix, replacement) in Self.step1bRestoredEndings where stem.hasSuffix(suffix) {
      return stem.dropLast(suffix.count) + replacement
    }
    if endsWithDoubleConsonant(stem) {
      return Self.keptDoubles.contains(stem[stem.count - 1]) ? stem : Array(stem.dropLast())
    }
    return measure(stem) == 1 && endsConsonantVowelConsonant(stem) ? stem + Self.e : stem
  }

  /// `y -> i` when the letter before the `y` is a consonant other than the first letter
  /// (`happy -> happi`, `cry -> cri`; `by` and `enjoy` stay).
  private func step1c(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
    guard word.last == "y" else { return word }
    let stem = Array(word.dropLast())
    return stem.count > 1 && isConsonant(stem, at: stem.count - 1) ? stem + Self.i : word
  }

  /// Double suffixes such as `ational -> ate` or `iveness -> ive`, for stems with measure > 0.
  private func step2(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
    if word.hasSuffix(Self.alli) && measure(Array(word.dropLast(4))) > 0 {
      return step2(word.dropLast(4) + Self.al)
    }
    return applyFirstMatchingRule(Self.step2Rules, to: word)
  }

  /// `-icate`, `-ative`, `-alize`, `-iciti`, `-ical`, `-ful`, `-ness`, for measure > 0.
  private func step3(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
    applyFirstMatchingRule(Self.step3Rules, to: word)
  }

  /// Single suffixes such as `-ance` or `-ment`, removed when the stem has measure > 1.
  private func step4(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
    applyFirstMatchingRule(Self.step4Rules, to: word)
  }

  /// A final `e` goes when the measure is > 1, or is 1 and the stem does not end c-v-c.
  private func step5a(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
    guard word.last == "e" else { return word }
    let stem = Array(word.dropLast())
    let m = measure(stem)
    return m > 1 || (m == 1 && !endsConsonantVowelConsonant(stem)) ? stem : word
  }

  /// A final `ll` becomes `l` when the word minus one `l` has measure > 1.
  private func step5b(_ word: [Unicode.Scalar]) -> [Unicode.Scalar] {
    guard word.hasSuffix(Self.ll) else { return word }
    let shortened = Array(word.dropLast())
    return measure(shortened) > 1 ? shortened : word
  }

  // MARK: - Rules

  /// When a suffix rule may fire, judged on the stem left after removing the suffix.
  private enum Condition: Sendable {
    case always
    case measureAbove0
    case measureAbove1
    /// Step 4's `ion`: measure > 1 and the stem ends in `s` or `t`.
    case measureAbove1EndingInSOrT
    /// NLTK's `logi`: the word minus its last three letters (the stem plus `l`) has measure > 0.
    case measureAbove0KeepingL
  }

  /// Replace `suffix` by `replacement` when `condition` holds.
  private struct SuffixRule: Sendable {
    let suffix: [Unicode.Scalar]
    let replacement: [Unicode.Scalar]
    let condition: Condition

    init(_ suffix: String, _ replacement: String, _ condition: Condition) {
      self.suffix = Array(suffix.unicodeScalars)
      self.replacement = Array(replacement.unicodeScalars)
      self.condition = condition
    }
  }

  /// Applies the first rule whose suffix the word ends with; when that rule's condition fails the
  /// word is returned unchanged and later rules are not tried.
  private func applyFirstMatchingRule(
    _ rules: [SuffixRule], to word: [Unicode.Scalar]
  ) -> [Unicode.Scalar] {
    guard let rule = rules.first(where: { word.hasSuffix($0.suffix) }) else { return word }
    let stem = Array(word.dropLast(rule.suffix.count))
    let applies: Bool
    switch rule.condition {
    case .always: applies = true
    case .measureAbove0: applies = measure(stem) > 0
    case .measureAbove1: applies = measure(stem) > 1
    case .measureAbove1EndingInSOrT:
      applies = measure(stem) > 1 && (stem.last == "s" || stem.last == "t")
    case .measureAbove0KeepingL: applies = measure(Array(word.dropLast(3))) > 0
    }
    return applies ? stem + rule.replacement : word
  }

  private static let step1aRules = [
    SuffixRule("sses", "ss", .always), SuffixRule("ies", "i", .always),
    SuffixRule("ss", "ss", .always), SuffixRule("s", "", .always),
  ]

  /// Endings that get their `e` back after `ed`/`ing` is removed (`conflat(ed) -> conflate`).
  private static let step1bRestoredEndings: [([Unicode.Scalar], [Unicode.Scalar])] = [
    ("at", "ate"), ("bl", "ble"), ("iz", "ize"),
  ].map { (Array($0.0.unicodeScalars), Array($0.1.unicodeScalars)) }

  /// Doubled letters step 1b keeps (`fall(ing)`, `hiss(ing)`, `fizz(ed)`).
  private static let keptDoubles: Set<Unicode.Scalar> = ["l", "s", "z"]

  private static let step2Rules = [
    SuffixRule("ational", "ate", .measureAbove0), SuffixRule("tional", "tion", .measureAbove0),
    SuffixRule("enci", "ence", .measureAbove0), SuffixRule("anci", "ance", .measureAbove0),
    SuffixRule("izer", "ize", .measureAbove0), SuffixRule("bli", "ble", .measureAbove0),
    SuffixRule("alli", "al", .measureAbove0), SuffixRule("entli", "ent", .measureAbove0),
    SuffixRule("eli", "e", .measureAbove0), SuffixRule("ousli", "ous", .measureAbove0),
    SuffixRule("ization", "ize", .measureAbove0), SuffixRule("ation", "ate", .measureAbove0),
    SuffixRule("ator", "ate", .measureAbove0), SuffixRule("alism", "al", .measureAbove0),
    SuffixRule("iveness", "ive", .measureAbove0), SuffixRule("fulness", "ful", .measureAbove0),
    SuffixRule("ousness", "ous", .measureAbove0), SuffixRule("aliti", "al", .measureAbove0),
    SuffixRule("iviti", "ive", .measureAbove0), SuffixRule("biliti", "ble", .measureAbove0),
    SuffixRule("fulli", "ful", .measureAbove0), SuffixRule("logi", "log", .measureAbove0KeepingL),
  ]

  private static let step3Rules = [
    SuffixRule("icate", "ic", .measureAbove0), SuffixRule("ative", "", .measureAbove0),
    SuffixRule("alize", "al", .measureAbove0), SuffixRule("iciti", "ic", .measureAbove0),
    SuffixRule("ical", "ic", .measureAbove0), SuffixRule("ful", "", .measureAbove0),
    SuffixRule("ness", "", .measureAbove0),
  ]

  private static let step4Rules = [
    SuffixRule("al", "", .measureAbove1), SuffixRule("ance", "", .measureAbove1),
    SuffixRule("ence", "", .measureAbove1), SuffixRule("er", "", .measureAbove1),
    SuffixRule("ic", "", .measureAbove1), SuffixRule("able", "", .measureAbove1),
    SuffixRule("ible", "", .measureAbove1), SuffixRule("ant", "", .measureAbove1),
    SuffixRule("ement", "", .measureAbove1), SuffixRule("ment", "", .measureAbove1),
    SuffixRule("ent", "", .measureAbove1), SuffixRule("ion", "", .measureAbove1EndingInSOrT),
    SuffixRule("ou", "", .measureAbove1), SuffixRule("ism", "", .measureAbove1),
    SuffixRule("ate", "", .measureAbove1), SuffixRule("iti", "", .measureAbove1),
    SuffixRule("ous", "", .measureAbove1), SuffixRule("ive", "", .measureAbove1),
    SuffixRule("ize", "", .measureAbove1),
  ]

  private static let e: [Unicode.Scalar] = ["e"]
  private static let i: [Unicode.Scalar] = ["i"]
  private static let al: [Unicode.Scalar] = ["a", "l"]
  private static let ed: [Unicode.Scalar] = ["e", "d"]
  private static let ee: [Unicode.Scalar] = ["e", "e"]
  private static let ie: [Unicode.Scalar] = ["i", "e"]
  private static let ll: [Unicode.Scalar] = ["l", "l"]
  private static let eed: [Unicode.Scalar] = ["e", "e", "d"]
  private static let ied: [Unicode.Scalar] = ["i", "e", "d"]
  private static let ies: [Unicode.Scalar] = ["i", "e", "s"]
  private static let ing: [Unicode.Scalar] = ["i", "n", "g"]
  private static let alli: [Unicode.Scalar] = ["a", "l", "l", "i"]

  // MARK: - Letter classes

  private static func isVowelLetter(_ letter: Unicode.Scalar) -> Bool {
    letter == "a" || letter == "e" || letter == "i" || letter == "o" || letter == "u"
  }

  /// Whether `word[index]` is a consonant: not a vowel letter, and a `y` only when the letter
  /// before it is a vowel (or it starts the word).
  private func isConsonant(_ word: [Unicode.Scalar], at index: Int) -> Bool {
    let letter = word[index]
    if Self.isVowelLetter(letter) { return false }
    if letter != "y" { return true }
    return index == 0 || !isConsonant(word, at: index - 1)
  }

  /// Porter's measure m of `[C](VC){m}[V]`: the number of vowel-to-consonant transitions.
  private func measure(_ stem: [Unicode.Scalar]) -> Int {
    var count = 0
    var previousIsConsonant = true
    for (index, letter) in stem.enumerated() {
      let isConsonant = classify(letter, first: index == 0, afterConsonant: previousIsConsonant)
      if isConsonant && !previousIsConsonant { count += 1 }
      previousIsConsonant = isConsonant
    }
    return count
  }

  /// Porter's `*v*`: the stem contains a vowel.
  private func containsVowel(_ stem: [Unicode.Scalar]) -> Bool {
    var previousIsConsonant = true
    for (index, letter) in stem.enumerated() {
      previousIsConsonant = classify(letter, first: index == 0, afterConsonant: previousIsConsonant)
      if !previousIsConsonant { return true }
    }
    return false
  }

  /// Whether `letter` is a consonant, given whether it starts the word and whether the letter
  /// before it is a consonant (which decides a `y`).
  private func classify(_ letter: Unicode.Scalar, first: Bool, afterConsonant: Bool) -> Bool {
    if Self.isVowelLetter(letter) { return false }
    return letter != "y" || first || !afterConsonant
  }

  /// Porter's `*d`: the word ends with two identical consonants.
  private func endsWithDoubleConsonant(_ word: [Unicode.Scalar]) -> Bool {
    let n = word.count
    return n >= 2 && word[n - 1] == word[n - 2] && isConsonant(word, at: n - 1)
  }

  /// Porter's `*o`: the word ends consonant-vowel-consonant and the last letter is not `w`, `x`
  /// or `y`; NLTK also accepts a two-letter word that is vowel-consonant.
  private func endsConsonantVowelConsonant(_ word: [Unicode.Scalar]) -> Bool {
    let n = word.count
    if n >= 3 && isConsonant(word, at: n - 3) && !isConsonant(word, at: n - 2)
      && isConsonant(word, at: n - 1) && !["w", "x", "y"].contains(word[n - 1])
    {
      return true
    }
    return n == 2 && !isConsonant(word, at: 0) && isConsonant(word, at: 1)
  }
}

extension Array where Element == Unicode.Scalar {
  /// Whether the letters end with `suffix` (an empty suffix always matches).
  fileprivate func hasSuffix(_ suffix: [Unicode.Scalar]) -> Bool {
    count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
  }
}
