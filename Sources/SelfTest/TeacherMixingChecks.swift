// Teacher-mixed sampling's oracle: every rank samples its own prompts with α·p + (1−α)·q from
// a teacher sharded over groups of S ranks, then each drawn token's recorded log p, log q and
// log p̃ are checked against a full local teacher and student.

import Collectives
import Generation
import Kernels
import Model
import Randomness

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the teacher-mixing checks on `runner` (every rank of `world`); `group` is this rank's
/// teacher group of `shards` consecutive ranks.
public func runTeacherMixingChecks(world: any Collective, group: any Collective, shards: Int, alpha: Float, runner: CheckRunner) throws {
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
        let last = logits + (sequence.count - 1) * config.paddedVocabSize
        return logProbabilities(logits: last, N: 1, V: config.vocabSize, Vp: config.paddedVocabSize)
      }
      var worst: Float = 0
      for b in 0..<B {
        var sequence = prompts[b]
        for (t, token) in output.tokens[b].enumerated() {
          let p = nextLogProbs(teacherModel, sequence)[Int(token)]
          let q = nextLogProbs(student, sequence)[Int(token)]
          let mixture = logf(alpha * expf(p) + (1 - alpha) * expf(q))
          worst = max(worst, abs(output.teacherLogProbs[b][t] - p), abs(output.studentLogProbs[b][t] - q),
            abs(output.samplingLogProbs[b][t] - mixture))
          sequence.append(token)
        }
      }
      return worst <= 1e-4 ? nil : "max abs difference \(worst) in log-probabilities"
    }
}
