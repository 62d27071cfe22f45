// Both trainers end to end on a tiny generated task in one process: checkpoints record the
// resolved run, a stopped run resumes bit for bit (MiniLLM also mid-iteration), and a resume
// with a changed setting is refused naming it.

import Checkpointing
import Collectives
import Datasets
import Foundation
import TestSupport
import Tokenizers
import Training
import XCTest

final class TrainerTests: XCTestCase {
  var directory = ""
  var cache = ""
  var tokenizer = ""

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainer-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let records = SyntheticTask.generate(count: 48, seed: 3)
    let bpe = try BPETrainer.train(texts: records.flatMap { [$0.prompt(.alpaca), $0.output] }, vocabularySize: 512)
    tokenizer = directory + "/tok.json"
    try bpe.save(to: tokenizer)
    let tokenized = TokenizedInstructions(
      records: records, template: .alpaca, tokenizer: bpe, eos: bpe.specialTokenID("<|endoftext|>")!, maxPromptLength: 96, maxLength: 128)
    cache = directory + "/train.h5"
    try TokenCache.write(tokenized, to: cache, tokenizerFingerprint: bpe.fingerprint, source: "test")
  }

  override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

  func options(_ method: TrainingMethod, run: String, steps: Int) -> TrainOptions {
    var o = TrainOptions()
    (o.method, o.data, o.tokenizer, o.runDir) = (method, cache, tokenizer, directory + "/" + run)
    (o.steps, o.batchSize, o.dModel, o.nLayer, o.nHead, o.contextLength) = (steps, 4, 16, 1, 2, 128)
    (o.lr, o.warmup, o.checkpointEvery) = (3e-3, 1, 100)
    return o
  }

  /// The checkpoint's weights, copied while the model that owns them is alive.
  func parameters(_ path: String) throws -> [Float] {
    let loaded = try Checkpoint.read(path)
    return withExtendedLifetime(loaded) { Array(loaded.model.parameters.storage) }
  }

  func testTeacherForcedRunRecordsItsConfigAndResumesExactly() throws {
    let config = try options(.sft, run: "straight", steps: 6).resolve()
    try TeacherForcedTrainer(config: config, group: SingleProcessCollective(), resume: nil).run()
    let stopped = try options(.sft, run: "stopped", steps: 6).resolve()
    try TeacherForcedTrainer(config: stopped, group: SingleProcessCollective(), resume: nil).run(stopAfter: 3)
    XCTAssertFalse(FileManager.default.fileExists(atPath: stopped.runDirectory + "/checkpoints/step-00000006.h5"))
    try TeacherForcedTrainer(config: stopped, group: SingleProcessCollective(), resume: "auto").run()
    let final = directory + "/straight/checkpoints/step-00000006.h5"
    XCTAssertTrue(try parameters(final) == parameters(directory + "/stopped/checkpoints/step-00000006.h5"), "the resumed run differs from the straight one")
    let recorded = try JSONDecoder().decode(RunConfig.self, from: Data(try Checkpoint.read(final).state.runConfigJSON.utf8))
    XCTAssertEqual(recorded.method, .sft)
    XCTAssertEqual(recorded.steps, 6)
    XCTAssertEqual(recorded.model.dModel, 16)
    XCTAssertEqual(recorded.model.vocabSize, try BPETokenizer.load(contentsOf: tokenizer).count)
    // A resume with another batch size is refused, naming it.
    var other = options(.sft, run: "stopped", steps: 8)
    other.batchSize = 2
    XCTAssertThrowsError(try TeacherForcedTrainer(config: try other.resolve(), group: SingleProcessCollective(), resume: "auto")) {
      XCTAssertTrue("\($0)".contains("batch_size"), "\($0)")
    }
  }

  /// A job that died after writing a checkpoint but before updating `best.json` (here: the file
  /// removed) has that checkpoint recorded again when it resumes, before any new step.
  func testAResumedCheckpointMissingFromBestJSONIsRecordedAgain() throws {
    let config = try options(.sft, run: "crashed", steps: 6).resolve()
    try TeacherForcedTrainer(config: config, group: SingleProcessCollective(), resume: nil).run(stopAfter: 3)
    let checkpoints = config.runDirectory + "/checkpoints"
    let written = checkpoints + "/step-00000003.h5"
    XCTAssertTrue(FileManager.default.fileExists(atPath: written))
    try FileManager.default.removeItem(atPath: checkpoints + "/best.json")
    XCTAssertNil(try CheckpointStore(runDirectory: config.runDirectory).best)
    try TeacherForcedTrainer(config: config, group: SingleProcessCollective(), resume: "auto").run(stopAfter: 0)
    XCTAssertEqual(try CheckpointStore(runDirectory: config.runDirectory).best, written)
  }

  func testThePromptTemplateTravelsFromTheCacheIntoCheckpointsAndMismatchesAreRefused() throws {
    // A cache in the compact template: its prompts are the alpaca ones less the opening sentence.
    let records = SyntheticTask.generate(count: 48, seed: 3)
    let bpe = try BPETokenizer.load(contentsOf: tokenizer)
    let eos = bpe.specialTokenID("<|endoftext|>")!
    let compact = TokenizedInstructions(records: records, template: .compact, tokenizer: bpe, eos: eos, maxPromptLength: 96, maxLength: 128)
    let alpaca = TokenizedInstructions(records: records, template: .alpaca, tokenizer: bpe, eos: eos, maxPromptLength: 96, maxLength: 128)
    XCTAssertLessThan(compact.examples[0].prompt.count, alpaca.examples[0].prompt.count)
    XCTAssertEqual(compact.examples[0].response, alpaca.examples[0].response)
    let compactCache = directory + "/compact.h5"
    try TokenCache.write(compact, to: compactCache, tokenizerFingerprint: bpe.fingerprint, source: "test")
    XCTAssertEqual(try TokenCache.promptTemplate(ofInstructions: compactCache, tokenizerFingerprint: bpe.fingerprint), .compact)
    XCTAssertEqual(try TokenCache.promptTemplate(ofInstructions: cache, tokenizerFingerprint: bpe.fingerprint), .alpaca)

    var o = options(.sft, run: "compact", steps: 2)
    o.data = compactCache
    try TeacherForcedTrainer(config: try o.resolve(), group: SingleProcessCollective(), resume: nil).run()
    let compactCheckpoint = directory + "/compact/checkpoints/step-00000002.h5"
    XCTAssertEqual(try Checkpoint.read(compactCheckpoint).state.promptTemplate, .compact)
    let alpacaConfig = try options(.sft, run: "alpaca", steps: 2).resolve()
    try TeacherForcedTrainer(config: alpacaConfig, group: SingleProcessCollective(), resume: nil).run()
    XCTAssertEqual(try Checkpoint.read(directory + "/alpaca/checkpoints/step-00000002.h5").state.promptTemplate, .alpaca)

    // A compact-trained student or teacher on alpaca data is refused, naming both templates.
    var initFrom = options(.sft, run: "init", steps: 2)
    initFrom.initFrom = compactCheckpoint
    XCTAssertThrowsError(try TeacherForcedTrainer(config: try initFrom.resolve(), group: SingleProcessCollective(), resume: nil)) {
      XCTAssertTrue("\($0)".contains("compact template") && "\($0)".contains("alpaca template"), "\($0)")
    }
    var kd = options(.kd, run: "kd", steps: 2)
    kd.teacher = compactCheckpoint
    XCTAssertThrowsError(try TeacherForcedTrainer(config: try kd.resolve(), group: SingleProcessCollective(), resume: nil)) {
      XCTAssertTrue("\($0)".contains("teacher") && "\($0)".contains("compact template"), "\($0)")
    }
    // The same teacher on data in its own template is accepted.
    kd.data = compactCache
    XCTAssertNoThrow(try TeacherForcedTrainer(config: try kd.resolve(), group: SingleProcessCollective(), resume: nil))
  }

  func testMiniLLMMicroBatchesGiveTheWholeMinibatchGradient() throws {
    let teacherConfig = try options(.sft, run: "teacher", steps: 4).resolve()
    try TeacherForcedTrainer(config: teacherConfig, group: SingleProcessCollective(), resume: nil).run()
    let teacher = directory + "/teacher/checkpoints/step-00000004.h5"
    func step(_ run: String, maximumMicroBatches: Int) throws -> (gradient: [Float], loss: Double, microBatches: Int) {
      var o = options(.minillm, run: run, steps: 1)
      (o.teacher, o.initFrom, o.rollouts, o.minibatch, o.ppoEpochs, o.maxNewTokens) = (teacher, teacher, 8, 8, 1, 12)
      (o.gamma, o.paperReturns, o.alpha, o.batchSize) = (1, true, 0.3, 8)
      let trainer = try MiniLLMTrainer(
        config: try o.resolve(), group: SingleProcessCollective(), teacherGroup: SingleProcessCollective(), resume: nil)
      trainer.maximumMicroBatches = maximumMicroBatches
      try trainer.run()
      let loss = try XCTUnwrap(try Checkpoint.read(directory + "/" + run + "/checkpoints/step-00000001.h5").state.metrics["train_loss"]?.last)
      return (Array(trainer.student.gradients.storage), loss, trainer.microBatchesInLastUpdate)
    }
    let whole = try step("whole", maximumMicroBatches: 1)
    let split = try step("split", maximumMicroBatches: 4)
    XCTAssertEqual(whole.microBatches, 1)
    XCTAssertGreaterThan(split.microBatches, 1, "the rollouts' lengths should differ enough to split")
    // The first update's loss is near 0 (whitened advantages at ratio 1 cancel), so the bound
    // is absolute: fp32 noise of the O(1) per-token terms, not a fraction of the near-zero sum.
    XCTAssertEqual(split.loss, whole.loss, accuracy: max(1e-5 * abs(whole.loss), 1e-6))
    let comparison = compare(split.gradient, whole.gradient, rtol: 1e-3, atol: 1e-6)
    XCTAssertTrue(comparison.passed, "\(comparison)")
    XCTAssertGreaterThan(whole.gradient.map(abs).max()!, 1e-4)
  }

  /// Resume and --init-from refuse another tokenizer of the same size and (resume) other data;
  /// an allowed change (a new learning rate, more steps) is accepted.
  func testResumeAndInitFromCompareTokenizerAndDataFingerprints() throws {
    let first = try options(.sft, run: "first", steps: 4).resolve()
    try TeacherForcedTrainer(config: first, group: SingleProcessCollective(), resume: nil).run(stopAfter: 2)
    let checkpoint = first.runDirectory + "/checkpoints/step-00000002.h5"
    XCTAssertEqual(try Checkpoint.read(checkpoint).state.dataFingerprint, try TokenCache.readInstructions(
      cache, tokenizerFingerprint: BPETokenizer.load(contentsOf: tokenizer).fingerprint).fingerprint)

    // Another tokenizer with the same vocabulary size (trained on other text), with a cache
    // of the same records made with it.
    let records = SyntheticTask.generate(count: 48, seed: 3)
    let other = try BPETrainer.train(texts: records.reversed().flatMap { [$0.output, $0.prompt(.alpaca) + " zz"] }, vocabularySize: 512)
    let bpe = try BPETokenizer.load(contentsOf: tokenizer)
    XCTAssertEqual(other.count, bpe.count)
    XCTAssertNotEqual(other.fingerprint, bpe.fingerprint)
    let otherTokenizer = directory + "/other-tok.json"
    try other.save(to: otherTokenizer)
    let otherCache = directory + "/other-train.h5"
    try TokenCache.write(
      TokenizedInstructions(records: records, template: .alpaca, tokenizer: other, eos: other.specialTokenID("<|endoftext|>")!, maxPromptLength: 96, maxLength: 128),
      to: otherCache, tokenizerFingerprint: other.fingerprint, source: "test")
    var resumeOther = options(.sft, run: "first", steps: 4)
    (resumeOther.tokenizer, resumeOther.data) = (otherTokenizer, otherCache)
    XCTAssertThrowsError(try TeacherForcedTrainer(config: try resumeOther.resolve(), group: SingleProcessCollective(), resume: "auto")) {
      XCTAssertTrue("\($0)".contains("another tokenizer than \(otherTokenizer)") && "\($0)".contains(checkpoint), "\($0)")
    }
    var initOther = options(.sft, run: "init-other", steps: 2)
    (initOther.tokenizer, initOther.data, initOther.initFrom) = (otherTokenizer, otherCache, checkpoint)
    XCTAssertThrowsError(try TeacherForcedTrainer(config: try initOther.resolve(), group: SingleProcessCollective(), resume: nil)) {
      XCTAssertTrue("\($0)".contains("another tokenizer") && "\($0)".contains(checkpoint), "\($0)")
    }

    // The same tokenizer, other records.
    let fewer = directory + "/fewer.h5"
    try TokenCache.write(
      TokenizedInstructions(records: Array(records.prefix(40)), template: .alpaca, tokenizer: bpe, eos: bpe.specialTokenID("<|endoftext|>")!, maxPromptLength: 96, maxLength: 128),
      to: fewer, tokenizerFingerprint: bpe.fingerprint, source: "test")
    var resumeFewer = options(.sft, run: "first", steps: 4)
    resumeFewer.data = fewer
    XCTAssertThrowsError(try TeacherForcedTrainer(config: try resumeFewer.resolve(), group: SingleProcessCollective(), resume: "auto")) {
      XCTAssertTrue("\($0)".contains("other data than \(fewer)") && "\($0)".contains("-40)"), "\($0)")
    }

    // Allowed and recorded: a new learning rate and more steps.
    var changed = options(.sft, run: "first", steps: 5)
    changed.lr = 1e-3
    let resolved = try changed.resolve()
    let recorded = try Checkpoint.read(checkpoint).state.runConfigJSON
    let changes = resolved.resumeChanges(recorded: recorded)
    XCTAssertTrue(changes.contains { $0.hasPrefix("schedule") } && changes.contains { $0.hasPrefix("steps 4 → 5") }, "\(changes)")
    XCTAssertNoThrow(try TeacherForcedTrainer(config: resolved, group: SingleProcessCollective(), resume: "auto").run())
  }

  func testOutOfRangeTokenIDsAndTooShortAContextAreRefusedBeforeTraining() throws {
    // An id past the vocabulary (a cache of another tokenizer, or damaged): named, not a crash.
    let bpe = try BPETokenizer.load(contentsOf: tokenizer)
    let bad = TokenizedInstructions(
      examples: [TokenizedExample(prompt: [1, 2, 3], response: [4, 5]), TokenizedExample(prompt: [1, 2], response: [Int32(bpe.count) + 7, 0])],
      template: .alpaca)
    let badCache = directory + "/bad-ids.h5"
    try TokenCache.write(bad, to: badCache, tokenizerFingerprint: bpe.fingerprint, source: "test")
    var o = options(.sft, run: "bad-ids", steps: 2)
    o.data = badCache
    XCTAssertThrowsError(try TeacherForcedTrainer(config: try o.resolve(), group: SingleProcessCollective(), resume: nil)) {
      let text = "\($0)"
      XCTAssertTrue(text.contains(badCache) && text.contains("response_tokens") && text.contains("example 1")
        && text.contains("token id \(bpe.count + 7)"), text)
    }
    // A context shorter than the cache's sequences: named, with the fix.
    var short = options(.sft, run: "short", steps: 2)
    short.contextLength = 16
    XCTAssertThrowsError(try TeacherForcedTrainer(config: try short.resolve(), group: SingleProcessCollective(), resume: nil)) {
      let text = "\($0)"
      XCTAssertTrue(text.contains(cache) && text.contains("context of 16") && text.contains("--max-length 17"), text)
    }
  }

  func testMiniLLMRecordsEverySettingAndResumesMidIteration() throws {
    let teacherConfig = try options(.sft, run: "teacher", steps: 4).resolve()
    try TeacherForcedTrainer(config: teacherConfig, group: SingleProcessCollective(), resume: nil).run()
    let teacher = directory + "/teacher/checkpoints/step-00000004.h5"
    func miniLLM(_ run: String) -> TrainOptions {
      var o = options(.minillm, run: run, steps: 4)
      (o.teacher, o.initFrom, o.rollouts, o.minibatch, o.ppoEpochs, o.maxNewTokens) = (teacher, teacher, 4, 2, 2, 6)
      (o.gamma, o.paperReturns, o.alpha, o.batchSize) = (1, true, 0.3, 2)
      return o
    }
    let straight = try miniLLM("m-straight").resolve()
    try MiniLLMTrainer(config: straight, group: SingleProcessCollective(), teacherGroup: SingleProcessCollective(), resume: nil).run()
    // Stopped after one collection chunk (mid-collection), then after one step (mid-PPO).
    let stopped = try miniLLM("m-stopped").resolve()
    try MiniLLMTrainer(config: stopped, group: SingleProcessCollective(), teacherGroup: SingleProcessCollective(), resume: nil)
      .run(stopAfterChunks: 1)
    try MiniLLMTrainer(config: stopped, group: SingleProcessCollective(), teacherGroup: SingleProcessCollective(), resume: "auto")
      .run(stopAfter: 1)
    try MiniLLMTrainer(config: stopped, group: SingleProcessCollective(), teacherGroup: SingleProcessCollective(), resume: "auto").run()
    let final = "/checkpoints/step-00000004.h5"
    XCTAssertTrue(try parameters(straight.runDirectory + final) == parameters(stopped.runDirectory + final), "the resumed MiniLLM run differs from the straight one")
    let loaded = try Checkpoint.read(straight.runDirectory + final)
    XCTAssertEqual(loaded.state.method, "minillm")
    XCTAssertEqual(loaded.state.stage, "minillm")
    let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(loaded.state.runConfigJSON.utf8)) as? [String: Any])
    let m = try XCTUnwrap(run["minillm"] as? [String: Any])
    let objective = try XCTUnwrap(m["objective"] as? [String: Any])
    XCTAssertEqual(objective["alpha"] as? Double, 0.3)
    XCTAssertEqual(objective["gamma"] as? Double, 1)
    XCTAssertEqual(objective["include_current_reward"] as? Bool, false)
    XCTAssertEqual(objective["ppo_epochs"] as? Int, 2)
    XCTAssertEqual(objective["ppo_clip"] as? Double, 0.2)
    XCTAssertEqual(m["rollouts"] as? Int, 4)
    XCTAssertEqual(m["minibatch"] as? Int, 2)
    XCTAssertEqual(run["max_new_tokens"] as? Int, 6)
    // Resuming with another γ is a different experiment: refused, naming the setting.
    var changed = miniLLM("m-stopped")
    changed.gamma = 0.95
    changed.steps = 6
    XCTAssertThrowsError(
      try MiniLLMTrainer(config: try changed.resolve(), group: SingleProcessCollective(), teacherGroup: SingleProcessCollective(), resume: "auto")
    ) { XCTAssertTrue("\($0)".contains("minillm"), "\($0)") }
  }
}
