// Token-level divergences between a teacher's and the student's next-token distributions,
// as pure functions: (student logits, teacher log-probs, mask) → (loss, dlogits).

import Kernels

#if canImport(Glibc)
  import Glibc
#endif

/// A divergence D(p, q) between the teacher p and the student q at one position.
public enum Divergence: Sendable, Equatable {
  /// KL(p ‖ q) = Σ p log(p/q) (word-level KD; mean-seeking).
  case forwardKL
  /// KL(q ‖ p) = Σ q log(q/p) (mode-seeking; MiniLLM's single-step term).
  case reverseKL
  /// Generalized Jensen–Shannon with m = βp + (1−β)q:
  /// [β KL(p ‖ m) + (1−β) KL(q ‖ m)] / (β(1−β)). The normalization makes it continuous with
  /// KL(p ‖ q) as β → 0 and with KL(q ‖ p) as β → 1 (the endpoints are exactly those).
  case jensenShannon(beta: Double)
  /// ½ Σ |p − q|.
  case totalVariation
  /// KL(p ‖ λp + (1−λ)q) (DistiLLM's skew forward KL).
  case skewForwardKL(lambda: Double)
  /// KL(q ‖ (1−λ)p + λq) (DistiLLM's skew reverse KL).
  case skewReverseKL(lambda: Double)

  /// True when the gradient in logits is exactly q − p (forward KL and its β → 0 endpoint).
  var isForwardKL: Bool {
    switch self {
    case .forwardKL: return true
    case .jensenShannon(let beta): return beta <= 0
    default: return false
    }
  }

  /// The value and the derivative g_i = ∂D/∂q_i for one row (q and p in probability space).
  /// Forward KL is handled separately (its gradient in logits is q − p, exactly).
  func valueAndGradient(p: Double, q: Double, logP: Double, logQ: Double) -> (value: Double, gradient: Double) {
    switch self {
    case .forwardKL:
      return (p > 0 ? p * (logP - logQ) : 0, 0)
    case .reverseKL:
      return (q > 0 ? q * (logQ - logP) : 0, logQ - logP + 1)
    case .jensenShannon(let beta):
      if beta <= 0 { return Divergence.forwardKL.valueAndGradient(p: p, q: q, logP: logP, logQ: logQ) }
      if beta >= 1 { return Divergence.reverseKL.valueAndGradient(p: p, q: q, logP: logP, logQ: logQ) }
      let m = beta * p + (1 - beta) * q
      let logM = log(m)
      let scale = 1 / (beta * (1 - beta))
      let value = (p > 0 ? beta * p * (logP - logM) : 0) + (q > 0 ? (1 - beta) * q * (logQ - logM) : 0)
      return (value * scale, (1 - beta) * (logQ - logM) * scale)
    case .totalVariation:
      return (0.5 * abs(p - q), q > p ? 0.5 : (q < p ? -0.5 : 0))
    case .skewForwardKL(let lambda):
      let m = lambda * p + (1 - lambda) * q
      return (p > 0 ? p * (logP - log(m)) : 0, p > 0 ? -p * (1 - lambda) / m : 0)
    case .skewReverseKL(let lambda):
      let m = (1 - lambda) * p + lambda * q
      let logM = log(m)
      return (q > 0 ? q * (logQ - logM) : 0, logQ - logM + 1 - lambda * q / m)
    }
  }
}

/// Σ_n mask[n] · D(p_n, q_n) with q_n = softmax(studentLogits[n] / temperature), and
/// dlogits[n] = gradientScale · mask[n] · ∂D/∂z_n (padded vocabulary columns get 0).
/// The teacher is given as log-probabilities (already at the same temperature), row stride
/// `teacherStride`. Averages are the caller's: pass gradientScale = 1 / Σ mask for a mean per
/// token (never per vocabulary entry). Accumulates in Double.
/// - studentLogits, dlogits: (N, Vp); teacherLogProbs: (N, teacherStride ≥ V); mask: (N) or nil
public func divergenceLoss(
  _ divergence: Divergence, dlogits: UnsafeMutablePointer<Float>?, studentLogits: UnsafePointer<Float>,
  teacherLogProbs: UnsafePointer<Float>, teacherStride: Int, mask: UnsafePointer<Float>?,
  gradientScale: Float, temperature: Float = 1, N: Int, V: Int, Vp: Int
) -> MaskedLoss {
  precondition(temperature > 0, "temperature must be > 0")
  var lossSum = 0.0
  var weightSum = 0.0
  var logQ = [Double](repeating: 0, count: V)
  var gradient = [Double](repeating: 0, count: V)
  var qs = [Double](repeating: 0, count: V)  // q and p of the row, kept for the gradient pass
  var ps = [Double](repeating: 0, count: V)
  for n in 0..<N {
    let weight = Double(mask?[n] ?? 1)
    let row = studentLogits + n * Vp
    let teacher = teacherLogProbs + n * teacherStride
    if weight == 0 {
      dlogits.map { ($0 + n * Vp).update(repeating: 0, count: Vp) }
      continue
    }
    // Student log-probabilities at the temperature, in Double.
    var maximum = -Double.infinity
    for i in 0..<V { maximum = max(maximum, Double(row[i]) / Double(temperature)) }
    var sum = 0.0
    for i in 0..<V { sum += exp(Double(row[i]) / Double(temperature) - maximum) }
    let lse = maximum + log(sum)
    var value = 0.0
    var expectedGradient = 0.0
    for i in 0..<V {
      logQ[i] = Double(row[i]) / Double(temperature) - lse
      let q = exp(logQ[i])
      let logP = Double(teacher[i])
      let p = exp(logP)
      qs[i] = q
      ps[i] = p
      let (v, g) = divergence.valueAndGradient(p: p, q: q, logP: logP, logQ: logQ[i])
      value += v
      gradient[i] = g
      expectedGradient += q * g
    }
    lossSum += weight * value
    weightSum += weight
    guard let dlogits else { continue }
    let d = dlogits + n * Vp
    let factor = Double(gradientScale) * weight / Double(temperature)
    for i in 0..<V {
      let q = qs[i]
      // Through the softmax: ∂D/∂z_i = q_i (g_i − Σ_j q_j g_j); forward KL is q_i − p_i.
      let local = divergence.isForwardKL ? q - ps[i] : q * (gradient[i] - expectedGradient)
      d[i] = Float(factor * local)
    }
    for i in V..<Vp { d[i] = 0 }
  }
  return MaskedLoss(lossSum: lossSum, weightSum: weightSum)
}
