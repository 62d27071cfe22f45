// Incremental teacher scoring inside a teacher group: every member decodes its own batch; at
// each step the group runs the union of the members' sequences through the sharded teacher
// (each shard with its own KV cache) and returns each member the distributions of its rows.

import Collectives

/// Teacher next-token log-probabilities for this rank's sequences, computed by the group's
/// sharded teacher. All members call `prefill` and `step` in lockstep with equal shapes.
public final class ShardedTeacherDecoder {
  public let teacher: ShardedGPT
  /// Sequences per member.
  public let B: Int
  let cache: KVCache
  var keyStart: [Int32] = []

  public init(teacher: ShardedGPT, batchSize: Int, capacity: Int) {
    self.teacher = teacher
    B = batchSize
    cache = teacher.makeCache(B: batchSize * teacher.shards, capacity: capacity)
  }

  /// Runs this member's prompts (B, P, left-padded by keyStart) with the other members'.
  /// - Returns: log p of the next token after each prompt, (B, V) for this member's rows.
  public func prefill(tokens: [Int32], promptLength P: Int, keyStart: [Int32]) throws -> [Float] {
    precondition(tokens.count == B * P && keyStart.count == B, "teacher prefill: wrong batch shape")
    cache.length = 0
    let unionTokens = try teacher.group.allGather(tokens)
    self.keyStart = try teacher.group.allGather(keyStart)
    let local = try teacher.forward(tokens: unionTokens, B: B * teacher.shards, T: P, keyStart: self.keyStart, cache: cache)
    return try ownRows(local, T: P)
  }

  /// Feeds one token per sequence of this member; returns log p of the next token, (B, V).
  public func step(tokens: [Int32]) throws -> [Float] {
    precondition(tokens.count == B, "teacher step: need one token per sequence")
    let unionTokens = try teacher.group.allGather(tokens)
    let local = try teacher.forward(tokens: unionTokens, B: B * teacher.shards, T: 1, keyStart: keyStart, cache: cache)
    return try ownRows(local, T: 1)
  }

  /// The last position of each union sequence, then each member's rows (see
  /// `ShardedGPT.ownerLogProbabilities`).
  func ownRows(_ local: [Float], T: Int) throws -> [Float] {
    let rows = teacher.vocabularyRows
    if T == 1 { return try teacher.ownerLogProbabilities(local: local, rowsPerMember: B) }
    var last = [Float](repeating: 0, count: teacher.shards * B * rows)
    last.withUnsafeMutableBufferPointer { last in
      local.withUnsafeBufferPointer { local in
        for row in 0..<(teacher.shards * B) {
          (last.baseAddress! + row * rows).update(from: local.baseAddress! + (row * T + T - 1) * rows, count: rows)
        }
      }
    }
    return try teacher.ownerLogProbabilities(local: last, rowsPerMember: B)
  }
}
