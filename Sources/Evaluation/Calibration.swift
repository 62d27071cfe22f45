// Calibration of a model's confidence in its answers: the expected calibration error.

/// Calibration metrics.
public enum Calibration {
  /// Expected calibration error (×100): answers are put in `bins` equal-width bins of
  /// confidence in [0, 1]; ECE = Σ_b (n_b / N) · |accuracy_b − mean confidence_b|. 0 for an
  /// empty input.
  public static func expectedCalibrationError(confidences: [Double], correct: [Bool], bins: Int = 10) -> Double {
    precondition(confidences.count == correct.count, "one correctness flag per confidence")
    guard !confidences.isEmpty, bins >= 1 else { return 0 }
    var count = [Double](repeating: 0, count: bins)
    var confidenceSum = [Double](repeating: 0, count: bins)
    var correctSum = [Double](repeating: 0, count: bins)
    for (confidence, isCorrect) in zip(confidences, correct) {
      let clamped = min(max(confidence, 0), 1)
      let bin = min(bins - 1, Int(clamped * Double(bins)))
      count[bin] += 1
      confidenceSum[bin] += clamped
      correctSum[bin] += isCorrect ? 1 : 0
    }
    var error = 0.0
    for b in 0..<bins where count[b] > 0 {
      error += abs(correctSum[b] - confidenceSum[b])  // = n_b · |acc_b − conf_b|
    }
    return 100 * error / Double(confidences.count)
  }
}
