// `minillm-dist train --method sft|kd|rkl|jsd|tvd|sfkl|srkl`: teacher-forced training,
// data-parallel under mpirun, with exact resume from checkpoints.

import ArgumentParser
import Checkpointing
import Distill
import Foundation
import Kernels
import Model
import Optim
import Tokenizers
import Training
import Datasets
import MPI

/// Every method `train` accepts: the teacher-forced ones and MiniLLM.
enum TrainMethod: String, ExpressibleByArgument, CaseIterable {
  case sft, kd, seqkd, gkd, rkl, jsd, tvd, sfkl, srkl, minillm
}

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train on an instruction token cache, data-parallel over MPI ranks.",
    discussion: """
      Methods: sft (cross-entropy), kd ((1 − kd_ratio)·CE + kd_ratio·KL(p‖q)), seqkd (the
      teacher answers the data's prompts once, into RUN_DIR/seqkd-data.h5; then the KD mix, or
      CE with --seqkd-variant ce), rkl (KL(q‖p)), jsd (generalized JSD with --beta), tvd (total
      variation), sfkl / srkl (skew KLs with --skew-lambda), gkd (JSD on the student's own
      samples with probability --on-policy-fraction, default 0.5), minillm (docs/minillm.md);
      all but sft need --teacher CKPT. --on-policy-fraction λ makes any divergence method
      on-policy with probability λ. Each rank reads its share of the data;
      the loss is the mean over all response tokens of the global batch. Checkpoints go to
      RUN_DIR/checkpoints every --checkpoint-every steps; --resume auto continues from the
      newest valid one (same number of ranks).
      """)

  @Option(help: "Objective: sft, kd, seqkd, gkd, rkl, jsd, tvd, sfkl, srkl, minillm.") var method: TrainMethod = .sft
  @Option(help: "Teacher checkpoint (all methods but sft).") var teacher: String?
  @Option(help: "Start a fresh run from this checkpoint's weights (e.g. the SFT student).") var initFrom: String?
  @Option(help: "KD: weight of the KL term.") var kdRatio = 0.5
  @Option(help: "JSD: β (0 → forward KL, 1 → reverse KL).") var beta = 0.5
  @Option(help: "Skew KLs: λ.") var skewLambda = 0.1
  @Option(help: "Temperature of student and teacher distributions (KD and divergences).") var temperature: Float = 1
  @Option(help: "GKD on-policy mixing: probability that a step trains on the student's own samples (default 0; gkd: 0.5).") var onPolicyFraction: Double?
  @Option(help: "Longest sampled response in on-policy steps, MiniLLM rollouts and SeqKD (default 128; minillm: 256).") var onPolicyMaxNewTokens: Int?
  @Option(help: "SeqKD: train on the teacher's responses with the KD mix (kd, the authors' scripts) or pure cross-entropy (ce, textbook).") var seqkdVariant = "kd"
  @Option(help: "MiniLLM: teacher-mix strength α of the sampling distribution.") var alpha = 0.2
  @Option(help: "MiniLLM: ranks per teacher group (divides the world size).") var teacherShards = 1
  @Option(help: "MiniLLM: prompts per rollout collection, over all ranks (a multiple of the number of ranks).") var rollouts = 256
  @Option(help: "MiniLLM: sequences per PPO minibatch (one optimizer step), over all ranks.") var minibatch = 64
  @Option(help: "MiniLLM: PPO epochs over each collection.") var ppoEpochs = 4
  @Option(help: "MiniLLM: PPO clip ε.") var ppoClip = 0.2
  @Option(help: "MiniLLM: discount γ of future rewards.") var gamma = 0.95
  @Option(help: "MiniLLM: rewards are (log p − log q_old) / this, clipped to ±--reward-clip.") var rewardScaling = 0.5
  @Option(help: "MiniLLM: reward clip.") var rewardClip = 100.0
  @Flag(help: "MiniLLM: start returns at r_{t+1} as the paper does (default: r_t as the authors' code).") var paperReturns = false
  @Flag(help: "MiniLLM: no length normalization of returns.") var noLengthNormalization = false
  @Flag(help: "MiniLLM: no single-step reverse-KL term.") var noSingleStep = false
  @Flag(help: "MiniLLM: weight the single-step term by w_t (paper; default off as in the code).") var weightSingleStep = false
  @Option(help: "MiniLLM: D_PT token cache (data prepare --pretrain) for the L_PT term; none: L_PT off.") var pretrainData: String?
  @Option(help: "MiniLLM: weight λ_PT of L_PT.") var lambdaPt = 1.0

  @Option(help: "Instruction token cache (data prepare --instructions).") var data: String
  @Option(help: "The tokenizer.json the cache was built with.") var tokenizer: String
  @Option(help: "Run directory.") var runDir: String
  @Option(help: "Total optimizer steps.") var steps = 100
  @Option(help: "Sequences per rank per step.") var batchSize = 8
  @Option(help: "Peak learning rate (default 5e-4; minillm: 5e-6).") var lr: Float?
  @Option(help: "Warm-up steps (default 10; minillm: 100).") var warmup: Int?
  @Option(help: "Schedule: constant or cosine to --min-lr at the last step (default cosine; minillm: constant).") var schedule: String?
  @Option(help: "Final learning rate of the cosine schedule (default lr / 10).") var minLr: Float?
  @Option(help: "Weight decay (decoupled; matrices and embeddings only; default 0.01; minillm: 1e-6).") var weightDecay: Float?
  @Option(help: "Width of a fresh model.") var dModel = 128
  @Option(help: "Layers of a fresh model.") var nLayer = 4
  @Option(help: "Heads of a fresh model.") var nHead = 4
  @Option(help: "Context length of a fresh model.") var contextLength = 512
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(help: "Checkpoint cadence in steps.") var checkpointEvery = 50
  @Option(help: "Checkpoints kept besides the best.") var keepLast = 3
  @Option(help: "auto, or a checkpoint path.") var resume: String?
  @Option(help: "Stop after this many steps in this invocation (checkpoints first).") var stopAfter: Int?
  @Option(help: .hidden) var stopAfterChunks: Int?
  @Option(help: "A JSON file of options (keys are option names, e.g. \"kd_ratio\": 0.5 or \"no-single-step\": true); options on the command line override it.") var config: String?
  @Option(help: "Evaluate every N optimizer steps (0: only at the last step) when --eval-data is given.") var evalEvery = 0
  @Option(help: "Evaluation JSONL (instruction, input, output, optional references), sampled with the evaluation protocol's settings.") var evalData: String?
  @Option(help: "Evaluation: prompts evaluated (0: all).") var evalPrompts = 64
  @Option(help: "Evaluation: longest generated response.") var evalMaxNewTokens = 128
  @Option(help: "Threads per rank (default: OPENBLAS_NUM_THREADS, else the node's cores / ranks on the node).") var threads: Int?
  @Option(help: "Compare parameter checksums across ranks every N steps (0: never).") var replicaCheckEvery = 50
  @Flag(help: "Start each layer's gradient all-reduce during the backward (non-blocking).") var overlapReduction = false
  @Option(help: .hidden) var debugPerturbRank: Int?
  @Option(help: .hidden) var debugPerturbStep = 2

  func validate() throws {
    if let schedule, schedule != "constant" && schedule != "cosine" {
      throw ValidationError("--schedule must be constant or cosine, got \(schedule)")
    }
    if !["kd", "ce"].contains(seqkdVariant) { throw ValidationError("--seqkd-variant must be kd or ce, got \(seqkdVariant)") }
  }

  /// The longest sampled response (on-policy steps, MiniLLM rollouts, SeqKD).
  var maxNewTokens: Int { onPolicyMaxNewTokens ?? (method == .minillm ? 256 : 128) }

  /// Training-time evaluation uses the final protocol's sampling settings with one seed.
  var evaluationProtocol: EvaluationProtocol { EvaluationProtocol.paper(maxNewTokens: evalMaxNewTokens).firstSeeds(1) }

  /// The training-time evaluation of `student` on --eval-data (nil without it), scored by
  /// `teacher` when there is one; rank 0 prints the metrics.
  func evaluationHook(world: Communicator, student: GPT, teacher: @escaping () -> ShardedGPT?) throws
    -> ((Int) throws -> [String: Double])?
  {
    guard let evalData else { return nil }
    let contextLength = student.config.contextLength
    let evaluator = try Evaluator(
      records: try InstructionRecord.readJSONL(evalData), tokenizer: try BPETokenizer.load(contentsOf: tokenizer),
      maxPromptLength: contextLength - min(evalMaxNewTokens, contextLength / 2), maxLength: contextLength,
      limit: evalPrompts, group: world)
    let settings = evaluationProtocol
    return { step in
      let result = try evaluator.evaluate(model: student, teacher: teacher(), protocol: settings)
      if world.rank == 0 { print("eval at step \(step): " + formatMetrics(result.mean)) }
      return result.mean
    }
  }

  /// The optimization settings, with the method's reference defaults (METHOD.md) where not given.
  var optimization: (lr: Float, warmup: Int, schedule: LearningRateSchedule, weightDecay: Float) {
    let isMiniLLM = method == .minillm
    let peak = lr ?? (isMiniLLM ? 5e-6 : 5e-4)
    let warm = warmup ?? (isMiniLLM ? 100 : 10)
    let kind = schedule ?? (isMiniLLM ? "constant" : "cosine")
    let resolved: LearningRateSchedule = kind == "constant"
      ? .constant(peak, warmupSteps: warm)
      : .cosine(peak, warmupSteps: warm, totalSteps: steps, floor: minLr ?? peak / 10)
    return (peak, warm, resolved, weightDecay ?? (isMiniLLM ? 1e-6 : 0.01))
  }

  func run() throws {
    try MPIJob.run { world in
      if let threads { KernelThreads.setAll(threads) }
      if world.rank == 0 { print("\(world.size) rank(s), \(KernelThreads.count) thread(s) per rank, OpenBLAS core \(BLAS.coreName)") }
      let config = TeacherForcedConfig(
        data: data, tokenizer: tokenizer, runDirectory: runDir,
        model: GPTConfig(vocabSize: 2, contextLength: contextLength, dModel: dModel, nLayer: nLayer, nHead: nHead),
        batchSize: batchSize, steps: steps, schedule: optimization.schedule,
        optimizer: AdamWConfig(weightDecay: optimization.weightDecay), seed: seed,
        checkpointEvery: checkpointEvery, keepLast: keepLast)
      var resolved = config
      switch method {
      case .gkd: resolved.method = .jsd
      case .seqkd:
        resolved.data = try prepareSeqKDCache(world: world)
        resolved.method = seqkdVariant == "kd" ? .kd : .sft
      default: resolved.method = TeacherForcedMethod(rawValue: method.rawValue) ?? .rkl
      }
      resolved.teacher = teacher
      resolved.initFrom = initFrom
      resolved.kdRatio = kdRatio
      resolved.beta = beta
      resolved.skewLambda = skewLambda
      resolved.temperature = temperature
      resolved.onPolicyFraction = onPolicyFraction ?? (method == .gkd ? 0.5 : 0)
      resolved.onPolicyMaxNewTokens = maxNewTokens
      resolved.replicaCheckEvery = replicaCheckEvery
      resolved.overlapGradientReduction = overlapReduction
      if method == .minillm {
        var settings = MiniLLMConfig()
        settings.alpha = alpha
        settings.ppoEpochs = ppoEpochs
        settings.ppoClip = ppoClip
        settings.gamma = gamma
        settings.rewardScaling = rewardScaling
        settings.rewardClip = rewardClip
        settings.includeCurrentReward = !paperReturns
        settings.lengthNormalization = !noLengthNormalization
        settings.singleStep = !noSingleStep
        settings.weightSingleStep = weightSingleStep
        settings.pretrainingLoss = pretrainData != nil
        settings.lambdaPT = lambdaPt
        settings.kdRatio = kdRatio
        try runMiniLLM(world: world, config: resolved, settings: settings)
        return 0
      }
      let trainer = try TeacherForcedTrainer(config: resolved, group: world, resume: resume)
      trainer.evaluationEvery = evalEvery
      trainer.evaluate = try evaluationHook(world: world, student: trainer.student) { trainer.scoringTeacher }
      if let debugPerturbRank { trainer.debugPerturbation = (debugPerturbRank, debugPerturbStep) }
      let eta = ProgressClock(totalSteps: steps, startStep: trainer.step)
      trainer.progress = { step, loss, learningRate, tokens in
        print(String(format: "step %d/%d  loss %.4f  lr %.2e  ", step, steps, loss, learningRate) + eta.line(step: step, tokens: tokens))
      }
      try trainer.run(stopAfter: stopAfter)
      return 0
    }
  }
}
