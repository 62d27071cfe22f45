// Expected calibration error against values worked out by hand.

import Evaluation
import XCTest

final class CalibrationTests: XCTestCase {
  func testHandComputedExamples() {
    // Bins of width 0.1: {0.05 ✗}, {0.15 ✓}, {0.5 ✓}, {0.92 ✗, 0.95 ✓}.
    // Σ n_b |acc_b − conf_b| = 0.05 + 0.85 + 0.5 + |1 − 1.87| = 2.27; / 5 = 0.454.
    let ece = Calibration.expectedCalibrationError(
      confidences: [0.05, 0.15, 0.95, 0.92, 0.5], correct: [false, true, true, false, true])
    XCTAssertEqual(ece, 45.4, accuracy: 1e-9)
    // Confidence 0.75 with 3 of 4 right is perfectly calibrated.
    XCTAssertEqual(
      Calibration.expectedCalibrationError(confidences: [0.75, 0.75, 0.75, 0.75], correct: [true, true, false, true]), 0,
      accuracy: 1e-12)
    // Always sure and always wrong: 100.
    XCTAssertEqual(Calibration.expectedCalibrationError(confidences: [1, 1], correct: [false, false]), 100, accuracy: 1e-12)
    // One bin is the gap between mean confidence (0.55) and accuracy (0.5).
    XCTAssertEqual(
      Calibration.expectedCalibrationError(confidences: [0.2, 0.9], correct: [true, false], bins: 1), 5, accuracy: 1e-9)
    XCTAssertEqual(Calibration.expectedCalibrationError(confidences: [], correct: []), 0)
  }
}
