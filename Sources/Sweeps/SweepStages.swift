// The sweep's stages: data preparation, the teacher, SeqKD data, teacher-forced training
// stages (SFT, KD, SeqKD, divergences), MiniLLM, and evaluation.

import AtomicFiles
import Checkpointing
import Collectives
import Datasets
import Distill
import Foundation
import Model
import Optim
import Tokenizers
import Training

extension SweepRunner {
  /// Rank 0 writes train/valid JSONL, the tokenizer and the token caches; the others wait.
  func prepareData() throws {
    let marker = dataDirectory + "/done.json"
    if FileManager.default.fileExists(atPath: marker) {
      if world.rank == 0 { log("    done before; skipped") }
      return
    }
    if world.rank == 0 {
      try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
      let source = config.data
      let all = try source.train.map { try InstructionRecord.readJSONL($0) }
        ?? SyntheticTask.generate(count: source.syntheticCount, seed: source.syntheticSeed)
      var (train, validation): ([InstructionRecord], [InstructionRecord])
      if let path = source.validation {
        (train, validation) = (all, try InstructionRecord.readJSONL(path))
      } else {
        guard source.validationCount < all.count else {
          throw SweepError("data.validation_count (\(source.validationCount)) must be below the \(all.count) records")
        }
        (train, validation) = splitTrainValidation(all, validationCount: source.validationCount, seed: config.seed)
      }
      var selection: [InstructionRecord] = []
      if source.selectionCount > 0 {
        guard source.selectionCount < train.count else {
          throw SweepError("data.selection_count (\(source.selectionCount)) must be below the \(train.count) training records")
        }
        (train, selection) = splitTrainValidation(train, validationCount: source.selectionCount, seed: config.seed &+ 1)
        try JSONLWriter.write(selection, to: selectionRecords)
      }
      try JSONLWriter.write(train, to: trainRecords)
      try JSONLWriter.write(validation, to: validationRecords)
      let tokenizer: BPETokenizer
      if let path = source.tokenizer {
        tokenizer = try BPETokenizer.load(contentsOf: path)
      } else {
        tokenizer = try BPETrainer.train(
          texts: train.flatMap { [$0.prompt(source.resolvedPromptTemplate), $0.output] }, vocabularySize: source.vocabSize)
      }
      try tokenizer.save(to: tokenizerPath)
      guard let eos = tokenizer.specialTokenID("<|endoftext|>") else { throw SweepError("the tokenizer has no <|endoftext|>") }
      let tokenized = TokenizedInstructions(
        records: train, template: source.resolvedPromptTemplate, tokenizer: tokenizer, eos: eos,
        maxPromptLength: source.maxPromptLength, maxLength: source.maxLength)
      try TokenCache.write(tokenized, to: trainCache, tokenizerFingerprint: tokenizer.fingerprint, source: trainRecords)
      log("    \(train.count) training records (\(tokenized.examples.count) kept), \(selection.count) for checkpoint selection, \(validation.count) for evaluation, tokenizer of \(tokenizer.count) ids")
      var pretrainFiles = source.pretrain
      if source.train == nil && source.syntheticPretrainCount > 0 {
        let text = SyntheticTask.pretrainingText(documents: source.syntheticPretrainCount, seed: source.syntheticSeed &+ 0x5054)
        try AtomicFile.write(text, to: syntheticPretrainText)
        pretrainFiles.insert(syntheticPretrainText, at: 0)
      }
      if !pretrainFiles.isEmpty {
        let corpus = try PretrainingCorpus(files: pretrainFiles, tokenizer: tokenizer, eos: eos, blockLength: source.resolvedPretrainBlockLength)
        try TokenCache.write(corpus, to: pretrainCache, tokenizerFingerprint: tokenizer.fingerprint, source: pretrainFiles.joined(separator: ","))
        log("    pretraining corpus D_PT: \(corpus.documentCount) documents, \(corpus.count) blocks of \(source.resolvedPretrainBlockLength) tokens (L_PT on)")
      }
      try AtomicFile.write("{}", to: marker)
    }
    // Rank 0 tokenizes alone for as long as the corpora take: no collective timeout here.
    try world.unboundedBarrier()
  }

  /// The teacher's checkpoint: given, or trained with SFT. nil when the step budget ran out.
  func teacherStage() throws -> String? {
    if let given = config.teacher.checkpoint {
      try stage("teacher", "teacher: \(given) (given)") {}
      return given
    }
    let shape = config.teacher.shape
    let teacherConfig = try stageConfig(
      entry: "teacher", method: .sft, shape: shape, directory: runDirectory + "/teacher", data: trainCache, initFrom: nil,
      teacher: nil, stage: teacherForcedOptions(config.teacher.training))
    return try teacherForcedStage("teacher", "teacher: SFT of a \(shape.dModel)-wide, \(shape.nLayer)-layer model", config: teacherConfig)
  }

  /// The teacher samples responses to the training prompts (resumable), then rank 0 writes
  /// their token cache.
  func prepareSeqKD(teacher: String) throws {
    if FileManager.default.fileExists(atPath: seqkdCache) {
      if world.rank == 0 { log("    done before; skipped") }
      return
    }
    let tokenizer = try BPETokenizer.load(contentsOf: tokenizerPath)
    let loaded = try Checkpoint.read(teacher)
    var generation = SeqKDGeneration(
      teacher: loaded.model, tokenizer: tokenizer, records: try InstructionRecord.readJSONL(trainRecords),
      template: loaded.state.promptTemplate, output: seqkdRecords)
    generation.maxPromptLength = config.data.maxPromptLength
    generation.maxNewTokens = config.seqkd.maxNewTokens
    generation.batchSize = 16
    generation.seed = config.seed
    try generation.run(group: world) { line in if self.world.rank == 0 { self.log("    " + line) } }
    if world.rank == 0 {
      let eos = tokenizer.specialTokenID("<|endoftext|>")!
      let tokenized = TokenizedInstructions(
        records: try InstructionRecord.readJSONL(seqkdRecords), template: loaded.state.promptTemplate, tokenizer: tokenizer, eos: eos,
        maxPromptLength: config.data.maxPromptLength, maxLength: config.data.maxLength)
      try TokenCache.write(tokenized, to: seqkdCache + ".tmp", tokenizerFingerprint: tokenizer.fingerprint, source: seqkdRecords)
      guard rename(seqkdCache + ".tmp", seqkdCache) == 0 else { throw SweepError("cannot write \(seqkdCache)") }
    }
    try world.barrier()
  }

  /// Runs a training stage: skipped when done; otherwise `train` builds the trainer and runs it
  /// with the remaining step budget and returns (steps reached, parameter count). Returns the
  /// stage's final checkpoint, or nil when the budget stopped it.
  func trainingStage(
    _ key: String, _ title: String, directory: String, steps: Int, select: Bool = false,
    train: (_ stopAfter: Int?) throws -> (step: Int, start: Int, parameters: Int)
  ) throws -> String? {
    var result: String?
    try stage(key, title) {
      if let done = finishedCheckpoint(directory) {
        if world.rank == 0 { log("    done before; skipped") }
        result = done
        return
      }
      let outcome = try train(remainingSteps)
      stepsTaken += outcome.step - outcome.start
      guard outcome.step >= steps else { return }
      let final = try CheckpointStore(runDirectory: directory).path(step: steps)
      let checkpoint = select ? try selectedCheckpoint(directory: directory, finalStep: steps) : final
      if select && world.rank == 0 { log("    selected \((checkpoint as NSString).lastPathComponent) by the selection split") }
      try writeJSON(["checkpoint": checkpoint, "final": final, "parameters": outcome.parameters], to: directory + "/done.json")
      result = checkpoint
    }
    return try requireDone(key, result ?? finishedCheckpoint(directory))
  }

  /// The train options of a stage: the sweep's paths and the student's shape, the stage's
  /// settings, then the entry's `method_options` over them; resolved through the recipe table.
  func stageConfig(
    entry: String, method: TrainingMethod, shape: ModelShape, directory: String, data: String, initFrom: String?,
    teacher: String?, stage: TrainOptions
  ) throws -> RunConfig {
    var base = stage
    base.method = method
    (base.data, base.tokenizer, base.runDir) = (data, tokenizerPath, directory)
    (base.dModel, base.nLayer, base.nHead, base.contextLength) = (shape.dModel, shape.nLayer, shape.nHead, config.contextLength)
    base.teacher = method.needsTeacher ? teacher : nil
    base.initFrom = initFrom
    base.seed = config.seed
    base.kdRatio = config.kdRatio
    var options = base.overlaid(by: config.methodOptions[entry] ?? TrainOptions())
    options.method = method
    do {
      return try options.resolve()
    } catch let error as TrainingError {
      throw SweepError("stage \(entry) of \(shape.name): \(error.description)")
    }
  }

  /// The resolved configuration a student stage runs with (entry `entry` of `methods` for
  /// student `size`, started from `sftCheckpoint` and distilled from `teacher`), as its
  /// checkpoints record it.
  public func studentStageConfig(size: ModelShape, entry: String, sftCheckpoint: String?, teacher: String?) throws -> RunConfig {
    let method = try config.method(of: entry)
    let directory = studentDirectory(size, entry)
    switch method {
    case .sft:
      return try stageConfig(
        entry: entry, method: .sft, shape: size, directory: directory, data: trainCache, initFrom: nil, teacher: nil,
        stage: teacherForcedOptions(config.sft))
    case .minillm:
      return try stageConfig(
        entry: entry, method: .minillm, shape: size, directory: directory, data: trainCache, initFrom: sftCheckpoint,
        teacher: teacher, stage: miniLLMOptions(config.minillm))
    default:
      var stage = teacherForcedOptions(config.distill)
      if method == .seqkd { (stage.seqkdVariant, stage.maxNewTokens) = (config.seqkd.variant, config.seqkd.maxNewTokens) }
      return try stageConfig(
        entry: entry, method: method, shape: size, directory: directory, data: method == .seqkd ? seqkdCache : trainCache,
        initFrom: sftCheckpoint, teacher: teacher, stage: stage)
    }
  }

  /// The options of a teacher-forced stage's settings: a cosine schedule to a tenth of the
  /// peak, weight decay 0.01, four checkpoints, two kept.
  func teacherForcedOptions(_ settings: StageSettings) -> TrainOptions {
    var o = TrainOptions()
    (o.steps, o.lr, o.warmup, o.batchSize) = (settings.steps, settings.lr, settings.warmup, settings.batchSize)
    (o.schedule, o.minLr, o.weightDecay) = ("cosine", settings.lr / 10, 0.01)
    (o.checkpointEvery, o.keepLast) = (max(1, settings.steps / 4), 2)
    return o
  }

  /// The options of the MiniLLM stage's settings: its schedule (cosine to a tenth of the peak,
  /// or constant), weight decay 1e-6, L_PT on when the sweep has a pretraining corpus.
  func miniLLMOptions(_ settings: SweepConfig.MiniLLM) -> TrainOptions {
    var o = TrainOptions()
    (o.steps, o.lr, o.warmup, o.batchSize) = (settings.steps, settings.lr, settings.warmup, settings.batchSize)
    (o.schedule, o.minLr, o.weightDecay) = (settings.schedule, settings.schedule == "cosine" ? settings.lr / 10 : nil, 1e-6)
    (o.checkpointEvery, o.keepLast) = (max(1, settings.steps / 4), 2)
    (o.rollouts, o.minibatch, o.ppoEpochs, o.alpha) = (settings.rollouts, settings.minibatch, settings.ppoEpochs, settings.alpha)
    (o.teacherShards, o.maxNewTokens, o.lambdaPt) = (settings.teacherShards, settings.maxNewTokens, settings.lambdaPT)
    o.pretrainData = hasPretrainingCorpus ? pretrainCache : nil
    return o
  }

  /// A teacher-forced training stage (resumed exactly when half done). Returns its final
  /// checkpoint, or nil when the step budget stopped it.
  func teacherForcedStage(_ key: String, _ title: String, config trainConfig: RunConfig, selectWith teacher: String? = nil)
    throws -> String?
  {
    let directory = trainConfig.runDirectory
    let select = teacher != nil && selectsCheckpoints
    return try trainingStage(key, title, directory: directory, steps: trainConfig.steps, select: select) { stopAfter in
      let trainer = try TeacherForcedTrainer(config: trainConfig, group: world, resume: "auto")
      try attachSelection(to: trainer.state, student: trainer.student, config: trainConfig, teacher: teacher)
      let total = trainConfig.steps
      let every = max(1, total / 5)
      trainer.progress = { step, loss, _, _ in
        if step % every == 0 || step == total { self.log(String(format: "    step %d/%d  loss %.4f", step, total, loss)) }
      }
      let start = trainer.step
      try trainer.run(stopAfter: stopAfter)
      return (trainer.step, start, trainer.student.layout.effectiveParameterCount)
    }
  }

  /// MiniLLM from the SFT student with the teacher sharded over `teacher_shards` ranks.
  func miniLLMStage(_ key: String, _ title: String, config trainConfig: RunConfig, selectWith teacher: String) throws -> String? {
    let directory = trainConfig.runDirectory
    let shards = trainConfig.miniLLM?.teacherShards ?? 1
    guard world.size % shards == 0 else {
      throw SweepError("stage \(key): teacher_shards (\(shards)) must divide the number of ranks (\(world.size))")
    }
    return try trainingStage(key, title, directory: directory, steps: trainConfig.steps, select: selectsCheckpoints) { stopAfter in
      let trainer = try MiniLLMTrainer(
        config: trainConfig, group: world, teacherGroup: try makeTeacherGroup(shards), resume: "auto")
      try attachSelection(to: trainer.state, student: trainer.student, config: trainConfig, teacher: teacher)
      let total = trainConfig.steps
      trainer.progress = { m in
        self.log(String(format: "    iteration %d  step %d/%d  reverse KL/token %.4f  reward %.4f  length %.1f  %.1f s",
          m.iteration, m.step, total, m.reverseKLPerToken, m.meanReward, m.meanResponseLength, m.seconds))
      }
      let start = trainer.step
      try trainer.run(stopAfter: stopAfter)
      return (trainer.step, start, trainer.student.layout.effectiveParameterCount)
    }
  }

  /// The generation lengths l at which ExAccErr(l) enters the results table.
  static let exposureBiasLengths = [4, 8, 16, 32]

  /// The tokenizer's EOS id.
  func eosToken() throws -> Int32 {
    guard let eos = try BPETokenizer.load(contentsOf: tokenizerPath).specialTokenID("<|endoftext|>") else {
      throw SweepError("\(tokenizerPath) has no <|endoftext|>")
    }
    return eos
  }

  /// Evaluates the teacher and every student (each skipped once its results exist); for each
  /// student also the exposure bias (ExAccErr against the teacher as the oracle).
  func evaluateAll(teacher: String, students: [(size: ModelShape, method: String, path: String)]) throws {
    let tokenizer = try BPETokenizer.load(contentsOf: tokenizerPath)
    let evaluator = try Evaluator(
      records: try InstructionRecord.readJSONL(validationRecords), template: config.data.resolvedPromptTemplate,
      tokenizer: tokenizer,
      maxPromptLength: config.data.maxPromptLength, maxLength: config.contextLength, limit: config.evaluation.prompts,
      group: world)
    let teacherModel = try Checkpoint.read(teacher).model
    let scoring = try ShardedGPT(full: teacherModel, group: try makeTeacherGroup(config.minillm.teacherShards))
    let protocolSettings = evaluationProtocol
    let models = [(name: "teacher", size: "teacher", method: "teacher", path: teacher)]
      + students.map { (name: "\($0.size.name)-\($0.method)", size: $0.size.name, method: $0.method, path: $0.path) }
    for model in models {
      let path = evaluationPath(model.name)
      if FileManager.default.fileExists(atPath: path) { continue }
      let started = Date()
      let loaded = model.name == "teacher" ? teacherModel : try Checkpoint.read(model.path).model
      var result = try evaluator.evaluate(model: loaded, teacher: scoring, protocol: protocolSettings)
      var exposure: [String: Any] = [:]
      if model.name != "teacher" && config.evaluation.exposureBiasPrompts > 0 {
        let measured = try ExposureBias.measure(
          student: loaded, oracle: teacherModel, prompts: Array(evaluator.promptTokens.prefix(config.evaluation.exposureBiasPrompts)),
          maxNewTokens: config.evaluation.maxNewTokens, eos: try eosToken(), seed: protocolSettings.seeds[0], group: world)
        let curve = (1...config.evaluation.maxNewTokens).map { measured.exAccErr(length: $0) ?? .nan }
        for l in Self.exposureBiasLengths where l <= curve.count && curve[l - 1].isFinite {
          // The spread is a bootstrap over the prompts (one response each), not over seeds.
          (result.mean["exaccerr_\(l)"], result.standardDeviation["exaccerr_\(l)"]) =
            (curve[l - 1], measured.exAccErrSpread(length: l, seed: protocolSettings.seeds[0]) ?? 0)
        }
        let (r, epsilon) = measured.accumulated
        exposure = ["exaccerr": curve.map { $0.isFinite ? $0 as Any : NSNull() }, "r": r, "epsilon": epsilon,
          "responses_reaching_step": measured.studentPrefixCount]
      }
      if world.rank == 0 {
        log("    \(model.name): " + String(format: "Rouge-L %.2f", result.mean["rouge_l"] ?? 0)
          + (result.mean["valid_rate"].map { String(format: ", valid %.1f%%", $0) } ?? "")
          + String(format: ", loss %.3f, reverse KL %.3f  (%.1f s)", result.mean["loss"] ?? 0, result.mean["reverse_kl"] ?? 0, Date().timeIntervalSince(started)))
      }
      try writeJSON(
        [
          "name": model.name, "size": model.size, "method": model.method, "checkpoint": model.path,
          "parameters": loaded.layout.effectiveParameterCount, "mean": result.mean, "std": result.standardDeviation,
          "seeds": protocolSettings.seeds.map { Int($0) }, "prompts": evaluator.records.count,
          "exposure_bias": exposure,
        ], to: path)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
