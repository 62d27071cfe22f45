// MiniLLM rollout collection: this rank's next prompts, sampled with teacher-mixed sampling
// (α·p + (1−α)·q) from the group's sharded teacher, and the advantages computed from them.

import Datasets
import Distill
import Foundation
import Generation
import Model
import Randomness
import Rollouts

extension MiniLLMTrainer {
  /// Samples responses for up to `batchSize` more prompts of this rank's collection. Each
  /// prompt draws from its own random stream, a function of the seed and the prompt's global
  /// position in the data order, so the samples do not depend on the number of ranks, the
  /// chunking or a resume.
  func collectChunk() throws {
    let started = Date()
    let count = min(config.batchSize, rolloutsPerRank - store.count)
    var prompts: [[Int32]] = []
    var streams: [SeededGenerator] = []
    for _ in 0..<count {
      let index = state.sampler.next(1)[0]
      let cursor = state.sampler.cursor
      let globalPosition = UInt64((cursor.position - 1) * state.group.size + state.group.rank)
      prompts.append(state.examples[index].prompt)
      streams.append(SeededGenerator(seed: config.seed, key: UInt64(cursor.epoch + 1), subkey: globalPosition))
    }
    let longest = try teacherGroup.allReduce(Int64(prompts.map(\.count).max()!), op: .max)
    let context = min(state.model.config.contextLength, shardedTeacher.config.contextLength)
    let capacity = min(context, Int(longest) + maxNewTokens)
    let decoder = ShardedTeacherDecoder(teacher: shardedTeacher, batchSize: count, capacity: capacity)
    let hook = TeacherMixingHook(teacher: decoder, alpha: Float(settings.alpha))
    let generator = Generator(model: state.model, batchSize: count, capacity: capacity)
    let output = try generator.generate(
      prompts: prompts, config: SamplingConfig(eosToken: state.padToken, maxNewTokens: maxNewTokens),
      streams: &streams, hook: hook)
    for row in 0..<count { store.rollouts.append(Rollout(prompt: prompts[row], output: output, row: row)) }
    timers.rollout += Date().timeIntervalSince(started)
    timers.teacher += hook.teacherSeconds
  }

  /// Rewards and long-term advantages of the finished collection, whitened with the mean and
  /// variance over every rank's tokens; starts the first PPO epoch.
  func computeAdvantages() throws {
    let local = store.assignAdvantages(config: settings)
    var reducible = local.reducible
    try state.group.allReduce(&reducible, op: .sum)
    let global = RolloutStatistics(reduced: reducible)
    if settings.whitenAdvantages { store.whitenAdvantages(with: global) }
    sums.collection = global
    epoch = 0
    position = 0
    store.order = shuffled(store.count)
  }
}
