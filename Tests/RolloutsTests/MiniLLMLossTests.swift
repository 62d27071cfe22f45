// The whole MiniLLM loss on a hand-built rollout store (2 sequences, vocabulary 3), through the
// library's own path (RolloutStore: rewards → advantages → whitening → minibatch layout and
// importance weights → miniLLMLoss), against values computed independently from the formulas
// of docs/method.md (Tests/python/minillm_loss_reference.py), for every flag combination that
// changes the math; and its gradient against finite differences.

import Datasets
import Distill
import Kernels
import Rollouts
import TestSupport
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

final class MiniLLMLossTests: XCTestCase {
  struct Case {
    var includeCurrentReward: Bool
    var lengthNormalization: Bool
    var gamma: Double
    var whiten: Bool
    var singleStep: Bool
    var weightSingleStep: Bool
    var policy: Double
    var singleStepSum: Double
    init(_ a: Bool, _ b: Bool, _ g: Double, _ w: Bool, _ s: Bool, _ ws: Bool, _ p: Double, _ ss: Double) {
      (includeCurrentReward, lengthNormalization, gamma, whiten, singleStep, weightSingleStep) = (a, b, g, w, s, ws)
      (policy, singleStepSum) = (p, ss)
    }
  }

  // From Tests/python/minillm_loss_reference.py (plain Python floats).
  static let cases: [Case] = [
    // (includeCurrentReward, lengthNormalization, gamma, whiten, singleStep, weightSingleStep) → (policy sum, single-step sum)
    Case(true, true, 0.95, true, true, false, -0.4678868972206214, 0.6688479074839769),
    Case(true, true, 0.95, true, true, true, -0.4678868972206214, 0.6772470143955291),
    Case(true, true, 0.95, true, false, false, -0.4678868972206214, 0.0),
    Case(true, true, 0.95, false, true, false, -2.6919447395369502, 0.6688479074839769),
    Case(true, true, 0.95, false, true, true, -2.6919447395369502, 0.6772470143955291),
    Case(true, true, 0.95, false, false, false, -2.6919447395369502, 0.0),
    Case(true, true, 1.0, true, true, false, -0.44745630684025817, 0.6688479074839769),
    Case(true, true, 1.0, true, true, true, -0.44745630684025817, 0.6772470143955291),
    Case(true, true, 1.0, true, false, false, -0.44745630684025817, 0.0),
    Case(true, true, 1.0, false, true, false, -2.7451234040922134, 0.6688479074839769),
    Case(true, true, 1.0, false, true, true, -2.7451234040922134, 0.6772470143955291),
    Case(true, true, 1.0, false, false, false, -2.7451234040922134, 0.0),
    Case(true, false, 0.95, true, true, false, -0.02288236993704773, 0.6688479074839769),
    Case(true, false, 0.95, true, true, true, -0.02288236993704773, 0.6772470143955291),
    Case(true, false, 0.95, true, false, false, -0.02288236993704773, 0.0),
    Case(true, false, 0.95, false, true, false, -4.695662546682101, 0.6688479074839769),
    Case(true, false, 0.95, false, true, true, -4.695662546682101, 0.6772470143955291),
    Case(true, false, 0.95, false, false, false, -4.695662546682101, 0.0),
    Case(true, false, 1.0, true, true, false, -0.005003790766585192, 0.6688479074839769),
    Case(true, false, 1.0, true, true, true, -0.005003790766585192, 0.6772470143955291),
    Case(true, false, 1.0, true, false, false, -0.005003790766585192, 0.0),
    Case(true, false, 1.0, false, true, false, -4.841955936960249, 0.6688479074839769),
    Case(true, false, 1.0, false, true, true, -4.841955936960249, 0.6772470143955291),
    Case(true, false, 1.0, false, false, false, -4.841955936960249, 0.0),
    Case(false, true, 0.95, true, true, false, 0.7987051291186044, 0.6688479074839769),
    Case(false, true, 0.95, true, true, true, 0.7987051291186044, 0.6772470143955291),
    Case(false, true, 0.95, true, false, false, 0.7987051291186044, 0.0),
    Case(false, true, 0.95, false, true, false, -1.198066814462878, 0.6688479074839769),
    Case(false, true, 0.95, false, true, true, -1.198066814462878, 0.6772470143955291),
    Case(false, true, 0.95, false, false, false, -1.198066814462878, 0.0),
    Case(false, true, 1.0, true, true, false, 0.7945118606966213, 0.6688479074839769),
    Case(false, true, 1.0, true, true, true, 0.7945118606966213, 0.6772470143955291),
    Case(false, true, 1.0, true, false, false, 0.7945118606966213, 0.0),
    Case(false, true, 1.0, false, true, false, -1.2245527722664495, 0.6688479074839769),
    Case(false, true, 1.0, false, true, true, -1.2245527722664495, 0.6772470143955291),
    Case(false, true, 1.0, false, false, false, -1.2245527722664495, 0.0),
    Case(false, false, 0.95, true, true, false, 0.6561713098826863, 0.6688479074839769),
    Case(false, false, 0.95, true, true, true, 0.6561713098826863, 0.6772470143955291),
    Case(false, false, 0.95, true, false, false, 0.6561713098826863, 0.0),
    Case(false, false, 0.95, false, true, false, -1.8664294934201082, 0.6688479074839769),
    Case(false, false, 0.95, false, true, true, -1.8664294934201082, 0.6772470143955291),
    Case(false, false, 0.95, false, false, false, -1.8664294934201082, 0.0),
    Case(false, false, 1.0, true, true, false, 0.6445218154187193, 0.6688479074839769),
    Case(false, false, 1.0, true, true, true, 0.6445218154187193, 0.6772470143955291),
    Case(false, false, 1.0, true, false, false, 0.6445218154187193, 0.0),
    Case(false, false, 1.0, false, true, false, -1.9194014090272506, 0.6688479074839769),
    Case(false, false, 1.0, false, true, true, -1.9194014090272506, 0.6772470143955291),
    Case(false, false, 1.0, false, false, false, -1.9194014090272506, 0.0),
  ]

  // The rollout, as in the reference script. Layout B = 2, T = 3; sequence 2's last position is padding.
  static let tokens: [[Int32]] = [[0, 2, 1], [1, 1]]
  static let logQOld: [[Float]] = [[-1.0, -0.7, -1.3], [-0.9, -1.1]]
  static let logPTilde: [[Float]] = [[-0.95, -0.8, -1.1], [-0.85, -1.0]]
  static let teacherProbs: [[[Double]]] = [
    [[0.5, 0.2, 0.3], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]], [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]],
  ]
  static let logits: [[[Float]]] = [
    [[0.2, -0.1, 0.4], [0.0, 0.3, -0.2], [-0.5, 0.6, 0.1]], [[0.3, 0.1, -0.3], [0.2, -0.4, 0.5]],
  ]
  let V = 3, T = 3, B = 2

  /// Runs the library path: the rollouts in a `RolloutStore` (each sequence behind a
  /// one-token prompt, so position t of sequence s predicts its token t), advantages assigned
  /// and whitened by the store, the minibatch laid out by the store, then `miniLLMLoss`;
  /// returns the loss parts and dlogits (gradientScale 1) on the (B, T) layout of the test.
  func libraryLoss(_ c: Case, logits flatLogits: [Float]? = nil, policyGradient: Bool? = nil) -> (MiniLLMLossParts, [Float]) {
    var settings = MiniLLMConfig()
    settings.policyGradient = policyGradient
    settings.includeCurrentReward = c.includeCurrentReward
    settings.lengthNormalization = c.lengthNormalization
    settings.gamma = c.gamma
    settings.whitenAdvantages = c.whiten
    settings.singleStep = c.singleStep
    settings.weightSingleStep = c.weightSingleStep
    var store = RolloutStore()
    for s in Self.tokens.indices {
      store.rollouts.append(Rollout(prompt: [0], response: Self.tokens[s].indices.map { t in
        RolloutToken(
          token: Self.tokens[s][t], logQOld: Self.logQOld[s][t],
          logP: Float(log(Self.teacherProbs[s][t][Int(Self.tokens[s][t])])), logPTilde: Self.logPTilde[s][t])
      }))
    }
    let statistics = store.assignAdvantages(config: settings)
    if c.whiten { store.whitenAdvantages(with: statistics) }
    let (batch, tokens) = store.minibatch([0, 1], pad: 0)
    precondition(batch.B == B && batch.T == T, "the store's layout is (2, 3)")
    let N = B * T
    var teacher = [Float](repeating: 0, count: N * V)
    var z = [Float](repeating: 0, count: N * V)
    for s in 0..<B {
      for t in Self.tokens[s].indices {
        let n = s * T + t
        for v in 0..<V {
          teacher[n * V + v] = Float(log(Self.teacherProbs[s][t][v]))
          z[n * V + v] = Self.logits[s][t][v]
        }
      }
    }
    if let flatLogits { z = flatLogits }
    var dlogits = [Float](repeating: 0, count: N * V)
    let parts = miniLLMLoss(
      dlogits: &dlogits, logits: z, teacherLogProbs: teacher, tokens: tokens, settings: settings, gradientScale: 1,
      N: N, V: V, Vp: V)
    return (parts, dlogits)
  }

  func testEveryFlagCombinationMatchesTheReference() {
    XCTAssertEqual(Self.cases.count, 48)
    for c in Self.cases {
      let (parts, _) = libraryLoss(c)
      let label = "current \(c.includeCurrentReward) lengthNorm \(c.lengthNormalization) γ \(c.gamma) whiten \(c.whiten) single \(c.singleStep) weighted \(c.weightSingleStep)"
      // Float32 logits and log-probabilities: agreement to ~1e-6 relative is what float allows.
      XCTAssertEqual(parts.policy.lossSum, c.policy, accuracy: 2e-5 * max(1, abs(c.policy)), label)
      XCTAssertEqual(parts.singleStep.lossSum, c.singleStepSum, accuracy: 2e-5 * max(1, abs(c.singleStepSum)), label)
      XCTAssertEqual(parts.policy.weightSum, 5, label)
    }
    // The flags really change the math: no two combinations that differ in a flag give the same total.
    let totals = Set(Self.cases.map { ($0.policy + $0.singleStepSum) * 1e6 }.map { $0.rounded() })
    XCTAssertGreaterThan(totals.count, 30)
  }

  /// "Single-step only" (`policyGradient = false`): no surrogate, the single-step term as
  /// the reference computes it, and its gradient is the full gradient minus the surrogate's.
  func testSingleStepOnlyDropsExactlyThePolicyGradientTerm() {
    for c in Self.cases where c.singleStep {
      let (alone, aloneGradient) = libraryLoss(c, policyGradient: false)
      XCTAssertEqual(alone.policy.lossSum, 0)
      XCTAssertEqual(alone.singleStep.lossSum, c.singleStepSum, accuracy: 2e-5 * max(1, abs(c.singleStepSum)))
      var surrogateOnly = c
      surrogateOnly.singleStep = false
      let (_, full) = libraryLoss(c)
      let (_, surrogate) = libraryLoss(surrogateOnly)
      for i in full.indices {
        XCTAssertEqual(aloneGradient[i], full[i] - surrogate[i], accuracy: 1e-5, "element \(i)")
      }
    }
  }

  func testFullLossGradientMatchesFiniteDifferences() {
    for c in [Self.cases[0], Self.cases[1], Self.cases.last!] {
      var z = Self.logits.flatMap { $0.flatMap { $0 } }
      z += [Float](repeating: 0, count: B * T * V - z.count)
      let (_, analytic) = libraryLoss(c, logits: z)
      var step = z
      let h: Float = 1e-3
      var worst: Float = 0
      for i in 0..<(B * T * V) where i < 5 * V {  // the padded position has no loss
        step[i] = z[i] + h
        let up = libraryLoss(c, logits: step).0
        step[i] = z[i] - h
        let down = libraryLoss(c, logits: step).0
        step[i] = z[i]
        let numeric = Float(((up.policy.lossSum + up.singleStep.lossSum) - (down.policy.lossSum + down.singleStep.lossSum)) / Double(2 * h))
        worst = max(worst, abs(numeric - analytic[i]))
      }
      XCTAssertLessThan(worst, 2e-3, "worst |numeric − analytic| for case \(c)")
    }
  }
}
