// One step of the ranking method (the MiniLLM paper's Alternative #2) in the teacher-forced
// trainer: K samples per prompt from the student, ranked by the teacher, then the margin loss
// and CE on the best as weighted per-token cross-entropy.

import Datasets
import Distill
import Foundation
import Generation
import Kernels
import Model

extension TeacherForcedTrainer {
  /// Samples `settings.samples` responses per prompt from the current student (temperature 1,
  /// this rank's generator), scores them with the teacher and the student, and writes the
  /// ranking loss's logits gradient (scaled by 1 / prompts of the global batch) into the
  /// student. Returns this rank's loss sum and the global number of prompts.
  func rankingForwardBackward(prompts chosen: [TokenizedExample], settings: RankingLossSettings) throws
    -> (lossSum: Double, globalWeight: Double, tokens: Double)
  {
    let model = state.model
    let K = settings.samples
    let longest = chosen.map(\.prompt.count).max() ?? 0
    guard model.config.contextLength - longest >= 1 else {
      throw TrainingError("step \(state.step + 1), rank \(state.group.rank): a prompt of \(longest) tokens leaves no room to sample in context \(model.config.contextLength) (--method ranking)")
    }
    let repeated = chosen.flatMap { Array(repeating: $0, count: K) }
    let samples = try studentResponses(to: repeated)
    let batch = SequenceBatch(examples: samples, pad: state.padToken)
    let tokens = TokenBatch(B: batch.B, T: batch.T, tokens: batch.tokens)
    let globalPrompts = try state.group.allReduce(Double(chosen.count), op: .sum)
    let V = model.config.vocabSize
    // Mean log-probability per response token of each sequence, (B) — under a model's logits.
    func meanLogProbabilities(_ logits: UnsafePointer<Float>, Vp: Int) -> [Double] {
      (0..<batch.B).map { b in
        var (sum, count) = (0.0, 0.0)
        for t in 0..<batch.T where batch.lossMask[b * batch.T + t] != 0 {
          let row = logits + (b * batch.T + t) * Vp
          sum += Double(row[Int(batch.targets[b * batch.T + t])] - logSumExp(row, V: V))
          count += 1
        }
        return count > 0 ? sum / count : 0
      }
    }
    let teacherModel = teacher!
    let teacherScores = meanLogProbabilities(teacherModel.forward(tokens), Vp: teacherModel.config.paddedVocabSize)
    let logits = model.forward(tokens)
    let studentScores = meanLogProbabilities(logits, Vp: model.config.paddedVocabSize)
    let ranked = rankingLossWeights(
      teacherScores: teacherScores, studentScores: studentScores, settings: settings,
      identical: { samples[$0].response == samples[$1].response })
    // Per-token weights: a sequence's weight spread over its response tokens (mean CE).
    var weights = [Float](repeating: 0, count: batch.B * batch.T)
    for b in 0..<batch.B where ranked.weights[b] != 0 {
      let length = Float((0..<batch.T).filter { batch.lossMask[b * batch.T + $0] != 0 }.count)
      for t in 0..<batch.T where batch.lossMask[b * batch.T + t] != 0 {
        weights[b * batch.T + t] = Float(ranked.weights[b]) / length
      }
    }
    _ = weights.withUnsafeBufferPointer { w in
      crossEntropyForwardBackward(
        dlogits: model.dlogits, logits: logits, targets: batch.targets, mask: w.baseAddress,
        gradientScale: Float(1 / globalPrompts), N: batch.B * batch.T, V: V, Vp: model.config.paddedVocabSize)
    }
    let responseTokens = try state.group.allReduce(Double(batch.lossMask.reduce(0, +)), op: .sum)
    return (ranked.loss, globalPrompts, responseTokens)
  }
}
