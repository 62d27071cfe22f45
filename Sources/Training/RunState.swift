// The state every trainer shares: the student, its optimizer, the data and its sampler, the
// random generator, the step, the metric history and the checkpoint store; loaded fresh or
// from a checkpoint, advanced by one optimizer-step tail, evaluated on one cadence, saved by
// one checkpoint writer. Trainers own a run; none writes another trainer's state.

import Checkpointing
import Collectives
import Datasets
import Foundation
import Kernels
import Model
import Optim
import Randomness
import Tokenizers

/// One training run's state on this rank (a full student replica).
public final class RunState {
  /// The resolved configuration; `model` is the architecture actually trained.
  public private(set) var config: RunConfig
  public let group: any Collective
  public let model: GPT
  let optimizer: AdamW
  /// The instruction examples and their sampler (this rank's share of each epoch).
  let examples: [TokenizedExample]
  var sampler: ShardedSampler
  /// This rank's generator (on-policy samples, PPO shuffles); saved in checkpoints.
  var generator: SeededGenerator
  let padToken: Int32
  let tokenizerJSON: String
  let tokenizerFingerprint: String
  let tokenizerCount: Int
  /// The training examples' fingerprint, recorded in checkpoints and compared on resume.
  let dataFingerprint: String
  /// The template of the data's prompts (recorded in every checkpoint of the run).
  public let promptTemplate: PromptTemplate
  /// Optimizer steps completed.
  public internal(set) var step: Int
  /// Metric name → one value per step (or per evaluation).
  var metrics: [String: [Double]]
  let store: CheckpointStore
  /// What the checkpoint resumed from held besides the weights (nil on a fresh start).
  let resumedRollouts: RolloutStoreSnapshot?
  let resumedPretrainingCursor: SamplerCursor?
  /// The checkpoint this run resumed from and its step (nil on a fresh start).
  let resumedCheckpoint: String?
  let resumedStep: Int
  /// Called on every rank every `evaluationEvery` steps (0: never) and at the last step
  /// (collective); returns metrics logged with an `eval_` prefix. The newest value of
  /// `selectionMetric` becomes the checkpoint metric `best.json` follows (else `eval_loss`,
  /// else the training loss).
  public var evaluate: ((_ step: Int) throws -> [String: Double])?
  public var evaluationEvery = 0
  /// The metric that picks the best checkpoint (`eval_valid_rate`, …), its direction and the
  /// metric that decides ties (lower is better, e.g. `eval_loss`; nil: the earlier checkpoint);
  /// nil: the lowest `eval_loss` (or training loss).
  public var selectionMetric: (name: String, higherIsBetter: Bool, tieBreak: String?)?
  /// Test hook: at this (rank, step), nudge one parameter on that rank only, so the replica
  /// check must catch it.
  public var debugPerturbation: (rank: Int, step: Int)?

  /// Starts fresh or resumes. `resume`: nil = fresh (refused if checkpoints exist), "auto" =
  /// newest valid checkpoint in the run directory (fresh if none), or a checkpoint path. A
  /// resumed checkpoint must come from a run of the same kind (MiniLLM or teacher-forced), the
  /// same number of ranks and the same settings (`RunConfig.resumeMismatch`).
  public init(config: RunConfig, group: any Collective, resume: String?) throws {
    try config.validate()
    self.config = config
    self.group = group
    let tokenizer = try BPETokenizer.load(contentsOf: config.tokenizer)
    tokenizerJSON = tokenizer.jsonText()
    tokenizerFingerprint = tokenizer.fingerprint
    tokenizerCount = tokenizer.count
    guard let pad = tokenizer.specialTokenID("<|endoftext|>") else {
      throw TrainingError("\(config.tokenizer) has no <|endoftext|> token")
    }
    padToken = pad
    examples = try TokenCache.readInstructions(config.data, tokenizerFingerprint: tokenizer.fingerprint)
    guard !examples.isEmpty else { throw TrainingError("\(config.data) holds no examples") }
    guard !examples.isEmpty else { throw TrainingError("\(config.data) holds no examples") }
    try TokenCache.requireIDs(in: examples, below: tokenizer.count, path: config.data)
    dataFingerprint = examples.fingerprint
    promptTemplate = try TokenCache.promptTemplate(ofInstructions: config.data, tokenizerFingerprint: tokenizer.fingerprint)
    store = try CheckpointStore(runDirectory: config.runDirectory, keepLast: config.keepLast)

    var resumePath: String?
    switch resume {
    case nil:
      if !store.existing().isEmpty {
        throw TrainingError("\(store.directory) already has checkpoints; pass --resume auto to continue or use a new run directory")
      }
    case "auto":
      // Rank 0 chooses (every rank then reads that file), so ranks cannot resume from
      // different checkpoints when one of them sees a file the others do not.
      var chosen: [Int64] = [-1]
      if group.rank == 0, let path = try store.newestValid() { chosen[0] = Int64(store.step(of: path) ?? -1) }
      try group.broadcast(&chosen, root: 0)
      resumePath = chosen[0] >= 0 ? store.path(step: Int(chosen[0])) : nil
    case let path?: resumePath = path
    }
    if let resumePath {
      let loaded = try Checkpoint.read(resumePath)
      let stage = loaded.state.stage
      let sameKind = config.method == .minillm ? stage == "minillm" : (stage != "minillm" && stage != "imported")
      guard sameKind else {
        throw TrainingError(
          "\(resumePath) is a checkpoint of stage \(stage), not of this run's \(config.method == .minillm ? "minillm" : "teacher-forced") stage; to start from its weights use --init-from instead of --resume")
      }
      guard loaded.state.ranks.count == group.size else {
        throw TrainingError(
          "\(resumePath) was written by \(loaded.state.ranks.count) rank(s) but this job has \(group.size); resume with mpirun -n \(loaded.state.ranks.count) (data-loader cursors and generators are per rank and are not re-sharded)")
      }
      guard loaded.model.config.vocabSize <= tokenizer.count else {
        throw TrainingError("\(resumePath): model vocabulary \(loaded.model.config.vocabSize) exceeds tokenizer \(config.tokenizer) (\(tokenizer.count))")
      }
      try RunState.requireTemplate(loaded.state.promptTemplate, of: resumePath, matches: promptTemplate, data: config.data)
      try RunState.requireTokenizer(of: loaded, path: resumePath, matches: tokenizerFingerprint, tokenizer: config.tokenizer)
      if let recorded = loaded.state.dataFingerprint, recorded != dataFingerprint {
        throw TrainingError(
          "\(resumePath) was trained on other data than \(config.data) (data fingerprint \(recorded), this cache \(dataFingerprint)); resume with the data it was written with or use a new run directory")
      }
      if let mismatch = config.resumeMismatch(recorded: loaded.state.runConfigJSON) {
        throw TrainingError("\(resumePath) was written by a run with \(mismatch); resume with the same settings or use a new run directory")
      }
      if group.rank == 0 {
        for change in config.resumeChanges(recorded: loaded.state.runConfigJSON) {
          print("note: resuming \(resumePath) with a changed setting: \(change)")
        }
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
      (resumedCheckpoint, resumedStep) = (resumePath, step)
      if group.rank == 0 { print("resumed from \(resumePath) at step \(step)") }
    } else {
      if let initPath = config.initFrom {
        let loaded = try Checkpoint.read(initPath)
        try RunState.requireTemplate(loaded.state.promptTemplate, of: initPath, matches: promptTemplate, data: config.data)
        try RunState.requireTokenizer(of: loaded, path: initPath, matches: tokenizerFingerprint, tokenizer: config.tokenizer)
        model = loaded.model
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
      resumedRollouts = nil
      resumedPretrainingCursor = nil
      (resumedCheckpoint, resumedStep) = (nil, 0)
      try broadcastParameters(model.parameters, over: group)
    }
    self.config.model = model.config
    if let longest = examples.indices.max(by: { examples[$0].full.count < examples[$1].full.count }),
      examples[longest].full.count - 1 > model.config.contextLength
    {
      throw TrainingError(
        "\(config.data): example \(longest) has \(examples[longest].full.count) tokens (prompt + response), more than the model's context of \(model.config.contextLength) + 1; rebuild the cache with `data prepare --max-length \(model.config.contextLength + 1)` or train a model with a longer --context-length")
    }
  }

  /// The teacher checkpoint's model, checked against this run's tokenizer (same fingerprint,
  /// same vocabulary size).
  func loadTeacher() throws -> GPT {
    guard let path = config.teacher else { throw TrainingError("invalid config: teacher is required for --method \(config.method.rawValue)") }
    let loaded = try Checkpoint.read(path)
    try RunState.requireTokenizer(
      of: loaded, path: "teacher " + path, matches: tokenizerFingerprint, tokenizer: config.tokenizer,
      why: "distillation compares distributions token by token")
    try RunState.requireTemplate(loaded.state.promptTemplate, of: "teacher " + path, matches: promptTemplate, data: config.data)
    guard loaded.model.config.vocabSize == tokenizerCount else {
      throw TrainingError("teacher \(path) has a vocabulary of \(loaded.model.config.vocabSize), the tokenizer \(tokenizerCount)")
    }
    return loaded.model
  }

  /// Refuses a checkpoint whose recorded tokenizer encodes differently from this run's (by
  /// fingerprint): the same vocabulary size is not enough, its ids would mean other strings.
  /// A checkpoint without a tokenizer (imported weights) is accepted.
  static func requireTokenizer(
    of loaded: LoadedCheckpoint, path: String, matches fingerprint: String, tokenizer: String,
    why: String = "its token ids would mean other strings"
  ) throws {
    guard let json = loaded.tokenizerJSON else { return }
    let recorded = try BPETokenizer.load(json: Data(json.utf8), path: path).fingerprint
    guard recorded == fingerprint else {
      throw TrainingError(
        "\(path) was trained with another tokenizer than \(tokenizer) (fingerprint \(recorded), this run's \(fingerprint)); \(why)")
    }
  }

  /// Refuses a checkpoint trained on prompts in another template than this run's data: its
  /// model would read every prompt in a format it has never seen.
  public static func requireTemplate(_ recorded: PromptTemplate, of checkpoint: String, matches template: PromptTemplate, data: String) throws {
    guard recorded == template else {
      throw TrainingError(
        "\(checkpoint) was trained on prompts in the \(recorded.rawValue) template, but \(data) holds prompts in the \(template.rawValue) template; rebuild the data with `data prepare --prompt-template \(recorded.rawValue)`")
    }
  }

  /// The optimizer-step tail, the same for every method: clips the (all-reduced) gradients,
  /// refuses non-finite ones naming the tensor, applies AdamW at the schedule's learning rate,
  /// counts the step, records `loss`, the learning rate and the gradient norm, and checks the
  /// replicas on cadence. Nothing is updated when it throws.
  func applyGradients(loss: Double) throws -> (learningRate: Float, gradientNorm: Double) {
    let norm = clipGradients(model.gradients, maxNorm: config.gradientClip)
    guard norm.isFinite else {
      let tensor = ParameterTensor.allCases.first { tensor in model.gradients.buffer(tensor).contains { !$0.isFinite } }
      throw TrainingError(
        "step \(step + 1), rank \(group.rank): gradient of \(tensor?.rawValue ?? "a tensor") is not finite (norm \(norm)); nothing was updated and the last checkpoint is intact")
    }
    let learningRate = config.schedule.learningRate(atStep: step)
    optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: learningRate)
    step += 1
    metrics["train_loss", default: []].append(loss)
    metrics["learning_rate", default: []].append(Double(learningRate))
    metrics["gradient_norm", default: []].append(norm)
    if let perturbation = debugPerturbation, perturbation.rank == group.rank, perturbation.step == step {
      model.parameters.storage[0] += 1e-3
    }
    if config.replicaCheckEvery > 0 && step % config.replicaCheckEvery == 0 {
      try requireIdenticalReplicas(model.parameters, over: group, step: step)
    }
    return (learningRate, norm)
  }

  /// Refuses a non-finite mean loss before anything is updated.
  func requireFinite(loss: Double) throws {
    guard loss.isFinite else {
      throw TrainingError("step \(step + 1), rank \(group.rank): the loss is \(loss); nothing was updated and the last checkpoint is intact")
    }
  }

  /// Runs the evaluation hook when the step is on the cadence or the last one (collective);
  /// records and returns its metrics with the `eval_` prefix (empty when not due).
  func evaluateIfDue() throws -> [String: Double] {
    guard let evaluate, (evaluationEvery > 0 && step % evaluationEvery == 0) || step == config.steps else { return [:] }
    var out: [String: Double] = [:]
    for (name, value) in try evaluate(step) {
      out["eval_" + name] = value
      metrics["eval_" + name, default: []].append(value)
    }
    metrics["eval_step", default: []].append(Double(step))
    return out
  }

  /// Whether a checkpoint is due after this step (cadence, or the last step of this invocation).
  func checkpointDue(target: Int) -> Bool { step % config.checkpointEvery == 0 || step == target }

  /// The metrics log (rank 0 only).
  func openMetricsLog() throws -> MetricsLog? {
    group.rank == 0 ? try MetricsLog(path: config.runDirectory + "/metrics.jsonl") : nil
  }

  /// Gathers every rank's generator and cursors; rank 0 writes the checkpoint with the resolved
  /// configuration; all ranks wait.
  func saveCheckpoint(rollouts: RolloutStoreSnapshot? = nil, pretrainingCursor: SamplerCursor? = nil) throws {
    let mine = RankState(generator: generator.stateWords, cursor: sampler.cursor, pretrainingCursor: pretrainingCursor)
    let gathered = try group.allGather(mine.packed)
    if group.rank == 0 {
      let ranks = (0..<group.size).map { RankState(packed: gathered[($0 * RankState.packedCount)..<(($0 + 1) * RankState.packedCount)]) }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let runJSON = String(decoding: try encoder.encode(config), as: UTF8.self)
      let state = TrainingState(
        step: step, stage: config.stage, method: config.method.rawValue, runConfigJSON: runJSON,
        schedule: config.schedule, ranks: ranks, metrics: metrics, promptTemplate: promptTemplate,
        dataFingerprint: dataFingerprint)
      let path = store.path(step: step)
      try Checkpoint.write(
        to: path, model: model, optimizer: optimizer, state: state, tokenizerJSON: tokenizerJSON, rollouts: rollouts)
      try recordCheckpointMetric(for: path)
      store.prune()
    }
    try group.barrier()
  }

  /// Rank 0: records the metric of the checkpoint at `path`, written at the current step with
  /// the current metrics, in `best.json`.
  func recordCheckpointMetric(for path: String) throws {
    if let selection = selectionMetric {
      // Only an evaluation of this very step can make this checkpoint the best.
      let evaluatedNow = metrics["eval_step"]?.last == Double(step)
      let value = evaluatedNow ? metrics[selection.name]?.last : nil
      let tieBreak = evaluatedNow ? selection.tieBreak.flatMap { metrics[$0]?.last } : nil
      try store.recordMetric(
        value.map { selection.higherIsBetter ? -$0 : $0 } ?? .infinity, tieBreak: tieBreak ?? .infinity, for: path)
    } else {
      try store.recordMetric(metrics["eval_loss"]?.last ?? metrics["train_loss"]?.last ?? .infinity, for: path)
    }
  }

  /// Rank 0, before the first step after a resume: records the resumed checkpoint's metric
  /// again, so a job that died between writing a checkpoint and updating `best.json` still
  /// has that checkpoint take part in the selection. Recording twice changes nothing.
  func recordResumedCheckpoint() throws {
    guard group.rank == 0, let path = resumedCheckpoint, step == resumedStep else { return }
    try recordCheckpointMetric(for: path)
  }
}
