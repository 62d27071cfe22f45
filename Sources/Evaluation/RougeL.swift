// ROUGE-L (longest common subsequence) scores with the tokenization and arithmetic of the Python
// `rouge-score` package: `RougeScorer(["rougeL"], use_stemmer=True)`.

/// Precision, recall and F-measure of one ROUGE comparison, each in [0, 1].
public struct RougeScore: Sendable, Equatable {
  /// Matched tokens over candidate tokens.
  public var precision: Double
  /// Matched tokens over reference tokens.
  public var recall: Double
  /// Harmonic mean of precision and recall (0 when both are 0).
  public var fmeasure: Double

  /// Creates a score from its three parts.
  public init(precision: Double, recall: Double, fmeasure: Double) {
    self.precision = precision
    self.recall = recall
    self.fmeasure = fmeasure
  }

  /// The score of a comparison with nothing in common (or an empty side).
  public static let zero = RougeScore(precision: 0, recall: 0, fmeasure: 0)
}

/// ROUGE-L as computed by `rouge_score.rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)`,
/// bit for bit: same tokens, same LCS, same floating-point operations. Passing `stem: false`
/// gives `use_stemmer=False` instead.
public enum RougeL {
  private static let stemmer = PorterStemmer()

  /// Splits text into ROUGE tokens: lowercase, every run of characters other than ASCII `a-z`
  /// and `0-9` becomes a separator, and (when `stem` is true) tokens longer than three characters
  /// are Porter-stemmed.
  ///
  /// Non-ASCII text follows Python's `str.lower()` followed by the ASCII-only pattern
  /// `[^a-z0-9]+`: accented letters, CJK, emoji, `ß` and non-ASCII digits all act as separators
  /// (`café` gives `caf`). Only two non-ASCII characters lowercase to ASCII in Python and so
  /// survive: `İ` (U+0130, becomes `i` followed by a separating combining dot) and the Kelvin
  /// sign `K` (U+212A, becomes `k`).
  public static func tokenize(_ text: String, stem: Bool = true) -> [String] {
    var tokens: [String] = []
    var word: [UInt8] = []  // the ASCII letters and digits of the token being read
    var stems: [String: String] = [:]  // words repeat a lot within one text
    func endToken() {
      guard !word.isEmpty else { return }
      let token = String(decoding: word, as: UTF8.self)
      if stem && word.count > 3 {
        if let known = stems[token] {
          tokens.append(known)
        } else {
          let stemmed = stemmer.stem(token)
          stems[token] = stemmed
          tokens.append(stemmed)
        }
      } else {
        tokens.append(token)
      }
      word.removeAll(keepingCapacity: true)
    }
    for scalar in text.unicodeScalars {
      switch scalar.value {
      case 0x61...0x7A, 0x30...0x39:  // a-z, 0-9
        word.append(UInt8(scalar.value))
      case 0x41...0x5A:  // A-Z
        word.append(UInt8(scalar.value + 0x20))
      case 0x130:  // İ lowercases to "i" + U+0307, and the combining dot separates
        word.append(UInt8(ascii: "i"))
        endToken()
      case 0x212A:  // Kelvin sign lowercases to "k"
        word.append(UInt8(ascii: "k"))
      default:
        endToken()
      }
    }
    endToken()
    return tokens
  }

  /// ROUGE-L of `candidate` against one `reference`: with L the length of their longest common
  /// token subsequence, precision = L / candidate tokens, recall = L / reference tokens. When
  /// either side has no tokens the score is zero.
  public static func score(candidate: String, reference: String, stem: Bool = true) -> RougeScore {
    score(
      candidateTokens: tokenize(candidate, stem: stem),
      referenceTokens: tokenize(reference, stem: stem))
  }

  /// The best ROUGE-L of `candidate` over `references`, as rouge-score's `score_multi`: the
  /// whole score (precision and recall included) of the reference with the highest F-measure,
  /// the first one on ties. With no references the score is zero (rouge-score raises instead).
  public static func score(
    candidate: String, references: [String], stem: Bool = true
  ) -> RougeScore {
    let candidateTokens = tokenize(candidate, stem: stem)
    var best: RougeScore?
    for reference in references {
      let current = score(
        candidateTokens: candidateTokens, referenceTokens: tokenize(reference, stem: stem))
      if current.fmeasure > (best?.fmeasure ?? -1) {
        best = current
      }
    }
    return best ?? .zero
  }

  /// ROUGE-L of two token sequences.
  static func score(candidateTokens: [String], referenceTokens: [String]) -> RougeScore {
    guard !candidateTokens.isEmpty, !referenceTokens.isEmpty else { return .zero }
    let common = Double(longestCommonSubsequenceLength(candidateTokens, referenceTokens))
    let precision = common / Double(candidateTokens.count)
    let recall = common / Double(referenceTokens.count)
    return RougeScore(
      precision: precision, recall: recall, fmeasure: harmonicMean(precision, recall))
  }

  /// `2 * p * r / (p + r)`, evaluated in that order as rouge-score does, or 0 when p + r is 0.
  static func harmonicMean(_ precision: Double, _ recall: Double) -> Double {
    precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
  }

  /// Length of the longest common subsequence, by dynamic programming over two rows:
  /// O(a.count × b.count) time, O(b.count) memory.
  public static func longestCommonSubsequenceLength<Token: Hashable>(_ a: [Token], _ b: [Token]) -> Int {
    guard !a.isEmpty, !b.isEmpty else { return 0 }
    // Compare small integers rather than tokens in the inner loop.
    var ids: [Token: Int] = [:]
    let aCodes = a.map { token -> Int in
      if let id = ids[token] { return id }
      ids[token] = ids.count
      return ids.count - 1
    }
    let bCodes = b.map { ids[$0] ?? -1 }

    // previous[j]: LCS length of the `a` tokens before the current one and the first j tokens
    // of `b`; current[j]: the same with the current `a` token included.
    var previous = [Int](repeating: 0, count: bCodes.count + 1)
    var current = previous
    for aCode in aCodes {
      var diagonal = 0  // previous[j - 1]
      var left = 0  // current[j - 1]
      for (j, bCode) in bCodes.enumerated() {
        let above = previous[j + 1]
        left = aCode == bCode ? diagonal + 1 : max(above, left)
        current[j + 1] = left
        diagonal = above
      }
      swap(&previous, &current)
    }
    return previous[bCodes.count]
  }
}
