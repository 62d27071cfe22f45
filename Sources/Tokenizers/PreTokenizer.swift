// GPT-2's pre-tokenization, the regex
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// as a hand-written scanner over Unicode scalars (leftmost alternative wins, as in the regex).

/// Splits text into the pieces that BPE encodes independently.
public enum GPT2PreTokenizer {
  enum Kind { case letter, number, space, other }

  @inline(__always)
  static func kind(_ scalar: Unicode.Scalar) -> Kind {
    if scalar.value < 128 {
      let v = scalar.value
      if (v >= 97 && v <= 122) || (v >= 65 && v <= 90) { return .letter }
      if v >= 48 && v <= 57 { return .number }
      if v == 32 || (v >= 9 && v <= 13) { return .space }
      return .other
    }
    let properties = scalar.properties
    if properties.isWhitespace { return .space }
    switch properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
      return .letter
    case .decimalNumber, .letterNumber, .otherNumber:
      return .number
    default:
      return .other
    }
  }

  /// The pieces of `text`, as ranges of its Unicode scalars, in order; together they cover it.
  public static func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
    var pieces: [Range<Int>] = []
    let kinds = scalars.map(kind)
    let count = scalars.count
    var i = 0
    func run(from start: Int, while matches: (Kind) -> Bool) -> Int {
      var j = start
      while j < count && matches(kinds[j]) { j += 1 }
      return j
    }
    while i < count {
      // 's 't 're 've 'm 'll 'd
      if scalars[i] == "'" && i + 1 < count {
        let a = scalars[i + 1]
        if a == "s" || a == "t" || a == "m" || a == "d" {
          pieces.append(i..<(i + 2))
          i += 2
          continue
        }
        if i + 2 < count {
          let b = scalars[i + 2]
          if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") {
            pieces.append(i..<(i + 3))
            i += 3
            continue
          }
        }
      }
      // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
      let start = i
      let body = scalars[i] == " " && i + 1 < count ? i + 1 : i
      let bodyKind = kinds[body]
      if body < count && (body == i || bodyKind != .space) {
        switch bodyKind {
        case .letter, .number, .other:
          if body > i || bodyKind != .space {
            let end = run(from: body) { $0 == bodyKind }
            if end > body {
              pieces.append(start..<end)
              i = end
              continue
            }
          }
        case .space:
          break
        }
      }
      // `\s+(?!\S)` then `\s+`
      let end = run(from: i) { $0 == .space }
      if end > i {
        if end < count && end - i > 1 {
          pieces.append(i..<(end - 1))  // leave the last space to prefix the next word
          i = end - 1
        } else {
          pieces.append(i..<end)
          i = end
        }
        continue
      }
      // Unreachable: every scalar is a letter, number, space or other.
      pieces.append(i..<(i + 1))
      i += 1
    }
    return pieces
  }
}
