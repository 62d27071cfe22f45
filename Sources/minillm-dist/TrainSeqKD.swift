// `train --method seqkd`: the teacher answers every prompt of the token cache once into
// RUN_DIR/seqkd-data.h5 (Training's SeqKD generator); training then runs on that cache.

import ArgumentParser
import Checkpointing
import Datasets
import Foundation
import MPI
import Tokenizers
import Training

extension TrainCommand {
  /// The SeqKD token cache for this run (made once; reused on resume).
  func prepareSeqKDCache(world: Communicator, config: RunConfig) throws -> String {
    let path = config.runDirectory + "/seqkd-data.h5"
    if FileManager.default.fileExists(atPath: path) { return path }
    guard let teacher = config.teacher else { throw ValidationError("--method seqkd needs --teacher CHECKPOINT") }
    let encoder = try BPETokenizer.load(contentsOf: config.tokenizer)
    guard let eos = encoder.specialTokenID("<|endoftext|>") else { throw ValidationError("\(config.tokenizer) has no <|endoftext|> token") }
    let loaded = try Checkpoint.read(teacher)
    let template = try TokenCache.promptTemplate(ofInstructions: config.data, tokenizerFingerprint: encoder.fingerprint)
    try RunState.requireTemplate(loaded.state.promptTemplate, of: "teacher " + teacher, matches: template, data: config.data)
    try SeqKDGeneration.makeTokenCache(
      teacher: loaded.model,
      examples: try TokenCache.readInstructions(config.data, tokenizerFingerprint: encoder.fingerprint), template: template, eos: eos,
      maxNewTokens: config.maxNewTokens, seed: config.seed, tokenizerFingerprint: encoder.fingerprint,
      source: "seqkd: \(teacher) on \(config.data)", path: path, group: world) { line in
      if world.rank == 0 { print(line) }
    }
    return path
  }
}
