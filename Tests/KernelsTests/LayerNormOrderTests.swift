// LayerNorm's eight-rows-at-a-time forward against the plain one-row loop, bit for bit: the
// rows run in SIMD lanes, but every row's sums must keep their column order.

import Kernels
import XCTest

final class LayerNormOrderTests: XCTestCase {
  /// The reference: each row on its own, one addition at a time, in column order.
  func plainLayerNorm(_ x: [Float], weight: [Float], bias: [Float], N: Int, C: Int) -> (out: [Float], mean: [Float], rstd: [Float]) {
    var out = [Float](repeating: 0, count: N * C)
    var means = [Float](repeating: 0, count: N)
    var rstds = [Float](repeating: 0, count: N)
    for n in 0..<N {
      var sum: Float = 0
      for i in 0..<C { sum += x[n * C + i] }
      let m = sum / Float(C)
      var variance: Float = 0
      for i in 0..<C {
        let d = x[n * C + i] - m
        variance += d * d
      }
      variance /= Float(C)
      let s = 1 / (variance + layerNormEpsilon).squareRoot()
      for i in 0..<C { out[n * C + i] = (x[n * C + i] - m) * s * weight[i] + bias[i] }
      means[n] = m
      rstds[n] = s
    }
    return (out, means, rstds)
  }

  func testEveryRowIsBitIdenticalToThePlainLoop() {
    var state: UInt64 = 12345
    func uniform() -> Float {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Float(state >> 40) / Float(1 << 24) * 2 - 1
    }
    // Row counts with full blocks of eight, tails, and fewer rows than one block; widths
    // that are not multiples of eight; values of mixed scale so that sum order matters.
    for (N, C) in [(1, 5), (7, 16), (8, 3), (37, 128), (64, 96), (130, 33)] {
      let x = (0..<(N * C)).map { i in uniform() * (i % 3 == 0 ? 1000 : 0.001) + 3 }
      let weight = (0..<C).map { _ in uniform() }
      let bias = (0..<C).map { _ in uniform() }
      let expected = plainLayerNorm(x, weight: weight, bias: bias, N: N, C: C)
      var out = [Float](repeating: 0, count: N * C)
      var mean = [Float](repeating: 0, count: N)
      var rstd = [Float](repeating: 0, count: N)
      layerNormForward(out: &out, mean: &mean, rstd: &rstd, inp: x, weight: weight, bias: bias, N: N, C: C)
      XCTAssertEqual(out.map(\.bitPattern), expected.out.map(\.bitPattern), "out, N \(N) C \(C)")
      XCTAssertEqual(mean.map(\.bitPattern), expected.mean.map(\.bitPattern), "mean, N \(N) C \(C)")
      XCTAssertEqual(rstd.map(\.bitPattern), expected.rstd.map(\.bitPattern), "rstd, N \(N) C \(C)")
    }
  }
}
