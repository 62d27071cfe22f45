// Training a byte-level BPE vocabulary from text: count pre-tokenized words, then repeatedly
// merge the most frequent adjacent pair (ties: the smallest pair in string order).

/// Learns merges from text.
public enum BPETrainer {
  /// Trains a tokenizer with at most `vocabularySize` ids: the special tokens first, then the
  /// 256 byte symbols, then one token per merge.
  /// - Parameters:
  ///   - texts: the training text (for example the lines or documents of a corpus).
  ///   - minimumFrequency: pairs seen fewer times than this are never merged.
  public static func train(
    texts: [String], vocabularySize: Int, specialTokens: [String] = ["<|endoftext|>"],
    minimumFrequency: Int = 2, addPrefixSpace: Bool = false
  ) throws -> BPETokenizer {
    var vocabulary: [String: Int32] = [:]
    var specials: [SpecialToken] = []
    for content in specialTokens {
      specials.append(SpecialToken(id: Int32(specials.count), content: content))
      vocabulary[content] = Int32(specials.count - 1)  // Hugging Face keeps them in the model vocabulary too
    }
    var next = Int32(specials.count)
    for byte in 0..<256 {
      vocabulary[String(ByteLevel.byteToCharacter[byte])] = next
      next += 1
    }
    guard vocabularySize >= Int(next) else {
      throw TokenizerError(field: "vocab_size", "must be at least \(next) (specials + 256 bytes), got \(vocabularySize)")
    }

    // Word frequencies over the pre-tokenized, byte-mapped text (special tokens excluded).
    let splitter = try BPETokenizer(vocabulary: vocabulary, merges: [], specialTokens: specials)
    var frequencies: [String: Int] = [:]
    for text in texts {
      for segment in splitter.splitOnSpecialTokens(text) {
        guard case .text(let piece) = segment else { continue }
        var scalars = Array(piece)
        if addPrefixSpace, let first = scalars.first, first != " " { scalars.insert(" ", at: 0) }
        for range in GPT2PreTokenizer.split(scalars) {
          var utf8: [UInt8] = []
          for scalar in scalars[range] { utf8.append(contentsOf: String(scalar).utf8) }
          frequencies[ByteLevel.encode(utf8), default: 0] += 1
        }
      }
    }
    var words = frequencies.keys.sorted().map { word in word.map { String($0) } }
    let counts = frequencies.keys.sorted().map { frequencies[$0]! }

    struct Pair: Hashable, Comparable {
      var left: String
      var right: String
      static func < (a: Pair, b: Pair) -> Bool { (a.left, a.right) < (b.left, b.right) }
    }
    var pairCounts: [Pair: Int] = [:]
    var wordsWithPair: [Pair: Set<Int>] = [:]
    func add(_ word: [String], _ index: Int, _ sign: Int) {
      guard word.count > 1 else { return }
      for i in 0..<(word.count - 1) {
        let pair = Pair(left: word[i], right: word[i + 1])
        pairCounts[pair, default: 0] += sign * counts[index]
        if sign > 0 { wordsWithPair[pair, default: []].insert(index) }
      }
    }
    for (index, word) in words.enumerated() { add(word, index, 1) }

    var merges: [(String, String)] = []
    while Int(next) < vocabularySize {
      var best: Pair?
      var bestCount = minimumFrequency - 1
      for (pair, count) in pairCounts
      where count > bestCount || (count == bestCount && best.map { pair < $0 } == true) {
        best = pair
        bestCount = count
      }
      guard let pair = best, bestCount >= minimumFrequency else { break }
      let merged = pair.left + pair.right
      merges.append((pair.left, pair.right))
      if vocabulary[merged] == nil {
        vocabulary[merged] = next
        next += 1
      }
      for index in wordsWithPair[pair] ?? [] {
        let word = words[index]
        add(word, index, -1)
        var rebuilt: [String] = []
        var i = 0
        while i < word.count {
          if i + 1 < word.count && word[i] == pair.left && word[i + 1] == pair.right {
            rebuilt.append(merged)
            i += 2
          } else {
            rebuilt.append(word[i])
            i += 1
          }
        }
        words[index] = rebuilt
        add(rebuilt, index, 1)
      }
      pairCounts[pair] = nil
      wordsWithPair[pair] = nil
    }
    return try BPETokenizer(
      vocabulary: vocabulary, merges: merges, specialTokens: specials, addPrefixSpace: addPrefixSpace)
  }
}
