// The random draws the synthetic task and its domain text are made of.

import Randomness

/// Uniform picks from one seeded stream: an index below n, or k distinct items in draw order.
struct SyntheticDraws {
  var random: SeededGenerator

  init(seed: UInt64) { random = SeededGenerator(seed: seed) }

  /// A uniform index in 0..<n.
  mutating func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }

  /// `k` distinct items of `items`, in the order drawn.
  mutating func distinct(_ k: Int, of items: [String]) -> [String] {
    var pool = items
    return (0..<k).map { _ in pool.remove(at: pick(pool.count)) }
  }
}
