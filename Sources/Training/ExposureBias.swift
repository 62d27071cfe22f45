// Exposure bias as the MiniLLM paper measures it (ExAccErr, after Arora et al., 2022), with the
// teacher as the oracle p: the error a student accumulates on its own prefixes, relative to the
// error it makes on the oracle's prefixes.

import Collectives
import Foundation
import Generation
import Kernels
import Model
import Randomness

/// Per-step errors of a student q against an oracle p, on prefixes sampled from q and from p.
///
/// With e(prefix) = KL(p(·|x, prefix) ‖ q(·|x, prefix)) over the vocabulary,
/// R(l) = Σ_{t≤l} E_{prefix ∼ q}[e] and ε(l) = Σ_{t≤l} E_{prefix ∼ p}[e];
/// ExAccErr(l) = (R(l) − ε(l)) / ε(l) × 100%: the share of the error at length l that comes
/// from the student's own prefixes. Responses stop at EOS, so the expectation at step t is over
/// the responses still running at t.
public struct ExposureBias: Sendable {
  /// Σ over responses of e at response step t (index t − 1), and how many responses reached it,
  /// for prefixes sampled from the student and from the oracle.
  public var studentPrefixError: [Double]
  public var studentPrefixCount: [Double]
  public var oraclePrefixError: [Double]
  public var oraclePrefixCount: [Double]

  public init(studentPrefixError: [Double], studentPrefixCount: [Double], oraclePrefixError: [Double], oraclePrefixCount: [Double]) {
    self.studentPrefixError = studentPrefixError
    self.studentPrefixCount = studentPrefixCount
    self.oraclePrefixError = oraclePrefixError
    self.oraclePrefixCount = oraclePrefixCount
  }

  /// R(l) and ε(l) for l = 1…maxNewTokens (steps no response reached add nothing).
  public var accumulated: (r: [Double], epsilon: [Double]) {
    var r: [Double] = []
    var epsilon: [Double] = []
    var (sumR, sumE) = (0.0, 0.0)
    for t in studentPrefixError.indices {
      if studentPrefixCount[t] > 0 { sumR += studentPrefixError[t] / studentPrefixCount[t] }
      if oraclePrefixCount[t] > 0 { sumE += oraclePrefixError[t] / oraclePrefixCount[t] }
      r.append(sumR)
      epsilon.append(sumE)
    }
    return (r, epsilon)
  }

  /// ExAccErr(l) in percent, nil when l is beyond the measured steps or ε(l) is 0.
  public func exAccErr(length l: Int) -> Double? {
    let (r, epsilon) = accumulated
    guard l >= 1, l <= r.count, epsilon[l - 1] > 0 else { return nil }
    return 100 * (r[l - 1] - epsilon[l - 1]) / epsilon[l - 1]
  }

  /// Samples a response to every prompt from the student and from the oracle (temperature 1,
  /// prompt i from stream (seed, i + 1) as in evaluation), and measures e at every response
  /// step under both. Prompts are split over the ranks of `group`; every rank ends with the
  /// same sums. Collective.
  public static func measure(
    student: GPT, oracle: GPT, prompts: [[Int32]], maxNewTokens: Int, eos: Int32, seed: UInt64,
    group: any Collective, batchSize: Int = 8
  ) throws -> ExposureBias {
    precondition(student.config.vocabSize == oracle.config.vocabSize, "one vocabulary")
    let steps = maxNewTokens
    var sums = [Double](repeating: 0, count: 4 * steps)  // errorQ, countQ, errorP, countP
    let local = Array(stride(from: group.rank, to: prompts.count, by: group.size))
    let context = min(student.config.contextLength, oracle.config.contextLength)
    let sampling = SamplingConfig(temperature: 1, eosToken: eos, maxNewTokens: maxNewTokens)
    for start in stride(from: 0, to: local.count, by: batchSize) {
      let chunk = Array(local[start..<min(local.count, start + batchSize)])
      let chunkPrompts = chunk.map { prompts[$0] }
      let capacity = min(context, chunkPrompts.map(\.count).max()! + maxNewTokens)
      for (source, offset) in [(student, 0), (oracle, 2 * steps)] {
        var streams = chunk.map { SeededGenerator(seed: seed, key: UInt64($0 + 1)) }
        let output = try Generator(model: source, batchSize: chunk.count, capacity: capacity).generate(
          prompts: chunkPrompts, config: sampling, streams: &streams)
        let errors = try stepErrors(
          student: student, oracle: oracle, prompts: chunkPrompts, responses: output.tokens, pad: eos)
        for row in errors {
          for (t, e) in row.enumerated() where t < steps {
            sums[offset + t] += e
            sums[offset + steps + t] += 1
          }
        }
      }
    }
    try group.allReduce(&sums, op: .sum)
    return ExposureBias(
      studentPrefixError: Array(sums[0..<steps]), studentPrefixCount: Array(sums[steps..<(2 * steps)]),
      oraclePrefixError: Array(sums[(2 * steps)..<(3 * steps)]), oraclePrefixCount: Array(sums[(3 * steps)...]))
  }

  /// `stepErrors`, for tests.
  public static func stepErrorsForTesting(student: GPT, oracle: GPT, prompts: [[Int32]], responses: [[Int32]], pad: Int32) throws
    -> [[Double]]
  {
    try stepErrors(student: student, oracle: oracle, prompts: prompts, responses: responses, pad: pad)
  }

  /// KL(p ‖ q) at every response step of each sequence prompt + response (the distribution of
  /// response token k given the prompt and the first k response tokens).
  static func stepErrors(student: GPT, oracle: GPT, prompts: [[Int32]], responses: [[Int32]], pad: Int32) throws -> [[Double]] {
    let sequences = zip(prompts, responses).map { $0 + $1 }
    let T = min(student.config.contextLength, sequences.map(\.count).max()!)
    let B = sequences.count
    var tokens = [Int32](repeating: pad, count: B * T)
    for (b, sequence) in sequences.enumerated() {
      for (t, token) in sequence.prefix(T).enumerated() { tokens[b * T + t] = token }
    }
    let batch = TokenBatch(B: B, T: T, tokens: tokens)
    let V = student.config.vocabSize
    // (B, T, Vp) logits of each model; both pointers stay valid (separate models' buffers).
    let p = oracle.forward(batch)
    let q = student.forward(batch)
    let Vpp = oracle.config.paddedVocabSize
    let Vpq = student.config.paddedVocabSize
    var out: [[Double]] = []
    for b in 0..<B {
      var row: [Double] = []
      for k in 0..<responses[b].count {
        let position = prompts[b].count - 1 + k
        guard position < T else { break }
        let pRow = p + (b * T + position) * Vpp
        let qRow = q + (b * T + position) * Vpq
        let lp = Double(logSumExp(pRow, V: V))
        let lq = Double(logSumExp(qRow, V: V))
        var kl = 0.0
        for v in 0..<V {
          let logP = Double(pRow[v]) - lp
          kl += exp(logP) * (logP - (Double(qRow[v]) - lq))
        }
        row.append(max(0, kl))
      }
      out.append(row)
    }
    return out
  }
}
