// Teacher-forced scoring inside a teacher group: every member brings its own batch, the group
// runs the union through the sharded teacher, and each member receives the full next-token
// log-probabilities of its own rows (nothing else travels).

import Collectives

#if canImport(Glibc)
  import Glibc
#endif

extension ShardedGPT {
  /// log p(· | tokens[b, ..t]) over the whole vocabulary for every position of this member's
  /// batch, (B·T, V) row-major, at `temperature`. Every member of the group calls it together;
  /// members may bring different B and T (the union is padded on the right, which causal
  /// attention never lets earlier positions see).
  /// - Parameters:
  ///   - tokens: this member's batch, (B, T).
  ///   - pad: the token used to fill the union batch.
  public func memberLogProbabilities(tokens: [Int32], B: Int, T: Int, pad: Int32, temperature: Float = 1) throws
    -> [Float]
  {
    precondition(tokens.count == B * T, "teacher scoring: tokens are not (B, T)")
    let Bmax = Int(try group.allReduce(Int64(B), op: .max))
    let Tmax = Int(try group.allReduce(Int64(T), op: .max))
    var padded = [Int32](repeating: pad, count: Bmax * Tmax)
    for b in 0..<B {
      for t in 0..<T { padded[b * Tmax + t] = tokens[b * T + t] }
    }
    let union = try group.allGather(padded)  // (S·Bmax, Tmax)
    var local = try forward(
      tokens: union, B: shards * Bmax, T: Tmax, keyStart: [Int32](repeating: 0, count: shards * Bmax), cache: nil)
    if temperature != 1 {
      let inverse = 1 / temperature
      for i in local.indices { local[i] *= inverse }
    }
    let mine = try ownerLogProbabilities(local: local, rowsPerMember: Bmax * Tmax)  // (Bmax·Tmax, V)
    let V = config.vocabSize
    var out = [Float](repeating: 0, count: B * T * V)
    for b in 0..<B {
      for t in 0..<T {
        let from = (b * Tmax + t) * V
        let to = (b * T + t) * V
        for i in 0..<V { out[to + i] = mine[from + i] }
      }
    }
    return out
  }

  /// From this shard's logits of the union rows (S·R, Vp/S), member-major (member m owns rows
  /// m·R ..< (m+1)·R): the log-softmax statistics are reduced over the group, then each
  /// member gathers its own R rows' columns from every shard.
  /// - Returns: log-probabilities of this member's rows, (R, V).
  func ownerLogProbabilities(local: [Float], rowsPerMember R: Int) throws -> [Float] {
    let S = shards
    let columns = vocabularyRows
    let V = config.vocabSize
    let lse = try logSumExp(localLogits: local, rows: S * R)
    var mine: [Float] = []
    for owner in 0..<S {
      let slice = Array(local[(owner * R * columns)..<((owner + 1) * R * columns)])
      var gathered = [Float](repeating: 0, count: group.rank == owner ? S * R * columns : 0)
      try slice.withUnsafeBufferPointer { input in
        try gathered.withUnsafeMutableBufferPointer { output in
          try group.gather(input, into: output, root: owner)
        }
      }
      if group.rank == owner { mine = gathered }
    }
    let me = group.rank
    var logProbs = [Float](repeating: 0, count: R * V)
    for s in 0..<S {
      for r in 0..<R {
        for i in 0..<columns {
          let column = s * columns + i
          if column < V { logProbs[r * V + column] = mine[(s * R + r) * columns + i] - lse[me * R + r] }
        }
      }
    }
    return logProbs
  }
}
