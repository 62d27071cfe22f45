// The MiniLLM rollout store as a checkpoint holds it: where the iteration stands (collecting,
// or inside a PPO epoch) and every rank's rollouts, so a run resumes mid-iteration exactly.

import HDF5

/// One rank's rollouts: per sequence the prompt and response tokens and, per response token,
/// log q_old, log p and log p̃ recorded while sampling; once the collection is complete, the
/// whitened advantages and the current PPO epoch's minibatch order.
public struct RankRollouts: Sendable, Equatable {
  public var prompts: [[Int32]] = []
  public var responses: [[Int32]] = []
  public var logQOld: [[Float]] = []
  public var logP: [[Float]] = []
  public var logPTilde: [[Float]] = []
  /// Empty while collecting; one array per sequence (one value per response token) after.
  public var advantages: [[Double]] = []
  /// Indices into the sequences in the order of the current PPO epoch.
  public var order: [Int] = []

  public init() {}

  /// Flattened into doubles (exact for every field) for a variable-count gather.
  public var packed: [Double] {
    var out: [Double] = [Double(prompts.count), advantages.isEmpty ? 0 : 1, Double(order.count)]
    for i in prompts.indices {
      out += [Double(prompts[i].count), Double(responses[i].count)]
      out += prompts[i].map(Double.init) + responses[i].map(Double.init)
      out += logQOld[i].map(Double.init) + logP[i].map(Double.init) + logPTilde[i].map(Double.init)
      if !advantages.isEmpty { out += advantages[i] }
    }
    return out + order.map(Double.init)
  }

  public init(packed: ArraySlice<Double>) {
    var cursor = packed.startIndex
    func take(_ n: Int) -> ArraySlice<Double> {
      defer { cursor += n }
      return packed[cursor..<(cursor + n)]
    }
    let header = Array(take(3))
    let count = Int(header[0])
    for _ in 0..<count {
      let lengths = take(2)
      let (p, r) = (Int(lengths.first!), Int(lengths.last!))
      prompts.append(take(p).map { Int32($0) })
      responses.append(take(r).map { Int32($0) })
      logQOld.append(take(r).map { Float($0) })
      logP.append(take(r).map { Float($0) })
      logPTilde.append(take(r).map { Float($0) })
      if header[1] != 0 { advantages.append(Array(take(r))) }
    }
    order = take(Int(header[2])).map { Int($0) }
  }
}

/// Where a MiniLLM iteration stands and every rank's rollout store.
public struct RolloutStoreSnapshot: Sendable, Equatable {
  /// Iterations completed before the current one.
  public var iteration: Int
  /// PPO epoch and position (in sequences) inside its order; both 0 while collecting.
  public var epoch: Int
  public var position: Int
  /// The iteration's running metric sums (the trainer defines their meaning).
  public var sums: [Double]
  /// One entry per rank, in rank order.
  public var ranks: [RankRollouts]

  public init(iteration: Int, epoch: Int, position: Int, sums: [Double], ranks: [RankRollouts]) {
    self.iteration = iteration
    self.epoch = epoch
    self.position = position
    self.sums = sums
    self.ranks = ranks
  }

  /// Writes the store into the checkpoint's `/rollouts` group.
  func write(into group: HDF5Group) throws {
    try group.setAttribute("count", value: Int64(ranks.reduce(0) { $0 + $1.prompts.count }))
    try group.setAttribute("iteration", value: Int64(iteration))
    try group.setAttribute("epoch", value: Int64(epoch))
    try group.setAttribute("position", value: Int64(position))
    try group.write("sums", array: sums, shape: [sums.count])
    for (rank, store) in ranks.enumerated() {
      let g = try group.createGroup("\(rank)")
      func flat<T: HDF5Scalar>(_ name: String, _ rows: [[T]]) throws {
        let values = rows.flatMap { $0 }
        try g.write(name, array: values, shape: [values.count])
      }
      try g.write("prompt_lengths", array: store.prompts.map { Int64($0.count) }, shape: [store.prompts.count])
      try flat("prompt_tokens", store.prompts)
      try g.write("response_lengths", array: store.responses.map { Int64($0.count) }, shape: [store.responses.count])
      try flat("response_tokens", store.responses)
      try flat("log_q_old", store.logQOld)
      try flat("log_p", store.logP)
      try flat("log_p_tilde", store.logPTilde)
      if !store.advantages.isEmpty { try flat("advantages", store.advantages) }
      try g.write("order", array: store.order.map(Int64.init), shape: [store.order.count])
    }
  }

  /// Reads the `/rollouts` group; nil when the checkpoint has no MiniLLM state.
  static func read(from group: HDF5Group, worldSize: Int, path: String) throws -> RolloutStoreSnapshot? {
    guard group.hasAttribute("iteration") else { return nil }
    var ranks: [RankRollouts] = []
    for rank in 0..<worldSize {
      let g = try group.openGroup("\(rank)")
      func rows<T: HDF5Scalar>(_ name: String, _ lengths: [Int], as type: T.Type) throws -> [[T]] {
        let values = try g.read(name, as: T.self).values
        guard values.count == lengths.reduce(0, +) else {
          throw CheckpointError(path: path, item: "rollouts/\(rank)/\(name)", "has \(values.count) values, the lengths need \(lengths.reduce(0, +))")
        }
        var out: [[T]] = []
        var start = 0
        for n in lengths {
          out.append(Array(values[start..<(start + n)]))
          start += n
        }
        return out
      }
      var store = RankRollouts()
      let promptLengths = try g.read("prompt_lengths", as: Int64.self).values.map { Int($0) }
      let responseLengths = try g.read("response_lengths", as: Int64.self).values.map { Int($0) }
      store.prompts = try rows("prompt_tokens", promptLengths, as: Int32.self)
      store.responses = try rows("response_tokens", responseLengths, as: Int32.self)
      store.logQOld = try rows("log_q_old", responseLengths, as: Float.self)
      store.logP = try rows("log_p", responseLengths, as: Float.self)
      store.logPTilde = try rows("log_p_tilde", responseLengths, as: Float.self)
      if g.contains("advantages") { store.advantages = try rows("advantages", responseLengths, as: Double.self) }
      store.order = try g.read("order", as: Int64.self).values.map { Int($0) }
      ranks.append(store)
    }
    return RolloutStoreSnapshot(
      iteration: Int(try group.scalarAttribute("iteration", as: Int64.self)),
      epoch: Int(try group.scalarAttribute("epoch", as: Int64.self)),
      position: Int(try group.scalarAttribute("position", as: Int64.self)),
      sums: try group.read("sums", as: Double.self).values, ranks: ranks)
  }
}
