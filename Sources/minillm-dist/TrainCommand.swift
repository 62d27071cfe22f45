// `minillm-dist train --method …`: parses the options into `TrainOptions`, resolves them
// through the recipe table and runs the teacher-forced or the MiniLLM trainer under mpirun.

import ArgumentParser
import Distill
import Foundation
import Kernels
import MPI
import Model
import Tokenizers
import Training
import Datasets

extension TrainingMethod: ExpressibleByArgument {}
extension PromptTemplate: ExpressibleByArgument {}

/// A default from the recipe table, for help texts.
private func teacherForcedDefault<T>(_ path: KeyPath<MethodDefaults, T>) -> T { MethodRecipes.defaults(for: .sft)[keyPath: path] }
private func miniLLMDefault<T>(_ path: KeyPath<MethodDefaults, T>) -> T { MethodRecipes.defaults(for: .minillm)[keyPath: path] }
private let miniLLMFlags = MiniLLMConfig()

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train on an instruction token cache, data-parallel over MPI ranks.",
    discussion: """
      Methods: sft (cross-entropy), kd ((1 − kd_ratio)·CE + kd_ratio·KL(p‖q)), seqkd (the
      teacher answers the data's prompts once, into RUN_DIR/seqkd-data.h5; then the KD mix, or
      CE with --seqkd-variant ce), rkl (KL(q‖p)), jsd (generalized JSD with --beta), tvd (total
      variation), sfkl / srkl (skew KLs with --skew-lambda), gkd (JSD on the student's own
      samples with probability --on-policy-fraction, default 0.5), minillm (docs/method.md,
      docs/minillm.md); all but sft need --teacher CKPT. --on-policy-fraction λ makes any
      divergence method on-policy with probability λ. Defaults come from one recipe table
      (Sources/Training/MethodRecipes.swift; docs/train-options.md). Each rank reads its share
      of the data; the loss is the mean over all response tokens of the global batch.
      Checkpoints go to RUN_DIR/checkpoints every --checkpoint-every steps and record the
      resolved configuration; --resume auto continues from the newest valid one (same number
      of ranks, same settings).
      """)

  @Option(help: "Objective: \(TrainingMethod.names).") var method: TrainingMethod = .sft
  @Option(help: "Teacher checkpoint (all methods but sft).") var teacher: String?
  @Option(help: "Start a fresh run from this checkpoint's weights (e.g. the SFT student).") var initFrom: String?
  @Option(help: "KD: weight of the KL term (default \(MethodRecipes.kdRatio)).") var kdRatio: Double?
  @Option(help: "JSD: β (0 → forward KL, 1 → reverse KL; default \(MethodRecipes.beta)).") var beta: Double?
  @Option(help: "Skew KLs: λ (default \(MethodRecipes.skewLambda)).") var skewLambda: Double?
  @Option(help: "Temperature of student and teacher distributions (KD and divergences; default \(MethodRecipes.temperature)).") var temperature: Float?
  @Option(help: "On-policy mixing: probability that a step trains on the student's own samples (default 0; gkd: \(MethodRecipes.defaults(for: .gkd).onPolicyFraction)).") var onPolicyFraction: Double?
  @Option(
    name: [.customLong("max-new-tokens"), .customLong("on-policy-max-new-tokens")],
    help: "Longest sampled response in on-policy steps, MiniLLM rollouts and SeqKD (default \(teacherForcedDefault(\.maxNewTokens)); minillm: \(miniLLMDefault(\.maxNewTokens))).")
  var maxNewTokens: Int?
  @Option(help: "SeqKD: train on the teacher's responses with the KD mix (kd, the authors' scripts) or pure cross-entropy (ce, textbook).") var seqkdVariant: String?
  @Option(help: "Ranking: responses sampled from the student per prompt (default \(RankingLossSettings().samples)).") var rankingSamples: Int?
  @Option(help: "Ranking: hinge margin between the best and the worst response's mean log q (default \(RankingLossSettings().margin)).") var rankingMargin: Double?
  @Option(help: "Ranking: weight of the cross-entropy on the best response (default \(RankingLossSettings().ceWeight)).") var rankingCeWeight: Double?
  @Option(help: "MiniLLM: teacher-mix strength α of the sampling distribution (default \(miniLLMFlags.alpha)).") var alpha: Double?
  @Option(help: "MiniLLM: ranks per teacher group (divides the world size; default \(MethodRecipes.teacherShards)).") var teacherShards: Int?
  @Option(help: "MiniLLM: prompts per rollout collection, over all ranks (a multiple of the number of ranks; default \(MethodRecipes.rollouts)).") var rollouts: Int?
  @Option(help: "MiniLLM: sequences per PPO minibatch (one optimizer step), over all ranks (default \(MethodRecipes.minibatch)).") var minibatch: Int?
  @Option(help: "MiniLLM: PPO epochs over each collection (default \(miniLLMFlags.ppoEpochs)).") var ppoEpochs: Int?
  @Option(help: "MiniLLM: PPO clip ε (default \(miniLLMFlags.ppoClip)).") var ppoClip: Double?
  @Option(help: "MiniLLM: discount γ of future rewards (default \(miniLLMFlags.gamma)).") var gamma: Double?
  @Option(help: "MiniLLM: rewards are (log p − log q_old) / this, clipped to ±--reward-clip (default \(miniLLMFlags.rewardScaling)).") var rewardScaling: Double?
  @Option(help: "MiniLLM: reward clip (default \(miniLLMFlags.rewardClip)).") var rewardClip: Double?
  @Flag(help: "MiniLLM: start returns at r_{t+1} as the paper does (default: r_t as the authors' code).") var paperReturns = false
  @Flag(help: "MiniLLM: no length normalization of returns.") var noLengthNormalization = false
  @Flag(help: "MiniLLM: do not whiten advantages.") var noWhitenAdvantages = false
  @Flag(help: "MiniLLM: no single-step reverse-KL term.") var noSingleStep = false
  @Flag(help: "MiniLLM: weight the single-step term by w_t (paper; default off as in the code).") var weightSingleStep = false
  @Flag(help: "MiniLLM: no long-term policy-gradient term: the single-step term alone on MiniLLM's rollouts.") var noPolicyGradient = false
  @Option(help: "MiniLLM: D_PT token cache (data prepare --pretrain) for the L_PT term; none: L_PT off.") var pretrainData: String?
  @Option(help: "MiniLLM: weight λ_PT of L_PT (default \(miniLLMFlags.lambdaPT)).") var lambdaPt: Double?

  @Option(help: "Instruction token cache (data prepare --instructions).") var data: String
  @Option(help: "The tokenizer.json the cache was built with.") var tokenizer: String
  @Option(help: "Run directory.") var runDir: String
  @Option(help: "Total optimizer steps (default \(MethodRecipes.steps)).") var steps: Int?
  @Option(help: "Sequences per rank per step (MiniLLM: prompts sampled together per rank; default \(MethodRecipes.batchSize)).") var batchSize: Int?
  @Option(help: "Peak learning rate (default \(teacherForcedDefault(\.lr)); minillm: \(miniLLMDefault(\.lr))).") var lr: Float?
  @Option(help: "Warm-up steps (default \(teacherForcedDefault(\.warmup)); minillm: \(miniLLMDefault(\.warmup))).") var warmup: Int?
  @Option(help: "Schedule: constant or cosine to --min-lr at the last step (default cosine; minillm: constant).") var schedule: String?
  @Option(help: "Final learning rate of the cosine schedule (default lr / \(MethodRecipes.cosineFloorDivisor)).") var minLr: Float?
  @Option(help: "Weight decay (decoupled; matrices and embeddings only; default \(teacherForcedDefault(\.weightDecay)); minillm: \(miniLLMDefault(\.weightDecay))).") var weightDecay: Float?
  @Option(help: "AdamW β1 (default \(MethodRecipes.adam.beta1)).") var adamBeta1: Float?
  @Option(help: "AdamW β2 (default \(MethodRecipes.adam.beta2)).") var adamBeta2: Float?
  @Option(help: "AdamW ε (default \(MethodRecipes.adam.epsilon)).") var adamEps: Float?
  @Option(help: "Global gradient-norm clip, 0: off (default \(MethodRecipes.gradientClip)).") var gradientClip: Double?
  @Option(help: "Width of a fresh model (default \(MethodRecipes.dModel)).") var dModel: Int?
  @Option(help: "Layers of a fresh model (default \(MethodRecipes.nLayer)).") var nLayer: Int?
  @Option(help: "Heads of a fresh model (default \(MethodRecipes.nHead)).") var nHead: Int?
  @Option(help: "Context length of a fresh model (default \(MethodRecipes.contextLength)).") var contextLength: Int?
  @Option(help: "Base seed (default \(MethodRecipes.seed)).") var seed: UInt64?
  @Option(help: "Checkpoint cadence in steps (default \(MethodRecipes.checkpointEvery)).") var checkpointEvery: Int?
  @Option(help: "Checkpoints kept besides the best (default \(MethodRecipes.keepLast)).") var keepLast: Int?
  @Option(help: "auto, or a checkpoint path.") var resume: String?
  @Option(help: "Stop after this many steps in this invocation (checkpoints first).") var stopAfter: Int?
  @Option(help: .hidden) var stopAfterChunks: Int?
  @Option(help: "A JSON file of options (keys are option names, e.g. \"kd_ratio\": 0.5 or \"no-single-step\": true); options on the command line override it.") var config: String?
  @Option(help: "Evaluate every N optimizer steps (0: only at the last step) when --eval-data is given.") var evalEvery = 0
  @Option(help: "Evaluation JSONL (instruction, input, output, optional references), sampled with the evaluation protocol's settings.") var evalData: String?
  @Option(help: "Evaluation: prompts evaluated (0: all).") var evalPrompts = 64
  @Option(help: "Evaluation: longest generated response.") var evalMaxNewTokens = 128
  @Option(help: "Threads per rank (default: OPENBLAS_NUM_THREADS, else the node's cores / ranks on the node).") var threads: Int?
  @Option(help: "Compare parameter checksums across ranks every N steps, 0: never (default \(MethodRecipes.replicaCheckEvery)).") var replicaCheckEvery: Int?
  @Flag(help: "Start each layer's gradient all-reduce during the backward (non-blocking).") var overlapReduction = false
  @Option(help: .hidden) var debugPerturbRank: Int?
  @Option(help: .hidden) var debugPerturbStep = 2

  /// The options as typed (nil: the recipe's default).
  var options: TrainOptions {
    var o = TrainOptions()
    o.method = method
    (o.teacher, o.initFrom, o.data, o.tokenizer, o.runDir, o.pretrainData) = (teacher, initFrom, data, tokenizer, runDir, pretrainData)
    (o.steps, o.batchSize, o.lr, o.warmup, o.schedule, o.minLr) = (steps, batchSize, lr, warmup, schedule, minLr)
    (o.weightDecay, o.adamBeta1, o.adamBeta2, o.adamEps, o.gradientClip) = (weightDecay, adamBeta1, adamBeta2, adamEps, gradientClip)
    (o.dModel, o.nLayer, o.nHead, o.contextLength) = (dModel, nLayer, nHead, contextLength)
    (o.seed, o.checkpointEvery, o.keepLast, o.replicaCheckEvery) = (seed, checkpointEvery, keepLast, replicaCheckEvery)
    o.overlapReduction = overlapReduction ? true : nil
    (o.kdRatio, o.beta, o.skewLambda, o.temperature) = (kdRatio, beta, skewLambda, temperature)
    (o.onPolicyFraction, o.maxNewTokens, o.seqkdVariant) = (onPolicyFraction, maxNewTokens, seqkdVariant)
    (o.rankingSamples, o.rankingMargin, o.rankingCeWeight) = (rankingSamples, rankingMargin, rankingCeWeight)
    (o.alpha, o.teacherShards, o.rollouts, o.minibatch, o.ppoEpochs, o.ppoClip) = (alpha, teacherShards, rollouts, minibatch, ppoEpochs, ppoClip)
    (o.gamma, o.rewardScaling, o.rewardClip, o.lambdaPt) = (gamma, rewardScaling, rewardClip, lambdaPt)
    o.paperReturns = paperReturns ? true : nil
    o.noLengthNormalization = noLengthNormalization ? true : nil
    o.noWhitenAdvantages = noWhitenAdvantages ? true : nil
    o.noSingleStep = noSingleStep ? true : nil
    o.weightSingleStep = weightSingleStep ? true : nil
    o.noPolicyGradient = noPolicyGradient ? true : nil
    return o
  }

  func validate() throws {
    do {
      _ = try options.resolve()
    } catch let error as TrainingError {
      throw ValidationError(error.description)
    }
  }

  /// Training-time evaluation uses the final protocol's sampling settings with one seed.
  var evaluationProtocol: EvaluationProtocol { EvaluationProtocol.paper(maxNewTokens: evalMaxNewTokens).firstSeeds(1) }

  /// The training-time evaluation of `student` on --eval-data (nil without it), scored by
  /// `teacher` when there is one; rank 0 prints the metrics.
  func evaluationHook(world: Communicator, student: GPT, template: PromptTemplate, teacher: @escaping () -> ShardedGPT?) throws
    -> ((Int) throws -> [String: Double])?
  {
    guard let evalData else { return nil }
    let contextLength = student.config.contextLength
    let evaluator = try Evaluator(
      records: try InstructionRecord.readJSONL(evalData), template: template, tokenizer: try BPETokenizer.load(contentsOf: tokenizer),
      maxPromptLength: contextLength - min(evalMaxNewTokens, contextLength / 2), maxLength: contextLength,
      limit: evalPrompts, group: world)
    let settings = evaluationProtocol
    return { step in
      let result = try evaluator.evaluate(model: student, teacher: teacher(), protocol: settings)
      if world.rank == 0 { print("eval at step \(step): " + formatMetrics(result.mean)) }
      return result.mean
    }
  }

  func run() throws {
    try MPIJob.run { world in
      if let threads, threads < 1 { throw TrainingError("invalid option: --threads must be ≥ 1, got \(threads)") }
      if let stopAfter, stopAfter < 1 { throw TrainingError("invalid option: --stop-after must be ≥ 1, got \(stopAfter)") }
      if let threads { KernelThreads.setAll(threads) }
      if world.rank == 0 { print("\(world.size) rank(s), \(KernelThreads.count) thread(s) per rank, OpenBLAS core \(BLAS.coreName)") }
      var resolved = try options.resolve()
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let job = String(decoding: try encoder.encode(resolved), as: UTF8.self)
        + "|resume=\(resume ?? "")|stop=\(stopAfter ?? 0)|eval=\(evalEvery)|\(evalData ?? "")|\(evalPrompts)"
      try RankAgreement.require(job, agreedBy: world, what: "training run")
      if let miniLLM = resolved.miniLLM {
        try runMiniLLM(world: world, config: resolved, teacherShards: miniLLM.teacherShards)
        return 0
      }
      if resolved.method == .seqkd { resolved.data = try prepareSeqKDCache(world: world, config: resolved) }
      let trainer = try TeacherForcedTrainer(config: resolved, group: world, resume: resume)
      trainer.state.evaluationEvery = evalEvery
      trainer.state.evaluate = try evaluationHook(world: world, student: trainer.student, template: trainer.state.promptTemplate) { trainer.scoringTeacher }
      if let debugPerturbRank { trainer.state.debugPerturbation = (debugPerturbRank, debugPerturbStep) }
      let total = resolved.steps
      let eta = ProgressClock(totalSteps: total, startStep: trainer.step)
      trainer.progress = { step, loss, learningRate, tokens in
        print(String(format: "step %d/%d  loss %.4f  lr %.2e  ", step, total, loss, learningRate) + eta.line(step: step, tokens: tokens))
      }
      try trainer.run(stopAfter: stopAfter)
      return 0
    }
  }
}
