// Teacher-mixed sampling (MiniLLM): draw each token from α·p_teacher + (1−α)·q_student, with
// the teacher sharded over a group of ranks that decode their own batches in lockstep.

import Collectives
import Dispatch
import Model

#if canImport(Glibc)
  import Glibc
#endif

/// Replaces the student's sampling distribution q by α·p + (1−α)·q, p from a sharded teacher,
/// and scores every drawn token under p (the reward needs it; it reaches the caller in
/// `GenerationOutput.teacherLogProbs`). All members of the teacher group must generate
/// together with the same settings.
public final class TeacherMixingHook: DecodingObserver, DrawnTokenScorer {
  public let teacher: ShardedTeacherDecoder
  /// Teacher weight α ∈ [0, 1] (MiniLLM default 0.2).
  public let alpha: Float
  private var current: [Float] = []  // (B, V) teacher log-probs for the next draw
  private let V: Int
  /// Seconds spent in the teacher (prefill and steps, communication included).
  public private(set) var teacherSeconds = 0.0

  public init(teacher: ShardedTeacherDecoder, alpha: Float) {
    precondition(alpha >= 0 && alpha <= 1, "alpha must be in [0, 1]")
    self.teacher = teacher
    self.alpha = alpha
    V = teacher.teacher.config.vocabSize
  }

  public func alignedPromptLength(local: Int) throws -> Int {
    try teacher.teacher.group.allReduce(Int64(local), op: .max).asInt
  }

  public func begin(promptTokens: [Int32], promptLength: Int, keyStart: [Int32]) throws {
    let start = DispatchTime.now().uptimeNanoseconds
    current = try teacher.prefill(tokens: promptTokens, promptLength: promptLength, keyStart: keyStart)
    teacherSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  public func beforeDraw(
    step: Int, studentLogits: UnsafePointer<Float>, probabilities: UnsafeMutablePointer<Float>,
    active: [Bool], rowStride: Int
  ) {
    for b in active.indices where active[b] {
      let row = probabilities + b * rowStride
      for i in 0..<V { row[i] = alpha * expf(current[b * V + i]) + (1 - alpha) * row[i] }
    }
  }

  public func logProbability(ofToken token: Int, row: Int) -> Float { current[row * V + token] }

  public func didDraw(tokens: [Int32], active: [Bool]) throws {
    let start = DispatchTime.now().uptimeNanoseconds
    current = try teacher.step(tokens: tokens)
    teacherSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  public func continueDecoding(anyActive: Bool) throws -> Bool {
    try teacher.teacher.group.allReduce(Int32(anyActive ? 1 : 0), op: .max) == 1
  }
}

extension Int64 {
  fileprivate var asInt: Int { Int(self) }
}
