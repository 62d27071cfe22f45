// Word-level KD: (1 − kd_ratio) · cross-entropy on the reference tokens + kd_ratio · forward KL
// to the teacher, as the MiniLLM authors' scripts mix them.

import Kernels

/// The two parts of the KD loss (sums over masked tokens; divide by `weightSum` for means).
public struct KnowledgeDistillationLoss: Sendable {
  public var crossEntropy: MaskedLoss
  public var forwardKL: MaskedLoss
  public var kdRatio: Double

  /// (1 − kd_ratio)·CE + kd_ratio·KL, per token.
  public var mean: Double { (1 - kdRatio) * crossEntropy.mean + kdRatio * forwardKL.mean }
}

/// Writes dlogits of (1 − kdRatio)·CE + kdRatio·KL(p ‖ q), both averaged with `gradientScale`
/// per token (pass 1 / Σ mask). The KL term is reported as KL (≥ 0); its gradient equals that
/// of the soft cross-entropy −Σ p log q the authors' code uses (they differ by p's entropy).
/// - dlogits, studentLogits: (N, Vp); targets, mask: (N); teacherLogProbs: (N, teacherStride)
public func knowledgeDistillationLoss(
  kdRatio: Double, dlogits: UnsafeMutablePointer<Float>, studentLogits: UnsafePointer<Float>,
  targets: UnsafePointer<Int32>, teacherLogProbs: UnsafePointer<Float>, teacherStride: Int,
  mask: UnsafePointer<Float>?, gradientScale: Float, temperature: Float = 1, N: Int, V: Int, Vp: Int
) -> KnowledgeDistillationLoss {
  precondition((0...1).contains(kdRatio), "kd_ratio must be in [0, 1]")
  let scratch = UnsafeMutablePointer<Float>.allocate(capacity: N * Vp)
  defer { scratch.deallocate() }
  let ce = crossEntropyForwardBackward(
    dlogits: dlogits, logits: studentLogits, targets: targets, mask: mask,
    gradientScale: gradientScale * Float(1 - kdRatio), N: N, V: V, Vp: Vp)
  let kl = divergenceLoss(
    .forwardKL, dlogits: scratch, studentLogits: studentLogits, teacherLogProbs: teacherLogProbs,
    teacherStride: teacherStride, mask: mask, gradientScale: gradientScale * Float(kdRatio),
    temperature: temperature, N: N, V: V, Vp: Vp)
  for i in 0..<(N * Vp) { dlogits[i] += scratch[i] }
  return KnowledgeDistillationLoss(crossEntropy: ce, forwardKL: kl, kdRatio: kdRatio)
}
