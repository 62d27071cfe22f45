// The whole MiniLLM loss on one minibatch of rollout tokens: the PPO policy-gradient term
// plus the single-step reverse KL over the full vocabulary, and their logits gradient.

import Kernels

/// A minibatch of rollouts laid out as the student sees it, N = B·T positions; position n
/// predicts `targets[n]`, and only response positions have `mask[n] != 0`.
public struct MiniLLMTokens: Sendable {
  public var targets: [Int32]
  public var mask: [Float]
  /// log q_old(y_t) recorded while sampling.
  public var logQOld: [Float]
  /// Importance weights w_t = q_old(y_t) / p̃(y_t) of the sampled tokens.
  public var weights: [Float]
  /// Whitened long-term advantages.
  public var advantages: [Double]

  public init(targets: [Int32], mask: [Float], logQOld: [Float], weights: [Float], advantages: [Double]) {
    self.targets = targets
    self.mask = mask
    self.logQOld = logQOld
    self.weights = weights
    self.advantages = advantages
  }
}

/// The parts of the MiniLLM loss (sums over masked positions; divide by the token count).
public struct MiniLLMLossParts: Sendable {
  public var policy: MaskedLoss
  public var singleStep: MaskedLoss
  public var clippedTokens: Int
}

/// Σ_t [PPO surrogate(ratio_t·w_t, A_t) + KL(q_θ(·|y<t) ‖ p(·|y<t)) (× w_t when
/// `settings.weightSingleStep`)], the single-step term only when `settings.singleStep`, the
/// surrogate only when `settings.policyGradient` is not false;
/// writes gradientScale·∂/∂logits into `dlogits`.
/// - logits, dlogits: (N, Vp); teacherLogProbs: (N, V) (needed only with the single-step term)
public func miniLLMLoss(
  dlogits: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, teacherLogProbs: UnsafePointer<Float>?,
  tokens: MiniLLMTokens, settings: MiniLLMConfig, gradientScale: Float, N: Int, V: Int, Vp: Int
) -> MiniLLMLossParts {
  let targets = tokens.targets.map { max($0, 0) }
  guard settings.policyGradient ?? true else {
    dlogits.update(repeating: 0, count: N * Vp)
    let singleStep = singleStepLoss(dlogits: dlogits, logits: logits, teacherLogProbs: teacherLogProbs, tokens: tokens, settings: settings, gradientScale: gradientScale, N: N, V: V, Vp: Vp)
    return MiniLLMLossParts(policy: MaskedLoss(lossSum: 0, weightSum: 0), singleStep: singleStep, clippedTokens: 0)
  }
  let pg = policyGradientLoss(
    dlogits: dlogits, logits: logits, tokens: targets, logQOld: tokens.logQOld, weights: tokens.weights,
    advantages: tokens.advantages, mask: tokens.mask, clip: settings.ppoClip, gradientScale: gradientScale,
    N: N, V: V, Vp: Vp)
  let singleStep = singleStepLoss(
    dlogits: dlogits, logits: logits, teacherLogProbs: teacherLogProbs, tokens: tokens, settings: settings,
    gradientScale: gradientScale, N: N, V: V, Vp: Vp)
  return MiniLLMLossParts(policy: pg.loss, singleStep: singleStep, clippedTokens: pg.clippedTokens)
}

/// The single-step term Σ_t KL(q_θ(·|y<t) ‖ p(·|y<t)) (× w_t when `settings.weightSingleStep`),
/// when `settings.singleStep`; adds gradientScale·∂/∂logits into `dlogits`.
func singleStepLoss(
  dlogits: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, teacherLogProbs: UnsafePointer<Float>?,
  tokens: MiniLLMTokens, settings: MiniLLMConfig, gradientScale: Float, N: Int, V: Int, Vp: Int
) -> MaskedLoss {
  guard settings.singleStep, let teacherLogProbs else { return MaskedLoss(lossSum: 0, weightSum: 0) }
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: N * Vp)
  defer { scratch.deallocate() }
  let mask = settings.weightSingleStep ? zip(tokens.mask, tokens.weights).map { $0 * $1 } : tokens.mask
  let loss = divergenceLoss(
    .reverseKL, dlogits: scratch, studentLogits: logits, teacherLogProbs: teacherLogProbs, teacherStride: V,
    mask: mask, gradientScale: gradientScale, N: N, V: V, Vp: Vp)
  for i in 0..<(N * Vp) { dlogits[i] += scratch[i] }
  return loss
}
