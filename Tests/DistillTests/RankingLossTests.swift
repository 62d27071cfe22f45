// The ranking loss (MiniLLM paper, Alternative #2) on hand-made groups: which responses get
// weight, the hinge, ties, identical best and worst; and the loss is the weighted sum of mean
// cross-entropies it claims to be (so its gradient is that sum's).

import Distill
import XCTest

final class RankingLossTests: XCTestCase {
  func testWeightsAndLossOnTwoGroups() {
    // Group 1: the teacher prefers 1, then 0, 2 (worst). Student mean log q: -1, -0.5, -0.2.
    //   hinge = 1 − (−0.5 − (−0.2)) = 1.3 > 0 → weights: best 1 + λ, worst −1.
    // Group 2: best 3, worst 5; student −0.1 vs −3: hinge 1 − 2.9 < 0 → only λ on the best.
    let settings = RankingLossSettings(samples: 3, margin: 1, ceWeight: 0.5)
    let teacher = [-2.0, -1.0, -3.0, -0.5, -0.7, -0.9]
    let student = [-1.0, -0.5, -0.2, -0.1, -2.0, -3.0]
    let (weights, loss) = rankingLossWeights(teacherScores: teacher, studentScores: student, settings: settings) { _, _ in false }
    XCTAssertEqual(weights, [0, 1.5, -1, 0.5, 0, 0])
    XCTAssertEqual(loss, 1.3 + 0.5 * 0.5 + 0 + 0.5 * 0.1, accuracy: 1e-12)
    // The loss equals Σ weight · (−s) + m · (active hinges): what the trainer's weighted CE uses.
    let weighted = zip(weights, student).reduce(0) { $0 + $1.0 * -$1.1 } + 1 * 1
    XCTAssertEqual(loss, weighted, accuracy: 1e-12)
  }

  func testTiesAndIdenticalResponsesHaveNoHinge() {
    let settings = RankingLossSettings(samples: 2, margin: 2, ceWeight: 1)
    // Identical best and worst responses → no hinge, only CE on the best.
    let (weights, loss) = rankingLossWeights(
      teacherScores: [-1, -2], studentScores: [-0.3, -0.3], settings: settings) { _, _ in true }
    XCTAssertEqual(weights, [1, 0])
    XCTAssertEqual(loss, 0.3, accuracy: 1e-12)
    // Different responses the teacher scores alike: no ranking, so no hinge either; the first
    // is the "best" that gets the CE.
    let (tied, _) = rankingLossWeights(
      teacherScores: [-1, -1], studentScores: [-0.3, -0.3], settings: settings) { _, _ in false }
    XCTAssertEqual(tied, [1, 0])
    let (ranked, _) = rankingLossWeights(
      teacherScores: [-1, -1.5], studentScores: [-0.3, -0.3], settings: settings) { _, _ in false }
    XCTAssertEqual(ranked, [2, -1])
  }
}
