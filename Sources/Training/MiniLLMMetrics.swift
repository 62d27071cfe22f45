// What a MiniLLM iteration measures: running sums kept identical on every rank (so a
// checkpoint holds them once, by name), and the per-iteration summary they give.

import Rollouts

/// Per-iteration sums over all ranks, updated as the iteration goes; saved in checkpoints so a
/// resumed iteration reports the same numbers.
struct MiniLLMIterationSums: Equatable {
  /// From the collection (after the whitening all-reduce).
  var collection = RolloutStatistics()
  /// From the updates.
  var updateTokens = 0.0
  var policySum = 0.0
  var singleStepSum = 0.0
  var clippedTokens = 0.0
  var entropySum = 0.0
  var weightSum = 0.0
  var weightMax = 0.0
  var pretrainingLossSum = 0.0
  var pretrainingUpdates = 0.0

  /// Every sum with the name it has in a checkpoint's /rollouts/sums.
  static var fields: [(name: String, path: WritableKeyPath<MiniLLMIterationSums, Double>)] {
    [
    ("reward_tokens", \.collection.tokens), ("reward_sum", \.collection.rewardSum),
    ("reverse_kl_sum", \.collection.reverseKLSum), ("response_tokens", \.collection.responseTokens),
    ("sequences", \.collection.sequences), ("update_tokens", \.updateTokens), ("policy_sum", \.policySum),
    ("single_step_sum", \.singleStepSum), ("clipped_tokens", \.clippedTokens), ("entropy_sum", \.entropySum),
    ("weight_sum", \.weightSum), ("weight_max", \.weightMax), ("pretraining_loss_sum", \.pretrainingLossSum),
    ("pretraining_updates", \.pretrainingUpdates),
    ]
  }

  init() {}

  var named: [String: Double] {
    Dictionary(uniqueKeysWithValues: Self.fields.map { ($0.name, self[keyPath: $0.path]) })
  }

  /// From a checkpoint's named sums; a missing name is an error naming it.
  init(named: [String: Double], path: String) throws {
    for field in Self.fields {
      guard let value = named[field.name] else {
        throw TrainingError("\(path): rollouts/sums has no \(field.name); the checkpoint predates this version or is damaged")
      }
      self[keyPath: field.path] = value
    }
  }
}

/// The sums of one MiniLLM optimizer step over all ranks, added to the iteration's.
struct MiniLLMStepSums {
  var tokens = 0.0
  var policy = 0.0
  var singleStep = 0.0
  var clippedTokens = 0.0
  var entropy = 0.0
  var weightSum = 0.0

  var reducible: [Double] { [tokens, policy, singleStep, clippedTokens, entropy, weightSum] }
  init(tokens: Double, policy: Double, singleStep: Double, clippedTokens: Double, entropy: Double, weightSum: Double) {
    (self.tokens, self.policy, self.singleStep, self.clippedTokens, self.entropy, self.weightSum) =
      (tokens, policy, singleStep, clippedTokens, entropy, weightSum)
  }
  init(reduced v: [Double]) { (tokens, policy, singleStep, clippedTokens, entropy, weightSum) = (v[0], v[1], v[2], v[3], v[4], v[5]) }
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
    let c = s.collection
    meanReward = c.rewardSum / max(c.tokens, 1)
    reverseKLPerToken = c.reverseKLSum / max(c.tokens, 1)
    meanResponseLength = c.responseTokens / max(c.sequences, 1)
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
