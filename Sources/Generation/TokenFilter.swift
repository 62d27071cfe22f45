// Turns one row of logits into the sampling distribution: banned n-grams, temperature,
// top-k and top-p, then softmax.

#if canImport(Glibc)
  import Glibc
#endif

import Kernels

/// Per-row processing of next-token logits, reusing its scratch space across calls.
struct TokenFilter {
  let config: SamplingConfig
  let V: Int
  private var order: [Int32] = []

  init(config: SamplingConfig, V: Int) {
    self.config = config
    self.V = V
    order = (0..<Int32(V)).map { $0 }
  }

  /// Tokens that would complete an n-gram already present in `history` (the n−1 last tokens
  /// followed by the token form an n-gram seen earlier).
  static func bannedTokens(history: [Int32], n: Int) -> Set<Int32> {
    guard n > 0, history.count >= n else { return [] }
    if n == 1 { return Set(history) }
    let prefix = history.suffix(n - 1)
    var banned = Set<Int32>()
    for start in 0...(history.count - n) where history[start..<(start + n - 1)].elementsEqual(prefix) {
      banned.insert(history[start + n - 1])
    }
    return banned
  }

  /// Writes the sampling probabilities of one row into `probabilities` (V entries), given
  /// raw `logits` and the sequence so far. Greedy configs put all mass on the argmax.
  /// - Returns: log Σ exp(logits) when the softmax it took was over the plain logits
  ///   (temperature 1, top-k and top-p off), so callers need not compute it again; else nil.
  @discardableResult
  mutating func probabilities(
    logits: UnsafePointer<Float>, history: [Int32], into probabilities: UnsafeMutablePointer<Float>
  ) -> Float? {
    var banned = Self.bannedTokens(history: history, n: config.noRepeatNgramSize)
    // When every token is banned there is nothing valid to draw: ignore the bans for this step.
    if banned.count >= V && (0..<Int32(V)).allSatisfy(banned.contains) { banned = [] }
    // Scaled logits with bans applied.
    let inverseTemperature = config.temperature > 0 ? 1 / config.temperature : 1
    for i in 0..<V { probabilities[i] = logits[i] * inverseTemperature }
    for token in banned where Int(token) < V { probabilities[Int(token)] = -.infinity }

    if config.isGreedy {
      var best = 0
      for i in 1..<V where probabilities[i] > probabilities[best] { best = i }
      probabilities.update(repeating: 0, count: V)
      probabilities[best] = 1
      return nil
    }
    if config.topK == 0 || config.topK >= V {
      // Vectorized softmax; banned tokens (−∞) are set to exactly 0 afterwards, so they can
      // never be drawn.
      let maximum = rowMaximum(probabilities, V)
      for token in banned where Int(token) < V { probabilities[Int(token)] = maximum }
      var sum = rowExpShifted(out: probabilities, inp: probabilities, count: V, shift: maximum)
      for token in banned where Int(token) < V {
        sum -= probabilities[Int(token)]
        probabilities[Int(token)] = 0
      }
      let inverse = 1 / sum
      for i in 0..<V { probabilities[i] *= inverse }
      if config.topP < 1 { keepTopP(probabilities) }
      let plain = banned.isEmpty && config.temperature == 1 && config.topP >= 1
      return plain ? maximum + logf(sum) : nil
    }
    if config.topK > 0 && config.topK < V {
      // Threshold = the k-th largest value; ties at the threshold are kept.
      var values = (0..<V).map { probabilities[$0] }
      let k = config.topK
      values.sort(by: >)
      let threshold = values[k - 1]
      for i in 0..<V where probabilities[i] < threshold { probabilities[i] = -.infinity }
    }
    // Softmax over the survivors.
    var maximum = -Float.infinity
    for i in 0..<V where probabilities[i] > maximum { maximum = probabilities[i] }
    var sum: Float = 0
    for i in 0..<V {
      let e = probabilities[i] == -.infinity ? 0 : expf(probabilities[i] - maximum)
      probabilities[i] = e
      sum += e
    }
    for i in 0..<V { probabilities[i] /= sum }
    if config.topP < 1 { keepTopP(probabilities) }
    return nil
  }

  /// Keeps the smallest set of most likely tokens whose mass reaches top-p, renormalized.
  private mutating func keepTopP(_ probabilities: UnsafeMutablePointer<Float>) {
    order.sort { probabilities[Int($0)] > probabilities[Int($1)] }
    var cumulative: Float = 0
    var keep = 0
    while keep < V {
      cumulative += probabilities[Int(order[keep])]
      keep += 1
      if cumulative >= config.topP { break }
    }
    var kept: Float = 0
    for rank in 0..<keep { kept += probabilities[Int(order[rank])] }
    for rank in keep..<V { probabilities[Int(order[rank])] = 0 }
    for i in 0..<V { probabilities[i] /= kept }
    // Restore identity order for the next call's stable sort input.
    for i in 0..<V { order[i] = Int32(i) }
  }
}
