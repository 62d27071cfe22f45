// Checkpoint selection in a sweep: every student stage is evaluated on the selection split
// (held out of the training records, disjoint from the evaluation set) at each checkpoint, with
// one seed of the final protocol's sampling and the teacher's scoring, and the stage's result
// is its best checkpoint by the selection metric, the same rule for every method.

import Checkpointing
import Datasets
import Foundation
import Model
import Tokenizers
import Training

/// What the selection evaluations share within one sweep run.
final class SelectionContext {
  let evaluator: Evaluator
  let teacher: ShardedGPT
  let settings: EvaluationProtocol
  /// `valid_rate` on the synthetic task, else `rouge_l` (higher is better for both).
  let metric: String

  init(evaluator: Evaluator, teacher: ShardedGPT, settings: EvaluationProtocol) {
    self.evaluator = evaluator
    self.teacher = teacher
    self.settings = settings
    metric = evaluator.isSyntheticTask ? "valid_rate" : "rouge_l"
  }
}

extension SweepRunner {
  var selectionRecords: String { dataDirectory + "/selection.jsonl" }

  /// Whether student stages pick their best checkpoint (a selection split exists).
  var selectsCheckpoints: Bool { config.data.selectionCount > 0 }

  /// The final evaluation's protocol (sampling settings, seeds, greedy pass).
  var evaluationProtocol: EvaluationProtocol {
    var settings = EvaluationProtocol.paper(maxNewTokens: config.evaluation.maxNewTokens)
    settings.seeds = config.evaluation.seeds
    settings.sampling.noRepeatNgramSize = config.evaluation.noRepeatNgramSize
    settings.sampling.noRepeatSeesPrompt = config.evaluation.noRepeatSeesPrompt
    settings.greedyPass = config.evaluation.greedy
    return settings
  }

  /// The selection evaluator, scorer and protocol (built on first use; collective).
  func selectionContext(teacher: String) throws -> SelectionContext {
    if let selection { return selection }
    let tokenizer = try BPETokenizer.load(contentsOf: tokenizerPath)
    let evaluator = try Evaluator(
      records: try InstructionRecord.readJSONL(selectionRecords), template: config.data.resolvedPromptTemplate,
      tokenizer: tokenizer,
      maxPromptLength: config.data.maxPromptLength, maxLength: config.contextLength,
      limit: config.evaluation.selectionPrompts, group: world)
    let scoring = try ShardedGPT(full: try Checkpoint.read(teacher).model, group: try makeTeacherGroup(config.minillm.teacherShards))
    var settings = evaluationProtocol
    (settings.seeds, settings.greedyPass) = ([config.evaluation.selectionSeed], false)
    let context = SelectionContext(evaluator: evaluator, teacher: scoring, settings: settings)
    selection = context
    return context
  }

  /// Makes `state` evaluate `student` on the selection split at every checkpoint and keep the
  /// best checkpoint by the selection metric (no-op without a selection split).
  func attachSelection(to state: RunState, student: GPT, config trainConfig: RunConfig, teacher: String?) throws {
    guard selectsCheckpoints, let teacher else { return }
    let context = try selectionContext(teacher: teacher)
    state.evaluationEvery = trainConfig.checkpointEvery
    // Ties (frequent when few selection prompts are valid) go to the lower loss on the
    // selection split's references, not to the earliest checkpoint.
    state.selectionMetric = ("eval_" + context.metric, true, "eval_loss")
    state.evaluate = { _ in
      // The headline metrics only (checkpoints store each as a dataset named after it).
      try context.evaluator.evaluate(model: student, teacher: context.teacher, protocol: context.settings).mean
        .filter { !$0.key.contains("/") }
    }
  }

  /// The checkpoint a finished stage contributes: its best by the selection metric when
  /// checkpoints are selected, else its final one.
  func selectedCheckpoint(directory: String, finalStep: Int) throws -> String {
    let store = try CheckpointStore(runDirectory: directory)
    if selectsCheckpoints, let best = store.best, FileManager.default.fileExists(atPath: best) { return best }
    return store.path(step: finalStep)
  }
}
