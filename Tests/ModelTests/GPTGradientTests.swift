// The whole model's gradient against central finite differences on a tiny config, with ragged
// (left-padded) sequences and a masked cross-entropy loss.
//
// Tolerance: the forward is Float; with h = 1e-2 on a loss of order 1, rounding noise in the
// difference quotient is ≈ 1e-5 and truncation error ≈ h²·|f'''| ≲ 1e-4. rtol 5e-2 + atol 2e-4
// passes a correct backward and fails any missing or mis-scaled term (errors of order 1×).

import Kernels
import Model
import TestSupport
import XCTest

final class GPTGradientTests: XCTestCase {
  static let config = GPTConfig(
    vocabSize: 11, contextLength: 8, dModel: 8, nLayer: 2, nHead: 2, padVocabTo: 8, initStd: 0.2)

  func makeModel() throws -> GPT {
    let model = try GPT(config: Self.config)
    model.initializeGPT2(seed: 7)
    // Non-trivial LayerNorm and bias values so that their gradients are exercised too.
    for tensor in ParameterTensor.allCases where !tensor.decays {
      let buffer = model.parameters.buffer(tensor)
      let noise = randomFloats(buffer.count, seed: UInt64(buffer.count), scale: 0.3)
      for i in buffer.indices { buffer[i] += noise[i] }
    }
    return model
  }

  func testWholeModelGradientMatchesFiniteDifferences() throws {
    let model = try makeModel()
    let B = 2
    let T = 6
    let batch = TokenBatch(B: B, T: T, tokens: [1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10], keyStart: [0, 2])
    // Next-token targets; the padding positions of sequence 1 are masked out.
    let targets: [Int32] = [2, 3, 4, 5, 6, 1, -1, -1, 8, 9, 10, 3]
    let mask: [Float] = [1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1]
    let V = Self.config.vocabSize
    let Vp = Self.config.paddedVocabSize

    func loss() -> Double {
      let logits = model.forward(batch)
      return crossEntropyForwardBackward(
        dlogits: nil, logits: logits, targets: targets, mask: mask, gradientScale: 1,
        N: B * T, V: V, Vp: Vp
      ).mean
    }
    let logits = model.forward(batch)
    let result = crossEntropyForwardBackward(
      dlogits: model.dlogits, logits: logits, targets: targets, mask: mask, gradientScale: 1 / 10,
      N: B * T, V: V, Vp: Vp)
    XCTAssertEqual(result.weightSum, 10)
    model.zeroGradients()
    model.backward()

    for tensor in ParameterTensor.allCases {
      let count = model.layout.count(tensor)
      let indices = sampleIndices(count, limit: 12, seed: UInt64(count) &* 31)
      let analytic = indices.map { model.gradients.pointer(tensor)[$0] }
      let numeric = centralDifferences(model.parameters.pointer(tensor), indices: indices, step: 1e-2, loss: loss)
      let comparison = compare(analytic, numeric, rtol: 5e-2, atol: 2e-4)
      XCTAssertTrue(comparison.passed, "\(tensor.rawValue): \(comparison)")
    }
    // Left padding is invisible: sequence 1's real tokens give the same logits as unpadded.
    let padded = Array(UnsafeBufferPointer(start: model.forward(batch) + (1 * T + 2) * Vp, count: 4 * Vp))
    let alone = TokenBatch(B: 1, T: 4, tokens: [7, 8, 9, 10])
    let unpadded = Array(UnsafeBufferPointer(start: model.forward(alone), count: 4 * Vp))
    let comparison = compare(padded, unpadded, rtol: 1e-5, atol: 1e-6)
    XCTAssertTrue(comparison.passed, "left padding changed logits: \(comparison)")
  }

  func testGradientsAccumulateAcrossBackwardCalls() throws {
    let model = try makeModel()
    let batch = TokenBatch(B: 1, T: 4, tokens: [1, 2, 3, 4])
    let V = Self.config.vocabSize
    let Vp = Self.config.paddedVocabSize
    func step() {
      let logits = model.forward(batch)
      _ = crossEntropyForwardBackward(
        dlogits: model.dlogits, logits: logits, targets: [2, 3, 4, 5], mask: nil, gradientScale: 0.25,
        N: 4, V: V, Vp: Vp)
      model.backward()
    }
    model.zeroGradients()
    step()
    let once = Array(model.gradients.storage)
    step()
    let twice = Array(model.gradients.storage)
    let comparison = compare(twice, once.map { 2 * $0 }, rtol: 1e-5, atol: 1e-7)
    XCTAssertTrue(comparison.passed, "\(comparison)")
    XCTAssertGreaterThan(once.map(abs).max()!, 1e-3)
  }
}
