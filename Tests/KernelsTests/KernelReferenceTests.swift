// Kernels against slow, obvious Double reference loops and hand-computed values.

import Kernels
import TestSupport
import XCTest

final class KernelReferenceTests: XCTestCase {
  func testCrossEntropyHandComputedCase() {
    // logits [0, ln 2, ln 3] → softmax [1/6, 2/6, 3/6]; target 2 → loss −ln(1/2) = ln 2
    let logits: [Float] = [0, logf(2), logf(3)]
    var dlogits = [Float](repeating: 0, count: 3)
    let result = crossEntropyForwardBackward(
      dlogits: &dlogits, logits: logits, targets: [2], mask: nil, gradientScale: 1, N: 1, V: 3, Vp: 3)
    XCTAssertEqual(result.lossSum, log(2), accuracy: 1e-6)
    XCTAssertEqual(dlogits[0], 1.0 / 6, accuracy: 1e-6)
    XCTAssertEqual(dlogits[1], 2.0 / 6, accuracy: 1e-6)
    XCTAssertEqual(dlogits[2], 3.0 / 6 - 1, accuracy: 1e-6)
  }

  func testSoftmaxAndLogSoftmaxAreStableForHugeLogits() {
    let V = 5
    let Vp = 8
    let logits: [Float] = [1000, 999, -1000, 0, 1000, 7, 7, 7]
    var logProbs = [Float](repeating: 0, count: Vp)
    var probs = [Float](repeating: 0, count: Vp)
    logSoftmaxForward(out: &logProbs, logits: logits, N: 1, V: V, Vp: Vp)
    softmaxForward(out: &probs, logits: logits, N: 1, V: V, Vp: Vp)
    let denominator = 2 + exp(-1.0)
    XCTAssertEqual(Double(probs[0]), 1 / denominator, accuracy: 1e-6)
    XCTAssertEqual(Double(probs[1]), exp(-1.0) / denominator, accuracy: 1e-6)
    XCTAssertEqual(probs[2], 0)
    XCTAssertEqual(Double(logProbs[0]), -log(denominator), accuracy: 1e-5)
    XCTAssertEqual(Array(probs[5...]), [0, 0, 0])
    XCTAssertEqual(logProbs[6], -.infinity)
    var tempered = [Float](repeating: 0, count: Vp)
    softmaxForward(out: &tempered, logits: [0, logf(4), 0, 0, 0, 0, 0, 0], N: 1, V: 2, Vp: Vp, temperature: 2)
    XCTAssertEqual(tempered[1], 2.0 / 3, accuracy: 1e-6)
  }

  /// Naive attention in Double, with the same masking rules.
  func naiveAttention(
    qkv: [Float], keyStart: [Int32], B: Int, T: Int, C: Int, NH: Int
  ) -> [Float] {
    let hs = C / NH
    var out = [Float](repeating: 0, count: B * T * C)
    for b in 0..<B {
      for h in 0..<NH {
        for t in 0..<T {
          let start = Int(keyStart[b])
          guard t >= start else { continue }
          var scores: [Double] = []
          for j in start...t {
            var dot = 0.0
            for i in 0..<hs {
              dot += Double(qkv[(b * T + t) * 3 * C + h * hs + i]) * Double(qkv[(b * T + j) * 3 * C + C + h * hs + i])
            }
            scores.append(dot / Double(hs).squareRoot())
          }
          let m = scores.max()!
          let e = scores.map { exp($0 - m) }
          let s = e.reduce(0, +)
          for i in 0..<hs {
            var value = 0.0
            for (index, j) in (start...t).enumerated() {
              value += e[index] / s * Double(qkv[(b * T + j) * 3 * C + 2 * C + h * hs + i])
            }
            out[(b * T + t) * C + h * hs + i] = Float(value)
          }
        }
      }
    }
    return out
  }

  func testAttentionForwardMatchesNaiveLoops() {
    let B = 2
    let T = 9
    let C = 12
    let NH = 3
    let qkv = randomFloats(B * T * 3 * C, seed: 21, scale: 2)
    let keyStart: [Int32] = [0, 4]
    let layout = AttentionLayout.packed(B: B, T: T, C: C, NH: NH)
    var out = [Float](repeating: 0, count: B * T * C)
    var att = [Float](repeating: 0, count: layout.attentionCount)
    qkv.withUnsafeBufferPointer { p in
      let base = p.baseAddress!
      attentionForward(out: &out, att: &att, q: base, k: base + C, v: base + 2 * C, keyStart: keyStart, layout: layout)
    }
    let expected = naiveAttention(qkv: qkv, keyStart: keyStart, B: B, T: T, C: C, NH: NH)
    let result = compare(out, expected, rtol: 1e-5, atol: 1e-6)
    XCTAssertTrue(result.passed, "\(result)")
  }

  /// Wider heads and an odd length: the blocked kernel's full 16-column tiles, masked column
  /// tails, a partial last query block, and a sequence whose only real token is the last.
  func testBlockedAttentionMatchesNaiveLoopsOnWideHeads() {
    let B = 3
    let T = 37
    let C = 80
    let NH = 2
    let qkv = randomFloats(B * T * 3 * C, seed: 22, scale: 1.5)
    let keyStart: [Int32] = [0, 5, 36]
    let layout = AttentionLayout.packed(B: B, T: T, C: C, NH: NH)
    var out = [Float](repeating: .nan, count: B * T * C)
    var att = [Float](repeating: .nan, count: layout.attentionCount)
    qkv.withUnsafeBufferPointer { p in
      let base = p.baseAddress!
      attentionForward(out: &out, att: &att, q: base, k: base + C, v: base + 2 * C, keyStart: keyStart, layout: layout)
    }
    let expected = naiveAttention(qkv: qkv, keyStart: keyStart, B: B, T: T, C: C, NH: NH)
    let result = compare(out, expected, rtol: 1e-5, atol: 1e-6)
    XCTAssertTrue(result.passed, "\(result)")
    // Every probability row sums to 1 over the visible keys and is exactly 0 elsewhere.
    for b in 0..<B {
      for h in 0..<NH {
        for t in 0..<T {
          let row = Array(att[(((b * NH + h) * T + t) * T)..<(((b * NH + h) * T + t + 1) * T)])
          let start = Int(keyStart[b])
          let visible = t >= start ? Array(row[start...t]) : []
          let hidden = row.enumerated().filter { $0.offset < start || $0.offset > t }.map(\.element)
          XCTAssertEqual(hidden, [Float](repeating: 0, count: hidden.count), "b \(b) h \(h) t \(t)")
          if !visible.isEmpty {
            XCTAssertEqual(visible.reduce(0, +), 1, accuracy: 1e-5, "b \(b) h \(h) t \(t)")
          }
        }
      }
    }
  }

  func testEncoderForwardAndBackward() {
    let C = 3
    let wte: [Float] = (0..<(4 * C)).map { Float($0) }
    let wpe: [Float] = (0..<(5 * C)).map { Float($0) * 100 }
    let tokens: [Int32] = [3, 1, 3]
    let positions: [Int32] = [0, 0, 4]
    var out = [Float](repeating: 0, count: 3 * C)
    encoderForward(out: &out, tokens: tokens, positions: positions, wte: wte, wpe: wpe, N: 3, C: C)
    XCTAssertEqual(out, [9, 110, 211, 3, 104, 205, 1209, 1310, 1411])
    var dwte = [Float](repeating: 0, count: 4 * C)
    var dwpe = [Float](repeating: 0, count: 5 * C)
    let dout: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    encoderBackward(dwte: &dwte, dwpe: &dwpe, dout: dout, tokens: tokens, positions: positions, N: 3, C: C)
    XCTAssertEqual(Array(dwte[9..<12]), [8, 10, 12])  // token 3 twice
    XCTAssertEqual(Array(dwte[3..<6]), [4, 5, 6])
    XCTAssertEqual(Array(dwpe[0..<3]), [5, 7, 9])  // position 0 twice
    XCTAssertEqual(Array(dwpe[12..<15]), [7, 8, 9])
  }

  func testKernelsGiveTheSameResultsWithTwoThreads() {
    let saved = KernelThreads.count
    defer { KernelThreads.count = saved }
    let B = 2, T = 16, C = 32, NH = 4
    let qkv = randomFloats(B * T * 3 * C, seed: 31)
    let layout = AttentionLayout.packed(B: B, T: T, C: C, NH: NH)
    func run() -> [Float] {
      var out = [Float](repeating: 0, count: B * T * C)
      var att = [Float](repeating: 0, count: layout.attentionCount)
      qkv.withUnsafeBufferPointer { p in
        attentionForward(out: &out, att: &att, q: p.baseAddress!, k: p.baseAddress! + C, v: p.baseAddress! + 2 * C, keyStart: [0, 3], layout: layout)
      }
      var normed = [Float](repeating: 0, count: B * T * C)
      var mean = [Float](repeating: 0, count: B * T)
      var rstd = [Float](repeating: 0, count: B * T)
      layerNormForward(out: &normed, mean: &mean, rstd: &rstd, inp: out, weight: [Float](repeating: 1, count: C), bias: [Float](repeating: 0, count: C), N: B * T, C: C)
      return normed
    }
    KernelThreads.count = 1
    let one = run()
    KernelThreads.count = 2
    XCTAssertEqual(run(), one)
  }
}

final class MatmulSplitTests: XCTestCase {
  /// With 2 kernel threads the linear layer's forward and backward split rows (and weight rows)
  /// across threads. Each piece is its own sgemm call, whose edge tiles may sum in another order,
  /// so the check is against Double loops at both thread counts (dbias sums in the same order).
  func testMatmulForwardAndBackwardSplitAcrossThreads() {
    let saved = KernelThreads.count
    defer { KernelThreads.count = saved }
    let (N, C, OC) = (301, 40, 135)
    let inp = randomFloats(N * C, seed: 51)
    let weight = randomFloats(OC * C, seed: 52)
    let bias = randomFloats(OC, seed: 53)
    let dout = randomFloats(N * OC, seed: 54)
    func reference(_ count: Int, _ term: (Int) -> Double) -> [Float] { (0..<count).map { Float(term($0)) } }
    let expectedOut = reference(N * OC) { i in
      (0..<C).reduce(Double(bias[i % OC])) { $0 + Double(inp[(i / OC) * C + $1]) * Double(weight[(i % OC) * C + $1]) }
    }
    let expectedDinp = reference(N * C) { i in
      (0..<OC).reduce(1.0) { $0 + Double(dout[(i / C) * OC + $1]) * Double(weight[$1 * C + i % C]) }
    }
    let expectedDweight = reference(OC * C) { i in
      (0..<N).reduce(2.0) { $0 + Double(dout[$1 * OC + i / C]) * Double(inp[$1 * C + i % C]) }
    }
    var dbiasOne: [Float] = []
    for threads in [1, 2] {
      KernelThreads.count = threads
      var out = [Float](repeating: .nan, count: N * OC)
      matmulForward(out: &out, inp: inp, weight: weight, bias: bias, N: N, C: C, OC: OC)
      var dinp = [Float](repeating: 1, count: N * C)  // backward accumulates
      var dweight = [Float](repeating: 2, count: OC * C)
      var dbias = [Float](repeating: 3, count: OC)
      matmulBackward(
        dinp: &dinp, dweight: &dweight, dbias: &dbias, dout: dout, inp: inp, weight: weight, N: N, C: C, OC: OC)
      for (name, actual, expected) in [("out", out, expectedOut), ("dinp", dinp, expectedDinp), ("dweight", dweight, expectedDweight)] {
        let result = compare(actual, expected, rtol: 1e-4, atol: 1e-4)
        XCTAssertTrue(result.passed, "\(threads) thread(s), \(name): \(result)")
      }
      if threads == 1 { dbiasOne = dbias } else { XCTAssertEqual(dbias, dbiasOne) }
    }
    XCTAssertEqual(Double(dbiasOne[7]), (0..<N).reduce(3.0) { $0 + Double(dout[$1 * OC + 7]) }, accuracy: 1e-3)
  }
}

final class FewRowsKernelTests: XCTestCase {
  /// Both decode-step matmuls (row-major weights, and weights repacked into 8-row panels)
  /// against Double loops: batches below, at and above 8 rows, widths that are not multiples of
  /// 8, output counts with leftover rows after the last full panel.
  func testFewRowsMatmulsMatchReferenceForOddShapes() {
    for (N, C, OC) in [(1, 5, 3), (3, 17, 9), (8, 256, 1024), (16, 33, 70), (5, 8, 4), (9, 31, 21), (13, 1024, 40)] {
      let inp = randomFloats(N * C, seed: UInt64(N * 100 + C))
      let weight = randomFloats(OC * C, seed: UInt64(OC))
      let bias = randomFloats(OC, seed: 3)
      var expected = [Float](repeating: 0, count: N * OC)
      for n in 0..<N {
        for o in 0..<OC {
          var sum = Double(bias[o])
          for c in 0..<C { sum += Double(inp[n * C + c]) * Double(weight[o * C + c]) }
          expected[n * OC + o] = Float(sum)
        }
      }
      var rows = [Float](repeating: .nan, count: N * OC)
      matmulForwardFewRows(out: &rows, inp: inp, weight: weight, bias: bias, N: N, C: C, OC: OC)
      let rowResult = compare(rows, expected, rtol: 1e-5, atol: 1e-5)
      XCTAssertTrue(rowResult.passed, "row-major N=\(N) C=\(C) OC=\(OC): \(rowResult)")
      var panels = [Float](repeating: .nan, count: OC * C)
      packDecodePanels(panels: &panels, weight: weight, C: C, OC: OC)
      var packed = [Float](repeating: .nan, count: N * OC)
      matmulForwardPanels(out: &packed, inp: inp, panels: panels, bias: bias, N: N, C: C, OC: OC)
      let panelResult = compare(packed, expected, rtol: 1e-5, atol: 1e-5)
      XCTAssertTrue(panelResult.passed, "panels N=\(N) C=\(C) OC=\(OC): \(panelResult)")
    }
  }

  func testDecodeAttentionMatchesTheBlockedPath() {
    // One query per sequence against Tk keys: head size 8 (vector path), 5 (scalar path), and
    // 32 and 64 (8 keys at a time plus a tail of Tk mod 8, values in registers).
    for (hs, Tk) in [(8, 7), (5, 7), (32, 21), (64, 19)] {
      let B = 2, NH = 3
      let C = NH * hs
      let q = randomFloats(B * 3 * C, seed: 41)
      let kv = randomFloats(B * Tk * 3 * C, seed: 42)
      let keyStart: [Int32] = [0, 3]
      // Decode path: Tq = 1 with queries at position Tk − 1.
      let decode = AttentionLayout(
        B: B, Tq: 1, Tk: Tk, NH: NH, headSize: hs, qRowStride: 3 * C, qBatchStride: 3 * C,
        kvRowStride: 3 * C, kvBatchStride: Tk * 3 * C, outRowStride: C, outBatchStride: C)
      var out = [Float](repeating: .nan, count: B * C)
      var att = [Float](repeating: .nan, count: B * NH * Tk)
      kv.withUnsafeBufferPointer { k in
        attentionForward(out: &out, att: &att, q: q, k: k.baseAddress! + C, v: k.baseAddress! + 2 * C, keyStart: keyStart, layout: decode)
      }
      // Reference: the full packed forward over the same keys, with the query put at the end.
      var packed = kv
      for b in 0..<B { for i in 0..<C { packed[(b * Tk + Tk - 1) * 3 * C + i] = q[b * 3 * C + i] } }
      let full = AttentionLayout.packed(B: B, T: Tk, C: C, NH: NH)
      var fullOut = [Float](repeating: 0, count: B * Tk * C)
      var fullAtt = [Float](repeating: 0, count: full.attentionCount)
      packed.withUnsafeBufferPointer { p in
        attentionForward(out: &fullOut, att: &fullAtt, q: p.baseAddress!, k: p.baseAddress! + C, v: p.baseAddress! + 2 * C, keyStart: keyStart, layout: full)
      }
      var expected: [Float] = []
      for b in 0..<B {
        let start = (b * Tk + Tk - 1) * C
        expected += fullOut[start..<(start + C)]
      }
      let result = compare(out, expected, rtol: 1e-5, atol: 1e-6)
      XCTAssertTrue(result.passed, "hs \(hs): \(result)")
    }
  }
}
