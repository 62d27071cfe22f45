// `minillm-dist data seqkd`: the teacher writes responses for the training prompts (SeqKD),
// sharded over MPI ranks and resumable, as an instruction dataset to train on with
// `train --method sft` (textbook SeqKD) or `--method kd` (the authors' scripts).

import ArgumentParser
import Checkpointing
import Datasets
import Foundation
import Generation
import Kernels
import MPI
import Model
import Randomness
import Tokenizers

struct SeqKDCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "seqkd",
    abstract: "Generate teacher responses for instruction prompts (sharded over ranks, resumable).",
    discussion: """
      Record i goes to rank i mod N. Each rank appends finished records to OUTPUT.rank-R.partial
      after every batch; a rerun skips what is there, so a killed job resumes. Rank 0 finally
      merges everything in record order into OUTPUT: the original instruction and input, the
      teacher's response as output, the original output kept in references. Prompts longer than
      --max-prompt-length are dropped and counted.
      """)

  @Option(help: "Teacher checkpoint.") var teacher: String
  @Option(help: "The tokenizer.json (must match the teacher's).") var tokenizer: String
  @Option(help: "Instruction JSONL with the prompts.") var instructions: String
  @Option(help: "Output JSONL.") var output: String
  @Option(help: "Longest prompt kept, in tokens.") var maxPromptLength = 256
  @Option(help: "Most response tokens.") var maxNewTokens = 256
  @Option(help: "Prompts decoded together per rank.") var batchSize = 8
  @Option(help: "Sampling temperature (0: greedy).") var temperature: Float = 1
  @Option(help: "Top-p.") var topP: Float = 1
  @Option(help: "Base seed; a batch samples with seed + the index of its first record (with --batch-size 1 the output is the same for any number of ranks).") var seed: UInt64 = 1
  @Option(help: .hidden) var stopAfterBatches: Int?

  func run() throws {
    try MPIJob.run { world in
      let encoder = try BPETokenizer.load(contentsOf: tokenizer)
      guard let eos = encoder.specialTokenID("<|endoftext|>") else {
        throw ValidationError("\(tokenizer) has no <|endoftext|> token")
      }
      let loaded = try Checkpoint.read(teacher)
      guard loaded.model.config.vocabSize == encoder.count else {
        throw ValidationError("teacher \(teacher) has a vocabulary of \(loaded.model.config.vocabSize), \(tokenizer) has \(encoder.count)")
      }
      let records = try InstructionRecord.readJSONL(instructions)
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
      let capacity = min(loaded.model.config.contextLength, maxPromptLength + maxNewTokens)
      let generator = Generator(model: loaded.model, batchSize: batchSize, capacity: capacity)
      let sampling = SamplingConfig(
        temperature: temperature, topP: topP, eosToken: eos, maxNewTokens: capacity - 1)
      let todo = mine.filter { !done.contains($0) }
      if world.rank == 0 {
        print("seqkd: \(records.count) prompts over \(world.size) rank(s); rank 0 has \(todo.count) of \(mine.count) left")
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
          let ids = encoder.encode(records[index].prompt)
          if ids.count > maxPromptLength || ids.count >= capacity {
            dropped += 1
            try append(["index": index, "dropped": true], to: &handle)
          } else {
            prompts.append(ids)
            kept.append(index)
          }
        }
        if !prompts.isEmpty {
          var random = SeededGenerator(seed: seed &+ UInt64(kept[0]))
          let result = try generator.generate(prompts: prompts, config: sampling, random: &random)
          for (row, index) in kept.enumerated() {
            let response = result.tokens[row].filter { $0 != eos }
            try append(["index": index, "output": try encoder.decode(response)], to: &handle)
          }
        }
        batches += 1
      }
      try world.barrier()
      let finished = try world.allReduce(Int32(stopAfterBatches == nil ? 1 : 0), op: .min) == 1
      if world.rank == 0 && finished {
        try merge(records: records, ranks: world.size)
      }
      try world.barrier()
      if finished { try? FileManager.default.removeItem(atPath: partial) }
      let totalDropped = try world.allReduce(Int64(dropped), op: .sum)
      if world.rank == 0 {
        print(finished ? "wrote \(output) (\(totalDropped) prompts dropped in this run as longer than \(maxPromptLength) tokens)" : "stopped early; rerun to continue")
      }
      return 0
    }
  }

  func openForAppending(_ path: String) throws -> FileHandle {
    if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
    guard let handle = FileHandle(forWritingAtPath: path) else { throw ValidationError("cannot write \(path)") }
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
  func merge(records: [InstructionRecord], ranks: Int) throws {
    var responses: [Int: String] = [:]
    for rank in 0..<ranks {
      let text = try String(contentsOfFile: output + ".rank-\(rank).partial", encoding: .utf8)
      for line in text.split(separator: "\n") {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let index = object["index"] as? Int
        else { throw ValidationError("\(output).rank-\(rank).partial: malformed line") }
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
    if empty > 0 { print("seqkd: \(empty) empty teacher responses left out") }
  }
}
