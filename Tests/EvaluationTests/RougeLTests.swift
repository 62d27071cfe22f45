// ROUGE-L, its tokenizer and Porter stemmer against rouge-score on the committed fixture pairs,
// plus hand-worked cases for the LCS, the stemmer and the text metrics.

import Foundation
import XCTest

import Evaluation

final class RougeLTests: XCTestCase {
  /// One line of Fixtures/rouge_pairs.jsonl, written by Tests/python/check_rouge_parity.py.
  struct Pair: Decodable {
    struct Expected: Decodable {
      var precision: Double
      var recall: Double
      var fmeasure: Double
    }
    var candidate: String
    var references: [String]
    var candidateTokens: [String]
    var expected: Expected

    enum CodingKeys: String, CodingKey {
      case candidate, references, expected
      case candidateTokens = "candidate_tokens"
    }
  }

  func fixturePairs() throws -> [Pair] {
    let url = try XCTUnwrap(
      Bundle.module.url(forResource: "Fixtures/rouge_pairs.jsonl", withExtension: nil))
    let text = try String(contentsOf: url, encoding: .utf8)
    let decoder = JSONDecoder()
    return try text.split(separator: "\n").map {
      try decoder.decode(Pair.self, from: Data($0.utf8))
    }
  }

  // MARK: - Parity with rouge-score

  func testScoresMatchRougeScoreOnEveryFixturePair() throws {
    let pairs = try fixturePairs()
    XCTAssertGreaterThanOrEqual(pairs.count, 300)
    var largestDifference = 0.0
    var mismatches = 0
    for pair in pairs {
      let ours = RougeL.score(candidate: pair.candidate, references: pair.references)
      let difference = max(
        abs(ours.precision - pair.expected.precision), abs(ours.recall - pair.expected.recall),
        abs(ours.fmeasure - pair.expected.fmeasure))
      largestDifference = max(largestDifference, difference)
      if difference > 1e-6 {
        mismatches += 1
        if mismatches <= 5 {
          XCTFail(
            "\(pair.candidate.debugDescription) vs \(pair.references): ours \(ours), "
              + "rouge-score \(pair.expected)")
        }
      }
    }
    XCTAssertEqual(mismatches, 0)
    print("RougeLTests: \(pairs.count) pairs, max abs difference \(largestDifference)")
  }

  func testTokensMatchRougeScoreOnEveryFixturePair() throws {
    var mismatches = 0
    for pair in try fixturePairs() where RougeL.tokenize(pair.candidate) != pair.candidateTokens {
      mismatches += 1
      if mismatches <= 5 {
        XCTFail(
          "\(pair.candidate.debugDescription): ours \(RougeL.tokenize(pair.candidate)), "
            + "rouge-score \(pair.candidateTokens)")
      }
    }
    XCTAssertEqual(mismatches, 0)
  }

  // MARK: - Longest common subsequence

  func testLongestCommonSubsequenceOfKnownSequences() {
    func lcs(_ a: String, _ b: String) -> Int {
      RougeL.longestCommonSubsequenceLength(a.map { $0 }, b.map { $0 })
    }
    XCTAssertEqual(lcs("ABCBDAB", "BDCABA"), 4)  // BCBA, the textbook example
    XCTAssertEqual(lcs("AGGTAB", "GXTXAYB"), 4)  // GTAB
    XCTAssertEqual(lcs("abc", "abc"), 3)
    XCTAssertEqual(lcs("abc", "cba"), 1)
    XCTAssertEqual(lcs("abc", "xyz"), 0)
    XCTAssertEqual(lcs("", "abc"), 0)
    XCTAssertEqual(lcs("aaaa", "aa"), 2)
  }

  func testLongestCommonSubsequenceIsSymmetricOnRandomSequences() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<50 {
      let a = (0..<Int.random(in: 0...30, using: &generator)).map { _ in
        Int.random(in: 0..<4, using: &generator)
      }
      let b = (0..<Int.random(in: 0...30, using: &generator)).map { _ in
        Int.random(in: 0..<4, using: &generator)
      }
      let length = RougeL.longestCommonSubsequenceLength(a, b)
      XCTAssertEqual(length, RougeL.longestCommonSubsequenceLength(b, a))
      XCTAssertLessThanOrEqual(length, min(a.count, b.count))
    }
  }

  // MARK: - Scores

  func testScoreOfTheRougeScoreReadmeExample() {
    // rouge-score: target "The quick brown fox jumps over the lazy dog", prediction
    // "The quick brown dog jumps on the log." -> LCS 5 of 9 and 8 tokens.
    let score = RougeL.score(
      candidate: "The quick brown dog jumps on the log.",
      reference: "The quick brown fox jumps over the lazy dog")
    XCTAssertEqual(score.precision, 5.0 / 8.0)
    XCTAssertEqual(score.recall, 5.0 / 9.0)
    XCTAssertEqual(score.fmeasure, 0.5882352941176471)
  }

  func testEmptySidesScoreZero() {
    XCTAssertEqual(RougeL.score(candidate: "", reference: "the cat"), .zero)
    XCTAssertEqual(RougeL.score(candidate: "the cat", reference: "  ...  "), .zero)
    XCTAssertEqual(RougeL.score(candidate: "the cat", references: []), .zero)
    XCTAssertEqual(RougeL.score(candidate: "cat", reference: "dog"), .zero)
  }

  func testSeveralReferencesKeepTheWholeScoreOfTheBestFMeasure() {
    // "a" vs "a b": P 1, R 1/2, F 2/3; vs "a c d e": P 1, R 1/4, F 2/5.
    let score = RougeL.score(candidate: "a", references: ["a c d e", "a b"])
    XCTAssertEqual(score, RougeScore(precision: 1, recall: 0.5, fmeasure: 2.0 / 3.0))
  }

  func testStemmingMakesInflectionsMatch() {
    XCTAssertEqual(RougeL.score(candidate: "running dogs", reference: "runs dog").fmeasure, 1)
    XCTAssertEqual(
      RougeL.score(candidate: "running dogs", reference: "runs dog", stem: false).fmeasure, 0)
  }

  // MARK: - Tokenizer

  func testTokenizerFollowsPythonLowercaseAndAsciiPattern() {
    // Values from rouge-score's DefaultTokenizer(use_stemmer=True).
    XCTAssertEqual(
      RougeL.tokenize("İstanbul Kelvin \u{212A}elvin café ẞtraße 3.14 hello_world"),
      ["i", "stanbul", "kelvin", "kelvin", "caf", "tra", "e", "3", "14", "hello", "world"])
    XCTAssertEqual(RougeL.tokenize("日本語 😀 ＡＢＣ"), [])
    XCTAssertEqual(RougeL.tokenize("The 1990s, RUNNING!"), ["the", "1990", "run"])
    XCTAssertEqual(
      RougeL.tokenize("The 1990s, RUNNING!", stem: false), ["the", "1990s", "running"])
  }

  // MARK: - Porter stemmer

  func testStemmerOnClassicWords() {
    // Each expected stem is what nltk's PorterStemmer() (NLTK_EXTENSIONS) returns.
    let expected = [
      "caresses": "caress", "ponies": "poni", "ties": "tie", "relational": "relat",
      "conditional": "condit", "rational": "ration", "generalizations": "gener",
      "hopeful": "hope", "electrical": "electr", "adjustment": "adjust", "dying": "die",
      "lying": "lie", "sky": "sky", "skies": "sky", "news": "news", "innings": "inning",
      "proceed": "proceed", "happy": "happi", "enjoy": "enjoy", "agreed": "agre", "feed": "feed",
      "plastered": "plaster", "motoring": "motor", "hopping": "hop", "falling": "fall",
      "filing": "file", "triplicate": "triplic", "goodness": "good", "controll": "control",
      "roll": "roll", "cease": "ceas", "probate": "probat", "oscillators": "oscil",
      "archaeology": "archaeolog", "fulli": "fulli", "Running": "run", "BY": "by", "at": "at",
      "1990s": "1990", "y": "y", "yyyy": "yyyi", "syzygy": "syzygi",
    ]
    let stemmer = PorterStemmer()
    for (word, stem) in expected {
      XCTAssertEqual(stemmer.stem(word), stem, word)
    }
  }

  // MARK: - Text metrics

  func testExactMatchNormalizesOnlyWhitespace() {
    XCTAssertTrue(
      TextMetrics.exactMatch(candidate: "  the\tcat \n sat ", references: ["the cat sat"]))
    XCTAssertTrue(TextMetrics.exactMatch(candidate: "b", references: ["a", " b"]))
    XCTAssertFalse(TextMetrics.exactMatch(candidate: "The cat", references: ["the cat"]))
    XCTAssertFalse(TextMetrics.exactMatch(candidate: "cat.", references: ["cat"]))
    XCTAssertFalse(TextMetrics.exactMatch(candidate: "cat", references: []))
    XCTAssertTrue(TextMetrics.exactMatch(candidate: "", references: [" \n "]))
  }

  func testDistinctNgrams() {
    // Unigrams: a b a b c -> 3 distinct of 5.
    XCTAssertEqual(TextMetrics.distinctNgrams(["a b a b c"], n: 1), 3.0 / 5.0)
    // Bigrams within each text: (a b) (b a) (a b) (b c) + (a b) -> 3 distinct of 5.
    XCTAssertEqual(TextMetrics.distinctNgrams(["a b a b c", "a  b"], n: 2), 3.0 / 5.0)
    // No n-gram crosses from one text to the next.
    XCTAssertEqual(TextMetrics.distinctNgrams(["a", "b"], n: 2), 0)
    XCTAssertEqual(TextMetrics.distinctNgrams(["one two three four five"]), 1)
    XCTAssertEqual(TextMetrics.distinctNgrams(["x x x x x x"]), 1.0 / 3.0)
    XCTAssertEqual(TextMetrics.distinctNgrams([]), 0)
    XCTAssertEqual(TextMetrics.distinctNgrams(["a b"], n: 0), 0)
  }
}
