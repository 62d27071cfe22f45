// The MiniLLM rollout store: exact round trips through the packed form (used to gather it to
// rank 0) and through the checkpoint's /rollouts group, mid-collection and mid-PPO.

import Checkpointing
import Datasets
import Foundation
import Model
import Optim
import Rollouts
import XCTest

final class RolloutStoreTests: XCTestCase {
  func store(withAdvantages: Bool) -> RolloutStore {
    let prompts: [[Int32]] = [[5, 6, 7], [8]]
    let responses: [[Int32]] = [[1, 2], [3, 4, 0]]
    let logQOld: [[Float]] = [[-0.5, -1.25], [-0.1, -2, -3.5]]
    let logP: [[Float]] = [[-0.75, -1], [-0.2, -1.5, -4]]
    let logPTilde: [[Float]] = [[-0.6, -1.1], [-0.15, -1.9, -3.6]]
    let advantages: [[Double]] = [[0.123456789012345, -1], [2, 0, -0.5]]
    var store = RolloutStore()
    for s in prompts.indices {
      store.rollouts.append(Rollout(prompt: prompts[s], response: responses[s].indices.map { t in
        RolloutToken(
          token: responses[s][t], logQOld: logQOld[s][t], logP: logP[s][t], logPTilde: logPTilde[s][t],
          advantage: withAdvantages ? advantages[s][t] : 0)
      }))
    }
    if withAdvantages {
      store.hasAdvantages = true
      store.order = [1, 0]
    }
    return store
  }

  func testPackedFormRoundTripsExactly() {
    for withAdvantages in [false, true] {
      let original = store(withAdvantages: withAdvantages)
      let packed = original.packed
      XCTAssertEqual(RolloutStore(packed: packed[...]), original)
      // Two stores back to back (as gathered from two ranks) split at their own lengths.
      let both = packed + store(withAdvantages: !withAdvantages).packed
      XCTAssertEqual(RolloutStore(packed: both[0..<packed.count]), original)
    }
  }

  func testCheckpointKeepsTheStoreAndPretrainingCursors() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rollouts-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let model = try GPT(config: GPTConfig(vocabSize: 20, contextLength: 8, dModel: 8, nLayer: 1, nHead: 2))
    let state = TrainingState(
      step: 3, stage: "minillm", method: "minillm", runConfigJSON: "{}", schedule: .constant(1e-3),
      ranks: [
        RankState(generator: [1, 2, 3, 4], cursor: .init(epoch: 0, position: 4), pretrainingCursor: .init(epoch: 2, position: 1)),
        RankState(generator: [5, 6, 7, 8], cursor: .init(epoch: 0, position: 4), pretrainingCursor: .init(epoch: 2, position: 1)),
      ],
      metrics: ["train_loss": [1, 2, 3]], promptTemplate: .alpaca)
    let snapshot = RolloutStoreSnapshot(
      iteration: 4, epoch: 1, position: 2, sums: Dictionary(uniqueKeysWithValues: (0..<14).map { ("sum_\($0)", Double($0) / 3) }),
      ranks: [store(withAdvantages: true), store(withAdvantages: false)])
    let path = directory + "/c.h5"
    try Checkpoint.write(
      to: path, model: model, optimizer: AdamW(layout: model.layout), state: state, tokenizerJSON: nil, rollouts: snapshot)
    let loaded = try Checkpoint.read(path)
    XCTAssertEqual(loaded.rollouts, snapshot)
    XCTAssertEqual(loaded.state.ranks, state.ranks)
    // Other stages: no store.
    try Checkpoint.write(to: path, model: model, optimizer: AdamW(layout: model.layout), state: state, tokenizerJSON: nil)
    XCTAssertNil(try Checkpoint.read(path).rollouts)
  }
}
