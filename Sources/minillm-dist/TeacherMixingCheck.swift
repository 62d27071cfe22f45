// `minillm-dist debug teacher-mixing --shards S`: every rank samples its own prompts with
// teacher-mixed sampling from a teacher sharded over groups of S ranks, then checks each drawn
// token's recorded probabilities against a full local teacher and student.

import ArgumentParser
import Collectives
import Generation
import Kernels
import MPI
import Model
import Randomness
import SelfTest

#if canImport(Glibc)
  import Glibc
#endif

struct TeacherMixingCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "teacher-mixing",
    abstract: "Check teacher-mixed sampling with a sharded teacher against unsharded models.")

  @Option(help: "Ranks per teacher group (must divide the world size).") var shards = 2
  @Option(help: "Teacher weight α.") var alpha: Float = 0.4

  func run() throws {
    try MPIJob.run { world in
      let group = try teacherGroup(world, shards: shards)
      let config = GPTConfig(vocabSize: 60, contextLength: 32, dModel: 32, nLayer: 2, nHead: 4, initStd: 0.3)
      let teacherModel = try GPT(config: config)
      teacherModel.initializeGPT2(seed: 5)
      let student = try GPT(config: config)
      student.initializeGPT2(seed: 100 + UInt64(world.rank))
      let B = 2
      let decoder = ShardedTeacherDecoder(teacher: try ShardedGPT(full: teacherModel, group: group), batchSize: B, capacity: 24)
      let hook = TeacherMixingHook(teacher: decoder, alpha: alpha)
      // Different prompts and lengths on every rank (the group pads to its longest).
      let prompts: [[Int32]] = (0..<B).map { b in (0..<(2 + world.rank + b)).map { Int32(($0 * 7 + world.rank * 5 + b * 3 + 1) % 60) } }
      var random = SeededGenerator(seed: 7 &+ UInt64(world.rank))
      let generator = Generator(model: student, batchSize: B, capacity: 24)
      let runner = CheckRunner(group: world)
      var output: GenerationOutput?
      runner.check("teacher-mixed sampling (α \(alpha)) with a teacher in groups of \(shards) runs in lockstep") {
        output = try generator.generate(
          prompts: prompts, config: SamplingConfig(eosToken: 59, maxNewTokens: 10), random: &random, hook: hook)
        return output!.tokens.allSatisfy { !$0.isEmpty } ? nil : "a row produced no tokens"
      }
      runner.check("each token's log p, log q and log p̃ match the unsharded teacher and the student") {
        guard let output else { return "no output" }
        func nextLogProbs(_ model: GPT, _ sequence: [Int32]) -> [Float] {
          let logits = model.forward(TokenBatch(B: 1, T: sequence.count, tokens: sequence))
          let row = logits + (sequence.count - 1) * config.paddedVocabSize
          let lse = logSumExp(row, V: config.vocabSize)
          return (0..<config.vocabSize).map { row[$0] - lse }
        }
        var worst: Float = 0
        for b in 0..<B {
          var sequence = prompts[b]
          for (t, token) in output.tokens[b].enumerated() {
            let p = nextLogProbs(teacherModel, sequence)[Int(token)]
            let q = nextLogProbs(student, sequence)[Int(token)]
            let mixture = logf(alpha * expf(p) + (1 - alpha) * expf(q))
            worst = max(worst, abs(hook.teacherLogProbs[b][t] - p), abs(output.studentLogProbs[b][t] - q),
              abs(output.samplingLogProbs[b][t] - mixture))
            sequence.append(token)
          }
        }
        return worst <= 1e-4 ? nil : "max abs difference \(worst) in log-probabilities"
      }
      if world.rank == 0 {
        print("teacher-mixing: \(runner.passedCount) passed, \(runner.failedCount) failed")
      }
      return runner.failedCount == 0 ? 0 : 1
    }
  }
}
