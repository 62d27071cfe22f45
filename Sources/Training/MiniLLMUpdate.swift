// One MiniLLM optimizer step on a minibatch of the rollout store: the policy-gradient and
// single-step terms (teacher distributions from the group's sharded teacher), the optional
// L_PT term on pretraining blocks, the gradient all-reduce and the run's optimizer-step tail.

import Datasets
import Distill
import Foundation
import Kernels
import Model
import Rollouts

#if canImport(Glibc)
  import Glibc
#endif

extension MiniLLMTrainer {
  /// One optimizer step on the store's sequences `indices` (this rank's part of the global
  /// minibatch); adds the global metric sums of the step to `sums`. The sequences run as
  /// micro-batches of similar length (`LengthGroups`), each padded to its own longest sequence;
  /// every rank runs the same number of them (the teacher is scored collectively per
  /// micro-batch), and the gradient is the whole minibatch's up to the order of sums.
  func update(_ indices: [Int]) throws {
    let group = state.group
    let model = state.model
    let lengths = indices.map { store.rollouts[$0].prompt.count + store.rollouts[$0].response.count - 1 }
    let preferred = LengthGroups.split(
      lengths: lengths, overheadPerGroup: TeacherForcedTrainer.microBatchOverheadPositions, maximumGroups: maximumMicroBatches
    ).count
    let agreed = Int(try group.allReduce(Int64(preferred), op: .max))
    let microBatches = LengthGroups.split(lengths: lengths, exactly: min(agreed, indices.count)).map { part in
      store.minibatch(part.map { indices[$0] }, pad: state.padToken)
    }
    microBatchesInLastUpdate = microBatches.count
    let localTokens = microBatches.reduce(0.0) { $0 + Double($1.batch.lossMask.reduce(0, +)) }
    let globalTokens = try group.allReduce(localTokens, op: .sum)
    guard globalTokens > 0 else { throw TrainingError("step \(state.step + 1): the MiniLLM minibatch has no response tokens") }
    let V = model.config.vocabSize
    let Vp = model.config.paddedVocabSize
    var local = MiniLLMStepSums(tokens: localTokens, policy: 0, singleStep: 0, clippedTokens: 0, entropy: 0, weightSum: 0)
    var localWeightMax = 0.0
    model.zeroGradients()
    for (batch, tokens) in microBatches {
      let N = batch.B * batch.T
      let teacherLogProbs = settings.singleStep
        ? try shardedTeacher.memberLogProbabilities(tokens: batch.tokens, B: batch.B, T: batch.T, pad: state.padToken)
        : nil
      let logits = model.forward(TokenBatch(B: batch.B, T: batch.T, tokens: batch.tokens))
      let parts = teacherLogProbs.withOptionalPointer { teacher in
        miniLLMLoss(
          dlogits: model.dlogits, logits: logits, teacherLogProbs: teacher, tokens: tokens, settings: settings,
          gradientScale: Float(1 / globalTokens), N: N, V: V, Vp: Vp)
      }
      let diagnostics = responseDiagnostics(logits: logits, mask: batch.lossMask, weights: tokens.weights, V: V, Vp: Vp)
      guard parts.policy.lossSum.isFinite, parts.singleStep.lossSum.isFinite else {
        throw TrainingError(
          "step \(state.step + 1), rank \(group.rank): MiniLLM loss is not finite (policy \(parts.policy.lossSum), single-step \(parts.singleStep.lossSum)); nothing was updated and the last checkpoint is intact")
      }
      local.policy += parts.policy.lossSum
      local.singleStep += parts.singleStep.lossSum
      local.clippedTokens += Double(parts.clippedTokens)
      local.entropy += diagnostics.entropy
      local.weightSum += diagnostics.weightSum
      localWeightMax = max(localWeightMax, diagnostics.weightMax)
      model.backward()
    }
    let pretrainingLoss = try pretrainingTerm(rows: indices.count)
    try allReduceGradients(model.gradients, over: group)
    var reducible = local.reducible
    try group.allReduce(&reducible, op: .sum)
    let step = MiniLLMStepSums(reduced: reducible)
    let weightMax = try group.allReduce(localWeightMax, op: .max)
    var loss = (step.policy + step.singleStep) / step.tokens
    if let pretrainingLoss { loss += settings.lambdaPT * pretrainingLoss }
    let update = try state.applyGradients(loss: loss)
    sums.updateTokens += step.tokens
    sums.policySum += step.policy
    sums.singleStepSum += step.singleStep
    sums.clippedTokens += step.clippedTokens
    sums.entropySum += step.entropy
    sums.weightSum += step.weightSum
    sums.weightMax = max(sums.weightMax, weightMax)
    if let pretrainingLoss {
      sums.pretrainingLossSum += pretrainingLoss
      sums.pretrainingUpdates += 1
      state.metrics["pt_loss", default: []].append(pretrainingLoss)
    }
    lastNorm = update.gradientNorm
    lastLearningRate = Double(update.learningRate)
  }

  /// The student's entropy (nats) summed over response positions, and the importance weights'
  /// sum and largest value there.
  func responseDiagnostics(logits: UnsafePointer<Float>, mask: [Float], weights: [Float], V: Int, Vp: Int) -> (
    entropy: Double, weightSum: Double, weightMax: Double
  ) {
    var entropy = 0.0
    var weightSum = 0.0
    var weightMax = 0.0
    for n in mask.indices where mask[n] != 0 {
      let row = logits + n * Vp
      let lse = logSumExp(row, V: V)
      var expected: Float = 0
      for i in 0..<V { expected += expf(row[i] - lse) * row[i] }
      entropy += Double(lse - expected)
      weightSum += Double(weights[n])
      weightMax = max(weightMax, Double(weights[n]))
    }
    return (entropy, weightSum, weightMax)
  }

  /// L_PT on `rows` D_PT blocks: λ_PT · [(1 − kd_ratio)·CE + kd_ratio·KL(p ‖ q)], mean per
  /// token over all ranks, accumulated into the gradients (the teacher's distributions from
  /// the group's sharded teacher). Returns its global mean, or nil when the term is off.
  func pretrainingTerm(rows: Int) throws -> Double? {
    guard let pretraining, var sampler = pretrainingSampler else { return nil }
    let model = state.model
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
    let N = rows * T
    let globalTokens = try state.group.allReduce(Double(N), op: .sum)
    let teacherLogProbs = settings.kdRatio > 0
      ? try shardedTeacher.memberLogProbabilities(tokens: tokens, B: rows, T: T, pad: state.padToken) : nil
    let logits = model.forward(TokenBatch(B: rows, T: T, tokens: tokens))
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
    return try state.group.allReduce(loss, op: .sum) / globalTokens
  }
}

extension Optional where Wrapped == [Float] {
  /// Calls `body` with a pointer to the array's elements, or nil.
  func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
    switch self {
    case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
    case .none: return body(nil)
    }
  }
}
