// What a MiniLLM iteration measures: running sums kept identical on every rank (so a
// checkpoint holds them once), and the per-iteration summary they give.

/// Per-iteration sums over all ranks, updated as the iteration goes; saved in checkpoints so a
/// resumed iteration reports the same numbers.
struct MiniLLMIterationSums: Equatable {
  // From the collection (after the whitening all-reduce).
  var rewardTokens = 0.0
  var rewardSum = 0.0
  var reverseKLSum = 0.0  // Σ (log q_old − log p)
  var responseTokens = 0.0
  var sequences = 0.0
  // From the updates.
  var updateTokens = 0.0
  var policySum = 0.0
  var singleStepSum = 0.0
  var clippedTokens = 0.0
  var entropySum = 0.0
  var weightSum = 0.0
  var weightMax = 0.0
  var pretrainingLossSum = 0.0
  var pretrainingUpdates = 0.0

  static let count = 14
  var array: [Double] {
    [rewardTokens, rewardSum, reverseKLSum, responseTokens, sequences, updateTokens, policySum, singleStepSum,
     clippedTokens, entropySum, weightSum, weightMax, pretrainingLossSum, pretrainingUpdates]
  }

  init() {}

  init(array a: [Double]) {
    precondition(a.count == Self.count, "MiniLLM sums: expected \(Self.count) values, got \(a.count)")
    (rewardTokens, rewardSum, reverseKLSum, responseTokens, sequences) = (a[0], a[1], a[2], a[3], a[4])
    (updateTokens, policySum, singleStepSum, clippedTokens, entropySum) = (a[5], a[6], a[7], a[8], a[9])
    (weightSum, weightMax, pretrainingLossSum, pretrainingUpdates) = (a[10], a[11], a[12], a[13])
  }
}

/// What one MiniLLM iteration measured (over all ranks).
public struct MiniLLMIterationMetrics: Sendable {
  /// Iterations completed, and optimizer steps completed, after this one.
  public var iteration = 0
  public var step = 0
  public var meanReward = 0.0
  /// Mean over rollout tokens of log q_old − log p (a per-token reverse-KL estimate under p̃).
  public var reverseKLPerToken = 0.0
  public var policyLoss = 0.0
  public var singleStepLoss = 0.0
  /// Mean L_PT over this iteration's updates (0 when the term is off).
  public var pretrainingLoss = 0.0
  public var clipFraction = 0.0
  public var meanResponseLength = 0.0
  /// Mean entropy of the student's next-token distribution over response positions (nats).
  public var entropy = 0.0
  /// Importance weights w = q_old/p̃ over response tokens: mean and largest.
  public var meanWeight = 0.0
  public var maxWeight = 0.0
  /// Learning rate of the last update and its gradient norm (before clipping).
  public var learningRate = 0.0
  public var gradientNorm = 0.0
  /// Wall time on rank 0 in this process, split: sampling (student and teacher), of which the
  /// teacher; the PPO updates; and all communication (teacher group and data-parallel).
  public var seconds = 0.0
  public var rolloutSeconds = 0.0
  public var teacherSeconds = 0.0
  public var updateSeconds = 0.0
  public var communicationSeconds = 0.0

  init(sums s: MiniLLMIterationSums) {
    meanReward = s.rewardSum / max(s.rewardTokens, 1)
    reverseKLPerToken = s.reverseKLSum / max(s.rewardTokens, 1)
    meanResponseLength = s.responseTokens / max(s.sequences, 1)
    let tokens = max(s.updateTokens, 1)
    policyLoss = s.policySum / tokens
    singleStepLoss = s.singleStepSum / tokens
    clipFraction = s.clippedTokens / tokens
    entropy = s.entropySum / tokens
    meanWeight = s.weightSum / tokens
    maxWeight = s.weightMax
    pretrainingLoss = s.pretrainingLossSum / max(s.pretrainingUpdates, 1)
  }

  /// The JSON object written to metrics.jsonl.
  var logRecord: [String: Any] {
    [
      "iteration": iteration, "step": step, "reverse_kl_per_token": reverseKLPerToken, "mean_reward": meanReward,
      "policy_loss": policyLoss, "single_step_loss": singleStepLoss, "pt_loss": pretrainingLoss,
      "clip_fraction": clipFraction, "response_length": meanResponseLength, "entropy": entropy,
      "mean_importance_weight": meanWeight, "max_importance_weight": maxWeight, "learning_rate": learningRate,
      "gradient_norm": gradientNorm, "seconds": seconds, "rollout_seconds": rolloutSeconds,
      "teacher_seconds": teacherSeconds, "update_seconds": updateSeconds,
      "communication_seconds": communicationSeconds,
    ]
  }
}
