// SeqKD data: the teacher writes responses for the training prompts, sharded over ranks and
// resumable, as an instruction dataset (original output kept in `references`).

import Collectives
import Datasets
import Foundation
import Generation
import Model
import Randomness
import Tokenizers

/// Generates a SeqKD dataset. Record i goes to rank i mod N; each rank appends finished
/// records to OUTPUT.rank-R.partial after every batch, so a rerun skips what is there; rank 0
/// finally merges everything in record order into OUTPUT.
public struct SeqKDGeneration {
  public var teacher: GPT
  public var tokenizer: BPETokenizer
  public var records: [InstructionRecord]
  /// The template the teacher was trained with (`TrainingState.promptTemplate`).
  public var template: PromptTemplate
  public var output: String
  public var maxPromptLength = 256
  public var maxNewTokens = 256
  public var batchSize = 8
  public var temperature: Float = 1
  public var topP: Float = 1
  /// Record i samples from its own stream (seed, i + 1): the answers do not depend on the batch
  /// size or the number of ranks.
  public var seed: UInt64 = 1

  public init(teacher: GPT, tokenizer: BPETokenizer, records: [InstructionRecord], template: PromptTemplate, output: String) {
    self.teacher = teacher
    self.tokenizer = tokenizer
    self.records = records
    self.template = template
    self.output = output
  }

  /// Generates this rank's share (at most `stopAfterBatches` batches), then merges when every
  /// rank has finished. Returns whether OUTPUT was written. Collective.
  @discardableResult
  public func run(group world: any Collective, stopAfterBatches: Int? = nil, log: (String) -> Void = { print($0) }) throws -> Bool {
    let encoder = tokenizer
    guard let eos = encoder.specialTokenID("<|endoftext|>") else {
      throw TrainingError("seqkd: the tokenizer has no <|endoftext|> token")
    }
    guard teacher.config.vocabSize == encoder.count else {
      throw TrainingError("seqkd: the teacher has a vocabulary of \(teacher.config.vocabSize), the tokenizer \(encoder.count)")
    }
    let mine = records.indices.filter { $0 % world.size == world.rank }
    let partial = output + ".rank-\(world.rank).partial"
    var done = Set<Int>()
    if let text = try? String(contentsOfFile: partial, encoding: .utf8) {
      for line in text.split(separator: "\n") {
        if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let index = object["index"] as? Int
        { done.insert(index) }
      }
    }
    let capacity = min(teacher.config.contextLength, maxPromptLength + maxNewTokens)
    let generator = Generator(model: teacher, batchSize: batchSize, capacity: capacity)
    let sampling = SamplingConfig(
      temperature: temperature, topP: topP, eosToken: eos, maxNewTokens: capacity - 1)
    let todo = mine.filter { !done.contains($0) }
    if world.rank == 0 {
      log("seqkd: \(records.count) prompts over \(world.size) rank(s); rank 0 has \(todo.count) of \(mine.count) left")
    }
    var handle = try openForAppending(partial)
    defer { try? handle.close() }
    var batches = 0
    var dropped = 0
    for start in stride(from: 0, to: todo.count, by: batchSize) {
      if let stopAfterBatches, batches >= stopAfterBatches { break }
      let indices = Array(todo[start..<min(todo.count, start + batchSize)])
      var prompts: [[Int32]] = []
      var kept: [Int] = []
      for index in indices {
        let ids = encoder.encode(records[index].prompt(template))
        if ids.count > maxPromptLength || ids.count >= capacity {
          dropped += 1
          try append(["index": index, "dropped": true], to: &handle)
        } else {
          prompts.append(ids)
          kept.append(index)
        }
      }
      if !prompts.isEmpty {
        let answers = try Self.answers(generator: generator, prompts: prompts, indices: kept, sampling: sampling, seed: seed)
        for (row, index) in kept.enumerated() {
          let response = answers[row].filter { $0 != eos }
          try append(["index": index, "output": try encoder.decode(response)], to: &handle)
        }
      }
      batches += 1
    }
    try world.barrier()
    let complete = batches >= (todo.count + batchSize - 1) / batchSize
    let finished = try world.allReduce(Int32(complete ? 1 : 0), op: .min) == 1
    if world.rank == 0 && finished {
      try merge(records: records, ranks: world.size, log: log)
    }
    try world.barrier()
    if finished { try? FileManager.default.removeItem(atPath: partial) }
    let totalDropped = try world.allReduce(Int64(dropped), op: .sum)
    if world.rank == 0 {
      log(finished ? "wrote \(output) (\(totalDropped) prompts dropped in this run as longer than \(maxPromptLength) tokens)" : "stopped early; rerun to continue")
    }
    return finished
  }

  /// The teacher's sampled answers to `prompts` (at most the generator's batch size), prompt
  /// `indices[i]` drawing only from the stream (seed, index + 1). The one SeqKD sampling rule,
  /// shared by the JSONL dataset and the token cache.
  public static func answers(
    generator: Generator, prompts: [[Int32]], indices: [Int], sampling: SamplingConfig, seed: UInt64
  ) throws -> [[Int32]] {
    var streams = indices.map { SeededGenerator(seed: seed, key: UInt64($0 + 1)) }
    return try generator.generate(prompts: prompts, config: sampling, streams: &streams).tokens
  }

  /// The SeqKD token cache at `path`, made once (kept for a resume): the teacher answers every
  /// prompt of `examples` (prompt i on rank i mod N, from its own stream), rank 0 writes the
  /// prompts with those answers, recording the prompts' `template`. Collective.
  public static func makeTokenCache(
    teacher: GPT, examples: [TokenizedExample], template: PromptTemplate, eos: Int32, maxNewTokens: Int, seed: UInt64,
    tokenizerFingerprint: String, source: String, path: String, group world: any Collective,
    log: (String) -> Void = { print($0) }
  ) throws {
    if FileManager.default.fileExists(atPath: path) { return }
    let mine = Array(stride(from: world.rank, to: examples.count, by: world.size))
    if world.rank == 0 { log("seqkd: the teacher answers \(examples.count) prompts over \(world.size) rank(s)") }
    var packed: [Int32] = []  // per prompt: index, length, tokens
    let batch = 16
    for start in stride(from: 0, to: mine.count, by: batch) {
      let indices = Array(mine[start..<min(mine.count, start + batch)])
      let prompts = indices.map { examples[$0].prompt }
      let capacity = min(teacher.config.contextLength, prompts.map(\.count).max()! + maxNewTokens)
      let answers = try Self.answers(
        generator: Generator(model: teacher, batchSize: indices.count, capacity: capacity), prompts: prompts,
        indices: indices, sampling: SamplingConfig(eosToken: eos, maxNewTokens: maxNewTokens), seed: seed)
      for (row, index) in indices.enumerated() { packed += [Int32(index), Int32(answers[row].count)] + answers[row] }
    }
    let all = try world.allGatherVariable(packed)
    if world.rank == 0 {
      var responses = [[Int32]](repeating: [], count: examples.count)
      var cursor = 0
      while cursor < all.count {
        let length = Int(all[cursor + 1])
        responses[Int(all[cursor])] = Array(all[(cursor + 2)..<(cursor + 2 + length)])
        cursor += 2 + length
      }
      let generated = zip(examples, responses).map { TokenizedExample(prompt: $0.prompt, response: $1) }
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try TokenCache.write(
        TokenizedInstructions(examples: generated, template: template), to: path + ".tmp", tokenizerFingerprint: tokenizerFingerprint, source: source)
      guard rename(path + ".tmp", path) == 0 else { throw TrainingError("cannot write \(path)") }
      log("seqkd: wrote \(path) (\(responses.reduce(0) { $0 + $1.count }) response tokens)")
    }
    try world.barrier()
  }

  func openForAppending(_ path: String) throws -> FileHandle {
    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainingError("cannot write \(path)") }
    try handle.seekToEnd()
    return handle
  }

  func append(_ object: [String: Any], to handle: inout FileHandle) throws {
    var data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    data.append(UInt8(ascii: "\n"))
    try handle.write(contentsOf: data)
    try handle.synchronize()
  }

  /// Rank 0: all partial files → OUTPUT in record order.
  func merge(records: [InstructionRecord], ranks: Int, log: (String) -> Void) throws {
    var responses: [Int: String] = [:]
    for rank in 0..<ranks {
      let text = try String(contentsOfFile: output + ".rank-\(rank).partial", encoding: .utf8)
      for line in text.split(separator: "\n") {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let index = object["index"] as? Int
        else { throw TrainingError("\(output).rank-\(rank).partial: malformed line") }
        if let response = object["output"] as? String { responses[index] = response }
      }
    }
    let merged = records.indices.compactMap { index -> InstructionRecord? in
      guard let response = responses[index], !response.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
      return InstructionRecord(
        instruction: records[index].instruction, input: records[index].input, output: response,
        references: [records[index].output])
    }
    try JSONLWriter.write(merged, to: output)
    let empty = responses.count - merged.count
    if empty > 0 { log("seqkd: \(empty) empty teacher responses left out") }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
