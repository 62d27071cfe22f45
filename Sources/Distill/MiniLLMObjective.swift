// The MiniLLM objective's pieces as pure functions (docs/method.md): rewards,
// length-normalized long-term advantages, the PPO clipped surrogate with importance weights,
// and the exact single-step reverse-KL term.

import Kernels

#if canImport(Glibc)
  import Glibc
#endif

/// The MiniLLM flags of docs/method.md; defaults are the reference table's (the authors' code where
/// paper and code differ, with the paper's choice one flag away).
public struct MiniLLMConfig: Codable, Sendable, Equatable {
  /// Teacher-mix strength in sampling, p̃ = α·p + (1−α)·q.
  public var alpha: Double = 0.2
  /// r_t = (log p − log q_old) / rewardScaling, clipped to ±rewardClip.
  public var rewardScaling: Double = 0.5
  public var rewardClip: Double = 100
  /// Discount of future rewards (the paper uses none: 1).
  public var gamma: Double = 0.95
  /// Start the long-term return at r_t (authors' code) or at r_{t+1} (paper).
  public var includeCurrentReward: Bool = true
  /// Divide the return by the number of rewards it sums; false really turns it off.
  public var lengthNormalization: Bool = true
  /// Whiten advantages (mean 0, variance 1) over all tokens of all ranks.
  public var whitenAdvantages: Bool = true
  /// PPO clip range ε and inner epochs over the rollout store.
  public var ppoClip: Double = 0.2
  public var ppoEpochs: Int = 4
  /// The single-step reverse-KL term: on/off, and weighted by w_t (paper) or not (code).
  public var singleStep: Bool = true
  public var weightSingleStep: Bool = false
  /// The long-term policy-gradient term: nil or true on; false leaves the single-step term
  /// alone on MiniLLM's rollouts (the paper's "single-step only" ablation). Optional so that
  /// the run configurations recorded before it existed read the same.
  public var policyGradient: Bool? = nil
  /// The language-modelling loss on D_PT: on/off, its weight λ_PT and its KD mix.
  public var pretrainingLoss: Bool = true
  public var lambdaPT: Double = 1
  public var kdRatio: Double = 0.5

  enum CodingKeys: String, CodingKey {
    case alpha, rewardScaling = "reward_scaling", rewardClip = "reward_clip", gamma
    case includeCurrentReward = "include_current_reward", lengthNormalization = "length_normalization"
    case whitenAdvantages = "whiten_advantages", ppoClip = "ppo_clip", ppoEpochs = "ppo_epochs"
    case singleStep = "single_step", weightSingleStep = "weight_single_step", policyGradient = "policy_gradient"
    case pretrainingLoss = "pretraining_loss", lambdaPT = "lambda_pt", kdRatio = "kd_ratio"
  }

  public init() {}
}

/// Per-token rewards of one response: clip((log p − log q_old) / scaling, ±clip).
public func rewards(logP: [Float], logQOld: [Float], config: MiniLLMConfig) -> [Double] {
  zip(logP, logQOld).map { p, q in
    min(max((Double(p) - Double(q)) / config.rewardScaling, -config.rewardClip), config.rewardClip)
  }
}

/// Long-term advantages of one response of T tokens from its rewards.
///
/// With `includeCurrentReward` (authors): A_t = Σ_{t'≥t} γ^{t'−t} r_{t'}, divided by T − t (the
/// rewards summed) under length normalization. Without (paper): A_t = Σ_{t'>t} γ^{t'−t−1} r_{t'},
/// divided by T − t − 1, and 0 when nothing follows.
public func advantages(rewards r: [Double], config: MiniLLMConfig) -> [Double] {
  let T = r.count
  var result = [Double](repeating: 0, count: T)
  var following = 0.0  // Σ_{t' > t} γ^{t'−t−1} r_{t'}
  for t in stride(from: T - 1, through: 0, by: -1) {
    let withCurrent = r[t] + config.gamma * following
    let value = config.includeCurrentReward ? withCurrent : following
    let count = config.includeCurrentReward ? T - t : T - t - 1
    result[t] = config.lengthNormalization ? (count > 0 ? value / Double(count) : 0) : value
    following = withCurrent
  }
  return result
}

/// (x − mean) / (std + 1e-8) with statistics the caller computed over every rank's tokens.
public func whiten(_ values: [Double], mean: Double, variance: Double) -> [Double] {
  let scale = 1 / (variance.squareRoot() + 1e-8)
  return values.map { ($0 - mean) * scale }
}

/// The PPO clipped surrogate for one token and its derivative with respect to log q_θ(y_t):
/// ratio = exp(log q − log q_old)·w; loss = max(−A·ratio, −A·clip(ratio, 1−ε, 1+ε)).
/// When the clipped branch is the larger, the loss is flat in log q (derivative 0).
public func clippedSurrogate(logQ: Double, logQOld: Double, weight: Double, advantage: Double, clip: Double)
  -> (loss: Double, dLogQ: Double, clipped: Bool)
{
  let ratio = exp(logQ - logQOld) * weight
  let unclipped = -advantage * ratio
  let clippedRatio = min(max(ratio, 1 - clip), 1 + clip)
  let clippedLoss = -advantage * clippedRatio
  if clippedLoss > unclipped { return (clippedLoss, 0, true) }
  return (unclipped, -advantage * ratio, false)
}

/// The policy-gradient part over a batch of rollout tokens: Σ_n mask·surrogate, with
/// dlogits[n] = gradientScale·mask·dLoss/dlogq·(onehot(y_n) − q_n).
/// - logits, dlogits: (N, Vp); tokens, logQOld, weights, advantages, mask: (N)
/// - Returns: the loss sum, the mask weight and the number of clipped tokens.
public func policyGradientLoss(
  dlogits: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, tokens: [Int32],
  logQOld: [Float], weights: [Float], advantages: [Double], mask: [Float], clip: Double,
  gradientScale: Float, N: Int, V: Int, Vp: Int
) -> (loss: MaskedLoss, clippedTokens: Int) {
  var lossSum = 0.0
  var weightSum = 0.0
  var clippedTokens = 0
  for n in 0..<N {
    let d = dlogits + n * Vp
    guard mask[n] != 0 else {
      d.update(repeating: 0, count: Vp)
      continue
    }
    let row = logits + n * Vp
    let lse = Double(logSumExp(row, V: V))
    let y = Int(tokens[n])
    let logQ = Double(row[y]) - lse
    let term = clippedSurrogate(
      logQ: logQ, logQOld: Double(logQOld[n]), weight: Double(weights[n]), advantage: advantages[n], clip: clip)
    lossSum += Double(mask[n]) * term.loss
    weightSum += Double(mask[n])
    if term.clipped { clippedTokens += 1 }
    // d log q_y / d z_i = 1[i = y] − q_i
    let factor = Double(gradientScale) * Double(mask[n]) * term.dLogQ
    for i in 0..<V { d[i] = Float(-factor * exp(Double(row[i]) - lse)) }
    d[y] += Float(factor)
    for i in V..<Vp { d[i] = 0 }
  }
  return (MaskedLoss(lossSum: lossSum, weightSum: weightSum), clippedTokens)
}
