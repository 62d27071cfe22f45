// Byte-level BPE: GPT-2 pre-tokenization, byte-to-unicode mapping, merges by rank, special
// tokens that are never split. Compatible with Hugging Face tokenizer.json files of that kind.

/// A special token matched verbatim in the input (never split, never merged).
public struct SpecialToken: Sendable, Equatable {
  public var id: Int32
  public var content: String

  public init(id: Int32, content: String) {
    self.id = id
    self.content = content
  }
}

/// A byte-level BPE tokenizer of the GPT-2 family. Encoding memoizes words, so use one
/// instance per thread.
public final class BPETokenizer {
  /// Token string (in byte-mapped characters) → id.
  public let vocabulary: [String: Int32]
  /// id → token string.
  public let tokens: [String]
  /// Merge rules in priority order (earlier merges first).
  public let merges: [(String, String)]
  /// Special tokens, matched in the input before pre-tokenization.
  public let specialTokens: [SpecialToken]
  /// Prepend a space to text that does not start with one (ByteLevel `add_prefix_space`).
  public let addPrefixSpace: Bool
  /// Words found whole in the vocabulary skip the merges (BPE `ignore_merges`).
  public let ignoreMerges: Bool

  private let ranks: [MergePair: Int32]
  private var cache: [String: [Int32]] = [:]
  private let specialByContent: [String: Int32]
  private let specialIDs: Set<Int32>
  /// The special tokens' scalars with their ids, longest first (the splitter's match order).
  private let specialPatterns: [(scalars: [Unicode.Scalar], id: Int32)]

  struct MergePair: Hashable {
    var left: String
    var right: String
  }

  /// - Throws: `TokenizerError` when a merge names a token that is not in the vocabulary.
  public init(
    vocabulary: [String: Int32], merges: [(String, String)], specialTokens: [SpecialToken] = [],
    addPrefixSpace: Bool = false, ignoreMerges: Bool = false
  ) throws {
    self.vocabulary = vocabulary
    self.merges = merges
    self.specialTokens = specialTokens
    self.addPrefixSpace = addPrefixSpace
    self.ignoreMerges = ignoreMerges
    let size = max(
      (vocabulary.values.max() ?? -1) + 1, (specialTokens.map(\.id).max() ?? -1) + 1)
    var tokens = [String](repeating: "", count: Int(size))
    for (token, id) in vocabulary {
      guard id >= 0 else { throw TokenizerError(field: "model.vocab", "negative id \(id) for \(token)") }
      tokens[Int(id)] = token
    }
    for special in specialTokens { tokens[Int(special.id)] = special.content }
    self.tokens = tokens
    var ranks: [MergePair: Int32] = [:]
    for (rank, merge) in merges.enumerated() {
      guard vocabulary[merge.0 + merge.1] != nil else {
        throw TokenizerError(field: "model.merges[\(rank)]", "merge \"\(merge.0) \(merge.1)\" makes a token that is not in the vocabulary")
      }
      ranks[MergePair(left: merge.0, right: merge.1)] = ranks[MergePair(left: merge.0, right: merge.1)] ?? Int32(rank)
    }
    self.ranks = ranks
    specialByContent = Dictionary(specialTokens.map { ($0.content, $0.id) }, uniquingKeysWith: { a, _ in a })
    specialIDs = Set(specialTokens.map(\.id))
    specialPatterns = specialTokens.filter { !$0.content.isEmpty }
      .map { (Array($0.content.unicodeScalars), $0.id) }
      .sorted { $0.scalars.count > $1.scalars.count }
  }

  /// Number of ids (vocabulary plus special tokens).
  public var count: Int { tokens.count }

  /// The id of a special token by its text, if present.
  public func specialTokenID(_ content: String) -> Int32? { specialByContent[content] }

  // MARK: - Encoding

  /// Token ids for `text`. Special tokens in the text become their ids; everything else is
  /// pre-tokenized and merged. Every string encodes (all 256 bytes are in the vocabulary of a
  /// byte-level model).
  public func encode(_ text: String) -> [Int32] {
    var ids: [Int32] = []
    for segment in splitOnSpecialTokens(text) {
      switch segment {
      case .special(let id): ids.append(id)
      case .text(let piece): encodeOrdinary(piece, into: &ids)
      }
    }
    return ids
  }

  enum Segment {
    case special(Int32)
    /// Ordinary text, as Unicode scalars (not `Character`s: a combining mark after a special
    /// token must not glue onto it).
    case text(ArraySlice<Unicode.Scalar>)
  }

  /// Splits `text` at the leftmost-longest occurrences of special tokens, matched scalar by
  /// scalar as `tokenizers` matches them: `"<|endoftext|>\u{301}"` is the special id followed by
  /// the mark, although Swift sees one `Character` `">\u{301}"` there.
  func splitOnSpecialTokens(_ text: String) -> [Segment] {
    let scalars = Array(text.unicodeScalars)
    guard !specialPatterns.isEmpty else { return scalars.isEmpty ? [] : [.text(scalars[...])] }
    var segments: [Segment] = []
    var start = 0
    var i = 0
    outer: while i < scalars.count {
      for (pattern, id) in specialPatterns
      where pattern.count <= scalars.count - i && scalars[i..<(i + pattern.count)].elementsEqual(pattern) {
        if start < i { segments.append(.text(scalars[start..<i])) }
        segments.append(.special(id))
        i += pattern.count
        start = i
        continue outer
      }
      i += 1
    }
    if start < scalars.count { segments.append(.text(scalars[start...])) }
    return segments
  }

  private func encodeOrdinary(_ text: ArraySlice<Unicode.Scalar>, into ids: inout [Int32]) {
    var scalars = Array(text)
    if addPrefixSpace, let first = scalars.first, first != " " { scalars.insert(" ", at: 0) }
    for range in GPT2PreTokenizer.split(scalars) {
      var utf8: [UInt8] = []
      for scalar in scalars[range] { utf8.append(contentsOf: String(scalar).utf8) }
      let word = ByteLevel.encode(utf8)
      if let cached = cache[word] {
        ids.append(contentsOf: cached)
        continue
      }
      let wordIDs = bpe(word)
      if cache.count < 100_000 { cache[word] = wordIDs }
      ids.append(contentsOf: wordIDs)
    }
  }

  /// Applies the merges to one byte-mapped word: repeatedly merge the adjacent pair with the
  /// lowest rank (leftmost first among equals) until none applies.
  func bpe(_ word: String) -> [Int32] {
    if ignoreMerges, let id = vocabulary[word] { return [id] }
    var symbols = word.map { String($0) }
    while symbols.count > 1 {
      var bestRank = Int32.max
      var bestIndex = -1
      for i in 0..<(symbols.count - 1) {
        if let rank = ranks[MergePair(left: symbols[i], right: symbols[i + 1])], rank < bestRank {
          bestRank = rank
          bestIndex = i
        }
      }
      if bestIndex < 0 { break }
      let left = symbols[bestIndex]
      let right = symbols[bestIndex + 1]
      var merged: [String] = []
      merged.reserveCapacity(symbols.count)
      var i = 0
      while i < symbols.count {
        if i + 1 < symbols.count && symbols[i] == left && symbols[i + 1] == right {
          merged.append(left + right)
          i += 2
        } else {
          merged.append(symbols[i])
          i += 1
        }
      }
      symbols = merged
    }
    return symbols.map { vocabulary[$0] ?? -1 }.filter { $0 >= 0 }
  }

  // MARK: - Decoding

  /// The text for `ids`. Byte sequences that are not valid UTF-8 (a cut in the middle of a
  /// character) decode with U+FFFD replacement characters, as Hugging Face does.
  /// - Throws: `TokenizerError` for an id outside the vocabulary.
  public func decode(_ ids: [Int32], skipSpecialTokens: Bool = false) throws -> String {
    var bytes: [UInt8] = []
    for id in ids {
      guard id >= 0 && Int(id) < tokens.count else {
        throw TokenizerError(field: "id", "token id \(id) is outside the vocabulary of \(tokens.count)")
      }
      if specialIDs.contains(id) {
        if !skipSpecialTokens { bytes.append(contentsOf: tokens[Int(id)].utf8) }
        continue
      }
      guard let tokenBytes = ByteLevel.decode(tokens[Int(id)]) else {
        throw TokenizerError(field: "model.vocab", "token \(id) (\(tokens[Int(id)])) is not byte-level")
      }
      bytes.append(contentsOf: tokenBytes)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
