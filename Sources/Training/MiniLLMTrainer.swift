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
import Rollouts
import Tokenizers

/// MiniLLM on a `RunState` (student, optimizer, data, sampler, generator, checkpoints).
/// Each rank holds only its shard of the teacher: the teacher is split over groups of
/// `teacherGroup.size` ranks, and every teacher computation (sampling, the single-step term,
/// the L_PT distillation term) runs in the group.
public final class MiniLLMTrainer {
  /// The run's shared state.
  public let state: RunState
  /// The objective's flags and the rollout settings (from `state.config.miniLLM`).
  public let settings: MiniLLMConfig
  let teacherGroup: TimedCollective
  let worldTimer: TimedCollective
  let shardedTeacher: ShardedGPT
  /// Prompts per rank per collection, and sequences per rank per PPO minibatch.
  public let rolloutsPerRank: Int
  public let minibatchPerRank: Int
  /// Called on rank 0 after each iteration.
  public var progress: ((MiniLLMIterationMetrics) -> Void)?
  /// D_PT blocks (tokens, block length) and their sampler, when the L_PT term is on.
  let pretraining: (tokens: [Int32], blockLength: Int)?
  var pretrainingSampler: ShardedSampler?

  /// The iteration in progress: this rank's rollout store, the PPO position, the sums.
  var store = RolloutStore()
  var iteration = 0
  var epoch = 0
  var position = 0
  var sums = MiniLLMIterationSums()
  var lastNorm = 0.0
  var lastLearningRate = 0.0
  var timers = (rollout: 0.0, teacher: 0.0, started: Date())
  /// Most micro-batches per PPO minibatch (1: the whole minibatch padded as one batch).
  public var maximumMicroBatches = 4
  /// Micro-batches the last optimizer step ran.
  public internal(set) var microBatchesInLastUpdate = 0

  /// - Parameters:
  ///   - config: a resolved `--method minillm` run (teacher required); `steps` counts optimizer
  ///     steps (a run may end inside an iteration); rollouts and minibatch are over all ranks
  ///     and must divide by the number of ranks.
  ///   - teacherGroup: the ranks sharing one teacher (a split of `group` of
  ///     `config.miniLLM.teacherShards` ranks).
  public init(config: RunConfig, group: any Collective, teacherGroup: any Collective, resume: String?) throws {
    guard let rolloutSettings = config.miniLLM else {
      throw TrainingError("--method \(config.method.rawValue) is not MiniLLM; use TeacherForcedTrainer")
    }
    let (rollouts, minibatch) = (rolloutSettings.rollouts, rolloutSettings.minibatch)
    guard rollouts % group.size == 0, minibatch % group.size == 0 else {
      throw TrainingError("invalid config: rollouts (\(rollouts)) and minibatch (\(minibatch)) must be positive multiples of the number of ranks (\(group.size))")
    }
    guard teacherGroup.size == rolloutSettings.teacherShards else {
      throw TrainingError("invalid config: teacher_shards is \(rolloutSettings.teacherShards) but the teacher group has \(teacherGroup.size) ranks")
    }
    worldTimer = TimedCollective(group)
    state = try RunState(config: config, group: worldTimer, resume: resume)
    settings = rolloutSettings.objective
    self.teacherGroup = TimedCollective(teacherGroup)
    // Only this rank's shard of the teacher stays in memory.
    shardedTeacher = try ShardedGPT(full: try state.loadTeacher(), group: self.teacherGroup)
    rolloutsPerRank = rollouts / group.size
    minibatchPerRank = minibatch / group.size
    if settings.pretrainingLoss, let pretrainingData = rolloutSettings.pretrainData {
      let blocks = try TokenCache.readBlocks(pretrainingData, tokenizerFingerprint: state.tokenizerFingerprint)
      try TokenCache.requireIDs(inBlocks: blocks.tokens, blockLength: blocks.blockLength, below: state.tokenizerCount, path: pretrainingData)
      guard blocks.blockLength - 1 <= state.model.config.contextLength, blocks.tokens.count >= blocks.blockLength else {
        throw TrainingError("\(pretrainingData): blocks of \(blocks.blockLength) tokens do not fit the context \(state.model.config.contextLength) (or there are none)")
      }
      pretraining = blocks
      pretrainingSampler = ShardedSampler(
        count: blocks.tokens.count / blocks.blockLength, rank: group.rank, worldSize: group.size,
        seed: config.seed &+ 1, cursor: state.resumedPretrainingCursor ?? .init())
    } else {
      pretraining = nil
    }
    if let snapshot = state.resumedRollouts {
      iteration = snapshot.iteration
      epoch = snapshot.epoch
      position = snapshot.position
      sums = try MiniLLMIterationSums(named: snapshot.sums, path: config.runDirectory)
      store = snapshot.ranks[group.rank]
    }
  }

  public var config: RunConfig { state.config }
  /// Optimizer steps completed.
  public var step: Int { state.step }
  /// The student being trained, and the sharded teacher (for evaluation hooks).
  public var student: GPT { state.model }
  public var scoringTeacher: ShardedGPT? { shardedTeacher }
  /// The longest sampled response.
  public var maxNewTokens: Int { config.maxNewTokens }

  /// Whether the collection of the current iteration is still going.
  var collecting: Bool { !store.hasAdvantages }

  /// Runs until `config.steps` optimizer steps, or until `stopAfter` more steps, or until
  /// `stopAfterChunks` more collection chunks (testing); checkpoints every
  /// `checkpointEvery` steps and when it stops.
  public func run(stopAfter: Int? = nil, stopAfterChunks: Int? = nil) throws {
    let target = min(config.steps, stopAfter.map { state.step + $0 } ?? config.steps)
    let log = try state.openMetricsLog()
    try state.recordResumedCheckpoint()
    var chunks = 0
    timers.started = Date()
    while state.step < target {
      if collecting {
        if store.count < rolloutsPerRank {
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
      let evaluation = try state.evaluateIfDue()
      if !evaluation.isEmpty && state.group.rank == 0 {
        var record: [String: Any] = ["step": state.step, "iteration": iteration]
        for (name, value) in evaluation { record[name] = value }
        try log?.append(record)
      }
      if state.checkpointDue(target: target) { try saveCheckpoint() }
    }
  }

  /// Logs the finished iteration and empties the rollout store.
  func finishIteration(log: MetricsLog?) throws {
    iteration += 1
    var metrics = MiniLLMIterationMetrics(sums: sums)
    metrics.iteration = iteration
    metrics.step = state.step
    metrics.learningRate = lastLearningRate
    metrics.gradientNorm = lastNorm
    metrics.seconds = Date().timeIntervalSince(timers.started)
    metrics.rolloutSeconds = timers.rollout
    metrics.teacherSeconds = timers.teacher
    metrics.updateSeconds = metrics.seconds - timers.rollout
    metrics.communicationSeconds = worldTimer.seconds + teacherGroup.seconds
    state.metrics["reverse_kl_per_token", default: []].append(metrics.reverseKLPerToken)
    state.metrics["mean_reward", default: []].append(metrics.meanReward)
    if state.group.rank == 0 {
      progress?(metrics)
      try log?.append(metrics.logRecord)
    }
    store = RolloutStore()
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
      order.swapAt(i, Int(state.generator.next() % UInt64(i + 1)))
    }
    return order
  }

  /// Gathers every rank's rollout store to rank 0, which writes it with the checkpoint.
  func saveCheckpoint() throws {
    let packed = store.packed
    let lengths = try state.group.allGather([Int64(packed.count)])
    let gathered = try state.group.allGatherVariable(packed)
    var ranks: [RolloutStore] = []
    var start = 0
    for length in lengths {
      ranks.append(RolloutStore(packed: gathered[start..<(start + Int(length))]))
      start += Int(length)
    }
    try state.saveCheckpoint(
      rollouts: RolloutStoreSnapshot(iteration: iteration, epoch: epoch, position: position, sums: sums.named, ranks: ranks),
      pretrainingCursor: pretrainingSampler?.cursor)
  }
}
