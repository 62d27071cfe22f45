// Length-grouped micro-batches (what the teacher-forced trainer runs): the groups cover the
// batch once, cost no more than one padded batch, and give the whole padded batch's loss and
// gradient up to floating-point summation order.

import Datasets
import Kernels
import Model
import TestSupport
import XCTest

final class MicroBatchTests: XCTestCase {
  func testGroupsCoverTheBatchOnceAndNeverCostMore() {
    var generator = UInt64(12345)
    for trial in 0..<200 {
      let n = 1 + trial % 20
      let lengths = (0..<n).map { _ -> Int in
        generator = generator &* 6364136223846793005 &+ 1442695040888963407
        return 5 + Int(generator >> 33) % 100
      }
      let overhead = [0, 16, 32, 1000][trial % 4]
      let groups = LengthGroups.split(lengths: lengths, overheadPerGroup: overhead)
      XCTAssertEqual(groups.flatMap { $0 }.sorted(), Array(0..<n), "every example exactly once")
      XCTAssertLessThanOrEqual(groups.count, 4)
      XCTAssertTrue(groups.allSatisfy { !$0.isEmpty })
      let cost = groups.reduce(0) { $0 + $1.count * $1.map { lengths[$0] }.max()! + overhead }
      XCTAssertLessThanOrEqual(cost, n * lengths.max()! + overhead, "never worse than one padded batch")
      // Groups are contiguous in length: every length of a group ≤ every length of the next.
      for (a, b) in zip(groups, groups.dropFirst()) {
        XCTAssertLessThanOrEqual(a.map { lengths[$0] }.max()!, b.map { lengths[$0] }.min()!)
      }
      if overhead == 1000 { XCTAssertEqual(groups.count, 1, "a high per-call cost keeps one batch") }
    }
    // Two clearly different lengths and a small per-call cost: split in two.
    XCTAssertEqual(LengthGroups.split(lengths: [90, 10, 11, 92], overheadPerGroup: 4).map { $0.sorted() }, [[1, 2], [0, 3]])
    XCTAssertEqual(LengthGroups.split(lengths: [], overheadPerGroup: 0), [])
  }

  func testAnExactGroupCountGivesThatManyContiguousGroupsOfLeastPadding() {
    let lengths = [40, 12, 90, 13, 41, 88, 14, 39]
    for k in 1...lengths.count {
      let groups = LengthGroups.split(lengths: lengths, exactly: k)
      XCTAssertEqual(groups.count, k)
      XCTAssertEqual(groups.flatMap { $0 }.sorted(), Array(lengths.indices))
      for (a, b) in zip(groups, groups.dropFirst()) {
        XCTAssertLessThanOrEqual(a.map { lengths[$0] }.max()!, b.map { lengths[$0] }.min()!)
      }
    }
    // Three clear clusters in three groups: each group is one cluster.
    XCTAssertEqual(LengthGroups.split(lengths: lengths, exactly: 3).map { $0.sorted() }, [[1, 3, 6], [0, 4, 7], [2, 5]])
    XCTAssertEqual(LengthGroups.split(lengths: [7], exactly: 1), [[0]])
  }

  func testMicroBatchedLossAndGradientEqualTheWholePaddedBatch() throws {
    let config = GPTConfig(vocabSize: 13, contextLength: 24, dModel: 16, nLayer: 2, nHead: 2, padVocabTo: 8, initStd: 0.2)
    let V = config.vocabSize
    let Vp = config.paddedVocabSize
    let examples = (0..<7).map { i -> TokenizedExample in
      let promptLength = 2 + (i * 5) % 7
      let responseLength = 1 + (i * 3) % 9
      return TokenizedExample(
        prompt: (0..<promptLength).map { Int32(1 + ($0 * 7 + i) % 12) },
        response: (0..<responseLength).map { Int32(1 + ($0 * 5 + 2 * i) % 12) } + [0])
    }
    let totalWeight = Double(examples.reduce(0) { $0 + $1.response.count })

    func gradient(groups: [[Int]]) throws -> (loss: Double, gradient: [Float]) {
      let model = try GPT(config: config)
      model.initializeGPT2(seed: 5)
      model.zeroGradients()
      var loss = 0.0
      for group in groups {
        let batch = SequenceBatch(examples: group.map { examples[$0] }, pad: 0)
        let logits = model.forward(TokenBatch(B: batch.B, T: batch.T, tokens: batch.tokens))
        loss += crossEntropyForwardBackward(
          dlogits: model.dlogits, logits: logits, targets: batch.targets, mask: batch.lossMask,
          gradientScale: Float(1 / totalWeight), N: batch.B * batch.T, V: V, Vp: Vp
        ).lossSum
        model.backward()
      }
      return (loss / totalWeight, Array(model.gradients.storage))
    }
    let groups = LengthGroups.split(lengths: examples.map { $0.full.count - 1 }, overheadPerGroup: 0)
    XCTAssertGreaterThan(groups.count, 1, "the test needs a batch that splits")
    let whole = try gradient(groups: [Array(examples.indices)])
    let split = try gradient(groups: groups)
    XCTAssertEqual(split.loss, whole.loss, accuracy: 1e-6 * whole.loss)
    let comparison = compare(split.gradient, whole.gradient, rtol: 1e-4, atol: 1e-6)
    XCTAssertTrue(comparison.passed, "\(comparison)")
    XCTAssertGreaterThan(whole.gradient.map(abs).max()!, 1e-3)
    // A group that loses an example changes the gradient far beyond that tolerance.
    var lessOne = groups
    lessOne[lessOne.count - 1].removeFirst()
    let dropped = try gradient(groups: lessOne.filter { !$0.isEmpty })
    XCTAssertFalse(compare(dropped.gradient, whole.gradient, rtol: 1e-4, atol: 1e-6).passed)
  }
}
