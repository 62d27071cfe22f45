// The settings of a teacher-forced training run (SFT, word-level KD and the token-level
// divergences on dataset responses): a typed value, validated once.

import Distill
import Model
import Optim

/// The objective of a teacher-forced run.
public enum TeacherForcedMethod: String, Codable, Sendable, CaseIterable {
  /// Cross-entropy on the reference responses.
  case sft
  /// (1 − kd_ratio)·CE + kd_ratio·KL(p ‖ q).
  case kd
  /// KL(q ‖ p), generalized JSD(β), total variation, skew forward / reverse KL(λ).
  case rkl, jsd, tvd, sfkl, srkl

  /// Whether the method needs a teacher.
  public var needsTeacher: Bool { self != .sft }
}

/// A teacher-forced run: method, data, model shape (for a fresh start), optimization and
/// checkpoint cadences.
/// Keys on disk are snake_case; the resolved config is stored in every checkpoint.
public struct TeacherForcedConfig: Codable, Sendable {
  /// The objective and, for all but SFT, the teacher checkpoint and the objective's settings.
  public var method: TeacherForcedMethod = .sft
  public var teacher: String?
  public var kdRatio: Double = 0.5
  public var beta: Double = 0.5
  public var skewLambda: Double = 0.1
  public var temperature: Float = 1
  /// On-policy mixing (GKD): the probability that a step trains on the student's own sampled
  /// responses to the batch's prompts (scored by the teacher) instead of the dataset's.
  public var onPolicyFraction: Double = 0
  /// Longest sampled response in on-policy steps.
  public var onPolicyMaxNewTokens: Int = 128
  /// A checkpoint whose weights (and architecture) start a fresh run, e.g. the SFT student.
  public var initFrom: String?
  /// Token cache of instruction data (`minillm-dist data prepare --instructions`).
  public var data: String
  /// The tokenizer.json the cache was built with.
  public var tokenizer: String
  /// Run directory (checkpoints under `checkpoints/`).
  public var runDirectory: String
  /// Architecture for a fresh start (ignored on resume: the checkpoint's wins).
  public var model: GPTConfig
  /// Sequences per rank per step.
  public var batchSize: Int
  /// Optimizer steps in the whole run.
  public var steps: Int
  public var schedule: LearningRateSchedule
  public var optimizer: AdamWConfig
  /// Global-norm clip (0: off).
  public var gradientClip: Double
  /// Base seed: rank r uses seed + r for its generator; the data order uses the seed.
  public var seed: UInt64
  /// Write a checkpoint every this many steps (and at the end).
  public var checkpointEvery: Int
  /// Checkpoints to keep besides the best.
  public var keepLast: Int
  /// Compare a parameter checksum across ranks every this many steps (0: never); a difference
  /// aborts the job.
  public var replicaCheckEvery: Int = 50
  /// Start each layer's gradient all-reduce during the backward (non-blocking) instead of one
  /// bucketed all-reduce after it.
  public var overlapGradientReduction: Bool = false

  enum CodingKeys: String, CodingKey {
    case method, teacher, kdRatio = "kd_ratio", beta, skewLambda = "skew_lambda", temperature
    case initFrom = "init_from", onPolicyFraction = "on_policy_fraction"
    case onPolicyMaxNewTokens = "on_policy_max_new_tokens"
    case data, tokenizer, runDirectory = "run_directory", model, batchSize = "batch_size", steps
    case schedule, optimizer, gradientClip = "gradient_clip", seed
    case checkpointEvery = "checkpoint_every", keepLast = "keep_last"
    case replicaCheckEvery = "replica_check_every"
    case overlapGradientReduction = "overlap_gradient_reduction"
  }

  public init(
    data: String, tokenizer: String, runDirectory: String, model: GPTConfig, batchSize: Int,
    steps: Int, schedule: LearningRateSchedule, optimizer: AdamWConfig = .init(weightDecay: 0.01),
    gradientClip: Double = 1, seed: UInt64 = 1, checkpointEvery: Int = 100, keepLast: Int = 3
  ) {
    self.data = data
    self.tokenizer = tokenizer
    self.runDirectory = runDirectory
    self.model = model
    self.batchSize = batchSize
    self.steps = steps
    self.schedule = schedule
    self.optimizer = optimizer
    self.gradientClip = gradientClip
    self.seed = seed
    self.checkpointEvery = checkpointEvery
    self.keepLast = keepLast
  }

  /// Throws `TrainingError` naming the first invalid field.
  public func validate() throws {
    func require(_ ok: Bool, _ field: String, _ message: String) throws {
      if !ok { throw TrainingError("invalid config: \(field) \(message)") }
    }
    try require(batchSize >= 1, "batch_size", "must be ≥ 1, got \(batchSize)")
    try require(steps >= 1, "steps", "must be ≥ 1, got \(steps)")
    try require(checkpointEvery >= 1, "checkpoint_every", "must be ≥ 1, got \(checkpointEvery)")
    try require(schedule.peak > 0, "schedule.lr", "must be > 0, got \(schedule.peak)")
    try require(!method.needsTeacher || teacher != nil, "teacher", "is required for --method \(method.rawValue)")
    try require((0...1).contains(kdRatio), "kd_ratio", "must be in [0, 1], got \(kdRatio)")
    try require((0...1).contains(beta), "beta", "must be in [0, 1], got \(beta)")
    try require((0...1).contains(skewLambda), "skew_lambda", "must be in [0, 1], got \(skewLambda)")
    try require(temperature > 0, "temperature", "must be > 0, got \(temperature)")
    try require((0...1).contains(onPolicyFraction), "on_policy_fraction", "must be in [0, 1], got \(onPolicyFraction)")
    try require(
      onPolicyFraction == 0 || divergence != nil, "on_policy_fraction",
      "needs a divergence method (rkl, jsd, tvd, sfkl, srkl): student samples have no reference tokens for CE")
    try model.validate()
  }
}

/// A training run that cannot go on.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

extension TeacherForcedConfig {
  /// The divergence for the divergence methods.
  var divergence: Divergence? {
    switch method {
    case .sft, .kd: return nil
    case .rkl: return .reverseKL
    case .jsd: return .jensenShannon(beta: beta)
    case .tvd: return .totalVariation
    case .sfkl: return .skewForwardKL(lambda: skewLambda)
    case .srkl: return .skewReverseKL(lambda: skewLambda)
    }
  }
}
