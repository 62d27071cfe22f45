// The evaluation harness: sample responses to an evaluation set under a protocol, distributed
// over ranks, and score them: Rouge-L (max over references, ×100), exact match, the synthetic
// task's valid-answer rate (overall, per family, per answer length; distinct valid answers per
// prompt over seeds), Dist-4, response length, the student's loss on the references,
// teacher-scored diagnostics (reverse KL of the samples to the teacher, teacher NLL), and with a
// greedy pass the greedy scores and the calibration error of the answer's confidence.

import Collectives
import Datasets
import Evaluation
import Foundation
import Generation
import Kernels
import Model
import Randomness
import Tokenizers

/// One evaluated response (first seed), for a person to read.
public struct EvaluationSample: Sendable {
  public var instruction: String
  public var input: String
  public var response: String
  public var references: [String]
  public var rougeL: Double
}

/// Metrics per seed, their mean and standard deviation over seeds, and the first seed's samples.
public struct EvaluationResult: Sendable {
  public var perSeed: [[String: Double]]
  public var mean: [String: Double]
  /// Sample standard deviation over seeds (0 with one seed).
  public var standardDeviation: [String: Double]
  public var samples: [EvaluationSample]
}

/// Evaluates models on one evaluation set. Prompt i is sampled by rank i mod W from its own
/// random stream (seed, i), so results do not depend on the number of ranks; every rank ends
/// with the same result. Collective: all ranks call `evaluate` together.
public final class Evaluator {
  public let records: [InstructionRecord]
  let examples: [TokenizedExample]
  let tokenizer: BPETokenizer
  let eos: Int32
  let group: any Collective
  let batchSize: Int
  /// Whether the set is the synthetic task (its checker accepts every reference output).
  public let isSyntheticTask: Bool
  /// The per-family breakdown, on the synthetic task.
  let taskMetrics: SyntheticTaskMetrics?

  /// - Parameters:
  ///   - records: the evaluation set; prompts longer than `maxPromptLength` tokens are dropped,
  ///     and at most `limit` records are kept (0: all).
  ///   - template: the prompt format the evaluated models were trained with.
  public init(
    records: [InstructionRecord], template: PromptTemplate, tokenizer: BPETokenizer, maxPromptLength: Int, maxLength: Int, limit: Int = 0,
    group: any Collective, batchSize: Int = 8
  ) throws {
    guard let eos = tokenizer.specialTokenID("<|endoftext|>") else {
      throw TrainingError("evaluation: the tokenizer has no <|endoftext|> token")
    }
    var kept: [InstructionRecord] = []
    var examples: [TokenizedExample] = []
    for record in records {
      let tokenized = TokenizedInstructions(
        records: [record], template: template, tokenizer: tokenizer, eos: eos, maxPromptLength: maxPromptLength, maxLength: maxLength)
      guard let example = tokenized.examples.first else { continue }
      kept.append(record)
      examples.append(example)
      if limit > 0 && kept.count == limit { break }
    }
    guard !kept.isEmpty else { throw TrainingError("evaluation: no record has a prompt of at most \(maxPromptLength) tokens") }
    self.records = kept
    self.examples = examples
    self.tokenizer = tokenizer
    self.eos = eos
    self.group = group
    self.batchSize = max(1, batchSize)
    isSyntheticTask = kept.allSatisfy { SyntheticTask.isValid(instruction: $0.instruction, input: $0.input, response: $0.output) }
    taskMetrics = isSyntheticTask
      ? SyntheticTaskMetrics(records: kept, referenceLengths: examples.map { $0.response.count - 1 }) : nil
  }

  /// Samples and scores `model` once per protocol seed.
  /// - Parameter teacher: the sharded teacher for teacher-scored metrics (nil: skip them);
  ///   every rank of its group must evaluate together.
  public func evaluate(model: GPT, teacher: ShardedGPT?, protocol settings: EvaluationProtocol) throws
    -> EvaluationResult
  {
    if let teacher, teacher.config.vocabSize != model.config.vocabSize {
      throw TrainingError(
        "evaluation: the teacher's vocabulary (\(teacher.config.vocabSize)) differs from the model's (\(model.config.vocabSize)); teacher scoring compares tokens one to one")
    }
    var perSeed: [[String: Double]] = []
    var samples: [EvaluationSample] = []
    var textsPerSeed: [[String]] = []
    let loss = try referenceLoss(model: model)
    for (s, seed) in settings.seeds.enumerated() {
      let pass = try evaluateSeed(model: model, teacher: teacher, sampling: settings.sampling, seed: seed)
      var metrics = pass.metrics
      metrics["loss"] = loss
      perSeed.append(metrics)
      textsPerSeed.append(pass.texts)
      if s == 0 { samples = try self.samples(responses: pass.responses) }
    }
    var mean: [String: Double] = [:]
    var deviation: [String: Double] = [:]
    for key in perSeed[0].keys {
      let values = perSeed.map { $0[key]! }
      let m = values.reduce(0, +) / Double(values.count)
      mean[key] = m
      deviation[key] = values.count > 1
        ? (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot() : 0
    }
    // Metrics of the whole evaluation rather than of one seed (standard deviation 0).
    var overall: [String: Double] = [:]
    if let taskMetrics, let distinct = taskMetrics.distinctValidPerPrompt(textsPerSeed) {
      overall["distinct_valid"] = distinct
    }
    if settings.greedyPass {
      var greedy = settings.sampling
      (greedy.temperature, greedy.topK, greedy.topP, greedy.noRepeatNgramSize) = (0, 0, 1, 0)
      let pass = try evaluateSeed(model: model, teacher: nil, sampling: greedy, seed: 0)
      for (key, value) in pass.metrics where ["rouge_l", "exact_match", "valid_rate", "response_length"].contains(key) {
        overall["greedy_" + key] = value
      }
      if let taskMetrics {
        let valid = taskMetrics.validity(pass.texts)
        for (key, value) in taskMetrics.breakdown(valid, prefix: "greedy_valid_rate") { overall[key] = value }
        let single = taskMetrics.singleAnswerIndices
        if !single.isEmpty {
          let confidences = single.map { exp(pass.responseLogProbability[$0]) }
          overall["ece"] = Calibration.expectedCalibrationError(confidences: confidences, correct: single.map { valid[$0] })
          overall["greedy_confidence"] = 100 * confidences.reduce(0, +) / Double(confidences.count)
        }
      }
    }
    for (key, value) in overall { (mean[key], deviation[key]) = (value, 0) }
    return EvaluationResult(perSeed: perSeed, mean: mean, standardDeviation: deviation, samples: samples)
  }

  /// What one pass over the prompts produced, on every rank: the response tokens and text of
  /// every record, the sum of the model's log-probabilities of each response's tokens, and the
  /// pass's metrics.
  struct Pass {
    var responses: [[Int32]]
    var texts: [String]
    var responseLogProbability: [Double]
    var metrics: [String: Double]
  }

  /// The prompt tokens of every kept record (the template applied), in order.
  public var promptTokens: [[Int32]] { examples.map(\.prompt) }

  /// This rank's record indices.
  var localIndices: [Int] { Array(stride(from: group.rank, to: records.count, by: group.size)) }

  /// Mean cross-entropy per token of the model on the reference responses (all ranks).
  func referenceLoss(model: GPT) throws -> Double {
    var sums = [0.0, 0.0]
    let V = model.config.vocabSize
    let Vp = model.config.paddedVocabSize
    let local = localIndices
    for start in stride(from: 0, to: local.count, by: batchSize) {
      let chosen = local[start..<min(local.count, start + batchSize)].map { clipped(examples[$0], to: model) }
      let batch = SequenceBatch(examples: chosen, pad: eos)
      let logits = model.forward(TokenBatch(B: batch.B, T: batch.T, tokens: batch.tokens))
      for n in 0..<(batch.B * batch.T) where batch.lossMask[n] != 0 {
        let row = logits + n * Vp
        sums[0] += Double(logSumExp(row, V: V) - row[Int(batch.targets[n])])
        sums[1] += 1
      }
    }
    try group.allReduce(&sums, op: .sum)
    return sums[0] / max(sums[1], 1)
  }

  /// The example cut to the model's context.
  func clipped(_ example: TokenizedExample, to model: GPT) -> TokenizedExample {
    let room = max(1, model.config.contextLength + 1 - example.prompt.count)
    return TokenizedExample(prompt: example.prompt, response: Array(example.response.prefix(room)))
  }

  /// One pass with one seed: generation on every rank, teacher scoring in the teacher group,
  /// then every response gathered to every rank and scored as text.
  func evaluateSeed(model: GPT, teacher: ShardedGPT?, sampling: SamplingConfig, seed: UInt64) throws -> Pass {
    var config = sampling
    config.eosToken = eos
    let local = localIndices
    let perRank = (records.count + group.size - 1) / group.size
    let batches = (perRank + batchSize - 1) / batchSize  // the same on every rank (teacher lockstep)
    var packed: [Int32] = []  // per response: index, length, Σ log q (Float bits), tokens
    var teacherSums = [0.0, 0.0, 0.0, 0.0]  // Σ_seq Σ_t (log q − log p), Σ −log p, tokens, sequences
    for b in 0..<batches {
      let chunk = Array(local[min(local.count, b * batchSize)..<min(local.count, (b + 1) * batchSize)])
      var responses: [[Int32]] = []
      var logQ: [[Float]] = []
      if !chunk.isEmpty {
        let prompts = chunk.map { examples[$0].prompt }
        let context = min(model.config.contextLength, teacher?.config.contextLength ?? .max)
        let capacity = min(context, prompts.map(\.count).max()! + config.maxNewTokens)
        var streams = chunk.map { SeededGenerator(seed: seed, key: UInt64($0 + 1)) }
        let output = try Generator(model: model, batchSize: chunk.count, capacity: capacity).generate(
          prompts: prompts, config: config, streams: &streams)
        responses = output.tokens
        logQ = output.studentLogProbs
      }
      for (row, index) in chunk.enumerated() {
        let logProbability = logQ[row].reduce(Float(0), +)
        packed += [Int32(index), Int32(responses[row].count), Int32(bitPattern: logProbability.bitPattern)] + responses[row]
      }
      if let teacher {
        let sequences = chunk.isEmpty ? [[eos]] : zip(chunk, responses).map { examples[$0].prompt + $1 }
        let T = sequences.map(\.count).max()!
        var tokens = [Int32](repeating: eos, count: sequences.count * T)
        for (row, sequence) in sequences.enumerated() {
          for (t, token) in sequence.enumerated() { tokens[row * T + t] = token }
        }
        let logP = try teacher.memberLogProbabilities(tokens: tokens, B: sequences.count, T: T, pad: eos)
        let V = teacher.config.vocabSize
        for (row, index) in chunk.enumerated() {
          let first = examples[index].prompt.count - 1
          for (k, token) in responses[row].enumerated() {
            let lp = Double(logP[(row * T + first + k) * V + Int(token)])
            teacherSums[0] += Double(logQ[row][k]) - lp
            teacherSums[1] -= lp
            teacherSums[2] += 1
          }
          teacherSums[3] += 1
        }
      }
    }
    let all = try group.allGatherVariable(packed)
    var responses = [[Int32]](repeating: [], count: records.count)
    var responseLogProbability = [Double](repeating: 0, count: records.count)
    var cursor = 0
    while cursor < all.count {
      let index = Int(all[cursor])
      let length = Int(all[cursor + 1])
      responseLogProbability[index] = Double(Float(bitPattern: UInt32(bitPattern: all[cursor + 2])))
      responses[index] = Array(all[(cursor + 3)..<(cursor + 3 + length)])
      cursor += 3 + length
    }
    let texts = try responses.map(text)
    var metrics = textMetrics(texts: texts, responses: responses)
    if teacher != nil {
      try group.allReduce(&teacherSums, op: .sum)
      metrics["reverse_kl"] = teacherSums[0] / max(teacherSums[3], 1)
      metrics["reverse_kl_per_token"] = teacherSums[0] / max(teacherSums[2], 1)
      metrics["teacher_nll"] = teacherSums[1] / max(teacherSums[2], 1)
    }
    return Pass(responses: responses, texts: texts, responseLogProbability: responseLogProbability, metrics: metrics)
  }

  /// The response text (special tokens dropped).
  func text(_ response: [Int32]) throws -> String {
    try tokenizer.decode(response, skipSpecialTokens: true).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The references of a record: its `references` list, else its output.
  func references(_ record: InstructionRecord) -> [String] {
    record.references.isEmpty ? [record.output] : record.references
  }

  /// Rouge-L F (×100, max over references), exact match (%), Dist-4 and mean response length
  /// in tokens; on the synthetic task the valid rate (%) overall, per family and per answer
  /// length.
  func textMetrics(texts: [String], responses: [[Int32]]) -> [String: Double] {
    var rouge = 0.0
    var exact = 0.0
    for (record, candidate) in zip(records, texts) {
      rouge += RougeL.score(candidate: candidate, references: references(record)).fmeasure
      if TextMetrics.exactMatch(candidate: candidate, references: references(record)) { exact += 1 }
    }
    let n = Double(records.count)
    var metrics: [String: Double] = [
      "rouge_l": 100 * rouge / n, "exact_match": 100 * exact / n, "dist_4": TextMetrics.distinctNgrams(texts, n: 4),
      "response_length": Double(responses.reduce(0) { $0 + $1.count }) / n,
    ]
    if let taskMetrics {
      let valid = taskMetrics.validity(texts)
      metrics["valid_rate"] = 100 * Double(valid.filter { $0 }.count) / n
      for (key, value) in taskMetrics.breakdown(valid) { metrics[key] = value }
    }
    return metrics
  }

  func samples(responses: [[Int32]]) throws -> [EvaluationSample] {
    try zip(records, responses).map { record, response in
      let candidate = try text(response)
      return EvaluationSample(
        instruction: record.instruction, input: record.input, response: candidate, references: references(record),
        rougeL: 100 * RougeL.score(candidate: candidate, references: references(record)).fmeasure)
    }
  }
}
