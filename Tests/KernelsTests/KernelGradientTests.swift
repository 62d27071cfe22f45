// Every kernel's backward against central finite differences of its forward.
//
// Tolerances: the forwards run in Float (relative rounding ~6e-8 per operation). Each check
// differentiates L = Σ w·out (w random, summed in Double) with step h = 1e-2; the truncation
// error of central differences is O(h²·f''') ≈ 1e-4 relative here, and rounding contributes
// ≈ ε·|L|/h ≈ 1e-5·|L|. So rtol 2e-2 with atol 2e-3 separates a correct backward from a wrong
// one (a missing term or wrong sign gives O(1) relative errors).

import Kernels
import TestSupport
import XCTest

final class KernelGradientTests: XCTestCase {
  let h: Float = 1e-2
  let rtol: Float = 2e-2
  let atol: Float = 2e-3

  private func assertGradient(
    _ name: String, analytic: [Float], at values: UnsafeMutablePointer<Float>, count: Int,
    loss: () -> Double, samples: Int = 60, file: StaticString = #filePath, line: UInt = #line
  ) {
    let indices = sampleIndices(count, limit: samples, seed: UInt64(count))
    let numeric = centralDifferences(values, indices: indices, step: h, loss: loss)
    let result = compare(indices.map { analytic[$0] }, numeric, rtol: rtol, atol: atol)
    XCTAssertTrue(result.passed, "\(name): \(result)", file: file, line: line)
  }

  func testLayerNormBackward() {
    let N = 5
    let C = 7
    let inp = Tensor(randomFloats(N * C, seed: 1, scale: 2))
    let weight = Tensor(randomFloats(C, seed: 2))
    let bias = Tensor(randomFloats(C, seed: 3))
    let w = randomFloats(N * C, seed: 4)
    let out = Tensor(zeros: N * C)
    let mean = Tensor(zeros: N)
    let rstd = Tensor(zeros: N)
    func loss() -> Double {
      layerNormForward(out: out.p, mean: mean.p, rstd: rstd.p, inp: inp.p, weight: weight.p, bias: bias.p, N: N, C: C)
      return weightedSum(out.p, w)
    }
    _ = loss()
    let dinp = Tensor([Float](repeating: 0.5, count: N * C))  // backward accumulates: start non-zero
    let dweight = Tensor(zeros: C)
    let dbias = Tensor(zeros: C)
    let scratch = Tensor(zeros: 2 * C * 8)
    layerNormBackward(
      dinp: dinp.p, dweight: dweight.p, dbias: dbias.p, dout: w, inp: inp.p, weight: weight.p,
      mean: mean.p, rstd: rstd.p, scratch: scratch.p, N: N, C: C)
    assertGradient("dinp", analytic: dinp.array.map { $0 - 0.5 }, at: inp.p, count: N * C, loss: loss)
    assertGradient("dweight", analytic: dweight.array, at: weight.p, count: C, loss: loss)
    assertGradient("dbias", analytic: dbias.array, at: bias.p, count: C, loss: loss)
  }

  func testMatmulBackward() {
    let N = 6
    let C = 5
    let OC = 4
    let inp = Tensor(randomFloats(N * C, seed: 5))
    let weight = Tensor(randomFloats(OC * C, seed: 6))
    let bias = Tensor(randomFloats(OC, seed: 7))
    let w = randomFloats(N * OC, seed: 8)
    let out = Tensor(zeros: N * OC)
    func loss() -> Double {
      matmulForward(out: out.p, inp: inp.p, weight: weight.p, bias: bias.p, N: N, C: C, OC: OC)
      return weightedSum(out.p, w)
    }
    _ = loss()
    let dinp = Tensor(zeros: N * C)
    let dweight = Tensor(zeros: OC * C)
    let dbias = Tensor(zeros: OC)
    matmulBackward(
      dinp: dinp.p, dweight: dweight.p, dbias: dbias.p, dout: w, inp: inp.p, weight: weight.p,
      N: N, C: C, OC: OC)
    assertGradient("dinp", analytic: dinp.array, at: inp.p, count: N * C, loss: loss)
    assertGradient("dweight", analytic: dweight.array, at: weight.p, count: OC * C, loss: loss)
    assertGradient("dbias", analytic: dbias.array, at: bias.p, count: OC, loss: loss)
  }

  func testGELUBackward() {
    let count = 50
    let inp = Tensor(randomFloats(count, seed: 9, scale: 4))
    let w = randomFloats(count, seed: 10)
    let out = Tensor(zeros: count)
    func loss() -> Double {
      geluForward(out: out.p, inp: inp.p, count: count)
      return weightedSum(out.p, w)
    }
    _ = loss()
    let dinp = Tensor(zeros: count)
    geluBackward(dinp: dinp.p, inp: inp.p, dout: w, count: count)
    assertGradient("dinp", analytic: dinp.array, at: inp.p, count: count, loss: loss)
    let x = inp.p[0]
    XCTAssertEqual(out.p[0], 0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x * x * x))), accuracy: 1e-6)
  }

  /// Runs attention forward and backward on random qkv with the given left padding, checks
  /// d(Σ w·out)/d(qkv) against central differences, and returns (out, dqkv).
  private func checkAttentionGradient(
    B: Int, T: Int, NH: Int, C: Int, keyStart: [Int32], seed: UInt64, scale: Float, samples: Int = 60,
    line: UInt = #line
  ) -> (out: [Float], dqkv: [Float]) {
    let layout = AttentionLayout.packed(B: B, T: T, C: C, NH: NH)
    let qkv = Tensor(randomFloats(B * T * 3 * C, seed: seed, scale: scale))
    let w = randomFloats(B * T * C, seed: seed + 1)
    let out = Tensor(zeros: B * T * C)
    let att = Tensor(zeros: layout.attentionCount)
    func loss() -> Double {
      attentionForward(out: out.p, att: att.p, q: qkv.p, k: qkv.p + C, v: qkv.p + 2 * C, keyStart: keyStart, layout: layout)
      return weightedSum(out.p, w)
    }
    _ = loss()
    let dqkv = Tensor(zeros: B * T * 3 * C)
    attentionBackward(
      dq: dqkv.p, dk: dqkv.p + C, dv: dqkv.p + 2 * C, dout: w, att: att.p, q: qkv.p, k: qkv.p + C,
      v: qkv.p + 2 * C, keyStart: keyStart, layout: layout)
    assertGradient("dqkv", analytic: dqkv.array, at: qkv.p, count: B * T * 3 * C, loss: loss, samples: samples, line: line)
    _ = loss()  // the differences left the last perturbed forward in out
    return (out.array, dqkv.array)
  }

  func testAttentionBackwardWithRaggedLeftPadding() {
    let (T, C) = (6, 8)
    let (outs, grads) = checkAttentionGradient(B: 3, T: T, NH: 2, C: C, keyStart: [0, 2, 5], seed: 11, scale: 1.5)
    // Padding queries output zeros and padding keys get no gradient.
    for t in 0..<2 {
      XCTAssertEqual(Array(outs[((1 * T + t) * C)..<((1 * T + t + 1) * C)]), [Float](repeating: 0, count: C))
      XCTAssertEqual(Array(grads[((1 * T + t) * 3 * C)..<((1 * T + t + 1) * 3 * C)]), [Float](repeating: 0, count: 3 * C))
    }
  }

  /// The blocked kernel's paths that the small case above misses: a full 16-column tile plus
  /// an 8-column tail per head (hs = 24), and key blocks that straddle the causal diagonal.
  func testAttentionBackwardOnWiderHeads() {
    _ = checkAttentionGradient(B: 2, T: 11, NH: 2, C: 48, keyStart: [0, 3], seed: 14, scale: 1.2, samples: 600)
  }

  func testCrossEntropyBackwardAndPaddedVocabulary() {
    let N = 4
    let V = 7
    let Vp = 9
    let logits = Tensor(randomFloats(N * Vp, seed: 13, scale: 3))
    let targets: [Int32] = [0, 6, -1, 3]
    let mask: [Float] = [1, 0.5, 0, 2]
    var dlogits = [Float](repeating: 0, count: N * Vp)
    let result = crossEntropyForwardBackward(
      dlogits: &dlogits, logits: logits.p, targets: targets, mask: mask, gradientScale: 1, N: N, V: V, Vp: Vp)
    XCTAssertEqual(result.weightSum, 3.5)
    func loss() -> Double {
      crossEntropyForwardBackward(
        dlogits: nil, logits: logits.p, targets: targets, mask: mask, gradientScale: 1, N: N, V: V, Vp: Vp
      ).lossSum
    }
    assertGradient("dlogits", analytic: dlogits, at: logits.p, count: N * Vp, loss: loss)
    for n in 0..<N {
      XCTAssertEqual(dlogits[n * Vp + 7], 0)
      XCTAssertEqual(dlogits[n * Vp + 8], 0)
    }
  }
}
