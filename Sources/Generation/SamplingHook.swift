// The hook through which a caller (the MiniLLM trainer) reshapes each step's distribution.

/// Sees every decoding step before the draw. The MiniLLM trainer uses it to mix the teacher in:
/// it replaces the student's distribution q with α·p_teacher + (1−α)·q.
public protocol SamplingHook: AnyObject {
  /// Called once per step with the student's raw logits (B, Vp) and the sampling
  /// distributions (B, Vp) computed from them (after bans, temperature, top-k, top-p). The hook
  /// may overwrite `probabilities` (each row must stay a distribution over the first V entries).
  /// `active[b]` is false for sequences that already finished.
  func beforeDraw(
    step: Int, studentLogits: UnsafePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
    active: [Bool], rowStride: Int)
}
