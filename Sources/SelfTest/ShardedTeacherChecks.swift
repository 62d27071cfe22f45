// The sharded teacher's oracle: across all ranks, a teacher split over groups of S ranks must
// give the unsharded model's log-probabilities, for a ragged batch from scratch, through
// KV-cache decoding, and in teacher-forced scoring of each member's own batch.

import Collectives
import Kernels
import Model

/// Runs the sharded-teacher checks on `runner` (every rank of `world`); `group` is this rank's
/// teacher group of `shards` consecutive ranks.
public func runShardedTeacherChecks(world: any Collective, group: any Collective, shards: Int, runner: CheckRunner) throws {
    let config = GPTConfig(vocabSize: 100, contextLength: 32, dModel: 32, nLayer: 2, nHead: 4, initStd: 0.1)
    let full = try GPT(config: config)
    full.initializeGPT2(seed: 5)
    for tensor in ParameterTensor.allCases where !tensor.decays {  // non-trivial norms and biases
      let buffer = full.parameters.buffer(tensor)
      for i in buffer.indices { buffer[i] += Float((i * 7) % 11) * 0.01 - 0.05 }
    }
    let teacher = try ShardedGPT(full: full, group: group)
    let B = 3
    let T = 10
    let keyStart: [Int32] = [0, 3, 6]
    let color = world.rank / shards
    var tokens = (0..<(B * T)).map { Int32(($0 * 13 + 7 * color + 1) % config.vocabSize) }
    for b in 0..<B { for t in 0..<Int(keyStart[b]) { tokens[b * T + t] = 0 } }

    // Reference log-probabilities from the unsharded model.
    let V = config.vocabSize
    let Vp = config.paddedVocabSize
    let logits = full.forward(TokenBatch(B: B, T: T, tokens: tokens, keyStart: keyStart))
    let reference = logProbabilities(logits: logits, N: B * T, V: V, Vp: Vp)
    func compareRows(_ actual: [Float], rows: [(b: Int, t: Int)], actualRow: (Int) -> Int) -> String? {
      var worst: Float = 0
      var largest: Float = 0
      for (index, row) in rows.enumerated() where row.t >= Int(keyStart[row.b]) {
        for v in 0..<V {
          let expected = reference[(row.b * T + row.t) * V + v]
          worst = max(worst, abs(actual[actualRow(index) * V + v] - expected))
          largest = max(largest, abs(expected))
        }
      }
      return worst <= 1e-5 * largest ? nil : "max abs diff \(worst) vs max |log p| \(largest)"
    }

    runner.check("teacher in groups of \(shards): full forward over a ragged batch matches the unsharded model") {
      let local = try teacher.forward(tokens: tokens, B: B, T: T, keyStart: keyStart, cache: nil)
      let logProbs = try teacher.fullLogProbabilities(localLogits: local, rows: B * T)
      let rows = (0..<(B * T)).map { (b: $0 / T, t: $0 % T) }
      return compareRows(logProbs, rows: rows, actualRow: { $0 })
    }
    runner.check("teacher in groups of \(shards): KV-cache prefill + steps match the unsharded model") {
      let cache = teacher.makeCache(B: B, capacity: T)
      let P = 4
      let prompt = (0..<B).flatMap { b in tokens[(b * T)..<(b * T + P)] }
      var local = try teacher.forward(tokens: prompt, B: B, T: P, keyStart: keyStart, cache: cache)
      var logProbs = try teacher.fullLogProbabilities(localLogits: local, rows: B * P)
      if let problem = compareRows(logProbs, rows: (0..<(B * P)).map { (b: $0 / P, t: $0 % P) }, actualRow: { $0 }) {
        return "prefill: \(problem)"
      }
      for t in P..<T {
        local = try teacher.forward(tokens: (0..<B).map { tokens[$0 * T + t] }, B: B, T: 1, keyStart: keyStart, cache: cache)
        logProbs = try teacher.fullLogProbabilities(localLogits: local, rows: B)
        if let problem = compareRows(logProbs, rows: (0..<B).map { (b: $0, t: t) }, actualRow: { $0 }) {
          return "step \(t): \(problem)"
        }
      }
      return nil
    }
    runner.check("teacher in groups of \(shards): teacher-forced scoring of members' own batches (different B and T) matches the unsharded model") {
      let Bm = 2 + group.rank % 2
      let Tm = 6 + group.rank
      let own = (0..<(Bm * Tm)).map { Int32(($0 * 17 + 5 * world.rank + 3) % V) }
      let logProbs = try teacher.memberLogProbabilities(tokens: own, B: Bm, T: Tm, pad: 0)
      let expected = logProbabilities(logits: full.forward(TokenBatch(B: Bm, T: Tm, tokens: own)), N: Bm * Tm, V: V, Vp: Vp)
      let worst = zip(logProbs, expected).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
      return worst <= 1e-4 ? nil : "max abs diff \(worst) in log p"
    }
}
