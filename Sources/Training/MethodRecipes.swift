// The recipe table: every default of a training run, per method where methods differ, each
// with where it comes from. The CLI, `--config` files and sweeps all resolve through it
// (`TrainOptions.resolve()`), so a default is written here and nowhere else.

import Optim

/// The defaults that differ between methods.
public struct MethodDefaults: Sendable, Equatable {
  public var lr: Float
  public var warmup: Int
  public var schedule: LearningRateSchedule.Kind
  public var weightDecay: Float
  /// Longest sampled response (on-policy steps, rollouts, SeqKD answers).
  public var maxNewTokens: Int
  public var onPolicyFraction: Double
  /// Where these numbers come from.
  public var source: String
}

/// The recipe table.
public enum MethodRecipes {
  /// Teacher-forced methods: a short cosine schedule that suits small students trained from
  /// scratch or from an SFT initialization (our choice, measured on the synthetic task).
  static let teacherForced = MethodDefaults(
    lr: 5e-4, warmup: 10, schedule: .cosine, weightDecay: 0.01, maxNewTokens: 128, onPolicyFraction: 0,
    source: "ours: cosine to lr/10, the setting the quickstart's SFT/KD stages were tuned around")

  /// The defaults of `method`.
  public static func defaults(for method: TrainingMethod) -> MethodDefaults {
    switch method {
    case .minillm:
      return MethodDefaults(
        lr: 5e-6, warmup: 100, schedule: .constant, weightDecay: 1e-6, maxNewTokens: 256, onPolicyFraction: 0,
        source: "the MiniLLM paper's reference settings (docs/method.md): constant lr 5e-6, 100 warm-up steps, wd 1e-6, 256 new tokens")
    case .gkd:
      var gkd = teacherForced
      gkd.onPolicyFraction = 0.5
      gkd.source = "GKD (Agarwal et al.): JSD(β) with on-policy fraction λ = 0.5; the rest as the teacher-forced methods"
      return gkd
    default:
      return teacherForced
    }
  }

  // Defaults shared by every method.
  /// Run length and batch: ours, for the CLI's first run on the embedded task.
  public static let steps = 100
  public static let batchSize = 8
  /// A fresh model: a small GPT-2-family shape (ours).
  public static let dModel = 128
  public static let nLayer = 4
  public static let nHead = 4
  public static let contextLength = 512
  public static let seed: UInt64 = 1
  /// Cadences (ours).
  public static let checkpointEvery = 50
  public static let keepLast = 3
  public static let replicaCheckEvery = 50
  /// Optimizer: AdamW with GPT-style β2 = 0.95 and ε = 1e-8 (nanoGPT / llm.c); global-norm clip 1.
  public static let adam = AdamWConfig(beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0)
  public static let gradientClip = 1.0
  /// The cosine schedule ends at lr / this (ours).
  public static let cosineFloorDivisor: Float = 10
  /// Objectives: KD mix 0.5 (MiniLLM's scripts), JSD β 0.5 (GKD), skew λ 0.1 (DistiLLM), T = 1.
  public static let kdRatio = 0.5
  public static let beta = 0.5
  public static let skewLambda = 0.1
  public static let temperature: Float = 1
  /// SeqKD trains with the KD mix on the teacher's answers, as the MiniLLM authors' scripts do.
  public static let seqkdVariant = "kd"
  /// MiniLLM rollouts: 256 prompts per collection, minibatch 64 (the paper's reference table),
  /// one teacher shard. The objective's flags default to `MiniLLMConfig()` (the authors' code
  /// where paper and code differ).
  public static let rollouts = 256
  public static let minibatch = 64
  public static let teacherShards = 1
}
