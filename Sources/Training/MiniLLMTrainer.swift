// The MiniLLM trainer (stage 2): an iteration collects rollouts with teacher-mixed sampling
// from a sharded teacher, whitens length-normalized long-term advantages over all ranks, then
// runs PPO epochs of minibatch updates (surrogate with importance weights + the exact
// single-step reverse KL + optionally L_PT). Checkpoints may fall anywhere inside an
// iteration: the rollout store and the position in it are saved, and a resume continues
// bit for bit.

import Checkpointing
import Collectives
import Datasets
import Distill
import Foundation
import Model
import Randomness
import Tokenizers

/// MiniLLM on top of the teacher-forced trainer's state (student, optimizer, data, sampler,
/// generator, checkpoints). Each rank holds only its shard of the teacher: the teacher is split
/// over groups of `teacherGroup.size` ranks, and every teacher computation (sampling, the
/// single-step term, the L_PT distillation term) runs in the group.
public final class MiniLLMTrainer {
  let base: TeacherForcedTrainer
  public let settings: MiniLLMConfig
  let teacherGroup: TimedCollective
  let worldTimer: TimedCollective
  let shardedTeacher: ShardedGPT
  /// Prompts per rank per collection, and sequences per rank per PPO minibatch.
  public let rolloutsPerRank: Int
  public let minibatchPerRank: Int
  public let maxNewTokens: Int
  /// Called on rank 0 after each iteration.
  public var progress: ((MiniLLMIterationMetrics) -> Void)?
  /// Called on every rank every `evaluationEvery` optimizer steps (0: never) and at the last
  /// step (a collective call); returns metrics logged with an `eval_` prefix.
  public var evaluate: ((_ step: Int) throws -> [String: Double])?
  public var evaluationEvery = 0
  /// D_PT blocks (tokens, block length) and their sampler, when the L_PT term is on.
  let pretraining: (tokens: [Int32], blockLength: Int)?
  var pretrainingSampler: ShardedSampler?

  /// The iteration in progress: this rank's rollout store, the PPO position, the sums.
  var store = RankRollouts()
  var iteration = 0
  var epoch = 0
  var position = 0
  var sums = MiniLLMIterationSums()
  var lastNorm = 0.0
  var lastLearningRate = 0.0
  var timers = (rollout: 0.0, teacher: 0.0, started: Date())

  /// - Parameters:
  ///   - config: data, tokenizer, run directory, teacher (required), optimizer and schedule;
  ///     `steps` counts optimizer steps (a run may end inside an iteration).
  ///   - teacherGroup: the ranks sharing one teacher (a split of `group`).
  ///   - rollouts, minibatch: sequences per collection and per PPO minibatch, over all ranks
  ///     (each must divide by the number of ranks).
  public init(
    config: TeacherForcedConfig, settings: MiniLLMConfig, group: any Collective, teacherGroup: any Collective,
    rollouts: Int, minibatch: Int, maxNewTokens: Int, pretrainingData: String? = nil, resume: String?
  ) throws {
    guard rollouts >= 1, minibatch >= 1, rollouts % group.size == 0, minibatch % group.size == 0 else {
      throw TrainingError("invalid config: rollouts (\(rollouts)) and minibatch (\(minibatch)) must be positive multiples of the number of ranks (\(group.size))")
    }
    guard maxNewTokens >= 1 else { throw TrainingError("invalid config: max_new_tokens must be ≥ 1, got \(maxNewTokens)") }
    guard config.teacher != nil else { throw TrainingError("invalid config: teacher is required for --method minillm") }
    var config = config
    config.method = .rkl  // loads and checks the teacher
    worldTimer = TimedCollective(group)
    base = try TeacherForcedTrainer(config: config, group: worldTimer, resume: resume, expectedStage: "minillm")
    base.stageName = ("minillm", "minillm")
    guard let teacher = base.teacher else { throw TrainingError("MiniLLM needs --teacher") }
    self.settings = settings
    self.teacherGroup = TimedCollective(teacherGroup)
    shardedTeacher = try ShardedGPT(full: teacher, group: self.teacherGroup)
    base.teacher = nil  // from here on each rank keeps only its shard
    rolloutsPerRank = rollouts / group.size
    minibatchPerRank = minibatch / group.size
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
        seed: config.seed &+ 1, cursor: base.resumedPretrainingCursor ?? .init())
    } else {
      pretraining = nil
    }
    if let snapshot = base.resumedRollouts {
      iteration = snapshot.iteration
      epoch = snapshot.epoch
      position = snapshot.position
      sums = MiniLLMIterationSums(array: snapshot.sums)
      store = snapshot.ranks[group.rank]
    }
  }

  /// Optimizer steps completed.
  public var step: Int { base.step }
  /// The student being trained, and the sharded teacher (for evaluation hooks).
  public var student: GPT { base.model }
  public var scoringTeacher: ShardedGPT? { shardedTeacher }

  /// Whether the collection of the current iteration is still going.
  var collecting: Bool { store.advantages.isEmpty }

  /// Runs until `config.steps` optimizer steps, or until `stopAfter` more steps, or until
  /// `stopAfterChunks` more collection chunks (testing); checkpoints every
  /// `checkpointEvery` steps and when it stops.
  public func run(stopAfter: Int? = nil, stopAfterChunks: Int? = nil) throws {
    let target = min(base.config.steps, stopAfter.map { base.step + $0 } ?? base.config.steps)
    let log = base.group.rank == 0 ? try MetricsLog(path: base.config.runDirectory + "/metrics.jsonl") : nil
    var chunks = 0
    timers.started = Date()
    while base.step < target {
      if collecting {
        if store.prompts.count < rolloutsPerRank {
          try collectChunk()
          chunks += 1
          if let stopAfterChunks, chunks >= stopAfterChunks {
            try saveCheckpoint()
            return
          }
          continue
        }
        try computeAdvantages()
      }
      let end = min(store.order.count, position + minibatchPerRank)
      try update(Array(store.order[position..<end]))
      position = end
      if position >= store.order.count {
        epoch += 1
        position = 0
        if epoch < settings.ppoEpochs {
          store.order = shuffled(store.order.count)
        } else {
          try finishIteration(log: log)
        }
      }
      try evaluateOnCadence(log: log)
      if base.step % base.config.checkpointEvery == 0 || base.step == target { try saveCheckpoint() }
    }
  }

  /// Runs the evaluation hook when the step is on the cadence or the last one.
  func evaluateOnCadence(log: MetricsLog?) throws {
    let step = base.step
    guard let evaluate, (evaluationEvery > 0 && step % evaluationEvery == 0) || step == base.config.steps else { return }
    var record: [String: Any] = ["step": step, "iteration": iteration]
    for (name, value) in try evaluate(step) {
      record["eval_" + name] = value
      base.metrics["eval_" + name, default: []].append(value)
    }
    base.metrics["eval_step", default: []].append(Double(step))
    if base.group.rank == 0 { try log?.append(record) }
  }

  /// Logs the finished iteration, evaluates on cadence and empties the rollout store.
  func finishIteration(log: MetricsLog?) throws {
    iteration += 1
    var metrics = MiniLLMIterationMetrics(sums: sums)
    metrics.iteration = iteration
    metrics.step = base.step
    metrics.learningRate = lastLearningRate
    metrics.gradientNorm = lastNorm
    metrics.seconds = Date().timeIntervalSince(timers.started)
    metrics.rolloutSeconds = timers.rollout
    metrics.teacherSeconds = timers.teacher
    metrics.updateSeconds = metrics.seconds - timers.rollout
    metrics.communicationSeconds = worldTimer.seconds + teacherGroup.seconds
    base.metrics["reverse_kl_per_token", default: []].append(metrics.reverseKLPerToken)
    base.metrics["mean_reward", default: []].append(metrics.meanReward)
    if base.group.rank == 0 {
      progress?(metrics)
      try log?.append(metrics.logRecord)
    }
    store = RankRollouts()
    epoch = 0
    position = 0
    sums = MiniLLMIterationSums()
    worldTimer.reset()
    teacherGroup.reset()
    timers = (0, 0, Date())
  }

  /// A fresh PPO order of `count` sequences from this rank's generator.
  func shuffled(_ count: Int) -> [Int] {
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) {
      order.swapAt(i, Int(base.generator.next() % UInt64(i + 1)))
    }
    return order
  }

  /// Gathers every rank's rollout store to rank 0, which writes it with the checkpoint.
  func saveCheckpoint() throws {
    let packed = store.packed
    let lengths = try base.group.allGather([Int64(packed.count)])
    let gathered = try base.group.allGatherVariable(packed)
    var ranks: [RankRollouts] = []
    var start = 0
    for length in lengths {
      ranks.append(RankRollouts(packed: gathered[start..<(start + Int(length))]))
      start += Int(length)
    }
    try base.saveCheckpoint(
      rollouts: RolloutStoreSnapshot(
        iteration: iteration, epoch: epoch, position: position, sums: sums.array, ranks: ranks),
      pretrainingCursor: pretrainingSampler?.cursor)
  }
}
