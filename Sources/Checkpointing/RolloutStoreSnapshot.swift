// The MiniLLM rollout store as a checkpoint holds it: where the iteration stands (collecting,
// or inside a PPO epoch), the iteration's running sums by name, and every rank's rollouts, so
// a run resumes mid-iteration exactly. Only serialization lives here; the rollout value and
// its arithmetic are in the Rollouts module.

import HDF5
import Rollouts

/// Where a MiniLLM iteration stands and every rank's rollout store.
public struct RolloutStoreSnapshot: Sendable, Equatable {
  /// Iterations completed before the current one.
  public var iteration: Int
  /// PPO epoch and position (in sequences) inside its order; both 0 while collecting.
  public var epoch: Int
  public var position: Int
  /// The iteration's running metric sums by name (the trainer defines them).
  public var sums: [String: Double]
  /// One entry per rank, in rank order.
  public var ranks: [RolloutStore]

  public init(iteration: Int, epoch: Int, position: Int, sums: [String: Double], ranks: [RolloutStore]) {
    self.iteration = iteration
    self.epoch = epoch
    self.position = position
    self.sums = sums
    self.ranks = ranks
  }

  /// Writes the store into the checkpoint's `/rollouts` group: per rank, the prompt and
  /// response lengths and tokens, and per response token log q_old, log p, log p̃ (and the
  /// advantage once assigned), flat; `sums` as one attribute per name.
  func write(into group: HDF5Group) throws {
    try group.setAttribute("count", value: Int64(ranks.reduce(0) { $0 + $1.count }))
    try group.setAttribute("iteration", value: Int64(iteration))
    try group.setAttribute("epoch", value: Int64(epoch))
    try group.setAttribute("position", value: Int64(position))
    let sumsGroup = try group.createGroup("sums")
    for (name, value) in sums.sorted(by: { $0.key < $1.key }) { try sumsGroup.setAttribute(name, value: value) }
    for (rank, store) in ranks.enumerated() {
      let g = try group.createGroup("\(rank)")
      let tokens = store.rollouts.flatMap(\.response)
      func flat<T: HDF5Scalar>(_ name: String, _ values: [T]) throws { try g.write(name, array: values, shape: [values.count]) }
      try flat("prompt_lengths", store.rollouts.map { Int64($0.prompt.count) })
      try flat("prompt_tokens", store.rollouts.flatMap(\.prompt))
      try flat("response_lengths", store.rollouts.map { Int64($0.response.count) })
      try flat("response_tokens", tokens.map(\.token))
      try flat("log_q_old", tokens.map(\.logQOld))
      try flat("log_p", tokens.map(\.logP))
      try flat("log_p_tilde", tokens.map(\.logPTilde))
      if store.hasAdvantages { try flat("advantages", tokens.map(\.advantage)) }
      try flat("order", store.order.map(Int64.init))
    }
  }

  /// Reads the `/rollouts` group; nil when the checkpoint has no MiniLLM state.
  static func read(from group: HDF5Group, worldSize: Int, path: String) throws -> RolloutStoreSnapshot? {
    guard try group.hasAttribute("iteration") else { return nil }
    var ranks: [RolloutStore] = []
    for rank in 0..<worldSize {
      let g = try group.openGroup("\(rank)")
      func values<T: HDF5Scalar>(_ name: String, count: Int, as type: T.Type) throws -> [T] {
        let values = try g.read(name, as: T.self).values
        guard values.count == count else {
          throw CheckpointError(path: path, item: "rollouts/\(rank)/\(name)", "has \(values.count) values, the lengths need \(count)")
        }
        return values
      }
      let promptLengths = try g.read("prompt_lengths", as: Int64.self).values.map { Int($0) }
      let responseLengths = try g.read("response_lengths", as: Int64.self).values.map { Int($0) }
      guard promptLengths.count == responseLengths.count, promptLengths.allSatisfy({ $0 >= 1 }), responseLengths.allSatisfy({ $0 >= 0 }) else {
        throw CheckpointError(path: path, item: "rollouts/\(rank)/prompt_lengths", "does not match response_lengths or holds an invalid length")
      }
      let tokenCount = responseLengths.reduce(0, +)
      let prompts = try values("prompt_tokens", count: promptLengths.reduce(0, +), as: Int32.self)
      let tokens = try values("response_tokens", count: tokenCount, as: Int32.self)
      let logQOld = try values("log_q_old", count: tokenCount, as: Float.self)
      let logP = try values("log_p", count: tokenCount, as: Float.self)
      let logPTilde = try values("log_p_tilde", count: tokenCount, as: Float.self)
      let hasAdvantages = try g.contains("advantages")
      let advantages = hasAdvantages ? try values("advantages", count: tokenCount, as: Double.self) : []
      var store = RolloutStore()
      store.hasAdvantages = hasAdvantages
      var promptStart = 0
      var tokenStart = 0
      for (promptLength, responseLength) in zip(promptLengths, responseLengths) {
        let response = (tokenStart..<(tokenStart + responseLength)).map { k in
          RolloutToken(
            token: tokens[k], logQOld: logQOld[k], logP: logP[k], logPTilde: logPTilde[k],
            advantage: hasAdvantages ? advantages[k] : 0)
        }
        store.rollouts.append(Rollout(prompt: Array(prompts[promptStart..<(promptStart + promptLength)]), response: response))
        promptStart += promptLength
        tokenStart += responseLength
      }
      store.order = try g.read("order", as: Int64.self).values.map { Int($0) }
      guard store.order.allSatisfy({ (0..<store.count).contains($0) }) else {
        throw CheckpointError(path: path, item: "rollouts/\(rank)/order", "holds an index outside the \(store.count) rollouts")
      }
      ranks.append(store)
    }
    var sums: [String: Double] = [:]
    let sumsGroup = try group.openGroup("sums")
    for name in try sumsGroup.attributeNames() { sums[name] = try sumsGroup.scalarAttribute(name, as: Double.self) }
    return RolloutStoreSnapshot(
      iteration: Int(try group.scalarAttribute("iteration", as: Int64.self)),
      epoch: Int(try group.scalarAttribute("epoch", as: Int64.self)),
      position: Int(try group.scalarAttribute("position", as: Int64.self)),
      sums: sums, ranks: ranks)
  }
}
