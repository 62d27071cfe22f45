// One MiniLLM optimizer step on a minibatch of the rollout store: the policy-gradient and
// single-step terms (teacher distributions from the group's sharded teacher), the optional
// L_PT term on pretraining blocks, the gradient all-reduce, clipping and AdamW.

import Checkpointing
import Datasets
import Distill
import Foundation
import Kernels
import Model
import Optim

#if canImport(Glibc)
  import Glibc
#endif

extension MiniLLMTrainer {
  /// One optimizer step on the store's sequences `indices` (this rank's part of the global
  /// minibatch); adds the global metric sums of the step to `sums`.
  func update(_ indices: [Int]) throws {
    let group = base.group
    let model = base.model
    let examples = indices.map { TokenizedExample(prompt: store.prompts[$0], response: store.responses[$0]) }
    let batch = SequenceBatch(examples: examples, pad: base.padToken)
    let N = batch.B * batch.T
    var logQOld = [Float](repeating: 0, count: N)
    var weights = [Float](repeating: 0, count: N)
    var advantages = [Double](repeating: 0, count: N)
    for (b, i) in indices.enumerated() {
      let first = store.prompts[i].count - 1  // the position predicting the first response token
      for k in store.responses[i].indices {
        let n = b * batch.T + first + k
        logQOld[n] = store.logQOld[i][k]
        weights[n] = expf(store.logQOld[i][k] - store.logPTilde[i][k])
        advantages[n] = store.advantages[i][k]
      }
    }
    let localTokens = Double(batch.lossMask.reduce(0, +))
    let globalTokens = try group.allReduce(localTokens, op: .sum)
    guard globalTokens > 0 else { throw TrainingError("step \(base.step + 1): the MiniLLM minibatch has no response tokens") }
    let teacherLogProbs = settings.singleStep
      ? try shardedTeacher.memberLogProbabilities(tokens: batch.tokens, B: batch.B, T: batch.T, pad: base.padToken)
      : nil
    model.zeroGradients()
    let logits = model.forward(TokenBatch(B: batch.B, T: batch.T, tokens: batch.tokens))
    let V = model.config.vocabSize
    let Vp = model.config.paddedVocabSize
    let tokens = MiniLLMTokens(
      targets: batch.targets, mask: batch.lossMask, logQOld: logQOld, weights: weights, advantages: advantages)
    let parts = teacherLogProbs.withOptionalPointer { teacher in
      miniLLMLoss(
        dlogits: model.dlogits, logits: logits, teacherLogProbs: teacher, tokens: tokens, settings: settings,
        gradientScale: Float(1 / globalTokens), N: N, V: V, Vp: Vp)
    }
    let diagnostics = responseDiagnostics(logits: logits, mask: batch.lossMask, weights: weights, V: V, Vp: Vp)
    guard parts.policy.lossSum.isFinite, parts.singleStep.lossSum.isFinite else {
      throw TrainingError(
        "step \(base.step + 1), rank \(group.rank): MiniLLM loss is not finite (policy \(parts.policy.lossSum), single-step \(parts.singleStep.lossSum)); nothing was updated and the last checkpoint is intact")
    }
    model.backward()
    let pretrainingLoss = try pretrainingTerm(rows: indices.count)
    try allReduceGradients(model.gradients, over: group)
    let norm = clipGradients(model.gradients, maxNorm: base.config.gradientClip)
    guard norm.isFinite else {
      let tensor = ParameterTensor.allCases.first { model.gradients.buffer($0).contains { !$0.isFinite } }
      throw TrainingError(
        "step \(base.step + 1), rank \(group.rank): gradient of \(tensor?.rawValue ?? "a tensor") is not finite (norm \(norm)); nothing was updated and the last checkpoint is intact")
    }
    let learningRate = base.config.schedule.learningRate(atStep: base.step)
    base.optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: learningRate)
    base.step += 1
    var stepSums = [
      localTokens, parts.policy.lossSum, parts.singleStep.lossSum, Double(parts.clippedTokens), diagnostics.entropy,
      diagnostics.weightSum,
    ]
    try group.allReduce(&stepSums, op: .sum)
    let weightMax = try group.allReduce(diagnostics.weightMax, op: .max)
    sums.updateTokens += stepSums[0]
    sums.policySum += stepSums[1]
    sums.singleStepSum += stepSums[2]
    sums.clippedTokens += stepSums[3]
    sums.entropySum += stepSums[4]
    sums.weightSum += stepSums[5]
    sums.weightMax = max(sums.weightMax, weightMax)
    var loss = (stepSums[1] + stepSums[2]) / stepSums[0]
    if let pretrainingLoss {
      sums.pretrainingLossSum += pretrainingLoss
      sums.pretrainingUpdates += 1
      loss += settings.lambdaPT * pretrainingLoss
      base.metrics["pt_loss", default: []].append(pretrainingLoss)
    }
    base.metrics["train_loss", default: []].append(loss)
    base.metrics["learning_rate", default: []].append(Double(learningRate))
    base.metrics["gradient_norm", default: []].append(norm)
    lastNorm = norm
    lastLearningRate = Double(learningRate)
    if base.config.replicaCheckEvery > 0 && base.step % base.config.replicaCheckEvery == 0 {
      try requireIdenticalReplicas(model.parameters, over: group, step: base.step)
    }
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
    let N = rows * T
    let globalTokens = try base.group.allReduce(Double(N), op: .sum)
    let teacherLogProbs = settings.kdRatio > 0
      ? try shardedTeacher.memberLogProbabilities(tokens: tokens, B: rows, T: T, pad: base.padToken) : nil
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
    return try base.group.allReduce(loss, op: .sum) / globalTokens
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
