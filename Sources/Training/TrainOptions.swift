// What a user may set for a training run: every option of `train`, each optional. The command
// line, a `--config` file and a sweep's per-method options all produce this value; `resolve()`
// fills what is unset from the recipe table and gives the run's `RunConfig`.

import Distill
import Foundation
import Model
import Optim

/// Options of a training run; nil means "the recipe's default". JSON keys are the command-line
/// option names with `_` (`--kd-ratio` is `kd_ratio`).
public struct TrainOptions: Codable, Sendable, Equatable {
  public var method: TrainingMethod?
  // Paths.
  public var teacher: String?
  public var initFrom: String?
  public var data: String?
  public var tokenizer: String?
  public var runDir: String?
  public var pretrainData: String?
  // Run length, optimization.
  public var steps: Int?
  public var batchSize: Int?
  public var lr: Float?
  public var warmup: Int?
  public var schedule: String?
  public var minLr: Float?
  public var weightDecay: Float?
  public var adamBeta1: Float?
  public var adamBeta2: Float?
  public var adamEps: Float?
  public var gradientClip: Double?
  // A fresh model's shape.
  public var dModel: Int?
  public var nLayer: Int?
  public var nHead: Int?
  public var contextLength: Int?
  // Seeds and cadences.
  public var seed: UInt64?
  public var checkpointEvery: Int?
  public var keepLast: Int?
  public var replicaCheckEvery: Int?
  public var overlapReduction: Bool?
  // Teacher-forced objectives.
  public var kdRatio: Double?
  public var beta: Double?
  public var skewLambda: Double?
  public var temperature: Float?
  public var onPolicyFraction: Double?
  public var maxNewTokens: Int?
  public var seqkdVariant: String?
  /// The ranking method: samples per prompt, hinge margin, weight of CE on the best.
  public var rankingSamples: Int?
  public var rankingMargin: Double?
  public var rankingCeWeight: Double?
  // MiniLLM.
  public var alpha: Double?
  public var teacherShards: Int?
  public var rollouts: Int?
  public var minibatch: Int?
  public var ppoEpochs: Int?
  public var ppoClip: Double?
  public var gamma: Double?
  public var rewardScaling: Double?
  public var rewardClip: Double?
  public var paperReturns: Bool?
  public var noLengthNormalization: Bool?
  public var noWhitenAdvantages: Bool?
  public var noSingleStep: Bool?
  public var weightSingleStep: Bool?
  /// MiniLLM: no long-term policy-gradient term (the single-step term alone).
  public var noPolicyGradient: Bool?
  public var lambdaPt: Double?

  public enum CodingKeys: String, CodingKey, CaseIterable {
    case method, teacher, initFrom = "init_from", data, tokenizer, runDir = "run_dir", pretrainData = "pretrain_data"
    case steps, batchSize = "batch_size", lr, warmup, schedule, minLr = "min_lr", weightDecay = "weight_decay"
    case adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2", adamEps = "adam_eps", gradientClip = "gradient_clip"
    case dModel = "d_model", nLayer = "n_layer", nHead = "n_head", contextLength = "context_length"
    case seed, checkpointEvery = "checkpoint_every", keepLast = "keep_last"
    case replicaCheckEvery = "replica_check_every", overlapReduction = "overlap_reduction"
    case kdRatio = "kd_ratio", beta, skewLambda = "skew_lambda", temperature
    case onPolicyFraction = "on_policy_fraction", maxNewTokens = "max_new_tokens", seqkdVariant = "seqkd_variant"
    case rankingSamples = "ranking_samples", rankingMargin = "ranking_margin", rankingCeWeight = "ranking_ce_weight"
    case alpha, teacherShards = "teacher_shards", rollouts, minibatch, ppoEpochs = "ppo_epochs", ppoClip = "ppo_clip"
    case gamma, rewardScaling = "reward_scaling", rewardClip = "reward_clip", paperReturns = "paper_returns"
    case noLengthNormalization = "no_length_normalization", noWhitenAdvantages = "no_whiten_advantages"
    case noSingleStep = "no_single_step", weightSingleStep = "weight_single_step", lambdaPt = "lambda_pt"
    case noPolicyGradient = "no_policy_gradient"
  }

  /// Every key a JSON object of options may hold.
  public static let keys: Set<String> = Set(CodingKeys.allCases.map(\.rawValue))

  public init() {}

  /// `self` with every option that `other` sets replaced by `other`'s value.
  public func overlaid(by other: TrainOptions) -> TrainOptions {
    // The synthesized encoder leaves nil options out, so a key-by-key merge of the two JSON
    // objects is exactly "other wins where it sets something".
    let encoder = JSONEncoder()
    guard let mine = try? JSONSerialization.jsonObject(with: encoder.encode(self)) as? [String: Any],
      let theirs = try? JSONSerialization.jsonObject(with: encoder.encode(other)) as? [String: Any],
      let merged = try? JSONSerialization.data(withJSONObject: mine.merging(theirs) { $1 }),
      let out = try? JSONDecoder().decode(TrainOptions.self, from: merged)
    else { preconditionFailure("TrainOptions round trip through JSON failed") }
    return out
  }

  /// Decodes a JSON object of options; an unknown key or a wrong type is an error naming
  /// `context` and the key.
  public static func decode(_ object: [String: Any], context: String) throws -> TrainOptions {
    let object = object.filter { !$0.key.hasPrefix("#") && $0.key != "comment" }
    for key in object.keys where !keys.contains(key) {
      throw TrainingError("\(context): unknown option \(key) (options: \(keys.sorted().joined(separator: ", ")))")
    }
    do {
      return try JSONDecoder().decode(TrainOptions.self, from: JSONSerialization.data(withJSONObject: object))
    } catch let DecodingError.typeMismatch(_, c), let DecodingError.valueNotFound(_, c), let DecodingError.dataCorrupted(c) {
      throw TrainingError("\(context): \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)")
    }
  }

  /// The run these options describe, every unset option taken from `MethodRecipes`.
  /// Throws `TrainingError` naming a missing or invalid option.
  public func resolve() throws -> RunConfig {
    let method = self.method ?? .sft
    let recipe = MethodRecipes.defaults(for: method)
    guard let data else { throw TrainingError("missing option data (the instruction token cache)") }
    guard let tokenizer else { throw TrainingError("missing option tokenizer (the tokenizer.json of the cache)") }
    guard let runDir else { throw TrainingError("missing option run_dir") }
    let steps = self.steps ?? MethodRecipes.steps
    let peak = lr ?? recipe.lr
    let warm = warmup ?? recipe.warmup
    let kind: LearningRateSchedule.Kind
    switch schedule {
    case nil: kind = recipe.schedule
    case "constant": kind = .constant
    case "cosine": kind = .cosine
    case let other?: throw TrainingError("invalid config: schedule must be constant or cosine, got \(other)")
    }
    let resolvedSchedule: LearningRateSchedule = kind == .constant
      ? .constant(peak, warmupSteps: warm)
      : .cosine(peak, warmupSteps: warm, totalSteps: steps, floor: minLr ?? peak / MethodRecipes.cosineFloorDivisor)
    var optimizer = MethodRecipes.adam
    optimizer.beta1 = adamBeta1 ?? optimizer.beta1
    optimizer.beta2 = adamBeta2 ?? optimizer.beta2
    optimizer.epsilon = adamEps ?? optimizer.epsilon
    optimizer.weightDecay = weightDecay ?? recipe.weightDecay
    let model = GPTConfig(
      vocabSize: 2, contextLength: contextLength ?? MethodRecipes.contextLength, dModel: dModel ?? MethodRecipes.dModel,
      nLayer: nLayer ?? MethodRecipes.nLayer, nHead: nHead ?? MethodRecipes.nHead)
    let kdRatio = self.kdRatio ?? MethodRecipes.kdRatio
    var miniLLM: MiniLLMRunSettings?
    if method == .minillm {
      var objective = MiniLLMConfig()
      objective.alpha = alpha ?? objective.alpha
      objective.ppoEpochs = ppoEpochs ?? objective.ppoEpochs
      objective.ppoClip = ppoClip ?? objective.ppoClip
      objective.gamma = gamma ?? objective.gamma
      objective.rewardScaling = rewardScaling ?? objective.rewardScaling
      objective.rewardClip = rewardClip ?? objective.rewardClip
      objective.includeCurrentReward = !(paperReturns ?? false)
      objective.lengthNormalization = !(noLengthNormalization ?? false)
      objective.whitenAdvantages = !(noWhitenAdvantages ?? false)
      objective.singleStep = !(noSingleStep ?? false)
      objective.weightSingleStep = weightSingleStep ?? false
      if noPolicyGradient == true {
        guard objective.singleStep else {
          throw TrainingError("invalid config: no_policy_gradient and no_single_step together leave MiniLLM no loss term")
        }
        objective.policyGradient = false
      }
      objective.pretrainingLoss = pretrainData != nil
      objective.lambdaPT = lambdaPt ?? objective.lambdaPT
      objective.kdRatio = kdRatio
      miniLLM = MiniLLMRunSettings(
        objective: objective, rollouts: rollouts ?? MethodRecipes.rollouts, minibatch: minibatch ?? MethodRecipes.minibatch,
        teacherShards: teacherShards ?? MethodRecipes.teacherShards, pretrainData: pretrainData)
    } else {
      let miniLLMOnly: [(String, Bool)] = [
        ("alpha", alpha != nil), ("teacher_shards", teacherShards != nil), ("rollouts", rollouts != nil),
        ("minibatch", minibatch != nil), ("ppo_epochs", ppoEpochs != nil), ("ppo_clip", ppoClip != nil),
        ("gamma", gamma != nil), ("reward_scaling", rewardScaling != nil), ("reward_clip", rewardClip != nil),
        ("paper_returns", paperReturns == true), ("no_length_normalization", noLengthNormalization == true),
        ("no_whiten_advantages", noWhitenAdvantages == true), ("no_single_step", noSingleStep == true),
        ("weight_single_step", weightSingleStep == true), ("no_policy_gradient", noPolicyGradient == true),
        ("pretrain_data", pretrainData != nil),
        ("lambda_pt", lambdaPt != nil),
      ]
      if let (name, _) = miniLLMOnly.first(where: { $0.1 }) {
        throw TrainingError("invalid config: \(name) applies to --method minillm only, not \(method.rawValue)")
      }
    }
    var ranking: RankingLossSettings?
    if method == .ranking {
      let d = RankingLossSettings()
      ranking = RankingLossSettings(
        samples: rankingSamples ?? d.samples, margin: rankingMargin ?? d.margin, ceWeight: rankingCeWeight ?? d.ceWeight)
    } else if let (name, _) = [("ranking_samples", rankingSamples != nil), ("ranking_margin", rankingMargin != nil),
      ("ranking_ce_weight", rankingCeWeight != nil)].first(where: { $0.1 })
    {
      throw TrainingError("invalid config: \(name) applies to --method ranking only, not \(method.rawValue)")
    }
    var config = RunConfig(
      method: method, teacher: method.needsTeacher ? teacher : nil, initFrom: initFrom, data: data, tokenizer: tokenizer,
      runDirectory: runDir, model: model, batchSize: batchSize ?? MethodRecipes.batchSize, steps: steps,
      schedule: resolvedSchedule, optimizer: optimizer, gradientClip: gradientClip ?? MethodRecipes.gradientClip,
      seed: seed ?? MethodRecipes.seed, checkpointEvery: checkpointEvery ?? MethodRecipes.checkpointEvery,
      keepLast: keepLast ?? MethodRecipes.keepLast, replicaCheckEvery: replicaCheckEvery ?? MethodRecipes.replicaCheckEvery,
      overlapGradientReduction: overlapReduction ?? false, kdRatio: kdRatio, beta: beta ?? MethodRecipes.beta,
      skewLambda: skewLambda ?? MethodRecipes.skewLambda, temperature: temperature ?? MethodRecipes.temperature,
      onPolicyFraction: onPolicyFraction ?? recipe.onPolicyFraction, maxNewTokens: maxNewTokens ?? recipe.maxNewTokens,
      seqkdVariant: seqkdVariant ?? MethodRecipes.seqkdVariant, miniLLM: miniLLM)
    config.ranking = ranking
    try config.validate()
    return config
  }
}
