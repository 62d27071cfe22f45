// Simple generation metrics besides ROUGE: whitespace-normalized exact match and Dist-n diversity.

/// Text metrics that need no tokenizer beyond splitting on whitespace.
///
/// "Whitespace" here is Swift's `Character.isWhitespace`: spaces, tabs, line breaks (`\r\n`
/// included), and the other Unicode white-space characters such as U+00A0 and U+3000.
public enum TextMetrics {
  /// Whether `candidate` equals at least one of `references` once both sides are normalized:
  /// leading and trailing whitespace removed, and every internal run of whitespace replaced by a
  /// single space. Case and punctuation still count. Strings are compared with Swift's `==`, so
  /// canonically equivalent spellings (precomposed `é` versus `e` + combining acute) match.
  /// With no references the answer is `false`.
  public static func exactMatch(candidate: String, references: [String]) -> Bool {
    let normalizedCandidate = collapsingWhitespace(candidate)
    return references.contains { collapsingWhitespace($0) == normalizedCandidate }
  }

  /// Dist-n: the number of distinct n-grams divided by the total number of n-grams, over the
  /// whitespace-separated tokens of all `texts` together. N-grams are taken within each text
  /// (never across two texts) and compared case-sensitively. Returns 0 when there are no n-grams
  /// at all (every text shorter than `n` tokens) or when `n` is less than 1.
  public static func distinctNgrams(_ texts: [String], n: Int = 4) -> Double {
    guard n >= 1 else { return 0 }
    var distinct = Set<ArraySlice<Substring>>()
    var total = 0
    for text in texts {
      let tokens = text.split(whereSeparator: \.isWhitespace)
      guard tokens.count >= n else { continue }
      for start in 0...(tokens.count - n) {
        distinct.insert(tokens[start..<(start + n)])
        total += 1
      }
    }
    return total == 0 ? 0 : Double(distinct.count) / Double(total)
  }

  /// The whitespace-separated words of `text` joined by single spaces.
  static func collapsingWhitespace(_ text: String) -> String {
    text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }
}
