// The MiniLLM objective on a hand-built rollout (2 responses, vocabulary of 3): rewards,
// advantages for every flag combination that changes them, the clipped surrogate, and the
// policy-gradient dlogits against finite differences.

import Distill
import Foundation
import Kernels
import TestSupport
import XCTest

final class MiniLLMObjectiveTests: XCTestCase {
  let ln2 = Float(log(2.0))

  /// Response A: log p = (ln ½, ln ¼), log q_old = (ln ¼, ln ½) → r = (2 ln 2, −2 ln 2) at scaling ½.
  /// Response B: r = (0, 2 ln 2, −2 ln 2).
  func handBuiltRewards(_ config: MiniLLMConfig) -> [[Double]] {
    [
      rewards(logP: [-ln2, -2 * ln2], logQOld: [-2 * ln2, -ln2], config: config),
      rewards(logP: [-ln2, -ln2, -2 * ln2], logQOld: [-ln2, -2 * ln2, -ln2], config: config),
    ]
  }

  func testRewardsScaleAndClip() {
    var config = MiniLLMConfig()
    let r = handBuiltRewards(config)
    XCTAssertEqual(r[0][0], 2 * log(2.0), accuracy: 1e-6)
    XCTAssertEqual(r[0][1], -2 * log(2.0), accuracy: 1e-6)
    XCTAssertEqual(r[1][0], 0, accuracy: 1e-9)
    config.rewardClip = 1
    XCTAssertEqual(handBuiltRewards(config)[0], [1, -1])
  }

  func testAdvantagesForEveryFlagCombination() {
    // Hand-computed (2 ln 2 = 1.3862944; 0.95·1.3862944 = 1.3169797; 0.9025·1.3862944 = 1.2511307).
    let cases: [(gamma: Double, current: Bool, normalized: Bool, a: [Double], b: [Double])] = [
      // authors: (r0 + γ r1)/2, r1/1 | (r0 + γ r1 + γ² r2)/3, (r1 + γ r2)/2, r2/1
      (0.95, true, true, [0.0346574, -1.3862944], [0.0219497, 0.0346574, -1.3862944]),
      // paper: R^Norm_{t+1} = mean of the following rewards, 0 at the end
      (1, false, true, [-1.3862944, 0], [0, -1.3862944, 0]),
      // length normalization off: plain discounted sums
      (0.95, true, false, [0.0693147, -1.3862944], [0.0658490, 0.0693147, -1.3862944]),
      (1, false, false, [-1.3862944, 0], [0, -1.3862944, 0]),
    ]
    for c in cases {
      var config = MiniLLMConfig()
      config.gamma = c.gamma
      config.includeCurrentReward = c.current
      config.lengthNormalization = c.normalized
      let r = handBuiltRewards(config)
      let label = "γ \(c.gamma) current \(c.current) normalized \(c.normalized)"
      for (actual, expected) in zip(advantages(rewards: r[0], config: config), c.a) { XCTAssertEqual(actual, expected, accuracy: 1e-6, label) }
      for (actual, expected) in zip(advantages(rewards: r[1], config: config), c.b) { XCTAssertEqual(actual, expected, accuracy: 1e-6, label) }
    }
    let white = whiten([1, 2, 3], mean: 2, variance: 2.0 / 3)
    XCTAssertEqual(white[0], -1.2247449, accuracy: 1e-6)
    XCTAssertEqual(white[2], 1.2247449, accuracy: 1e-6)
  }

  func testClippedSurrogateByHand() {
    // ratio 1 (unchanged policy, w = 1): loss −A, d/dlogq = −A.
    var term = clippedSurrogate(logQ: -1, logQOld: -1, weight: 1, advantage: 0.5, clip: 0.2)
    XCTAssertEqual(term.loss, -0.5, accuracy: 1e-12)
    XCTAssertEqual(term.dLogQ, -0.5, accuracy: 1e-12)
    XCTAssertFalse(term.clipped)
    // ratio e^0.5 = 1.6487 > 1.2 with A > 0: the clipped branch (−A·1.2) is larger → flat.
    term = clippedSurrogate(logQ: -0.5, logQOld: -1, weight: 1, advantage: 0.5, clip: 0.2)
    XCTAssertEqual(term.loss, -0.6, accuracy: 1e-12)
    XCTAssertEqual(term.dLogQ, 0)
    XCTAssertTrue(term.clipped)
    // Same ratio with A < 0: the unclipped branch (−A·1.6487) is larger → gradient flows.
    term = clippedSurrogate(logQ: -0.5, logQOld: -1, weight: 1, advantage: -0.5, clip: 0.2)
    XCTAssertEqual(term.loss, 0.5 * exp(0.5), accuracy: 1e-12)
    XCTAssertEqual(term.dLogQ, 0.5 * exp(0.5), accuracy: 1e-12)
    // The importance weight multiplies the ratio: w = q_old/p̃ = 0.5 halves it.
    term = clippedSurrogate(logQ: -1, logQOld: -1, weight: 0.5, advantage: -1, clip: 0.2)
    XCTAssertEqual(term.loss, 0.8, accuracy: 1e-12)  // max(0.5, clip(0.5)=0.8)
    XCTAssertTrue(term.clipped)
  }

  func testPolicyGradientDlogitsMatchFiniteDifferences() {
    let N = 5, V = 3, Vp = 4
    let logits = Tensor(randomFloats(N * Vp, seed: 11, scale: 1))
    let tokens: [Int32] = [0, 2, 1, 1, 0]
    // q_old near the current policy so that some tokens are inside the clip range and some outside.
    var logQOld = [Float](repeating: 0, count: N)
    for n in 0..<N {
      let lse = logSumExp(logits.p + n * Vp, V: V)
      logQOld[n] = logits.p[n * Vp + Int(tokens[n])] - lse + [0, 0.5, -0.05, 0.3, -0.4][n]
    }
    let weights: [Float] = [1, 0.8, 1.1, 1, 0.9]
    let advantages: [Double] = [0.7, -0.3, 1.2, 0.4, -0.9]
    let mask: [Float] = [1, 1, 1, 0, 1]
    var d = [Float](repeating: .nan, count: N * Vp)
    let result = policyGradientLoss(
      dlogits: &d, logits: logits.p, tokens: tokens, logQOld: logQOld, weights: weights, advantages: advantages,
      mask: mask, clip: 0.2, gradientScale: 1, N: N, V: V, Vp: Vp)
    XCTAssertGreaterThan(result.clippedTokens, 0)
    XCTAssertLessThan(result.clippedTokens, 4)
    let scratch = Tensor(zeros: N * Vp)
    func loss() -> Double {
      policyGradientLoss(
        dlogits: scratch.p, logits: logits.p, tokens: tokens, logQOld: logQOld, weights: weights,
        advantages: advantages, mask: mask, clip: 0.2, gradientScale: 1, N: N, V: V, Vp: Vp
      ).loss.lossSum
    }
    let numeric = centralDifferences(logits.p, indices: Array(0..<(N * Vp)), step: 1e-3, loss: loss)
    let comparison = compare(d, numeric, rtol: 1e-2, atol: 3e-4)
    XCTAssertTrue(comparison.passed, "\(comparison)")
    XCTAssertEqual(Array(d[(3 * Vp)..<(4 * Vp)]), [0, 0, 0, 0], "masked token")
  }

  func testSingleStepTermIsTheReverseKLWithOptionalWeights() {
    // The single-step term is divergenceLoss(.reverseKL) with mask·w_t as weights (paper) or mask (code).
    let N = 2, V = 3
    let logits: [Float] = [0.1, 0.5, -0.2, 1.0, 0.0, 0.3]
    let teacher: [Float] = [logf(0.2), logf(0.5), logf(0.3), logf(0.6), logf(0.1), logf(0.3)]
    let w: [Float] = [0.5, 2]
    let plain = divergenceLoss(.reverseKL, dlogits: nil, studentLogits: logits, teacherLogProbs: teacher, teacherStride: V,
      mask: nil, gradientScale: 1, N: N, V: V, Vp: V)
    let weighted = divergenceLoss(.reverseKL, dlogits: nil, studentLogits: logits, teacherLogProbs: teacher, teacherStride: V,
      mask: w, gradientScale: 1, N: N, V: V, Vp: V)
    let first = divergenceLoss(.reverseKL, dlogits: nil, studentLogits: logits, teacherLogProbs: teacher, teacherStride: V,
      mask: [1, 0], gradientScale: 1, N: N, V: V, Vp: V).lossSum
    XCTAssertEqual(weighted.lossSum, 0.5 * first + 2 * (plain.lossSum - first), accuracy: 1e-9)
  }
}
