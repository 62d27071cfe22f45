// MiniLLM rollout collection: this rank's next prompts, sampled with teacher-mixed sampling
// (α·p + (1−α)·q) from the group's sharded teacher, and the advantages computed from them.

import Checkpointing
import Datasets
import Distill
import Foundation
import Generation
import Model
import Randomness

extension MiniLLMTrainer {
  /// Samples responses for up to `batchSize` more prompts of this rank's collection, recording
  /// per response token log q_old, log p and log p̃. Each prompt draws from its own random
  /// stream, a function of the seed and the prompt's global position in the data order, so the
  /// samples do not depend on the number of ranks, the chunking or a resume.
  func collectChunk() throws {
    let started = Date()
    let count = min(base.config.batchSize, rolloutsPerRank - store.prompts.count)
    var prompts: [[Int32]] = []
    var streams: [SeededGenerator] = []
    for _ in 0..<count {
      let index = base.sampler.next(1)[0]
      let cursor = base.sampler.cursor
      let globalPosition = UInt64((cursor.position - 1) * base.group.size + base.group.rank)
      prompts.append(base.examples[index].prompt)
      streams.append(SeededGenerator(
        seed: base.config.seed ^ (UInt64(cursor.epoch + 1) &* 0x9E37_79B9_7F4A_7C15) ^ (globalPosition &* 0xBF58_476D_1CE4_E5B9)))
    }
    let longest = try teacherGroup.allReduce(Int64(prompts.map(\.count).max()!), op: .max)
    let context = min(base.model.config.contextLength, shardedTeacher.config.contextLength)
    let capacity = min(context, Int(longest) + maxNewTokens)
    let decoder = ShardedTeacherDecoder(teacher: shardedTeacher, batchSize: count, capacity: capacity)
    let hook = TeacherMixingHook(teacher: decoder, alpha: Float(settings.alpha))
    let generator = Generator(model: base.model, batchSize: count, capacity: capacity)
    let output = try generator.generate(
      prompts: prompts, config: SamplingConfig(eosToken: base.padToken, maxNewTokens: maxNewTokens),
      streams: &streams, hook: hook)
    for row in 0..<count {
      store.prompts.append(prompts[row])
      store.responses.append(output.tokens[row])
      store.logQOld.append(output.studentLogProbs[row])
      store.logP.append(hook.teacherLogProbs[row])
      store.logPTilde.append(output.samplingLogProbs[row])
    }
    timers.rollout += Date().timeIntervalSince(started)
    timers.teacher += hook.teacherSeconds
  }

  /// Rewards and long-term advantages of the finished collection, whitened with the mean and
  /// variance over every rank's tokens; starts the first PPO epoch.
  func computeAdvantages() throws {
    let rewards = zip(store.logP, store.logQOld).map { Distill.rewards(logP: $0, logQOld: $1, config: settings) }
    var advantages = rewards.map { Distill.advantages(rewards: $0, config: settings) }
    var stats = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]  // tokens, Σa, Σa², Σr, Σ(log q_old − log p), sequences, Σ length
    for (a, r) in zip(advantages, rewards) {
      stats[0] += Double(a.count)
      for value in a {
        stats[1] += value
        stats[2] += value * value
      }
      stats[3] += r.reduce(0, +)
    }
    for (p, q) in zip(store.logP, store.logQOld) { stats[4] += zip(q, p).reduce(0) { $0 + Double($1.0 - $1.1) } }
    stats[5] = Double(store.responses.count)
    stats[6] = Double(store.responses.reduce(0) { $0 + $1.count })
    try base.group.allReduce(&stats, op: .sum)
    let count = max(stats[0], 1)
    if settings.whitenAdvantages {
      let mean = stats[1] / count
      let variance = max(stats[2] / count - mean * mean, 0)
      advantages = advantages.map { whiten($0, mean: mean, variance: variance) }
    }
    store.advantages = advantages  // non-empty (rolloutsPerRank ≥ 1): the store is now "updating"
    sums.rewardTokens = stats[0]
    sums.rewardSum = stats[3]
    sums.reverseKLSum = stats[4]
    sums.sequences = stats[5]
    sums.responseTokens = stats[6]
    epoch = 0
    position = 0
    store.order = shuffled(store.prompts.count)
  }
}
