// Batched sampling with a KV cache for prompts of different lengths.

import Kernels
import Model
import Randomness

#if canImport(Glibc)
  import Glibc
#endif

/// What `Generator.generate` produced for each prompt.
public struct GenerationOutput: Sendable {
  /// Generated tokens per prompt (the EOS token included when produced, prompt excluded).
  public var tokens: [[Int32]]
  /// log q(y_t) under the student's plain distribution (temperature 1, no filtering).
  public var studentLogProbs: [[Float]]
  /// log of the probability the token had in the distribution it was drawn from.
  public var samplingLogProbs: [[Float]]
  /// log p(y_t) under the model a `DrawnTokenScorer` hook follows (the teacher, in
  /// teacher-mixed sampling); empty rows without such a hook.
  public var teacherLogProbs: [[Float]]
  /// Whether each sequence ended with EOS (false: stopped at the length limit).
  public var endedWithEOS: [Bool]
}

/// Samples continuations of a batch of prompts from a model, one decoder per batch shape.
public final class Generator {
  public let model: GPT
  public let batchSize: Int
  public let capacity: Int
  private let decoder: GPTDecoder

  /// - Parameters:
  ///   - batchSize: prompts per `generate` call (fewer are padded).
  ///   - capacity: longest prompt + new tokens (at most the model's context length).
  public init(model: GPT, batchSize: Int, capacity: Int) {
    self.model = model
    self.batchSize = batchSize
    self.capacity = capacity
    decoder = GPTDecoder(model: model, batchSize: batchSize, capacity: capacity)
  }

  /// Samples up to `config.maxNewTokens` tokens after each prompt (left-padded into one batch).
  /// The same generator state gives the same output. Throws for an invalid config or when
  /// prompts do not fit.
  public func generate(
    prompts: [[Int32]], config: SamplingConfig, random: inout SeededGenerator,
    hook: SamplingHook? = nil
  ) throws -> GenerationOutput {
    var streams = [random]
    defer { random = streams[0] }
    return try generate(prompts: prompts, config: config, streams: &streams, perRow: false, hook: hook)
  }

  /// Like `generate(prompts:config:random:hook:)`, but prompt b draws only from `streams[b]`:
  /// a sequence's sample then depends on its own stream, not on which other prompts share the
  /// batch (so a run gives the same samples whatever the batch split or number of ranks).
  public func generate(
    prompts: [[Int32]], config: SamplingConfig, streams: inout [SeededGenerator], hook: SamplingHook? = nil
  ) throws -> GenerationOutput {
    guard streams.count == prompts.count else {
      throw SamplingConfigError(field: "streams", message: "need one random stream per prompt (\(prompts.count)), got \(streams.count)")
    }
    return try generate(prompts: prompts, config: config, streams: &streams, perRow: true, hook: hook)
  }

  private func generate(
    prompts: [[Int32]], config: SamplingConfig, streams: inout [SeededGenerator], perRow: Bool,
    hook: SamplingHook?
  ) throws -> GenerationOutput {
    try config.validate()
    let V = model.config.vocabSize
    let Vp = model.config.paddedVocabSize
    let B = batchSize
    guard !prompts.isEmpty, prompts.count <= B else {
      throw SamplingConfigError(field: "prompts", message: "need 1…\(B) prompts, got \(prompts.count)")
    }
    let observer = hook as? DecodingObserver
    let scorer = hook as? DrawnTokenScorer
    let P = try observer?.alignedPromptLength(local: prompts.map(\.count).max()!) ?? prompts.map(\.count).max()!
    guard prompts.allSatisfy({ !$0.isEmpty }) else {
      throw SamplingConfigError(field: "prompts", message: "every prompt needs at least one token")
    }
    let newTokens = min(config.maxNewTokens, capacity - P)
    guard newTokens >= 1 else {
      throw SamplingConfigError(field: "prompts", message: "prompt of \(P) tokens leaves no room in capacity \(capacity)")
    }
    let padToken = config.eosToken ?? 0
    var flat: [Int32] = []
    var keyStart: [Int32] = []
    var histories: [[Int32]] = []
    for b in 0..<B {
      let prompt = b < prompts.count ? prompts[b] : prompts[0]
      let pad = P - prompt.count
      flat += [Int32](repeating: padToken, count: pad) + prompt
      keyStart.append(Int32(pad))
      histories.append(config.noRepeatSeesPrompt ? prompt : [])
    }
    var active = (0..<B).map { $0 < prompts.count }
    var output = GenerationOutput(
      tokens: Array(repeating: [], count: prompts.count),
      studentLogProbs: Array(repeating: [], count: prompts.count),
      samplingLogProbs: Array(repeating: [], count: prompts.count),
      teacherLogProbs: Array(repeating: [], count: prompts.count),
      endedWithEOS: Array(repeating: false, count: prompts.count))

    var filter = TokenFilter(config: config, V: V)
    let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: B * Vp)
    defer { probabilities.deallocate() }
    probabilities.initialize(repeating: 0, count: B * Vp)

    let prefillLogits = decoder.prefill(tokens: flat, promptLength: P, keyStart: keyStart)
    try observer?.begin(promptTokens: flat, promptLength: P, keyStart: keyStart)
    // Next-token logits for each sequence, row stride Vp.
    let rows = UnsafeMutablePointer<Float>.allocate(capacity: B * Vp)
    defer { rows.deallocate() }
    for b in 0..<B {
      (rows + b * Vp).update(from: prefillLogits + (b * P + P - 1) * Vp, count: Vp)
    }
    var normalizers = [Float?](repeating: nil, count: B)  // log Σ exp(logits) when the filter had it
    for step in 0..<newTokens {
      for b in 0..<B where active[b] {
        normalizers[b] = filter.probabilities(logits: rows + b * Vp, history: histories[b], into: probabilities + b * Vp)
      }
      hook?.beforeDraw(
        step: step, studentLogits: rows, probabilities: probabilities, active: active, rowStride: Vp)
      var next = [Int32](repeating: padToken, count: B)
      for b in 0..<B where active[b] {
        let row = probabilities + b * Vp
        let token = config.isGreedy && hook == nil ? argmax(row, V) : draw(row, V, &streams[perRow ? b : 0])
        next[b] = Int32(token)
        let logits = rows + b * Vp
        output.tokens[b].append(Int32(token))
        output.studentLogProbs[b].append(logits[token] - (normalizers[b] ?? logSumExp(logits, V: V)))
        output.samplingLogProbs[b].append(logf(row[token]))
        if let scorer { output.teacherLogProbs[b].append(scorer.logProbability(ofToken: token, row: b)) }
        histories[b].append(Int32(token))
        if let eos = config.eosToken, Int32(token) == eos {
          active[b] = false
          output.endedWithEOS[b] = true
        }
      }
      try observer?.didDraw(tokens: next, active: active)
      let keepGoing = try observer?.continueDecoding(anyActive: active.contains(true)) ?? active.contains(true)
      if !keepGoing || step == newTokens - 1 { break }
      let logits = decoder.step(tokens: next)
      rows.update(from: logits, count: B * Vp)
    }
    return output
  }

  private func argmax(_ row: UnsafePointer<Float>, _ V: Int) -> Int {
    var best = 0
    for i in 1..<V where row[i] > row[best] { best = i }
    return best
  }

  /// Inverse-CDF draw; never returns a zero-probability token.
  private func draw(_ row: UnsafePointer<Float>, _ V: Int, _ random: inout SeededGenerator) -> Int {
    let u = Float(random.nextUniformDouble())
    var cumulative: Float = 0
    var last = 0
    for i in 0..<V where row[i] > 0 {
      cumulative += row[i]
      last = i
      if u < cumulative { return i }
    }
    return last
  }
}
