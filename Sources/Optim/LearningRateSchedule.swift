// Learning-rate schedules: constant and cosine, each with linear warm-up.

#if canImport(Glibc)
  import Glibc
#endif

/// The learning rate as a function of the optimizer step (0-based).
public struct LearningRateSchedule: Codable, Sendable, Equatable {
  public enum Kind: String, Codable, Sendable { case constant, cosine }

  public var kind: Kind
  /// Peak learning rate (reached at the end of warm-up).
  public var peak: Float
  /// Warm-up steps: step s < warmup uses peak·(s+1)/warmup.
  public var warmupSteps: Int
  /// Cosine only: the step where the decay reaches `floor` and stays.
  public var totalSteps: Int
  /// Cosine only: the final learning rate.
  public var floor: Float

  enum CodingKeys: String, CodingKey {
    case kind, peak = "lr", warmupSteps = "warmup_steps", totalSteps = "total_steps", floor = "min_lr"
  }

  public static func constant(_ peak: Float, warmupSteps: Int = 0) -> LearningRateSchedule {
    LearningRateSchedule(kind: .constant, peak: peak, warmupSteps: warmupSteps, totalSteps: 0, floor: peak)
  }

  public static func cosine(_ peak: Float, warmupSteps: Int, totalSteps: Int, floor: Float)
    -> LearningRateSchedule
  {
    LearningRateSchedule(kind: .cosine, peak: peak, warmupSteps: warmupSteps, totalSteps: totalSteps, floor: floor)
  }

  /// The learning rate for optimizer step `step` (0-based).
  public func learningRate(atStep step: Int) -> Float {
    if step < warmupSteps {
      return peak * Float(step + 1) / Float(warmupSteps)
    }
    switch kind {
    case .constant:
      return peak
    case .cosine:
      let span = max(1, totalSteps - warmupSteps)
      let progress = min(1, Double(step - warmupSteps) / Double(span))
      let cosineFactor = 0.5 * (1 + cos(Double.pi * progress))
      return floor + Float(cosineFactor) * (peak - floor)
    }
  }
}
