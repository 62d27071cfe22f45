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

/// Lifecycle calls a hook may use to follow the decoding (defaults do nothing).
public protocol DecodingObserver: SamplingHook {
  /// The prompt length to pad to (members of a teacher group must agree); default: `local`.
  func alignedPromptLength(local: Int) throws -> Int
  /// Called once with the left-padded prompts (B, P) before the first step.
  func begin(promptTokens: [Int32], promptLength: Int, keyStart: [Int32]) throws
  /// Called after each draw with the token of every row (the pad token for finished rows).
  func didDraw(tokens: [Int32], active: [Bool]) throws
  /// Whether to keep decoding; members of a teacher group continue until all are done.
  func continueDecoding(anyActive: Bool) throws -> Bool
}

/// A hook that follows another model through the decoding and scores each drawn token under
/// it, so the generation output carries log p next to log q and log p̃.
public protocol DrawnTokenScorer: SamplingHook {
  /// log p(token) of row `row` at the step just drawn (called after `beforeDraw`, before the
  /// next step).
  func logProbability(ofToken token: Int, row: Int) -> Float
}
