// The tail of a progress line: elapsed time, throughput and the estimated time left.

import Foundation

/// Measures from its creation (or a resume point) to estimate the time left of a run.
final class ProgressClock {
  let totalSteps: Int
  private let started = Date()
  private let firstStep: Int
  private var tokens = 0.0

  /// - Parameter startStep: the step the run starts (or resumes) from.
  init(totalSteps: Int, startStep: Int) {
    self.totalSteps = totalSteps
    firstStep = startStep
  }

  /// "tok/s, elapsed, ETA" after `step` finished; `tokens`: tokens trained on in that step
  /// (over all ranks).
  func line(step: Int, tokens stepTokens: Double = 0) -> String {
    tokens += stepTokens
    let elapsed = Date().timeIntervalSince(started)
    let done = Double(step - firstStep)
    let left = done > 0 ? elapsed / done * Double(totalSteps - step) : 0
    let rate = elapsed > 0 && tokens > 0 ? String(format: "%.0f tok/s  ", tokens / elapsed) : ""
    return rate + "elapsed " + Self.duration(elapsed) + "  ETA " + Self.duration(left)
  }

  /// 75 → "1m15s", 3700 → "1h01m".
  static func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
    if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
    return "\(s)s"
  }
}

/// "name value  name value …" in sorted order, 4 decimals.
func formatMetrics(_ metrics: [String: Double]) -> String {
  metrics.keys.sorted().map { "\($0) " + String(format: "%.4f", metrics[$0]!) }.joined(separator: "  ")
}
