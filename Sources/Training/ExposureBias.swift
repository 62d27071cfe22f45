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

  /// Each prompt's step errors, for the spread over prompts: row i holds prompt i's errors under
  /// the student's response (`student`) and the oracle's (`oracle`), one per response step it
  /// reached (capped at the measured steps). Empty when built from sums alone.
  public var perPrompt: [(student: [Double], oracle: [Double])]

  public init(
    studentPrefixError: [Double], studentPrefixCount: [Double], oraclePrefixError: [Double], oraclePrefixCount: [Double],
    perPrompt: [(student: [Double], oracle: [Double])] = []
  ) {
    self.studentPrefixError = studentPrefixError
    self.studentPrefixCount = studentPrefixCount
    self.oraclePrefixError = oraclePrefixError
    self.oraclePrefixCount = oraclePrefixCount
    self.perPrompt = perPrompt
  }

  /// The sums over a multiset of prompts (indices into `perPrompt`, repeats allowed), with
  /// `steps` steps.
  public init(perPrompt: [(student: [Double], oracle: [Double])], selecting indices: [Int], steps: Int) {
    var (errorQ, countQ) = ([Double](repeating: 0, count: steps), [Double](repeating: 0, count: steps))
    var (errorP, countP) = (errorQ, countQ)
    for i in indices {
      for (t, e) in perPrompt[i].student.prefix(steps).enumerated() { (errorQ[t], countQ[t]) = (errorQ[t] + e, countQ[t] + 1) }
      for (t, e) in perPrompt[i].oracle.prefix(steps).enumerated() { (errorP[t], countP[t]) = (errorP[t] + e, countP[t] + 1) }
    }
    self.init(
      studentPrefixError: errorQ, studentPrefixCount: countQ, oraclePrefixError: errorP, oraclePrefixCount: countP,
      perPrompt: perPrompt)
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

  /// The bootstrap standard deviation of ExAccErr(l) over prompts: the prompts are resampled
  /// with replacement `resamples` times (from `seed`, so the spread is reproducible) and
  /// ExAccErr(l) recomputed on each resample; resamples where it is undefined are skipped. nil
  /// without per-prompt rows or with fewer than 2 defined resamples. It measures how much the
  /// number depends on which prompts (and which one sample per prompt) were drawn.
  public func exAccErrSpread(length l: Int, resamples: Int = 200, seed: UInt64 = 1) -> Double? {
    guard !perPrompt.isEmpty else { return nil }
    var generator = SeededGenerator(seed: seed)
    var values: [Double] = []
    for _ in 0..<resamples {
      let indices = perPrompt.indices.map { _ in Int(generator.next() % UInt64(perPrompt.count)) }
      let resampled = ExposureBias(perPrompt: perPrompt, selecting: indices, steps: studentPrefixError.count)
      if let value = resampled.exAccErr(length: l) { values.append(value) }
    }
    guard values.count >= 2 else { return nil }
    let mean = values.reduce(0, +) / Double(values.count)
    return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
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
    // Per prompt i: the student-prefix errors at [i·2·steps ..< i·2·steps + steps], the oracle's
    // after them, and the two response lengths in `reached`. Ranks fill their own prompts; the
    // sum over ranks assembles every prompt's row.
    var rows = [Double](repeating: 0, count: prompts.count * 2 * steps)
    var reached = [Double](repeating: 0, count: prompts.count * 2)
    let local = Array(stride(from: group.rank, to: prompts.count, by: group.size))
    let context = min(student.config.contextLength, oracle.config.contextLength)
    let sampling = SamplingConfig(temperature: 1, eosToken: eos, maxNewTokens: maxNewTokens)
    for start in stride(from: 0, to: local.count, by: batchSize) {
      let chunk = Array(local[start..<min(local.count, start + batchSize)])
      let chunkPrompts = chunk.map { prompts[$0] }
      let capacity = min(context, chunkPrompts.map(\.count).max()! + maxNewTokens)
      for (source, which) in [(student, 0), (oracle, 1)] {
        var streams = chunk.map { SeededGenerator(seed: seed, key: UInt64($0 + 1)) }
        let output = try Generator(model: source, batchSize: chunk.count, capacity: capacity).generate(
          prompts: chunkPrompts, config: sampling, streams: &streams)
        let errors = try stepErrors(
          student: student, oracle: oracle, prompts: chunkPrompts, responses: output.tokens, pad: eos)
        for (row, prompt) in zip(errors, chunk) {
          let start = (prompt * 2 + which) * steps
          for (t, e) in row.prefix(steps).enumerated() { rows[start + t] = e }
          reached[prompt * 2 + which] = Double(min(row.count, steps))
        }
      }
    }
    try group.allReduce(&rows, op: .sum)
    try group.allReduce(&reached, op: .sum)
    let perPrompt = prompts.indices.map { i in
      (student: Array(rows[(i * 2 * steps)..<(i * 2 * steps + Int(reached[i * 2]))]),
       oracle: Array(rows[((i * 2 + 1) * steps)..<((i * 2 + 1) * steps + Int(reached[i * 2 + 1]))]))
    }
    return ExposureBias(perPrompt: perPrompt, selecting: Array(prompts.indices), steps: steps)
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
