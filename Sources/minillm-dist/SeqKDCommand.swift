// `minillm-dist data seqkd`: the teacher writes responses for the training prompts (SeqKD),
// sharded over MPI ranks and resumable, as an instruction dataset to train on with
// `train --method sft` (textbook SeqKD) or `--method kd` (the authors' scripts).

import ArgumentParser
import Checkpointing
import Datasets
import Foundation
import MPI
import Training
import Tokenizers

struct SeqKDCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "seqkd",
    abstract: "Generate teacher responses for instruction prompts (sharded over ranks, resumable).",
    discussion: """
      Record i goes to rank i mod N. Each rank appends finished records to OUTPUT.rank-R.partial
      after every batch; a rerun skips what is there, so a killed job resumes. Rank 0 finally
      merges everything in record order into OUTPUT: the original instruction and input, the
      teacher's response as output, the original output kept in references. Prompts are built in
      the template the teacher was trained with; prompts longer than --max-prompt-length are
      dropped and counted.
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
      let loaded = try Checkpoint.read(teacher)
      var generation = SeqKDGeneration(
        teacher: loaded.model, tokenizer: encoder, records: try InstructionRecord.readJSONL(instructions),
        template: loaded.state.promptTemplate, output: output)
      generation.maxPromptLength = maxPromptLength
      generation.maxNewTokens = maxNewTokens
      generation.batchSize = batchSize
      generation.temperature = temperature
      generation.topP = topP
      generation.seed = seed
      try generation.run(group: world, stopAfterBatches: stopAfterBatches) { line in
        if world.rank == 0 { print(line) }
      }
      return 0
    }
  }
}
