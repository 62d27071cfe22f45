// The one method type: every way of training a student that the CLI, `--config` files and
// sweeps can name.

/// A training method. Teacher-forced methods train on a token cache with a per-token loss;
/// MiniLLM collects its own rollouts (docs/method.md).
public enum TrainingMethod: String, Codable, Sendable, CaseIterable {
  /// Cross-entropy on the reference responses.
  case sft
  /// Word-level KD: (1 − kd_ratio)·CE + kd_ratio·KL(p ‖ q).
  case kd
  /// Sequence-level KD: the teacher answers the prompts once, then KD (or CE) on its answers.
  case seqkd
  /// Generalized KD: JSD(β) on the student's own samples with probability on_policy_fraction.
  case gkd
  /// Token-level divergences to the teacher: KL(q ‖ p), generalized JSD(β), total variation,
  /// skew forward / reverse KL(λ).
  case rkl, jsd, tvd, sfkl, srkl
  /// Reverse-KL policy gradients with teacher-mixed sampling.
  case minillm
  /// The MiniLLM paper's Alternative #2: K student samples per prompt ranked by the teacher's
  /// log-likelihood; a margin loss between the best and the worst plus λ·CE on the best.
  case ranking

  /// Whether the method needs a teacher checkpoint.
  public var needsTeacher: Bool { self != .sft }

  /// Whether the method is trained by the teacher-forced trainer (all but MiniLLM).
  public var isTeacherForced: Bool { self != .minillm }

  /// The names, in declaration order, for help texts and errors.
  public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The per-token loss a teacher-forced step minimizes.
public enum TokenObjective: String, Codable, Sendable {
  /// Cross-entropy on the batch's tokens.
  case crossEntropy = "ce"
  /// (1 − kd_ratio)·CE + kd_ratio·KL(p ‖ q).
  case kdMix = "kd"
  /// A divergence to the teacher (run config's divergence fields).
  case divergence
  /// The ranking loss on the student's own samples (`rankingLossWeights`).
  case ranking
}
