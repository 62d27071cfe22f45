// Sweep configurations: per-method train options and named variants (an ablation in one
// sweep), refused options and keys named in the error, the stage graph of variants, and the
// resolved configuration of each student stage (what its checkpoints record).

import Collectives
import Foundation
import Sweeps
import Training
import XCTest

final class SweepConfigTests: XCTestCase {
  var directory = ""
  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID())").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  }
  override func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

  func load(_ json: String) throws -> SweepConfig {
    let path = directory + "/sweep.json"
    try Data(json.utf8).write(to: URL(fileURLWithPath: path))
    return try SweepConfig.load(path)
  }

  func runner(_ config: SweepConfig) throws -> SweepRunner {
    try SweepRunner(
      config: config, runDirectory: directory + "/run", world: SingleProcessCollective(),
      makeTeacherGroup: { _ in SingleProcessCollective() }, validateFor: 2)
  }

  static let ablation = """
    {"methods": ["sft", "kd", "minillm", "minillm-paper"],
     "method_options": {"minillm-paper": {"method": "minillm", "paper_returns": true, "gamma": 1, "comment": "paper form"},
                        "kd": {"kd_ratio": 0.25}}}
    """

  func testAVariantIsItsOwnStageWithItsOwnOptions() throws {
    let config = try load(Self.ablation)
    XCTAssertEqual(try config.method(of: "minillm-paper"), .minillm)
    let sweep = try runner(config)
    XCTAssertTrue(sweep.stageKeys.contains("s/minillm-paper"))
    let size = config.students[0]
    let plain = try sweep.studentStageConfig(size: size, entry: "minillm", sftCheckpoint: "sft.h5", teacher: "t.h5")
    let paper = try sweep.studentStageConfig(size: size, entry: "minillm-paper", sftCheckpoint: "sft.h5", teacher: "t.h5")
    // The default's minillm entry is the paper form too; the code form is a variant.
    XCTAssertEqual(plain.miniLLM?.objective.includeCurrentReward, false)
    XCTAssertEqual(plain.miniLLM?.objective.gamma, 1)
    // A file's entry is laid over the default's key by key.
    let gamma = try runner(try load(#"{"methods": ["sft", "minillm"], "method_options": {"minillm": {"gamma": 0.95}}}"#))
      .studentStageConfig(size: size, entry: "minillm", sftCheckpoint: "sft.h5", teacher: "t.h5")
    XCTAssertEqual(gamma.miniLLM?.objective.includeCurrentReward, false, "paper_returns kept from the default")
    XCTAssertEqual(gamma.miniLLM?.objective.gamma, 0.95)
    let code = try runner(try load(#"{"methods": ["sft", "minillm"], "method_options": {"minillm": {"paper_returns": false, "gamma": 0.95}}}"#))
      .studentStageConfig(size: size, entry: "minillm", sftCheckpoint: "sft.h5", teacher: "t.h5")
    XCTAssertEqual(code.miniLLM?.objective.includeCurrentReward, true)
    XCTAssertEqual(paper.miniLLM?.objective.includeCurrentReward, false)
    XCTAssertEqual(paper.miniLLM?.objective.gamma, 1)
    XCTAssertTrue(paper.runDirectory.hasSuffix("students/s/minillm-paper"))
    // Sweep-wide kd_ratio 0.5, overridden for the kd entry only.
    XCTAssertEqual(try sweep.studentStageConfig(size: size, entry: "kd", sftCheckpoint: "sft.h5", teacher: "t.h5").kdRatio, 0.25)
    XCTAssertEqual(plain.miniLLM?.objective.kdRatio, 0.5)
  }

  func testTheQuickstartMiniLLMStageRecordsWhatRuns() throws {
    let sweep = try runner(SweepConfig.quickstart)
    let config = try sweep.studentStageConfig(size: SweepConfig.quickstart.students[2], entry: "minillm", sftCheckpoint: "sft.h5", teacher: "t.h5")
    let m = try XCTUnwrap(config.miniLLM)
    XCTAssertEqual(config.maxNewTokens, SweepConfig.quickstart.minillm.maxNewTokens)  // 64, the rollout length that runs
    XCTAssertEqual(m.rollouts, 64)
    XCTAssertEqual(m.minibatch, 32)
    XCTAssertEqual(m.objective.ppoEpochs, 1)
    XCTAssertEqual(m.teacherShards, 2)
    XCTAssertEqual(config.steps, 600)
    XCTAssertEqual(config.schedule.kind, .cosine)
    XCTAssertEqual(config.schedule.peak, 1e-3)
    XCTAssertEqual(config.schedule.floor, 1e-4, accuracy: 1e-9)
    XCTAssertEqual(config.optimizer.weightDecay, 1e-6)
    XCTAssertEqual(config.model.dModel, 96)
    let seqkd = try sweep.studentStageConfig(size: SweepConfig.quickstart.students[0], entry: "seqkd", sftCheckpoint: "sft.h5", teacher: "t.h5")
    XCTAssertEqual(seqkd.objective, .kdMix)
    XCTAssertTrue(seqkd.data.hasSuffix("data/seqkd.h5"))
    // The paper's constant schedule stays one key away.
    var constant = SweepConfig.quickstart
    constant.minillm.schedule = "constant"
    let paper = try runner(constant).studentStageConfig(size: constant.students[2], entry: "minillm", sftCheckpoint: "sft.h5", teacher: "t.h5")
    XCTAssertEqual(paper.schedule.kind, .constant)
    constant.minillm.schedule = "linear"
    XCTAssertThrowsError(try constant.validate(worldSize: 2)) { XCTAssertTrue("\($0)".contains("minillm.schedule"), "\($0)") }
  }

  func testBadEvaluationAndDataCountsAreRefusedNamingTheKey() throws {
    for (json, key) in [
      (#"{"evaluation": {"selection_prompts": 0}}"#, "evaluation.selection_prompts"),
      (#"{"evaluation": {"exposure_bias_prompts": -1}}"#, "evaluation.exposure_bias_prompts"),
      (#"{"evaluation": {"no_repeat_ngram_size": -2}}"#, "evaluation.no_repeat_ngram_size"),
      (#"{"data": {"selection_count": -5}}"#, "data.selection_count"),
      (#"{"data": {"synthetic_pretrain_count": -1}}"#, "data.synthetic_pretrain_count"),
      (#"{"data": {"prompt_template": "chatml"}}"#, "data.prompt_template"),
      (#"{"data": {"pretrain_block_length": 1}}"#, "data.pretrain_block_length"),
      (#"{"data": {"pretrain_block_length": 130}}"#, "data.pretrain_block_length"),
    ] {
      XCTAssertThrowsError(try load(json).validate(worldSize: 2), json) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
    }
  }

  func testThePromptTemplateIsCompactForTheSyntheticTaskAndAlpacaForFilesUnlessChosen() throws {
    XCTAssertEqual(try load("{}").data.resolvedPromptTemplate, .compact)
    XCTAssertEqual(try load(#"{"data": {"train": "dolly.jsonl"}}"#).data.resolvedPromptTemplate, .alpaca)
    XCTAssertEqual(try load(#"{"data": {"train": "dolly.jsonl", "prompt_template": "compact"}}"#).data.resolvedPromptTemplate, .compact)
    XCTAssertEqual(try load(#"{"data": {"prompt_template": "alpaca"}}"#).data.resolvedPromptTemplate, .alpaca)
    // D_PT blocks: about the synthetic task's sequence length; max_length + 1 for files.
    XCTAssertEqual(try load("{}").data.resolvedPretrainBlockLength, 49)
    XCTAssertEqual(try load(#"{"data": {"train": "dolly.jsonl", "max_length": 256}}"#).data.resolvedPretrainBlockLength, 257)
    XCTAssertEqual(try load(#"{"data": {"pretrain_block_length": 65}}"#).data.resolvedPretrainBlockLength, 65)
  }

  func testBadMethodOptionsAreRefusedNamingTheKey() throws {
    XCTAssertThrowsError(try load(#"{"method_options": {"kd": {"kd_ratioo": 0.1}}}"#)) {
      XCTAssertTrue("\($0)".contains("method_options.kd") && "\($0)".contains("kd_ratioo"), "\($0)")
    }
    let shape = try load(#"{"methods": ["sft", "kd"], "method_options": {"kd": {"d_model": 64}}}"#)
    XCTAssertThrowsError(try shape.validate(worldSize: 2)) { XCTAssertTrue("\($0)".contains("d_model"), "\($0)") }
    let unnamed = try load(#"{"methods": ["sft", "mystery"]}"#)
    XCTAssertThrowsError(try unnamed.validate(worldSize: 2)) { XCTAssertTrue("\($0)".contains("mystery"), "\($0)") }
    let orphan = try load(#"{"methods": ["sft", "kd"], "method_options": {"rkl": {"temperature": 2}}}"#)
    XCTAssertThrowsError(try orphan.validate(worldSize: 2)) { XCTAssertTrue("\($0)".contains("method_options.rkl"), "\($0)") }
    let wrong = try load(#"{"methods": ["sft", "kd"], "method_options": {"kd": {"method": "rkl"}}}"#)
    XCTAssertThrowsError(try wrong.validate(worldSize: 2)) { XCTAssertTrue("\($0)".contains("method_options.kd.method"), "\($0)") }
    // An option of another method fails when the stage resolves, naming the stage.
    let sweep = try runner(try load(#"{"method_options": {"kd": {"gamma": 1}}}"#))
    XCTAssertThrowsError(try sweep.studentStageConfig(size: SweepConfig.quickstart.students[0], entry: "kd", sftCheckpoint: "s", teacher: "t")) {
      XCTAssertTrue("\($0)".contains("gamma") && "\($0)".contains("kd"), "\($0)")
    }
  }
}

final class CommittedSweepConfigTests: XCTestCase {
  /// The repository's configs/ folder.
  static let configs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("configs")

  /// Every stage of a sweep configuration resolves, and no two entries run the same thing.
  func assertEveryStageResolvesAndDiffers(_ config: SweepConfig, file: StaticString = #filePath, line: UInt = #line) throws {
    try config.validate(worldSize: 2)
    let sweep = try SweepRunner(
      config: config, runDirectory: "run", world: SingleProcessCollective(),
      makeTeacherGroup: { _ in SingleProcessCollective() }, validateFor: 2)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    for size in config.students {
      var seen: [String: String] = [:]
      for entry in config.methods {
        var stage = try sweep.studentStageConfig(size: size, entry: entry, sftCheckpoint: "sft.h5", teacher: "t.h5")
        stage.runDirectory = ""
        let key = String(decoding: try encoder.encode(stage), as: UTF8.self)
        XCTAssertNil(seen[key], "\(entry) runs the same stage as \(seen[key] ?? "")", file: file, line: line)
        seen[key] = entry
      }
    }
  }

  func testTheAblationSweepResolvesEveryStage() throws {
    let config = try SweepConfig.load(Self.configs.appendingPathComponent("ablations.json").path)
    XCTAssertEqual(config.students.map(\.name), ["m"])
    XCTAssertEqual(config.methods.count, 13)
    try assertEveryStageResolvesAndDiffers(config)
    let sweep = try SweepRunner(
      config: config, runDirectory: "run", world: SingleProcessCollective(),
      makeTeacherGroup: { _ in SingleProcessCollective() }, validateFor: 2)
    let singleStepOnly = try XCTUnwrap(
      try sweep.studentStageConfig(size: config.students[0], entry: "minillm-single-step-only", sftCheckpoint: "sft.h5", teacher: "t.h5").miniLLM)
    XCTAssertEqual(singleStepOnly.objective.policyGradient, false)
    XCTAssertTrue(singleStepOnly.objective.singleStep)
  }

  func testTheDefaultBaselinesAreWhatTheyAreNamed() throws {
    let config = SweepConfig.quickstart
    try assertEveryStageResolvesAndDiffers(config)
    let sweep = try SweepRunner(
      config: config, runDirectory: "run", world: SingleProcessCollective(),
      makeTeacherGroup: { _ in SingleProcessCollective() }, validateFor: 2)
    func stage(_ entry: String) throws -> RunConfig {
      try sweep.studentStageConfig(size: config.students[1], entry: entry, sftCheckpoint: "sft.h5", teacher: "t.h5")
    }
    XCTAssertEqual(try stage("kd").kdRatio, 0.5)
    XCTAssertEqual(try stage("kd-full").kdRatio, 1)
    XCTAssertEqual(try stage("seqkd").seqkdVariant, "kd")
    XCTAssertEqual(try stage("seqkd-ce").seqkdVariant, "ce")
    XCTAssertEqual(try stage("rkl-on-policy").method, .rkl)
    XCTAssertEqual(try stage("rkl-on-policy").onPolicyFraction, 1)
    let minillm = try XCTUnwrap(try stage("minillm").miniLLM)
    XCTAssertFalse(minillm.objective.includeCurrentReward)  // the paper's R_{t+1}
    XCTAssertEqual(minillm.objective.gamma, 1)
    XCTAssertNotNil(minillm.pretrainData, "L_PT on: the synthetic task's domain text is D_PT")
    // Equal steps for every distillation method.
    XCTAssertEqual(Set(try config.methods.dropFirst().map { try stage($0).steps }).count, 1)
  }
}
