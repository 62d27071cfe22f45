// Teacher-forced training (SFT, KD, token-level divergences to a teacher), data-parallel over
// a Collective, with exact resume from checkpoints.

import Checkpointing
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

/// Runs a teacher-forced method: each rank reads its share of the data, the loss is the mean
/// over all response tokens of the global batch (for KD and the divergences, against a teacher
/// every rank holds), gradients are summed across ranks, rank 0 writes checkpoints.
/// With the same world size and seed a run is reproducible bit for bit, also across a resume.
public final class TeacherForcedTrainer {
  public let config: TeacherForcedConfig
  let group: any Collective
  let model: GPT
  let optimizer: AdamW
  let examples: [TokenizedExample]
  let padToken: Int32
  let tokenizerJSON: String
  var sampler: ShardedSampler
  var generator: SeededGenerator
  public internal(set) var step: Int
  var metrics: [String: [Double]]
  let store: CheckpointStore
  /// The teacher (full model on every rank) for all methods but SFT.
  var teacher: GPT?
  /// The stage and method names written into checkpoints (MiniLLM overrides them).
  var stageName: (stage: String, method: String)?
  /// From the checkpoint resumed from: the MiniLLM rollout store and L_PT sampler cursor.
  var resumedRollouts: RolloutStoreSnapshot?
  var resumedPretrainingCursor: SamplerCursor?
  /// Called on rank 0 after each step with the step, loss, learning rate and tokens (all ranks).
  public var progress: ((_ step: Int, _ loss: Double, _ learningRate: Float, _ tokens: Double) -> Void)?
  /// Called on every rank every `evaluationEvery` steps (0: never) and at the last step (collective);
  /// returns metrics logged with an `eval_` prefix. An `eval_loss` becomes the checkpoint
  /// metric that `best.json` follows (else the training loss).
  public var evaluate: ((_ step: Int) throws -> [String: Double])?
  public var evaluationEvery = 0
  /// The student being trained.
  public var student: GPT { model }
  /// The teacher wrapped for teacher-scored evaluation on this rank alone (nil for SFT).
  public private(set) lazy var scoringTeacher: ShardedGPT? = teacher.flatMap { try? ShardedGPT(full: $0, group: SingleProcessCollective()) }
  /// Test hook: at this (rank, step), nudge one parameter on that rank only, so the replica
  /// check must catch it.
  public var debugPerturbation: (rank: Int, step: Int)?

  /// Starts fresh or resumes. `resume`: nil = fresh (refused if checkpoints exist), "auto" =
  /// newest valid checkpoint in the run directory (fresh if none), or a checkpoint path.
  /// - Parameter expectedStage: the stage a resumed checkpoint must come from ("minillm" for
  ///   the MiniLLM trainer; nil: any teacher-forced stage).
  public init(config: TeacherForcedConfig, group: any Collective, resume: String?, expectedStage: String? = nil) throws {
    try config.validate()
    self.config = config
    self.group = group
    let tokenizer = try BPETokenizer.load(contentsOf: config.tokenizer)
    tokenizerJSON = tokenizer.jsonText()
    guard let pad = tokenizer.specialTokenID("<|endoftext|>") else {
      throw TrainingError("\(config.tokenizer) has no <|endoftext|> token")
    }
    padToken = pad
    examples = try TokenCache.readInstructions(config.data, tokenizerFingerprint: tokenizer.fingerprint)
    guard !examples.isEmpty else { throw TrainingError("\(config.data) holds no examples") }
    store = try CheckpointStore(runDirectory: config.runDirectory, keepLast: config.keepLast)
    if let teacherPath = config.teacher, config.method.needsTeacher {
      let loaded = try Checkpoint.read(teacherPath)
      if let teacherTokenizer = loaded.tokenizerJSON,
        try BPETokenizer.load(json: Data(teacherTokenizer.utf8), path: teacherPath).fingerprint != tokenizer.fingerprint
      {
        throw TrainingError("teacher \(teacherPath) was trained with another tokenizer than \(config.tokenizer); distillation compares distributions token by token")
      }
      guard loaded.model.config.vocabSize == tokenizer.count else {
        throw TrainingError("teacher \(teacherPath) has a vocabulary of \(loaded.model.config.vocabSize), the tokenizer \(tokenizer.count)")
      }
      teacher = loaded.model
    } else {
      teacher = nil
    }

    var resumePath: String?
    switch resume {
    case nil:
      if !store.existing().isEmpty {
        throw TrainingError("\(store.directory) already has checkpoints; pass --resume auto to continue or use a new run directory")
      }
    case "auto": resumePath = store.newestValid()
    case let path?: resumePath = path
    }
    if let resumePath {
      let loaded = try Checkpoint.read(resumePath)
      let stage = loaded.state.stage
      guard expectedStage.map({ $0 == stage }) ?? (stage != "minillm" && stage != "imported") else {
        throw TrainingError(
          "\(resumePath) is a checkpoint of stage \(stage), not of this run's \(expectedStage ?? "teacher-forced") stage; to start from its weights use --init-from instead of --resume")
      }
      guard loaded.state.ranks.count == group.size else {
        throw TrainingError(
          "\(resumePath) was written by \(loaded.state.ranks.count) rank(s) but this job has \(group.size); resume with mpirun -n \(loaded.state.ranks.count) (data-loader cursors and generators are per rank and are not re-sharded)")
      }
      guard loaded.model.config.vocabSize <= tokenizer.count else {
        throw TrainingError("\(resumePath): model vocabulary \(loaded.model.config.vocabSize) exceeds tokenizer \(config.tokenizer) (\(tokenizer.count))")
      }
      model = loaded.model
      optimizer = loaded.optimizer
      step = loaded.state.step
      metrics = loaded.state.metrics
      let mine = loaded.state.ranks[group.rank]
      generator = SeededGenerator(state: mine.generator)
      sampler = ShardedSampler(count: examples.count, rank: group.rank, worldSize: group.size, seed: config.seed, cursor: mine.cursor)
      resumedRollouts = loaded.rollouts
      resumedPretrainingCursor = mine.pretrainingCursor
      if group.rank == 0 { print("resumed from \(resumePath) at step \(step)") }
    } else {
      if let initPath = config.initFrom {
        model = try Checkpoint.read(initPath).model
        guard model.config.vocabSize == tokenizer.count else {
          throw TrainingError("\(initPath) has a vocabulary of \(model.config.vocabSize), the tokenizer \(tokenizer.count)")
        }
      } else {
        var modelConfig = config.model
        modelConfig.vocabSize = tokenizer.count
        modelConfig.paddedVocabSize = max(modelConfig.paddedVocabSize, (tokenizer.count + 63) / 64 * 64)
        model = try GPT(config: modelConfig)
        model.initializeGPT2(seed: config.seed)
      }
      optimizer = AdamW(layout: model.layout, config: config.optimizer)
      step = 0
      metrics = ["train_loss": [], "learning_rate": [], "gradient_norm": []]
      generator = SeededGenerator(seed: config.seed &+ UInt64(group.rank))
      sampler = ShardedSampler(count: examples.count, rank: group.rank, worldSize: group.size, seed: config.seed)
      try broadcastParameters(model.parameters, over: group)
    }
  }

  /// Trains until `config.steps`, or `stopAfter` more steps (then checkpoints and returns).
  public func run(stopAfter: Int? = nil) throws {
    let target = min(config.steps, stopAfter.map { step + $0 } ?? config.steps)
    let metricsLog = group.rank == 0 ? try MetricsLog(path: config.runDirectory + "/metrics.jsonl") : nil
    while step < target {
      let stepStart = Date()
      var chosen = sampler.next(config.batchSize).map { examples[$0] }
      if config.onPolicyFraction > 0 && onPolicyCoin(step) < config.onPolicyFraction {
        chosen = try studentResponses(to: chosen)
      }
      let batch = SequenceBatch(examples: chosen, pad: padToken)
      let tokens = TokenBatch(B: batch.B, T: batch.T, tokens: batch.tokens)
      // The loss is the mean over every response token of the global batch.
      let localWeight = Double(batch.lossMask.reduce(0, +))
      let globalWeight = try group.allReduce(localWeight, op: .sum)
      guard globalWeight > 0 else { throw TrainingError("step \(step): the global batch has no response tokens") }
      model.zeroGradients()
      let teacherLogProbs = teacher.map { teacherLogProbabilities($0, tokens) }
      let logits = model.forward(tokens)
      let loss = objective(batch: batch, logits: logits, teacherLogProbs: teacherLogProbs, scale: Float(1 / globalWeight))
      if config.overlapGradientReduction && group.size > 1 {
        let reduction = OverlappedGradientReduction(gradients: model.gradients, group: group)
        var failure: Error?
        model.backward { layer in
          do { try reduction.ready(layer) } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
        try reduction.finish()
      } else {
        model.backward()
        try allReduceGradients(model.gradients, over: group)
      }
      let meanLoss = try group.allReduce(loss.lossSum, op: .sum) / globalWeight
      guard meanLoss.isFinite else {
        throw TrainingError("step \(step + 1), rank \(group.rank): the loss is \(meanLoss); nothing was updated and the last checkpoint is intact")
      }
      let norm = clipGradients(model.gradients, maxNorm: config.gradientClip)
      guard norm.isFinite else {
        let tensor = ParameterTensor.allCases.first { tensor in
          model.gradients.buffer(tensor).contains { !$0.isFinite }
        }
        throw TrainingError(
          "step \(step + 1), rank \(group.rank): gradient of \(tensor?.rawValue ?? "a tensor") is not finite (norm \(norm)); nothing was updated and the last checkpoint is intact")
      }
      let learningRate = config.schedule.learningRate(atStep: step)
      optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: learningRate)
      step += 1
      metrics["train_loss", default: []].append(meanLoss)
      metrics["learning_rate", default: []].append(Double(learningRate))
      metrics["gradient_norm", default: []].append(norm)
      if let perturbation = debugPerturbation, perturbation.rank == group.rank, perturbation.step == step {
        model.parameters.storage[0] += 1e-3
      }
      if config.replicaCheckEvery > 0 && step % config.replicaCheckEvery == 0 {
        try requireIdenticalReplicas(model.parameters, over: group, step: step)
      }
      var record: [String: Any] = [
        "step": step, "loss": meanLoss, "learning_rate": Double(learningRate), "gradient_norm": norm,
        "tokens": Int(globalWeight), "seconds": Date().timeIntervalSince(stepStart),
      ]
      if let evaluate, (evaluationEvery > 0 && step % evaluationEvery == 0) || step == config.steps {
        for (name, value) in try evaluate(step) {
          record["eval_" + name] = value
          metrics["eval_" + name, default: []].append(value)
        }
        metrics["eval_step", default: []].append(Double(step))
      }
      if group.rank == 0 {
        progress?(step, meanLoss, learningRate, globalWeight)
        try metricsLog?.append(record)
      }
      if step % config.checkpointEvery == 0 || step == target { try saveCheckpoint() }
    }
  }

  /// The same uniform draw on every rank for a step (seeded by the run's seed and the step).
  func onPolicyCoin(_ step: Int) -> Double {
    var coin = SeededGenerator(seed: config.seed ^ (UInt64(step) &* 0x9E37_79B9_7F4A_7C15))
    return coin.nextUniformDouble()
  }

  /// The examples' prompts with responses sampled from the current student (temperature 1,
  /// ending at EOS or the length limit), drawn with this rank's generator (saved in checkpoints).
  func studentResponses(to chosen: [TokenizedExample]) throws -> [TokenizedExample] {
    let capacity = model.config.contextLength
    let longest = chosen.map(\.prompt.count).max() ?? 0
    let room = min(config.onPolicyMaxNewTokens, capacity - longest)
    guard room >= 1 else { return chosen }
    let decoder = Generator(model: model, batchSize: chosen.count, capacity: longest + room)
    let output = try decoder.generate(
      prompts: chosen.map(\.prompt), config: SamplingConfig(eosToken: padToken, maxNewTokens: room),
      random: &generator)
    return zip(chosen, output.tokens).map { TokenizedExample(prompt: $0.prompt, response: $1) }
  }

  /// The method's loss sum over the batch; writes dlogits into the model.
  func objective(batch: SequenceBatch, logits: UnsafeMutablePointer<Float>, teacherLogProbs: [Float]?, scale: Float)
    -> MaskedLoss
  {
    let N = batch.B * batch.T
    let V = model.config.vocabSize
    let Vp = model.config.paddedVocabSize
    switch config.method {
    case .sft:
      return crossEntropyForwardBackward(
        dlogits: model.dlogits, logits: logits, targets: batch.targets, mask: batch.lossMask,
        gradientScale: scale, N: N, V: V, Vp: Vp)
    case .kd:
      let parts = knowledgeDistillationLoss(
        kdRatio: config.kdRatio, dlogits: model.dlogits, studentLogits: logits, targets: batch.targets,
        teacherLogProbs: teacherLogProbs!, teacherStride: V, mask: batch.lossMask, gradientScale: scale,
        temperature: config.temperature, N: N, V: V, Vp: Vp)
      return MaskedLoss(
        lossSum: (1 - config.kdRatio) * parts.crossEntropy.lossSum + config.kdRatio * parts.forwardKL.lossSum,
        weightSum: parts.crossEntropy.weightSum)
    case .rkl, .jsd, .tvd, .sfkl, .srkl:
      return divergenceLoss(
        config.divergence!, dlogits: model.dlogits, studentLogits: logits, teacherLogProbs: teacherLogProbs!,
        teacherStride: V, mask: batch.lossMask, gradientScale: scale, temperature: config.temperature,
        N: N, V: V, Vp: Vp)
    }
  }

  /// The teacher's log-probabilities (N, V) at the configured temperature.
  func teacherLogProbabilities(_ teacher: GPT, _ tokens: TokenBatch) -> [Float] {
    let logits = teacher.forward(tokens)
    let V = teacher.config.vocabSize
    let Vp = teacher.config.paddedVocabSize
    let N = tokens.B * tokens.T
    var out = [Float](repeating: 0, count: N * V)
    let inverse = 1 / config.temperature
    for n in 0..<N {
      let row = logits + n * Vp
      if config.temperature != 1 { for i in 0..<V { row[i] *= inverse } }
      let lse = logSumExp(row, V: V)
      for i in 0..<V { out[n * V + i] = row[i] - lse }
    }
    return out
  }

  /// Gathers every rank's generator and cursor; rank 0 writes the checkpoint; all ranks wait.
  func saveCheckpoint(rollouts: RolloutStoreSnapshot? = nil, pretrainingCursor: SamplerCursor? = nil) throws {
    let mine = RankState(generator: generator.stateWords, cursor: sampler.cursor, pretrainingCursor: pretrainingCursor)
    let gathered = try group.allGather(mine.packed)
    if group.rank == 0 {
      let ranks = (0..<group.size).map { RankState(packed: gathered[($0 * RankState.packedCount)..<(($0 + 1) * RankState.packedCount)]) }
      var resolved = config
      resolved.model = model.config
      let runJSON = String(decoding: try JSONEncoder().encode(resolved), as: UTF8.self)
      let state = TrainingState(
        step: step, stage: stageName?.stage ?? (config.method == .sft ? "sft" : "distill"),
        method: stageName?.method ?? config.method.rawValue,
        runConfigJSON: runJSON, schedule: config.schedule,
        ranks: ranks, metrics: metrics)
      let path = store.path(step: step)
      try Checkpoint.write(
        to: path, model: model, optimizer: optimizer, state: state, tokenizerJSON: tokenizerJSON, rollouts: rollouts)
      try store.recordMetric(metrics["eval_loss"]?.last ?? metrics["train_loss"]?.last ?? .infinity, for: path)
      store.prune()
    }
    try group.barrier()
  }
}
