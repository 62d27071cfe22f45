// `train --method seqkd`: the teacher samples a response to every prompt of the token cache
// once (rank i mod N takes prompt i, each from its own random stream), rank 0 stores them as
// RUN_DIR/seqkd-data.h5, and training then runs on that cache.

import ArgumentParser
import Checkpointing
import Collectives
import Datasets
import Foundation
import Generation
import MPI
import Randomness
import Tokenizers

extension TrainCommand {
  /// The SeqKD token cache for this run (made once; reused on resume).
  func prepareSeqKDCache(world: Communicator) throws -> String {
    let path = runDir + "/seqkd-data.h5"
    if FileManager.default.fileExists(atPath: path) { return path }
    guard let teacher else { throw ValidationError("--method seqkd needs --teacher CHECKPOINT") }
    let encoder = try BPETokenizer.load(contentsOf: tokenizer)
    guard let eos = encoder.specialTokenID("<|endoftext|>") else { throw ValidationError("\(tokenizer) has no <|endoftext|> token") }
    let examples = try TokenCache.readInstructions(data, tokenizerFingerprint: encoder.fingerprint)
    let model = try Checkpoint.read(teacher).model
    let mine = Array(stride(from: world.rank, to: examples.count, by: world.size))
    if world.rank == 0 { print("seqkd: the teacher answers \(examples.count) prompts over \(world.size) rank(s)") }
    var packed: [Int32] = []  // per prompt: index, length, tokens
    let batch = 16
    for start in stride(from: 0, to: mine.count, by: batch) {
      let indices = Array(mine[start..<min(mine.count, start + batch)])
      let prompts = indices.map { examples[$0].prompt }
      let capacity = min(model.config.contextLength, prompts.map(\.count).max()! + maxNewTokens)
      var streams = indices.map { SeededGenerator(seed: seed ^ (UInt64($0 + 1) &* 0x9E37_79B9_7F4A_7C15)) }
      let output = try Generator(model: model, batchSize: indices.count, capacity: capacity).generate(
        prompts: prompts, config: SamplingConfig(eosToken: eos, maxNewTokens: maxNewTokens), streams: &streams)
      for (row, index) in indices.enumerated() {
        packed += [Int32(index), Int32(output.tokens[row].count)] + output.tokens[row]
      }
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
      try FileManager.default.createDirectory(atPath: runDir, withIntermediateDirectories: true)
      try TokenCache.write(
        TokenizedInstructions(examples: generated), to: path, tokenizerFingerprint: encoder.fingerprint,
        source: "seqkd: \(teacher) on \(data)")
      print("seqkd: wrote \(path) (\(responses.reduce(0) { $0 + $1.count }) response tokens)")
    }
    try world.barrier()
    return path
  }
}
