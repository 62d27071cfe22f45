// The MiniLLM trainer (stage 2): rollouts with teacher-mixed sampling from a sharded teacher,
// length-normalized long-term advantages, PPO epochs with the importance-weighted clipped
// surrogate, and the exact single-step reverse-KL term over the whole vocabulary.

import Collectives
import Datasets
import Distill
import Foundation
import Generation
import Kernels
import Model
import Optim
import Randomness
import Tokenizers

/// One sampled response and what the loss needs of it (per response token): the student's
/// log q_old, the teacher's log p and the sampling distribution's log p̃, all recorded while
/// sampling. The single-step term's full teacher distributions are recomputed in the update
/// (exact; storing V floats per token would cost more than a teacher forward).
public struct Rollout: Sendable {
  public var prompt: [Int32]
  public var response: [Int32]
  public var logQOld: [Float]
  public var logP: [Float]
  public var logPTilde: [Float]
}

/// What one MiniLLM iteration measured (averaged over ranks).
public struct MiniLLMIterationMetrics: Sendable {
  public var meanReward: Double
  /// Mean over rollout tokens of log q_old − log p (a per-token reverse-KL estimate under p̃).
  public var reverseKLPerToken: Double
  public var policyLoss: Double
  public var singleStepLoss: Double
  public var clipFraction: Double
  public var meanResponseLength: Double
  /// Mean entropy of the student's next-token distribution over response positions (nats).
  public var entropy: Double = 0
  /// Importance weights w = q_old/p̃ over response tokens: mean and largest.
  public var meanWeight: Double = 0
  public var maxWeight: Double = 0
  /// Wall time of the iteration on rank 0, split: sampling (student and teacher), of which the
  /// teacher; the PPO updates; and all communication (teacher group and data-parallel).
  public var seconds: Double = 0
  public var rolloutSeconds: Double = 0
  public var teacherSeconds: Double = 0
  public var updateSeconds: Double = 0
  public var communicationSeconds: Double = 0
}

/// MiniLLM on top of the teacher-forced trainer's state (student, optimizer, data, teacher,
/// checkpoints). The teacher is sharded over groups of `teacherShards` ranks for rollouts; the
/// update's single-step term uses the full teacher each rank loaded.
public final class MiniLLMTrainer {
  let base: TeacherForcedTrainer
  public let settings: MiniLLMConfig
  let teacherGroup: TimedCollective
  let worldTimer: TimedCollective
  private var teacherSecondsInRollouts = 0.0
  let shardedTeacher: ShardedGPT
  /// Prompts per rank per collection, and sequences per PPO minibatch.
  public let rolloutsPerRank: Int
  public let minibatchSize: Int
  public let maxNewTokens: Int
  public var progress: ((Int, MiniLLMIterationMetrics) -> Void)?
  /// D_PT blocks (tokens, block length) and their sampler, when the L_PT term is on.
  let pretraining: (tokens: [Int32], blockLength: Int)?
  var pretrainingSampler: ShardedSampler?

  /// - Parameters:
  ///   - config: data, tokenizer, run directory, teacher (required), optimizer and schedule.
  ///   - teacherGroup: the ranks sharing one teacher (a split of `group`).
  public init(
    config: TeacherForcedConfig, settings: MiniLLMConfig, group: any Collective, teacherGroup: any Collective,
    rolloutsPerRank: Int, minibatchSize: Int, maxNewTokens: Int, pretrainingData: String? = nil,
    resume: String?
  ) throws {
    var config = config
    config.method = .rkl  // loads and checks the teacher; the single-step term is reverse KL
    worldTimer = TimedCollective(group)
    base = try TeacherForcedTrainer(config: config, group: worldTimer, resume: resume)
    guard let teacher = base.teacher else { throw TrainingError("MiniLLM needs --teacher") }
    self.settings = settings
    self.teacherGroup = TimedCollective(teacherGroup)
    shardedTeacher = try ShardedGPT(full: teacher, group: self.teacherGroup)
    self.rolloutsPerRank = rolloutsPerRank
    self.minibatchSize = minibatchSize
    self.maxNewTokens = maxNewTokens
    if settings.pretrainingLoss, let pretrainingData {
      let fingerprint = try BPETokenizer.load(contentsOf: config.tokenizer).fingerprint
      let blocks = try TokenCache.readBlocks(pretrainingData, tokenizerFingerprint: fingerprint)
      guard blocks.blockLength - 1 <= base.model.config.contextLength, blocks.tokens.count >= blocks.blockLength else {
        throw TrainingError("\(pretrainingData): blocks of \(blocks.blockLength) tokens do not fit the context \(base.model.config.contextLength) (or there are none)")
      }
      pretraining = blocks
      pretrainingSampler = ShardedSampler(
        count: blocks.tokens.count / blocks.blockLength, rank: group.rank, worldSize: group.size,
        seed: config.seed &+ 1)
    } else {
      pretraining = nil
    }
  }

  /// Samples responses to this rank's next prompts with α·p + (1−α)·q (α = 0: the student alone).
  public func collect(prompts count: Int, alpha: Double) throws -> [Rollout] {
    let examples = base.sampler.next(count).map { base.examples[$0] }
    var rollouts: [Rollout] = []
    let B = base.config.batchSize
    for start in stride(from: 0, to: examples.count, by: B) {
      let chunk = Array(examples[start..<min(examples.count, start + B)])
      let longest = try teacherGroup.allReduce(Int64(chunk.map(\.prompt.count).max()!), op: .max)
      let capacity = min(base.model.config.contextLength, Int(longest) + maxNewTokens)
      let decoder = ShardedTeacherDecoder(teacher: shardedTeacher, batchSize: chunk.count, capacity: capacity)
      let hook = TeacherMixingHook(teacher: decoder, alpha: Float(alpha))
      let generator = Generator(model: base.model, batchSize: chunk.count, capacity: capacity)
      let output = try generator.generate(
        prompts: chunk.map(\.prompt),
        config: SamplingConfig(eosToken: base.padToken, maxNewTokens: maxNewTokens), random: &base.generator,
        hook: hook)
      teacherSecondsInRollouts += hook.teacherSeconds
      for (row, example) in chunk.enumerated() {
        rollouts.append(Rollout(
          prompt: example.prompt, response: output.tokens[row], logQOld: output.studentLogProbs[row],
          logP: hook.teacherLogProbs[row], logPTilde: output.samplingLogProbs[row]))
      }
    }
    return rollouts
  }

  /// One iteration: collect, compute advantages (whitened over all ranks), then PPO epochs over
  /// minibatches, each one optimizer step.
  public func iterate() throws -> MiniLLMIterationMetrics {
    let group = base.group
    let started = Date()
    worldTimer.reset()
    teacherGroup.reset()
    teacherSecondsInRollouts = 0
    let rollouts = try collect(prompts: rolloutsPerRank, alpha: settings.alpha)
    let rolloutSeconds = Date().timeIntervalSince(started)
    var advantageRows = rollouts.map { rollout in
      MiniLLMObjectiveRow(rollout: rollout, settings: settings)
    }
    // Whitening statistics over every rank's tokens.
    var stats = [0.0, 0.0, 0.0, 0.0, 0.0]  // count, Σa, Σa², Σr, Σ(log q − log p)
    for row in advantageRows {
      stats[0] += Double(row.advantages.count)
      for (a, r) in zip(row.advantages, row.rewards) {
        stats[1] += a
        stats[2] += a * a
        stats[3] += r
      }
      stats[4] += zip(row.rollout.logQOld, row.rollout.logP).reduce(0) { $0 + Double($1.0 - $1.1) }
    }
    try group.allReduce(&stats, op: .sum)
    let count = max(stats[0], 1)
    if settings.whitenAdvantages {
      let mean = stats[1] / count
      let variance = max(stats[2] / count - mean * mean, 0)
      for i in advantageRows.indices {
        advantageRows[i].advantages = whiten(advantageRows[i].advantages, mean: mean, variance: variance)
      }
    }
    var policyLoss = 0.0
    var singleStepLoss = 0.0
    var clipped = 0.0
    var tokens = 0.0
    var entropy = 0.0
    var weightSum = 0.0
    var weightMax = 0.0
    for _ in 0..<settings.ppoEpochs {
      var order = Array(advantageRows.indices)
      for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, Int(base.generator.next() % UInt64(i + 1)))
      }
      for start in stride(from: 0, to: order.count, by: minibatchSize) {
        let rows = order[start..<min(order.count, start + minibatchSize)].map { advantageRows[$0] }
        let result = try update(rows)
        policyLoss += result.policy
        singleStepLoss += result.singleStep
        clipped += result.clipped
        tokens += result.tokens
        entropy += result.entropy
        weightSum += result.weightSum
        weightMax = max(weightMax, result.weightMax)
      }
    }
    let lengths = try group.allReduce(Double(rollouts.reduce(0) { $0 + $1.response.count }), op: .sum)
    let sequences = try group.allReduce(Double(rollouts.count), op: .sum)
    var parts = [policyLoss, singleStepLoss, clipped, tokens, entropy, weightSum]
    try group.allReduce(&parts, op: .sum)
    let largestWeight = try group.allReduce(weightMax, op: .max)
    let seconds = Date().timeIntervalSince(started)
    return MiniLLMIterationMetrics(
      meanReward: stats[3] / count, reverseKLPerToken: stats[4] / count,
      policyLoss: parts[0] / max(parts[3], 1), singleStepLoss: parts[1] / max(parts[3], 1),
      clipFraction: parts[2] / max(parts[3], 1), meanResponseLength: lengths / max(sequences, 1),
      entropy: parts[4] / max(parts[3], 1), meanWeight: parts[5] / max(parts[3], 1), maxWeight: largestWeight,
      seconds: seconds, rolloutSeconds: rolloutSeconds, teacherSeconds: teacherSecondsInRollouts,
      updateSeconds: seconds - rolloutSeconds,
      communicationSeconds: worldTimer.seconds + teacherGroup.seconds)
  }

  /// One optimizer step on a minibatch of rollouts; returns the local loss sums.
  func update(_ rows: [MiniLLMObjectiveRow]) throws -> (
    policy: Double, singleStep: Double, clipped: Double, tokens: Double, entropy: Double, weightSum: Double,
    weightMax: Double
  ) {
    let group = base.group
    let model = base.model
    let examples = rows.map { TokenizedExample(prompt: $0.rollout.prompt, response: $0.rollout.response) }
    let batch = SequenceBatch(examples: examples, pad: base.padToken)
    let N = batch.B * batch.T
    var logQOld = [Float](repeating: 0, count: N)
    var weights = [Float](repeating: 0, count: N)
    var advantages = [Double](repeating: 0, count: N)
    for (b, row) in rows.enumerated() {
      let first = row.rollout.prompt.count - 1  // position predicting the first response token
      for (k, _) in row.rollout.response.enumerated() {
        let n = b * batch.T + first + k
        logQOld[n] = row.rollout.logQOld[k]
        weights[n] = expf(row.rollout.logQOld[k] - row.rollout.logPTilde[k])
        advantages[n] = row.advantages[k]
      }
    }
    let localTokens = Double(batch.lossMask.reduce(0, +))
    let globalTokens = try group.allReduce(localTokens, op: .sum)
    guard globalTokens > 0 else { return (0, 0, 0, 0, 0, 0, 0) }
    let tokenBatch = TokenBatch(B: batch.B, T: batch.T, tokens: batch.tokens)
    let teacherLogProbs = base.teacherLogProbabilities(base.teacher!, tokenBatch)
    model.zeroGradients()
    let logits = model.forward(tokenBatch)
    let V = model.config.vocabSize
    let Vp = model.config.paddedVocabSize
    let scale = Float(1 / globalTokens)
    let targets = batch.targets.map { max($0, 0) }
    let pg = policyGradientLoss(
      dlogits: model.dlogits, logits: logits, tokens: targets, logQOld: logQOld, weights: weights,
      advantages: advantages, mask: batch.lossMask, clip: settings.ppoClip, gradientScale: scale, N: N, V: V, Vp: Vp)
    // Diagnostics: the student's entropy and the importance weights over response positions.
    var entropy = 0.0
    var weightSum = 0.0
    var weightMax = 0.0
    for n in 0..<N where batch.lossMask[n] != 0 {
      let row = logits + n * Vp
      let lse = logSumExp(row, V: V)
      var expected: Float = 0
      for i in 0..<V { expected += expf(row[i] - lse) * row[i] }
      entropy += Double(lse - expected)
      weightSum += Double(weights[n])
      weightMax = max(weightMax, Double(weights[n]))
    }
    var singleStep = MaskedLoss(lossSum: 0, weightSum: 0)
    if settings.singleStep {
      let scratch = UnsafeMutablePointer<Float>.allocate(capacity: N * Vp)
      defer { scratch.deallocate() }
      let mask = settings.weightSingleStep ? zip(batch.lossMask, weights).map { $0 * $1 } : batch.lossMask
      singleStep = divergenceLoss(
        .reverseKL, dlogits: scratch, studentLogits: logits, teacherLogProbs: teacherLogProbs, teacherStride: V,
        mask: mask, gradientScale: scale, N: N, V: V, Vp: Vp)
      for i in 0..<(N * Vp) { model.dlogits[i] += scratch[i] }
    }
    guard pg.loss.lossSum.isFinite, singleStep.lossSum.isFinite else {
      throw TrainingError("step \(base.step + 1), rank \(group.rank): MiniLLM loss is not finite (policy \(pg.loss.lossSum), single-step \(singleStep.lossSum))")
    }
    model.backward()
    let pretrainingLoss = try pretrainingTerm(rows: rows.count)
    try allReduceGradients(model.gradients, over: group)
    let norm = clipGradients(model.gradients, maxNorm: base.config.gradientClip)
    guard norm.isFinite else { throw TrainingError("step \(base.step + 1), rank \(group.rank): gradient norm \(norm)") }
    base.optimizer.update(
      parameters: model.parameters, gradients: model.gradients,
      learningRate: base.config.schedule.learningRate(atStep: base.step))
    base.step += 1
    if let pretrainingLoss { base.metrics["pt_loss", default: []].append(pretrainingLoss) }
    return (pg.loss.lossSum, singleStep.lossSum, Double(pg.clippedTokens), localTokens, entropy, weightSum, weightMax)
  }

  /// L_PT on `rows` D_PT blocks: λ_PT · [(1 − kd_ratio)·CE + kd_ratio·KL(p ‖ q)], mean per
  /// token over all ranks, accumulated into the gradients. Returns its global mean, or nil when
  /// the term is off.
  func pretrainingTerm(rows: Int) throws -> Double? {
    guard let pretraining, var sampler = pretrainingSampler else { return nil }
    let model = base.model
    let L = pretraining.blockLength
    let T = L - 1
    let indices = sampler.next(rows)
    pretrainingSampler = sampler
    var tokens: [Int32] = []
    var targets: [Int32] = []
    for index in indices {
      let block = pretraining.tokens[(index * L)..<((index + 1) * L)]
      tokens += block.prefix(T)
      targets += block.suffix(T)
    }
    let batch = TokenBatch(B: rows, T: T, tokens: tokens)
    let N = rows * T
    let globalTokens = Double(N * base.group.size)
    let teacherLogProbs = settings.kdRatio > 0 ? base.teacherLogProbabilities(base.teacher!, batch) : nil
    let logits = model.forward(batch)
    let V = model.config.vocabSize
    let Vp = model.config.paddedVocabSize
    let scale = Float(settings.lambdaPT / globalTokens)
    let loss: Double
    if let teacherLogProbs {
      let parts = knowledgeDistillationLoss(
        kdRatio: settings.kdRatio, dlogits: model.dlogits, studentLogits: logits, targets: targets,
        teacherLogProbs: teacherLogProbs, teacherStride: V, mask: nil, gradientScale: scale, N: N, V: V, Vp: Vp)
      loss = (1 - settings.kdRatio) * parts.crossEntropy.lossSum + settings.kdRatio * parts.forwardKL.lossSum
    } else {
      loss = crossEntropyForwardBackward(
        dlogits: model.dlogits, logits: logits, targets: targets, mask: nil, gradientScale: scale, N: N, V: V, Vp: Vp
      ).lossSum
    }
    model.backward()
    return try base.group.allReduce(loss, op: .sum) / globalTokens
  }

  /// Runs `iterations` iterations, checkpointing after the last (between iterations the rollout
  /// store is empty).
  public func run(iterations: Int) throws {
    let log = base.group.rank == 0 ? try MetricsLog(path: base.config.runDirectory + "/metrics.jsonl") : nil
    for iteration in 1...iterations {
      let metrics = try iterate()
      base.metrics["reverse_kl_per_token", default: []].append(metrics.reverseKLPerToken)
      base.metrics["mean_reward", default: []].append(metrics.meanReward)
      if base.group.rank == 0 {
        progress?(iteration, metrics)
        try log?.append([
          "iteration": iteration, "step": base.step, "reverse_kl_per_token": metrics.reverseKLPerToken,
          "mean_reward": metrics.meanReward, "policy_loss": metrics.policyLoss,
          "single_step_loss": metrics.singleStepLoss, "clip_fraction": metrics.clipFraction,
          "response_length": metrics.meanResponseLength, "entropy": metrics.entropy,
          "mean_importance_weight": metrics.meanWeight, "max_importance_weight": metrics.maxWeight, "pt_loss": base.metrics["pt_loss"]?.last ?? 0,
          "seconds": metrics.seconds, "rollout_seconds": metrics.rolloutSeconds,
          "teacher_seconds": metrics.teacherSeconds, "update_seconds": metrics.updateSeconds,
          "communication_seconds": metrics.communicationSeconds,
        ])
      }
    }
    try base.saveCheckpoint()
  }
}

/// A rollout with its rewards and advantages.
struct MiniLLMObjectiveRow {
  var rollout: Rollout
  var rewards: [Double]
  var advantages: [Double]

  init(rollout: Rollout, settings: MiniLLMConfig) {
    self.rollout = rollout
    rewards = Distill.rewards(logP: rollout.logP, logQOld: rollout.logQOld, config: settings)
    advantages = Distill.advantages(rewards: rewards, config: settings)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
