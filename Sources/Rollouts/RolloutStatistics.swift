// What a collection of rollouts sums to: the statistics that whiten the advantages over every
// rank and that the iteration log reports. Sums, so ranks add them with one all-reduce.

/// Sums over the rollout tokens of one or more ranks.
public struct RolloutStatistics: Sendable, Equatable {
  /// Response tokens that carry an advantage.
  public var tokens = 0.0
  /// Σ A and Σ A² of the advantages before whitening.
  public var advantageSum = 0.0
  public var advantageSquareSum = 0.0
  /// Σ r_t.
  public var rewardSum = 0.0
  /// Σ (log q_old − log p): the per-token reverse-KL estimate's numerator.
  public var reverseKLSum = 0.0
  /// Sequences, and the response tokens they hold.
  public var sequences = 0.0
  public var responseTokens = 0.0

  public init() {}

  /// The fields in a fixed order, for an all-reduce; `init(reduced:)` reads them back.
  public var reducible: [Double] {
    [tokens, advantageSum, advantageSquareSum, rewardSum, reverseKLSum, sequences, responseTokens]
  }

  public init(reduced v: [Double]) {
    precondition(v.count == 7, "rollout statistics: expected 7 sums, got \(v.count)")
    (tokens, advantageSum, advantageSquareSum, rewardSum, reverseKLSum, sequences, responseTokens) =
      (v[0], v[1], v[2], v[3], v[4], v[5], v[6])
  }

  /// Mean and (population) variance of the advantages, for whitening.
  public var advantageMean: Double { advantageSum / max(tokens, 1) }
  public var advantageVariance: Double {
    let mean = advantageMean
    return max(advantageSquareSum / max(tokens, 1) - mean * mean, 0)
  }
}
