// Every objective against finite differences, hand-computed values, its endpoints and
// symmetries, and a plain reference written from the definitions.

import Distill
import Foundation
import Kernels
import TestSupport
import XCTest

final class DivergenceTests: XCTestCase {
  static let all: [Divergence] = [
    .forwardKL, .reverseKL, .jensenShannon(beta: 0.1), .jensenShannon(beta: 0.5), .jensenShannon(beta: 0.9),
    .totalVariation, .skewForwardKL(lambda: 0.1), .skewReverseKL(lambda: 0.1),
  ]
  let N = 4, V = 7, Vp = 9

  /// Teacher log-probabilities (N, V) from random logits.
  func teacherLogProbs(seed: UInt64) -> [Float] {
    let logits = randomFloats(N * V, seed: seed, scale: 2)
    var out = [Float](repeating: 0, count: N * V)
    for n in 0..<N {
      let row = Array(logits[(n * V)..<((n + 1) * V)])
      let m = row.max()!
      let lse = m + log(row.map { exp($0 - m) }.reduce(0, +))
      for i in 0..<V { out[n * V + i] = row[i] - lse }
    }
    return out
  }

  /// The definition, computed plainly in Double from p and q.
  func reference(_ divergence: Divergence, p: [Double], q: [Double]) -> Double {
    func kl(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + ($1.0 > 0 ? $1.0 * log($1.0 / $1.1) : 0) } }
    switch divergence {
    case .forwardKL: return kl(p, q)
    case .reverseKL: return kl(q, p)
    case .jensenShannon(let beta):
      let m = zip(p, q).map { beta * $0 + (1 - beta) * $1 }
      return (beta * kl(p, m) + (1 - beta) * kl(q, m)) / (beta * (1 - beta))
    case .totalVariation: return 0.5 * zip(p, q).reduce(0) { $0 + abs($1.0 - $1.1) }
    case .skewForwardKL(let lambda): return kl(p, zip(p, q).map { lambda * $0 + (1 - lambda) * $1 })
    case .skewReverseKL(let lambda): return kl(q, zip(p, q).map { (1 - lambda) * $0 + lambda * $1 })
    }
  }

  func testGradientsMatchFiniteDifferencesWithTemperatureAndMask() {
    let teacher = teacherLogProbs(seed: 1)
    let mask: [Float] = [1, 0, 0.5, 2]
    for divergence in Self.all {
      for temperature: Float in [1, 2] {
        let logits = Tensor(randomFloats(N * Vp, seed: 2, scale: 2))
        var dlogits = [Float](repeating: .nan, count: N * Vp)
        _ = divergenceLoss(divergence, dlogits: &dlogits, studentLogits: logits.p, teacherLogProbs: teacher, teacherStride: V,
          mask: mask, gradientScale: 1, temperature: temperature, N: N, V: V, Vp: Vp)
        func loss() -> Double {
          divergenceLoss(divergence, dlogits: nil, studentLogits: logits.p, teacherLogProbs: teacher, teacherStride: V,
            mask: mask, gradientScale: 1, temperature: temperature, N: N, V: V, Vp: Vp).lossSum
        }
        let indices = Array(0..<(N * Vp))
        let numeric = centralDifferences(logits.p, indices: indices, step: 1e-3, loss: loss)
        // Float logits perturbed by 1e-3 with the loss in Double: differences are accurate to ~1e-4.
        let result = compare(dlogits, numeric, rtol: 1e-2, atol: 3e-4)
        XCTAssertTrue(result.passed, "\(divergence) τ=\(temperature): \(result)")
        XCTAssertEqual(dlogits[1 * Vp + 3], 0, "masked row must get no gradient")
        XCTAssertEqual(dlogits[7], 0, "padded column must get no gradient")
      }
    }
  }

  func testLossesEqualTheDefinitions() {
    let teacher = teacherLogProbs(seed: 3)
    let logits = randomFloats(N * Vp, seed: 4, scale: 3)
    for divergence in Self.all {
      var expected = 0.0
      for n in 0..<N {
        let z = (0..<V).map { Double(logits[n * Vp + $0]) }
        let m = z.max()!
        let s = z.map { exp($0 - m) }.reduce(0, +)
        let q = z.map { exp($0 - m) / s }
        let p = (0..<V).map { exp(Double(teacher[n * V + $0])) }
        expected += reference(divergence, p: p, q: q)
      }
      let loss = divergenceLoss(divergence, dlogits: nil, studentLogits: logits, teacherLogProbs: teacher, teacherStride: V,
        mask: nil, gradientScale: 1, N: N, V: V, Vp: Vp)
      XCTAssertEqual(loss.lossSum, expected, accuracy: 1e-5 * max(1, abs(expected)), "\(divergence)")
      XCTAssertEqual(loss.weightSum, Double(N))
    }
  }

  func testHandComputedTwoWordCase() {
    // q = (½, ½) from logits (0, 0); p = (¼, ¾).
    let logits: [Float] = [0, 0]
    let teacher: [Float] = [logf(0.25), logf(0.75)]
    func value(_ d: Divergence) -> Double {
      divergenceLoss(d, dlogits: nil, studentLogits: logits, teacherLogProbs: teacher, teacherStride: 2, mask: nil,
        gradientScale: 1, N: 1, V: 2, Vp: 2).lossSum
    }
    // KL(p‖q) = ¼ ln ½ + ¾ ln 1.5 = 0.130812; KL(q‖p) = ½ ln 2 + ½ ln(2/3) = 0.143841; TV = ¼.
    XCTAssertEqual(value(.forwardKL), 0.25 * log(0.5) + 0.75 * log(1.5), accuracy: 1e-6)
    XCTAssertEqual(value(.forwardKL), 0.130812, accuracy: 1e-6)
    XCTAssertEqual(value(.reverseKL), 0.143841, accuracy: 1e-6)
    XCTAssertEqual(value(.totalVariation), 0.25, accuracy: 1e-7)
    // Skew forward KL with λ = ½: m = (0.375, 0.625): ¼ ln(⅔) + ¾ ln 1.2 = 0.035377.
    XCTAssertEqual(value(.skewForwardKL(lambda: 0.5)), 0.25 * log(0.25 / 0.375) + 0.75 * log(0.75 / 0.625), accuracy: 1e-6)
    // The KD gradient for forward KL is q − p: (¼, −¼).
    var d = [Float](repeating: 0, count: 2)
    _ = divergenceLoss(.forwardKL, dlogits: &d, studentLogits: logits, teacherLogProbs: teacher, teacherStride: 2,
      mask: nil, gradientScale: 1, N: 1, V: 2, Vp: 2)
    XCTAssertEqual(d[0], 0.25, accuracy: 1e-6)
    XCTAssertEqual(d[1], -0.25, accuracy: 1e-6)
  }

  func testEndpointsAndSymmetries() {
    let teacher = teacherLogProbs(seed: 5)
    let logits = randomFloats(N * Vp, seed: 6, scale: 2)
    func value(_ d: Divergence, teacher: [Float] = [], logits: [Float] = []) -> Double {
      divergenceLoss(d, dlogits: nil, studentLogits: logits, teacherLogProbs: teacher, teacherStride: V, mask: nil,
        gradientScale: 1, N: N, V: V, Vp: Vp).lossSum
    }
    let forward = value(.forwardKL, teacher: teacher, logits: logits)
    let reverse = value(.reverseKL, teacher: teacher, logits: logits)
    // Generalized JSD is continuous with forward KL at β → 0 and reverse KL at β → 1.
    XCTAssertEqual(value(.jensenShannon(beta: 1e-5), teacher: teacher, logits: logits), forward, accuracy: 1e-3 * forward)
    XCTAssertEqual(value(.jensenShannon(beta: 1 - 1e-5), teacher: teacher, logits: logits), reverse, accuracy: 1e-3 * reverse)
    XCTAssertEqual(value(.jensenShannon(beta: 0), teacher: teacher, logits: logits), forward, accuracy: 1e-9)
    XCTAssertEqual(value(.jensenShannon(beta: 1), teacher: teacher, logits: logits), reverse, accuracy: 1e-9)
    XCTAssertEqual(value(.skewForwardKL(lambda: 0), teacher: teacher, logits: logits), forward, accuracy: 1e-6)
    XCTAssertEqual(value(.skewReverseKL(lambda: 0), teacher: teacher, logits: logits), reverse, accuracy: 1e-6)
    // Swapping p and q: TV and JSD(½) are symmetric; forward and reverse KL trade places.
    var swappedTeacher = [Float](repeating: 0, count: N * V)
    var swappedLogits = [Float](repeating: 0, count: N * Vp)
    for n in 0..<N {
      let z = (0..<V).map { logits[n * Vp + $0] }
      let m = z.max()!
      let lse = m + logf(z.map { expf($0 - m) }.reduce(0, +))
      for i in 0..<V {
        swappedTeacher[n * V + i] = z[i] - lse
        swappedLogits[n * Vp + i] = teacher[n * V + i]
      }
    }
    XCTAssertEqual(value(.totalVariation, teacher: swappedTeacher, logits: swappedLogits), value(.totalVariation, teacher: teacher, logits: logits), accuracy: 1e-6)
    XCTAssertEqual(value(.jensenShannon(beta: 0.5), teacher: swappedTeacher, logits: swappedLogits), value(.jensenShannon(beta: 0.5), teacher: teacher, logits: logits), accuracy: 1e-6)
    XCTAssertEqual(value(.forwardKL, teacher: swappedTeacher, logits: swappedLogits), reverse, accuracy: 1e-5)
    // Identical distributions: every divergence is 0.
    for divergence in Self.all {
      XCTAssertEqual(value(divergence, teacher: swappedTeacher, logits: logits), 0, accuracy: 1e-6, "\(divergence)")
    }
  }

  func testKnowledgeDistillationMixesCrossEntropyAndForwardKL() {
    let teacher = teacherLogProbs(seed: 7)
    let logits = Tensor(randomFloats(N * Vp, seed: 8, scale: 2))
    let targets: [Int32] = [1, 4, 0, 6]
    let mask: [Float] = [1, 1, 0, 1]
    var d = [Float](repeating: 0, count: N * Vp)
    let result = knowledgeDistillationLoss(
      kdRatio: 0.5, dlogits: &d, studentLogits: logits.p, targets: targets, teacherLogProbs: teacher, teacherStride: V,
      mask: mask, gradientScale: 1.0 / 3, N: N, V: V, Vp: Vp)
    let ce = crossEntropyForwardBackward(dlogits: nil, logits: logits.p, targets: targets, mask: mask, gradientScale: 1, N: N, V: V, Vp: Vp)
    let kl = divergenceLoss(.forwardKL, dlogits: nil, studentLogits: logits.p, teacherLogProbs: teacher, teacherStride: V,
      mask: mask, gradientScale: 1, N: N, V: V, Vp: Vp)
    XCTAssertEqual(result.mean, 0.5 * ce.mean + 0.5 * kl.mean, accuracy: 1e-9)
    let scratch = Tensor(zeros: N * Vp)
    func loss() -> Double {
      knowledgeDistillationLoss(
        kdRatio: 0.5, dlogits: scratch.p, studentLogits: logits.p, targets: targets,
        teacherLogProbs: teacher, teacherStride: V, mask: mask, gradientScale: 1.0 / 3, N: N, V: V, Vp: Vp
      ).mean
    }
    let numeric = centralDifferences(logits.p, indices: Array(0..<(N * Vp)), step: 1e-3, loss: loss)
    let comparison = compare(d, numeric, rtol: 1e-2, atol: 3e-4)
    XCTAssertTrue(comparison.passed, "\(comparison)")
  }
}
