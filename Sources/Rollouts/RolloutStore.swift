// One rank's rollout store for a MiniLLM iteration: collecting (rollouts appended as they are
// sampled), then updating (advantages assigned, PPO minibatches drawn in `order`).

import Datasets
import Distill

/// This rank's rollouts of the current iteration and the PPO order over them.
public struct RolloutStore: Sendable, Equatable {
  public var rollouts: [Rollout] = []
  /// False while collecting; true once advantages are assigned (the store is then "updating").
  public var hasAdvantages = false
  /// Indices into `rollouts` in the order of the current PPO epoch.
  public var order: [Int] = []

  public init() {}

  public var count: Int { rollouts.count }

  /// Computes every token's long-term advantage from its rewards (not yet whitened) and
  /// returns this rank's statistics of rewards and advantages.
  public mutating func assignAdvantages(config: MiniLLMConfig) -> RolloutStatistics {
    var statistics = RolloutStatistics()
    for i in rollouts.indices {
      let rewards = rollouts[i].rewards(config: config)
      let advantages = Distill.advantages(rewards: rewards, config: config)
      statistics.tokens += Double(advantages.count)
      for (t, value) in advantages.enumerated() {
        rollouts[i].response[t].advantage = value
        statistics.advantageSum += value
        statistics.advantageSquareSum += value * value
      }
      statistics.rewardSum += rewards.reduce(0, +)
    }
    for rollout in rollouts {
      statistics.reverseKLSum += rollout.response.reduce(0) { $0 + Double($1.logQOld - $1.logP) }
    }
    statistics.sequences = Double(rollouts.count)
    statistics.responseTokens = Double(rollouts.reduce(0) { $0 + $1.response.count })
    hasAdvantages = true
    return statistics
  }

  /// Whitens every advantage with statistics over all ranks: (A − mean) / (std + 1e-8).
  public mutating func whitenAdvantages(with statistics: RolloutStatistics) {
    let mean = statistics.advantageMean
    let variance = statistics.advantageVariance
    for i in rollouts.indices {
      let whitened = whiten(rollouts[i].response.map(\.advantage), mean: mean, variance: variance)
      for t in whitened.indices { rollouts[i].response[t].advantage = whitened[t] }
    }
  }

  /// The rollouts `indices` laid out as the student sees them: a right-padded batch and, at
  /// each response position, the token's log q_old, importance weight and advantage.
  public func minibatch(_ indices: [Int], pad: Int32) -> (batch: SequenceBatch, tokens: MiniLLMTokens) {
    let batch = SequenceBatch(
      examples: indices.map { TokenizedExample(prompt: rollouts[$0].prompt, response: rollouts[$0].tokens) }, pad: pad)
    let N = batch.B * batch.T
    var logQOld = [Float](repeating: 0, count: N)
    var weights = [Float](repeating: 0, count: N)
    var advantages = [Double](repeating: 0, count: N)
    for (b, i) in indices.enumerated() {
      let first = rollouts[i].prompt.count - 1  // the position predicting the first response token
      for (k, token) in rollouts[i].response.enumerated() {
        let n = b * batch.T + first + k
        logQOld[n] = token.logQOld
        weights[n] = token.importanceWeight
        advantages[n] = token.advantage
      }
    }
    let tokens = MiniLLMTokens(
      targets: batch.targets, mask: batch.lossMask, logQOld: logQOld, weights: weights, advantages: advantages)
    return (batch, tokens)
  }

  /// Flattened into doubles (exact for every field) for a variable-count gather.
  public var packed: [Double] {
    var out: [Double] = [Double(rollouts.count), hasAdvantages ? 1 : 0, Double(order.count)]
    for rollout in rollouts {
      out += [Double(rollout.prompt.count), Double(rollout.response.count)]
      out += rollout.prompt.map(Double.init)
      for token in rollout.response {
        out += [Double(token.token), Double(token.logQOld), Double(token.logP), Double(token.logPTilde)]
        if hasAdvantages { out.append(token.advantage) }
      }
    }
    return out + order.map(Double.init)
  }

  public init(packed: ArraySlice<Double>) {
    var cursor = packed.startIndex
    func take() -> Double {
      defer { cursor += 1 }
      return packed[cursor]
    }
    let count = Int(take())
    hasAdvantages = take() != 0
    let orderCount = Int(take())
    for _ in 0..<count {
      let promptLength = Int(take())
      let responseLength = Int(take())
      let prompt = (0..<promptLength).map { _ in Int32(take()) }
      let response = (0..<responseLength).map { _ -> RolloutToken in
        var token = RolloutToken(token: Int32(take()), logQOld: Float(take()), logP: Float(take()), logPTilde: Float(take()))
        if hasAdvantages { token.advantage = take() }
        return token
      }
      rollouts.append(Rollout(prompt: prompt, response: response))
    }
    order = (0..<orderCount).map { _ in Int(take()) }
  }
}
