// The recipe table and option resolution: every method's defaults come from one place, options
// override them, options of another method are refused, and the resolved configuration
// round-trips through JSON with every MiniLLM setting in it.

import Distill
import Foundation
import Optim
import Training
import XCTest

final class RecipeTests: XCTestCase {
  func paths(_ method: TrainingMethod) -> TrainOptions {
    var o = TrainOptions()
    (o.method, o.data, o.tokenizer, o.runDir) = (method, "d.h5", "t.json", "run")
    if method.needsTeacher { o.teacher = "teacher.h5" }
    return o
  }

  func testEveryMethodResolvesToItsRecipeDefaults() throws {
    for method in TrainingMethod.allCases {
      let config = try paths(method).resolve()
      let recipe = MethodRecipes.defaults(for: method)
      XCTAssertEqual(config.method, method)
      XCTAssertEqual(config.schedule.peak, recipe.lr, "\(method)")
      XCTAssertEqual(config.schedule.warmupSteps, recipe.warmup, "\(method)")
      XCTAssertEqual(config.schedule.kind, recipe.schedule, "\(method)")
      XCTAssertEqual(config.optimizer.weightDecay, recipe.weightDecay, "\(method)")
      XCTAssertEqual(config.maxNewTokens, recipe.maxNewTokens, "\(method)")
      XCTAssertEqual(config.onPolicyFraction, recipe.onPolicyFraction, "\(method)")
      XCTAssertEqual(config.miniLLM != nil, method == .minillm, "\(method)")
    }
    // The defaults really differ where the recipe says they do.
    XCTAssertEqual(try paths(.gkd).resolve().onPolicyFraction, 0.5)
    XCTAssertEqual(try paths(.minillm).resolve().schedule.kind, .constant)
    XCTAssertEqual(try paths(.kd).resolve().schedule.kind, .cosine)
    XCTAssertEqual(try paths(.gkd).resolve().divergence, .jensenShannon(beta: 0.5))
  }

  func testOptionsOverrideTheRecipeAndReachTheRunConfig() throws {
    var o = paths(.minillm)
    (o.lr, o.gamma, o.paperReturns, o.ppoClip, o.ppoEpochs, o.rollouts, o.minibatch) = (1e-4, 1, true, 0.3, 2, 32, 8)
    (o.adamBeta1, o.adamBeta2, o.adamEps, o.noWhitenAdvantages, o.weightSingleStep) = (0.8, 0.99, 1e-6, true, true)
    (o.maxNewTokens, o.pretrainData, o.lambdaPt, o.kdRatio) = (48, "pt.h5", 2, 0.25)
    let config = try o.resolve()
    let m = try XCTUnwrap(config.miniLLM)
    XCTAssertEqual(config.schedule.peak, 1e-4)
    XCTAssertEqual(config.optimizer, AdamWConfig(beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 1e-6))
    XCTAssertEqual(m.objective.gamma, 1)
    XCTAssertFalse(m.objective.includeCurrentReward)
    XCTAssertFalse(m.objective.whitenAdvantages)
    XCTAssertTrue(m.objective.weightSingleStep)
    XCTAssertTrue(m.objective.pretrainingLoss)
    XCTAssertEqual(m.objective.kdRatio, 0.25)
    XCTAssertEqual(m.objective.lambdaPT, 2)
    XCTAssertEqual([m.objective.ppoClip, Double(m.objective.ppoEpochs), Double(m.rollouts), Double(m.minibatch)], [0.3, 2, 32, 8])
    XCTAssertEqual(config.maxNewTokens, 48)
    // The JSON a checkpoint stores holds all of it and reads back to the same value.
    let json = try JSONEncoder().encode(config)
    XCTAssertEqual(try JSONDecoder().decode(RunConfig.self, from: json), config)
    let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    let minillm = try XCTUnwrap(object["minillm"] as? [String: Any])
    let objective = try XCTUnwrap(minillm["objective"] as? [String: Any])
    for key in ["alpha", "gamma", "include_current_reward", "ppo_clip", "ppo_epochs", "single_step", "weight_single_step", "lambda_pt"] {
      XCTAssertNotNil(objective[key], key)
    }
    XCTAssertEqual(minillm["rollouts"] as? Int, 32)
    XCTAssertEqual(object["max_new_tokens"] as? Int, 48)
    XCTAssertEqual(object["method"] as? String, "minillm")
  }

  func testOptionsOfAnotherMethodAndInvalidValuesAreRefusedByName() {
    var o = paths(.kd)
    o.gamma = 1
    XCTAssertThrowsError(try o.resolve()) { XCTAssertTrue("\($0)".contains("gamma"), "\($0)") }
    var bad = paths(.sft)
    bad.adamBeta2 = 1
    XCTAssertThrowsError(try bad.resolve()) { XCTAssertTrue("\($0)".contains("adam_beta2"), "\($0)") }
    var noTeacher = paths(.kd)
    noTeacher.teacher = nil
    XCTAssertThrowsError(try noTeacher.resolve()) { XCTAssertTrue("\($0)".contains("teacher"), "\($0)") }
    XCTAssertThrowsError(try TrainOptions.decode(["kd_ratioo": 0.5], context: "f.json")) {
      XCTAssertTrue("\($0)".contains("f.json") && "\($0)".contains("kd_ratioo"), "\($0)")
    }
    XCTAssertThrowsError(try TrainOptions.decode(["steps": "many"], context: "f.json")) { XCTAssertTrue("\($0)".contains("steps"), "\($0)") }
  }

  /// Issue 14, items 13 and 14: an empty run directory (checkpoints at the filesystem root), a
  /// non-finite learning rate (failed late, in JSON encoding) and a negative warm-up were
  /// accepted; each is now refused at resolve time, naming the option.
  func testEmptyRunDirectoryNonFiniteRatesAndNegativeWarmupAreRefusedByName() {
    func refused(_ change: (inout TrainOptions) -> Void, naming key: String) {
      var o = paths(.sft)
      change(&o)
      XCTAssertThrowsError(try o.resolve()) { XCTAssertTrue("\($0)".contains(key), "\($0)") }
    }
    refused({ $0.runDir = "" }, naming: "run_dir")
    refused({ $0.lr = .infinity }, naming: "lr")
    refused({ $0.lr = .nan }, naming: "lr")
    refused({ $0.warmup = -1 }, naming: "warmup")
    refused({ $0.minLr = .nan }, naming: "min_lr")
    XCTAssertNoThrow(try paths(.sft).resolve())
  }

  func testOverlayReplacesOnlyWhatTheOtherSets() throws {
    var base = paths(.minillm)
    (base.lr, base.gamma) = (1e-3, 0.9)
    var top = TrainOptions()
    top.gamma = 1
    let merged = base.overlaid(by: top)
    XCTAssertEqual(merged.lr, 1e-3)
    XCTAssertEqual(merged.gamma, 1)
    XCTAssertEqual(merged.data, "d.h5")
    let decoded = try TrainOptions.decode(["gamma": 1, "paper_returns": true, "comment": "ignored"], context: "x")
    XCTAssertEqual(decoded.gamma, 1)
    XCTAssertEqual(decoded.paperReturns, true)
  }

  func testResumeRefusesAChangedSettingButNotALongerRun() throws {
    let recorded = String(decoding: try JSONEncoder().encode(try paths(.minillm).resolve()), as: UTF8.self)
    var longer = paths(.minillm)
    longer.steps = 500
    XCTAssertNil(try longer.resolve().resumeMismatch(recorded: recorded))
    var changed = paths(.minillm)
    changed.gamma = 1
    let mismatch = try XCTUnwrap(try changed.resolve().resumeMismatch(recorded: recorded))
    XCTAssertTrue(mismatch.contains("minillm"), mismatch)
    var kd = paths(.sft)
    kd.seed = 9
    XCTAssertTrue(try XCTUnwrap(try kd.resolve().resumeMismatch(recorded: recorded)).hasPrefix("method"))
  }
}
