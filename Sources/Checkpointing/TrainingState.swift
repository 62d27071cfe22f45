// Everything a checkpoint holds besides the weights: what a resumed run needs to continue
// exactly where it stopped.

import Datasets
import Model
import Optim

/// Per-rank state: the random generator and the data-loader cursor of one rank.
public struct RankState: Sendable, Equatable {
  /// `SeededGenerator.stateWords`.
  public var generator: [UInt64]
  public var cursor: SamplerCursor
  /// The cursor of the pretraining-corpus sampler (MiniLLM's L_PT term), when there is one.
  public var pretrainingCursor: SamplerCursor?

  public init(generator: [UInt64], cursor: SamplerCursor, pretrainingCursor: SamplerCursor? = nil) {
    self.generator = generator
    self.cursor = cursor
    self.pretrainingCursor = pretrainingCursor
  }

  /// Flattened for collectives: 4 generator words, epoch, position, then the pretraining
  /// cursor's epoch and position (−1, −1 when absent).
  public var packed: [Int64] {
    generator.map { Int64(bitPattern: $0) } + [Int64(cursor.epoch), Int64(cursor.position)]
      + [Int64(pretrainingCursor?.epoch ?? -1), Int64(pretrainingCursor?.position ?? -1)]
  }
  public static let packedCount = 8
  public init(packed: ArraySlice<Int64>) {
    let values = Array(packed)
    generator = values[0..<4].map { UInt64(bitPattern: $0) }
    cursor = SamplerCursor(epoch: Int(values[4]), position: Int(values[5]))
    pretrainingCursor = values[6] < 0 ? nil : SamplerCursor(epoch: Int(values[6]), position: Int(values[7]))
  }
}

/// The non-weight contents of a checkpoint.
public struct TrainingState: Sendable {
  /// Optimizer steps completed.
  public var step: Int
  /// The training stage (for example "sft", "minillm") and method.
  public var stage: String
  public var method: String
  /// The resolved run configuration, as JSON text.
  public var runConfigJSON: String
  /// The learning-rate schedule (its position is `step`).
  public var schedule: LearningRateSchedule
  /// One entry per rank, in rank order.
  public var ranks: [RankState]
  /// Metric name → one value per logged step (for example "train_loss").
  public var metrics: [String: [Double]]
  /// The prompt template of the data the model was trained on; evaluation and SeqKD build the
  /// model's prompts with it.
  public var promptTemplate: PromptTemplate
  /// `[TokenizedExample].fingerprint` of the training data (nil when not recorded: imported
  /// models and checkpoints written before it existed).
  public var dataFingerprint: String?

  public init(
    step: Int, stage: String, method: String, runConfigJSON: String, schedule: LearningRateSchedule,
    ranks: [RankState], metrics: [String: [Double]], promptTemplate: PromptTemplate, dataFingerprint: String? = nil
  ) {
    self.promptTemplate = promptTemplate
    self.dataFingerprint = dataFingerprint
    self.step = step
    self.stage = stage
    self.method = method
    self.runConfigJSON = runConfigJSON
    self.schedule = schedule
    self.ranks = ranks
    self.metrics = metrics
  }
}
