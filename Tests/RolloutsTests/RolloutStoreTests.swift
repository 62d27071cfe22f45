// The rollout value's own arithmetic: importance weights, advantages and their statistics,
// whitening over several ranks' statistics, and the minibatch layout the student sees.

import Datasets
import Distill
import Rollouts
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

final class RolloutArithmeticTests: XCTestCase {
  /// Two rollouts with prompts of different lengths.
  func store() -> RolloutStore {
    var store = RolloutStore()
    store.rollouts = [
      Rollout(prompt: [7, 8, 9], response: [
        RolloutToken(token: 1, logQOld: -0.5, logP: -1.0, logPTilde: -0.6),
        RolloutToken(token: 2, logQOld: -1.5, logP: -0.5, logPTilde: -1.2),
      ]),
      Rollout(prompt: [4], response: [
        RolloutToken(token: 3, logQOld: -2.0, logP: -2.5, logPTilde: -2.1),
        RolloutToken(token: 5, logQOld: -0.1, logP: -0.3, logPTilde: -0.2),
        RolloutToken(token: 0, logQOld: -0.7, logP: -0.9, logPTilde: -0.8),
      ]),
    ]
    return store
  }

  func testImportanceWeightIsQOldOverPTilde() {
    let token = RolloutToken(token: 1, logQOld: log(0.3), logP: log(0.5), logPTilde: log(0.34))
    XCTAssertEqual(token.importanceWeight, 0.3 / 0.34, accuracy: 1e-6)
  }

  func testAdvantagesAndStatisticsFollowTheObjective() {
    var config = MiniLLMConfig()
    config.gamma = 0.9
    var s = store()
    let statistics = s.assignAdvantages(config: config)
    XCTAssertTrue(s.hasAdvantages)
    var all: [Double] = []
    var rewardSum = 0.0
    for rollout in store().rollouts {
      let r = rollout.response.map { (Double($0.logP) - Double($0.logQOld)) / config.rewardScaling }
      rewardSum += r.reduce(0, +)
      // Authors' returns: A_t = Σ_{t' ≥ t} γ^{t'−t} r_{t'} / (T − t).
      for t in r.indices {
        var sum = 0.0
        for u in t..<r.count { sum += pow(config.gamma, Double(u - t)) * r[u] }
        all.append(sum / Double(r.count - t))
      }
    }
    XCTAssertEqual(s.rollouts.flatMap { $0.response.map(\.advantage) }.count, 5)
    for (got, want) in zip(s.rollouts.flatMap { $0.response.map(\.advantage) }, all) { XCTAssertEqual(got, want, accuracy: 1e-12) }
    XCTAssertEqual(statistics.tokens, 5)
    XCTAssertEqual(statistics.sequences, 2)
    XCTAssertEqual(statistics.responseTokens, 5)
    XCTAssertEqual(statistics.rewardSum, rewardSum, accuracy: 1e-9)
    XCTAssertEqual(statistics.advantageSum, all.reduce(0, +), accuracy: 1e-12)
    XCTAssertEqual(statistics.reverseKLSum, 0.5 - 1.0 + 0.5 + 0.2 + 0.2, accuracy: 1e-6)
  }

  func testWhiteningUsesTheStatisticsOfEveryRank() {
    let config = MiniLLMConfig()
    var rank0 = store()
    var rank1 = store()
    rank1.rollouts.removeLast()
    let local0 = rank0.assignAdvantages(config: config)
    let local1 = rank1.assignAdvantages(config: config)
    // The all-reduce: the sums add.
    let global = RolloutStatistics(reduced: zip(local0.reducible, local1.reducible).map { $0 + $1 })
    rank0.whitenAdvantages(with: global)
    rank1.whitenAdvantages(with: global)
    let whitened = (rank0.rollouts + rank1.rollouts).flatMap { $0.response.map(\.advantage) }
    XCTAssertEqual(whitened.count, 7)
    let mean = whitened.reduce(0, +) / 7
    let variance = whitened.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 7
    XCTAssertEqual(mean, 0, accuracy: 1e-9)
    XCTAssertEqual(variance, 1, accuracy: 1e-6)
    // One rank's tokens alone are not whitened to mean 0: the statistics really are global.
    let alone = rank1.rollouts.flatMap { $0.response.map(\.advantage) }
    XCTAssertGreaterThan(abs(alone.reduce(0, +) / Double(alone.count)), 1e-3)
  }

  func testMinibatchPlacesEveryTokenAtThePositionThatPredictsIt() {
    var s = store()
    _ = s.assignAdvantages(config: MiniLLMConfig())
    let (batch, tokens) = s.minibatch([1, 0], pad: 0)
    // Rows: rollout 1 (prompt 1 + 3 tokens), rollout 0 (prompt 3 + 2 tokens): T = 5 − 1 = 4.
    XCTAssertEqual(batch.B, 2)
    XCTAssertEqual(batch.T, 4)
    for (row, index) in [1, 0].enumerated() {
      let rollout = s.rollouts[index]
      for (k, token) in rollout.response.enumerated() {
        let n = row * batch.T + rollout.prompt.count - 1 + k
        XCTAssertEqual(batch.targets[n], token.token)
        XCTAssertEqual(batch.lossMask[n], 1)
        XCTAssertEqual(tokens.logQOld[n], token.logQOld)
        XCTAssertEqual(tokens.weights[n], token.importanceWeight)
        XCTAssertEqual(tokens.advantages[n], token.advantage)
      }
    }
    XCTAssertEqual(batch.lossMask.reduce(0, +), 5)
    XCTAssertEqual(tokens.weights.enumerated().filter { batch.lossMask[$0.offset] == 0 }.map(\.element).reduce(0, +), 0)
  }
}
