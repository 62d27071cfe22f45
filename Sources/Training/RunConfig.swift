// The fully resolved configuration of one training run, whatever the method: what the
// trainers read, what every checkpoint records under /config/run, and what a resume compares.

import Distill
import Foundation
import Model
import Optim

/// MiniLLM's settings beyond the objective's flags: how rollouts are collected and batched.
public struct MiniLLMRunSettings: Codable, Sendable, Equatable {
  /// The objective's flags (α, γ, returns form, PPO clip and epochs, single-step, L_PT, …).
  public var objective: MiniLLMConfig
  /// Prompts per collection and sequences per PPO minibatch, over all ranks.
  public var rollouts: Int
  public var minibatch: Int
  /// Ranks per teacher group (the teacher is split over them).
  public var teacherShards: Int
  /// D_PT token cache for the L_PT term (nil: L_PT off).
  public var pretrainData: String?

  enum CodingKeys: String, CodingKey {
    case objective, rollouts, minibatch, teacherShards = "teacher_shards", pretrainData = "pretrain_data"
  }

  public init(objective: MiniLLMConfig, rollouts: Int, minibatch: Int, teacherShards: Int, pretrainData: String?) {
    self.objective = objective
    self.rollouts = rollouts
    self.minibatch = minibatch
    self.teacherShards = teacherShards
    self.pretrainData = pretrainData
  }
}

/// A training run, resolved: method, data, model shape (for a fresh start), optimization,
/// cadences, the objective's settings and, for MiniLLM, the rollout settings. Built from
/// `TrainOptions` by `TrainOptions.resolve()`; keys on disk are snake_case.
public struct RunConfig: Codable, Sendable, Equatable {
  public var method: TrainingMethod
  /// Teacher checkpoint (all methods but SFT).
  public var teacher: String?
  /// A checkpoint whose weights (and architecture) start a fresh run, e.g. the SFT student.
  public var initFrom: String?
  /// Token cache of instruction data (`minillm-dist data prepare --instructions`); for SeqKD
  /// the cache of the teacher's answers once it is made.
  public var data: String
  /// The tokenizer.json the cache was built with.
  public var tokenizer: String
  /// Run directory (checkpoints under `checkpoints/`).
  public var runDirectory: String
  /// Architecture for a fresh start (on resume or --init-from: the checkpoint's, recorded here).
  public var model: GPTConfig
  /// Sequences per rank per step (MiniLLM: prompts sampled together per rank).
  public var batchSize: Int
  /// Optimizer steps in the whole run.
  public var steps: Int
  public var schedule: LearningRateSchedule
  public var optimizer: AdamWConfig
  /// Global-norm clip (0: off).
  public var gradientClip: Double
  /// Base seed of the data order, the generators and the rollout streams.
  public var seed: UInt64
  /// Write a checkpoint every this many steps (and at the end); keep this many besides the best.
  public var checkpointEvery: Int
  public var keepLast: Int
  /// Compare a parameter checksum across ranks every this many steps (0: never).
  public var replicaCheckEvery: Int
  /// Start each layer's gradient all-reduce during the backward instead of after it.
  public var overlapGradientReduction: Bool
  /// KD mix weight, JSD β, skew λ, temperature of the teacher-forced objectives.
  public var kdRatio: Double
  public var beta: Double
  public var skewLambda: Double
  public var temperature: Float
  /// The probability that a teacher-forced step trains on the student's own samples (GKD).
  public var onPolicyFraction: Double
  /// Longest sampled response: on-policy steps, MiniLLM rollouts, SeqKD answers.
  public var maxNewTokens: Int
  /// SeqKD: KD mix ("kd", the authors' scripts) or cross-entropy ("ce") on the teacher's answers.
  public var seqkdVariant: String
  /// MiniLLM only.
  public var miniLLM: MiniLLMRunSettings?
  /// The ranking method only.
  public var ranking: RankingLossSettings?

  enum CodingKeys: String, CodingKey {
    case method, teacher, initFrom = "init_from", data, tokenizer, runDirectory = "run_directory", model
    case batchSize = "batch_size", steps, schedule, optimizer, gradientClip = "gradient_clip", seed
    case checkpointEvery = "checkpoint_every", keepLast = "keep_last", replicaCheckEvery = "replica_check_every"
    case overlapGradientReduction = "overlap_gradient_reduction"
    case kdRatio = "kd_ratio", beta, skewLambda = "skew_lambda", temperature
    case onPolicyFraction = "on_policy_fraction", maxNewTokens = "max_new_tokens", seqkdVariant = "seqkd_variant"
    case miniLLM = "minillm", ranking
  }

  /// The per-token loss of a teacher-forced step.
  public var objective: TokenObjective {
    switch method {
    case .sft: return .crossEntropy
    case .kd: return .kdMix
    case .seqkd: return seqkdVariant == "ce" ? .crossEntropy : .kdMix
    case .gkd, .rkl, .jsd, .tvd, .sfkl, .srkl, .minillm: return .divergence
    case .ranking: return .ranking
    }
  }

  /// The divergence of the divergence methods (GKD: JSD(β)); nil for the others.
  public var divergence: Divergence? {
    switch method {
    case .sft, .kd, .seqkd, .ranking: return nil
    case .rkl, .minillm: return .reverseKL
    case .jsd, .gkd: return .jensenShannon(beta: beta)
    case .tvd: return .totalVariation
    case .sfkl: return .skewForwardKL(lambda: skewLambda)
    case .srkl: return .skewReverseKL(lambda: skewLambda)
    }
  }

  /// The stage name checkpoints record: "sft", "distill" (teacher-forced methods) or "minillm".
  public var stage: String {
    switch method {
    case .sft: return "sft"
    case .minillm: return "minillm"
    default: return "distill"
    }
  }

  /// Throws `TrainingError` naming the first invalid field.
  public func validate() throws {
    func require(_ ok: Bool, _ field: String, _ message: String) throws {
      if !ok { throw TrainingError("invalid config: \(field) \(message)") }
    }
    try require(batchSize >= 1, "batch_size", "must be ≥ 1, got \(batchSize)")
    try require(steps >= 1, "steps", "must be ≥ 1, got \(steps)")
    try require(checkpointEvery >= 1, "checkpoint_every", "must be ≥ 1, got \(checkpointEvery)")
    try require(keepLast >= 1, "keep_last", "must be ≥ 1, got \(keepLast)")
    try require(!runDirectory.isEmpty, "run_dir", "must not be empty (it would write checkpoints/ and metrics.jsonl at the filesystem root)")
    try require(schedule.peak.isFinite && schedule.peak > 0, "lr", "must be finite and > 0, got \(schedule.peak)")
    try require(schedule.warmupSteps >= 0, "warmup", "must be ≥ 0, got \(schedule.warmupSteps)")
    try require(schedule.floor.isFinite && schedule.floor >= 0, "min_lr", "must be finite and ≥ 0, got \(schedule.floor)")
    try require(gradientClip >= 0, "gradient_clip", "must be ≥ 0, got \(gradientClip)")
    try require(optimizer.beta1 >= 0 && optimizer.beta1 < 1, "adam_beta1", "must be in [0, 1), got \(optimizer.beta1)")
    try require(optimizer.beta2 >= 0 && optimizer.beta2 < 1, "adam_beta2", "must be in [0, 1), got \(optimizer.beta2)")
    try require(optimizer.epsilon > 0, "adam_eps", "must be > 0, got \(optimizer.epsilon)")
    try require(optimizer.weightDecay >= 0, "weight_decay", "must be ≥ 0, got \(optimizer.weightDecay)")
    try require(!method.needsTeacher || teacher != nil, "teacher", "is required for --method \(method.rawValue)")
    try require((0...1).contains(kdRatio), "kd_ratio", "must be in [0, 1], got \(kdRatio)")
    try require((0...1).contains(beta), "beta", "must be in [0, 1], got \(beta)")
    try require((0...1).contains(skewLambda), "skew_lambda", "must be in [0, 1], got \(skewLambda)")
    try require(temperature > 0, "temperature", "must be > 0, got \(temperature)")
    try require(maxNewTokens >= 1, "max_new_tokens", "must be ≥ 1, got \(maxNewTokens)")
    try require(["kd", "ce"].contains(seqkdVariant), "seqkd_variant", "must be kd or ce, got \(seqkdVariant)")
    try require((0...1).contains(onPolicyFraction), "on_policy_fraction", "must be in [0, 1], got \(onPolicyFraction)")
    try require(
      onPolicyFraction == 0 || (divergence != nil && method != .minillm), "on_policy_fraction",
      "needs a divergence method (rkl, jsd, tvd, sfkl, srkl, gkd): student samples have no reference tokens for CE")
    try require((method == .minillm) == (miniLLM != nil), "minillm", "settings are given exactly for --method minillm")
    try require((method == .ranking) == (ranking != nil), "ranking", "settings are given exactly for --method ranking")
    if let r = ranking {
      try require(r.samples >= 2, "ranking_samples", "must be ≥ 2, got \(r.samples)")
      try require(r.margin >= 0, "ranking_margin", "must be ≥ 0, got \(r.margin)")
      try require(r.ceWeight >= 0, "ranking_ce_weight", "must be ≥ 0, got \(r.ceWeight)")
    }
    if let m = miniLLM {
      let o = m.objective
      try require((0...1).contains(o.alpha), "alpha", "must be in [0, 1], got \(o.alpha)")
      try require(o.rewardScaling > 0, "reward_scaling", "must be > 0, got \(o.rewardScaling)")
      try require(o.rewardClip > 0, "reward_clip", "must be > 0, got \(o.rewardClip)")
      try require((0...1).contains(o.gamma), "gamma", "must be in [0, 1], got \(o.gamma)")
      try require(o.ppoClip > 0, "ppo_clip", "must be > 0, got \(o.ppoClip)")
      try require(o.ppoEpochs >= 1, "ppo_epochs", "must be ≥ 1, got \(o.ppoEpochs)")
      try require(o.lambdaPT >= 0, "lambda_pt", "must be ≥ 0, got \(o.lambdaPT)")
      try require(m.rollouts >= 1 && m.minibatch >= 1, "rollouts", "and minibatch must be ≥ 1, got \(m.rollouts), \(m.minibatch)")
      try require(m.teacherShards >= 1, "teacher_shards", "must be ≥ 1, got \(m.teacherShards)")
      try require(o.pretrainingLoss == (m.pretrainData != nil), "pretrain_data", "is given exactly when L_PT is on")
    }
    try model.validate()
  }
}

/// A training run that cannot go on.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

extension RunConfig {
  /// The settings a resumed run must share with the run that wrote the checkpoint: changing
  /// any of them mid-run would silently make a different experiment. (Steps, cadences,
  /// evaluation and paths may change.)
  static let resumeInvariantKeys = [
    "method", "seed", "batch_size", "optimizer", "gradient_clip", "kd_ratio", "beta", "skew_lambda", "temperature",
    "on_policy_fraction", "max_new_tokens", "seqkd_variant", "minillm", "ranking",
  ]

  /// The first setting in which this run differs from the recorded run configuration (JSON
  /// of a checkpoint's /config/run), as "KEY VALUE (this run: VALUE)"; nil when they agree or
  /// the record predates full run records.
  public func resumeMismatch(recorded json: String) -> String? {
    guard let recorded = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
      recorded["seqkd_variant"] != nil,  // written by this format
      let current = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any]
    else { return nil }
    for key in Self.resumeInvariantKeys {
      let before = recorded[key].map(Self.canonical) ?? "none"
      let now = current[key].map(Self.canonical) ?? "none"
      if before != now { return "\(key) \(before) (this run: \(now))" }
    }
    return nil
  }

  /// The settings outside `resumeInvariantKeys` in which this run differs from the recorded
  /// one, as "KEY RECORDED → NOW" (for example a longer `steps` or another `schedule`): allowed,
  /// and printed so that the change is on record. Empty when the record predates full records.
  public func resumeChanges(recorded json: String) -> [String] {
    guard let recorded = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
      recorded["seqkd_variant"] != nil,
      let current = try? JSONSerialization.jsonObject(with: JSONEncoder().encode(self)) as? [String: Any]
    else { return [] }
    // The model always comes from the checkpoint on resume, so it is not a change.
    let keys = Set(recorded.keys).union(current.keys).subtracting(Self.resumeInvariantKeys + ["model"]).sorted()
    func shown(_ value: Any?) -> String {
      guard let value else { return "none" }
      let text = Self.canonical(value)  // "[VALUE]"
      return text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
    }
    return keys.compactMap { key in
      let (before, now) = (shown(recorded[key]), shown(current[key]))
      return before == now ? nil : "\(key) \(before) → \(now)"
    }
  }

  /// A JSON value as sorted-key text, for comparison.
  static func canonical(_ value: Any) -> String {
    guard JSONSerialization.isValidJSONObject([value]),
      let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .fragmentsAllowed])
    else { return "\(value)" }
    return String(decoding: data, as: UTF8.self)
  }
}
