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
    if B == Bmax && T == Tmax { return mine }
    let V = config.vocabSize
    var out = [Float](repeating: 0, count: B * T * V)
    out.withUnsafeMutableBufferPointer { out in
      mine.withUnsafeBufferPointer { mine in
        for b in 0..<B {
          // This member's T positions of sequence b are contiguous in both layouts.
          (out.baseAddress! + b * T * V).update(from: mine.baseAddress! + b * Tmax * V, count: T * V)
        }
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
    let me = group.rank
    var mine = [Float](repeating: 0, count: S * R * columns)  // shard-major: (S, R, Vp/S)
    try local.withUnsafeBufferPointer { local in
      try mine.withUnsafeMutableBufferPointer { mine in
        for owner in 0..<S {
          let input = UnsafeBufferPointer(rebasing: local[(owner * R * columns)..<((owner + 1) * R * columns)])
          let output = me == owner ? mine : UnsafeMutableBufferPointer(start: mine.baseAddress, count: 0)
          try group.gather(input, into: output, root: owner)
        }
      }
    }
    var logProbs = [Float](repeating: 0, count: R * V)
    logProbs.withUnsafeMutableBufferPointer { out in
      mine.withUnsafeBufferPointer { mine in
        for s in 0..<S {
          let realColumns = max(0, min(columns, V - s * columns))
          for r in 0..<R {
            let shift = lse[me * R + r]
            let from = mine.baseAddress! + (s * R + r) * columns
            let to = out.baseAddress! + r * V + s * columns
            for i in 0..<realColumns { to[i] = from[i] - shift }
          }
        }
      }
    }
    return logProbs
  }
}
