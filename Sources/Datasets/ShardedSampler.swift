// Deterministic, rank-sharded, resumable order over a dataset.

import Randomness

/// Where a sampler is: the epoch and the position within this rank's share of it. The order
/// of an epoch is a pure function of (seed, epoch), so this is all a resume needs.
public struct SamplerCursor: Codable, Sendable, Equatable {
  public var epoch: Int
  public var position: Int

  public init(epoch: Int = 0, position: Int = 0) {
    self.epoch = epoch
    self.position = position
  }
}

/// Shuffles `0..<count` anew each epoch (seed and epoch decide the order) and gives rank r the
/// positions r, r + W, r + 2W, … of it. Every rank gets ⌈count / W⌉ indices per epoch so that
/// ranks stay in step; when W does not divide count, the last round wraps to the start of the
/// permutation (a few examples are seen twice that epoch). The shares are disjoint otherwise and
/// their union is the whole set.
public struct ShardedSampler: Sendable {
  public let count: Int
  public let rank: Int
  public let worldSize: Int
  public let seed: UInt64
  public private(set) var cursor: SamplerCursor
  private var permutation: [Int] = []
  private var permutationEpoch = -1

  public init(count: Int, rank: Int, worldSize: Int, seed: UInt64, cursor: SamplerCursor = .init()) {
    precondition(count > 0 && worldSize > 0 && (0..<worldSize).contains(rank), "bad sampler shape")
    self.count = count
    self.rank = rank
    self.worldSize = worldSize
    self.seed = seed
    self.cursor = cursor
  }

  /// Indices per rank per epoch.
  public var perRankCount: Int { (count + worldSize - 1) / worldSize }

  /// The permutation of `0..<count` for `epoch` (Fisher–Yates with a generator seeded by seed and epoch).
  public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var generator = SeededGenerator(seed: seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15)
    var order = Array(0..<count)
    if count > 1 {
      for i in stride(from: count - 1, to: 0, by: -1) {
        let j = Int(generator.next() % UInt64(i + 1))
        order.swapAt(i, j)
      }
    }
    return order
  }

  /// The next `size` indices for this rank, moving to the next epoch when one ends.
  public mutating func next(_ size: Int) -> [Int] {
    var batch: [Int] = []
    batch.reserveCapacity(size)
    while batch.count < size {
      if cursor.position >= perRankCount {
        cursor.epoch += 1
        cursor.position = 0
      }
      if permutationEpoch != cursor.epoch {
        permutation = Self.permutation(count: count, seed: seed, epoch: cursor.epoch)
        permutationEpoch = cursor.epoch
      }
      batch.append(permutation[(rank + cursor.position * worldSize) % count])
      cursor.position += 1
    }
    return batch
  }
}
