// Teacher-forced training (SFT, KD, SeqKD, token-level divergences to a teacher, GKD's
// on-policy mixing), data-parallel over a Collective, with exact resume from checkpoints.

import Collectives
import Datasets
import Distill
import Foundation
import Generation
import Kernels
import Model
import Randomness

/// Runs a teacher-forced method: each rank reads its share of the data, the loss is the mean
/// over all response tokens of the global batch (for KD and the divergences, against a teacher
/// every rank holds), gradients are summed across ranks, rank 0 writes checkpoints.
/// With the same world size and seed a run is reproducible bit for bit, also across a resume.
public final class TeacherForcedTrainer {
  /// The run's shared state (student, optimizer, data, step, metrics, checkpoints).
  public let state: RunState
  /// The teacher (full model on every rank) for every objective but plain cross-entropy.
  let teacher: GPT?
  /// Called on rank 0 after each step with the step, loss, learning rate and tokens (all ranks).
  public var progress: ((_ step: Int, _ loss: Double, _ learningRate: Float, _ tokens: Double) -> Void)?

  public var config: RunConfig { state.config }
  public var step: Int { state.step }
  /// The student being trained.
  public var student: GPT { state.model }
  /// The teacher wrapped for teacher-scored evaluation on this rank alone (nil without one).
  public private(set) lazy var scoringTeacher: ShardedGPT? = teacher.flatMap { try? ShardedGPT(full: $0, group: SingleProcessCollective()) }

  /// Starts fresh or resumes (see `RunState.init`). `config.method` must be teacher-forced.
  public init(config: RunConfig, group: any Collective, resume: String?) throws {
    guard config.method.isTeacherForced else {
      throw TrainingError("--method \(config.method.rawValue) is not a teacher-forced method; use MiniLLMTrainer")
    }
    state = try RunState(config: config, group: group, resume: resume)
    teacher = config.objective != .crossEntropy || config.onPolicyFraction > 0 ? try state.loadTeacher() : nil
  }

  /// Trains until `config.steps`, or `stopAfter` more steps (then checkpoints and returns).
  public func run(stopAfter: Int? = nil) throws {
    let group = state.group
    let model = state.model
    let target = min(config.steps, stopAfter.map { state.step + $0 } ?? config.steps)
    let metricsLog = try state.openMetricsLog()
    try state.recordResumedCheckpoint()
    while state.step < target {
      let stepStart = Date()
      var chosen = state.sampler.next(config.batchSize).map { state.examples[$0] }
      if config.onPolicyFraction > 0 && onPolicyCoin(state.step) < config.onPolicyFraction {
        chosen = try studentResponses(to: chosen)
      }
      model.zeroGradients()
      let (lossSum, globalWeight, globalTokens): (Double, Double, Double)
      if let settings = config.ranking {
        (lossSum, globalWeight, globalTokens) = try rankingForwardBackward(prompts: chosen, settings: settings)
        try backwardAndReduceGradients()
      } else {
        (lossSum, globalWeight, globalTokens) = try teacherForcedForwardBackward(chosen)
      }
      let meanLoss = try group.allReduce(lossSum, op: .sum) / globalWeight
      try state.requireFinite(loss: meanLoss)
      let update = try state.applyGradients(loss: meanLoss)
      var record: [String: Any] = [
        "step": state.step, "loss": meanLoss, "learning_rate": Double(update.learningRate),
        "gradient_norm": update.gradientNorm, "tokens": Int(globalTokens), "seconds": Date().timeIntervalSince(stepStart),
      ]
      for (name, value) in try state.evaluateIfDue() { record[name] = value }
      if group.rank == 0 {
        progress?(state.step, meanLoss, update.learningRate, globalTokens)
        try metricsLog?.append(record)
      }
      if state.checkpointDue(target: target) { try state.saveCheckpoint() }
    }
  }

  /// Backpropagates the dlogits in the student and sums the gradients over the ranks (during
  /// the backward pass when `overlapGradientReduction` is on).
  func backwardAndReduceGradients() throws {
    let group = state.group
    let model = state.model
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
  }

  /// The teacher-forced step's forward and backward: the objective's loss as the mean over
  /// every response token of the global batch, its gradient accumulated in the student and
  /// summed over the ranks. This rank's examples run as micro-batches of similar length
  /// (`LengthGroups`), each padded to its own longest sequence; the gradient is the whole
  /// batch's up to the order of floating-point sums. Returns this rank's loss sum, the global
  /// token count (the divisor) and the same count as tokens.
  func teacherForcedForwardBackward(_ chosen: [TokenizedExample]) throws -> (lossSum: Double, globalWeight: Double, tokens: Double) {
    let groups = LengthGroups.split(
      lengths: chosen.map { $0.full.count - 1 }, overheadPerGroup: Self.microBatchOverheadPositions)
    let batches = groups.map { group in SequenceBatch(examples: group.map { chosen[$0] }, pad: state.padToken) }
    let localWeight = batches.reduce(0.0) { $0 + Double($1.lossMask.reduce(0, +)) }
    let globalWeight = try state.group.allReduce(localWeight, op: .sum)
    guard globalWeight > 0 else { throw TrainingError("step \(state.step): the global batch has no response tokens") }
    var lossSum = 0.0
    for (index, batch) in batches.enumerated() {
      let tokens = TokenBatch(B: batch.B, T: batch.T, tokens: batch.tokens)
      let teacherLogProbs = teacher.map { teacher in
        logProbabilities(
          logits: teacher.forward(tokens), N: tokens.B * tokens.T, V: teacher.config.vocabSize,
          Vp: teacher.config.paddedVocabSize, temperature: config.temperature)
      }
      let logits = state.model.forward(tokens)
      lossSum += objective(batch: batch, logits: logits, teacherLogProbs: teacherLogProbs, scale: Float(1 / globalWeight)).lossSum
      if index == batches.count - 1 { try backwardAndReduceGradients() } else { state.model.backward() }
    }
    return (lossSum, globalWeight, globalWeight)
  }

  /// The cost of one more micro-batch, in padded positions: the per-call overheads of the
  /// small matrices. A chosen value (two rows of a short sequence), not tuned; the speed-up it
  /// gives is measured in docs/benchmarks.md ("Length-grouped micro-batches").
  static let microBatchOverheadPositions = 32

  /// The same uniform draw on every rank for a step (seeded by the run's seed and the step).
  func onPolicyCoin(_ step: Int) -> Double {
    var coin = SeededGenerator(seed: config.seed, key: UInt64(step))
    return coin.nextUniformDouble()
  }

  /// The examples' prompts with responses sampled from the current student (temperature 1,
  /// ending at EOS or the length limit), drawn with this rank's generator (saved in checkpoints).
  func studentResponses(to chosen: [TokenizedExample]) throws -> [TokenizedExample] {
    let model = state.model
    let capacity = model.config.contextLength
    let longest = chosen.map(\.prompt.count).max() ?? 0
    let room = min(config.maxNewTokens, capacity - longest)
    guard room >= 1 else { return chosen }
    let decoder = Generator(model: model, batchSize: chosen.count, capacity: longest + room)
    let output = try decoder.generate(
      prompts: chosen.map(\.prompt), config: SamplingConfig(eosToken: state.padToken, maxNewTokens: room),
      random: &state.generator)
    return zip(chosen, output.tokens).map { TokenizedExample(prompt: $0.prompt, response: $1) }
  }

  /// The objective's loss sum over the batch; writes dlogits into the model.
  func objective(batch: SequenceBatch, logits: UnsafeMutablePointer<Float>, teacherLogProbs: [Float]?, scale: Float)
    -> MaskedLoss
  {
    let model = state.model
    let N = batch.B * batch.T
    let V = model.config.vocabSize
    let Vp = model.config.paddedVocabSize
    switch config.objective {
    case .crossEntropy:
      return crossEntropyForwardBackward(
        dlogits: model.dlogits, logits: logits, targets: batch.targets, mask: batch.lossMask,
        gradientScale: scale, N: N, V: V, Vp: Vp)
    case .kdMix:
      let parts = knowledgeDistillationLoss(
        kdRatio: config.kdRatio, dlogits: model.dlogits, studentLogits: logits, targets: batch.targets,
        teacherLogProbs: teacherLogProbs!, teacherStride: V, mask: batch.lossMask, gradientScale: scale,
        temperature: config.temperature, N: N, V: V, Vp: Vp)
      return MaskedLoss(
        lossSum: (1 - config.kdRatio) * parts.crossEntropy.lossSum + config.kdRatio * parts.forwardKL.lossSum,
        weightSum: parts.crossEntropy.weightSum)
    case .ranking:
      preconditionFailure("the ranking objective runs in rankingForwardBackward")
    case .divergence:
      return divergenceLoss(
        config.divergence!, dlogits: model.dlogits, studentLogits: logits, teacherLogProbs: teacherLogProbs!,
        teacherStride: V, mask: batch.lossMask, gradientScale: scale, temperature: config.temperature,
        N: N, V: V, Vp: Vp)
    }
  }
}
