// `minillm-dist train sft`: supervised fine-tuning, data-parallel under mpirun, with exact
// resume from checkpoints.

import ArgumentParser
import Checkpointing
import Foundation
import Kernels
import Model
import Optim
import Training

struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train", abstract: "Train a model.", subcommands: [SFT.self])

  struct SFT: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sft",
      abstract: "Supervised fine-tuning on an instruction token cache (data-parallel over MPI ranks).",
      discussion: """
        Each rank reads its share of the data; the loss is the mean over all response tokens of
        the global batch. Checkpoints go to RUN_DIR/checkpoints every --checkpoint-every steps.
        --resume auto continues from the newest valid checkpoint (same number of ranks).
        """)

    @Option(help: "Instruction token cache (data prepare --instructions).") var data: String
    @Option(help: "The tokenizer.json the cache was built with.") var tokenizer: String
    @Option(help: "Run directory.") var runDir: String
    @Option(help: "Total optimizer steps.") var steps = 100
    @Option(help: "Sequences per rank per step.") var batchSize = 8
    @Option(help: "Peak learning rate.") var lr: Float = 5e-4
    @Option(help: "Warm-up steps.") var warmup = 10
    @Option(help: "Schedule: constant or cosine (to --min-lr at the last step).") var schedule = "cosine"
    @Option(help: "Final learning rate of the cosine schedule.") var minLr: Float = 5e-5
    @Option(help: "Weight decay (decoupled; matrices and embeddings only).") var weightDecay: Float = 0.01
    @Option(help: "Width of a fresh model.") var dModel = 128
    @Option(help: "Layers of a fresh model.") var nLayer = 4
    @Option(help: "Heads of a fresh model.") var nHead = 4
    @Option(help: "Context length of a fresh model.") var contextLength = 512
    @Option(help: "Base seed.") var seed: UInt64 = 1
    @Option(help: "Checkpoint cadence in steps.") var checkpointEvery = 50
    @Option(help: "Checkpoints kept besides the best.") var keepLast = 3
    @Option(help: "auto, or a checkpoint path.") var resume: String?
    @Option(help: "Stop after this many steps in this invocation (checkpoints first).") var stopAfter: Int?
    @Option(help: "Threads per rank (default: OPENBLAS_NUM_THREADS, else the node's cores / ranks on the node).") var threads: Int?
    @Option(help: "Compare parameter checksums across ranks every N steps (0: never).") var replicaCheckEvery = 50
    @Flag(help: "Start each layer's gradient all-reduce during the backward (non-blocking).") var overlapReduction = false
    @Option(help: .hidden) var debugPerturbRank: Int?
    @Option(help: .hidden) var debugPerturbStep = 2

    func validate() throws {
      if schedule != "constant" && schedule != "cosine" {
        throw ValidationError("--schedule must be constant or cosine, got \(schedule)")
      }
    }

    func run() throws {
      try MPIJob.run { world in
        if let threads { KernelThreads.setAll(threads) }
        if world.rank == 0 { print("\(world.size) rank(s), \(KernelThreads.count) thread(s) per rank, OpenBLAS core \(BLAS.coreName)") }
        let config = SFTConfig(
          data: data, tokenizer: tokenizer, runDirectory: runDir,
          model: GPTConfig(vocabSize: 2, contextLength: contextLength, dModel: dModel, nLayer: nLayer, nHead: nHead),
          batchSize: batchSize, steps: steps,
          schedule: schedule == "constant"
            ? .constant(lr, warmupSteps: warmup)
            : .cosine(lr, warmupSteps: warmup, totalSteps: steps, floor: minLr),
          optimizer: AdamWConfig(weightDecay: weightDecay), seed: seed,
          checkpointEvery: checkpointEvery, keepLast: keepLast)
        var resolved = config
        resolved.replicaCheckEvery = replicaCheckEvery
        resolved.overlapGradientReduction = overlapReduction
        let trainer = try SFTTrainer(config: resolved, group: world, resume: resume)
        if let debugPerturbRank { trainer.debugPerturbation = (debugPerturbRank, debugPerturbStep) }
        let start = Date()
        trainer.progress = { step, loss, learningRate in
          let elapsed = Date().timeIntervalSince(start)
          print(String(format: "step %d/%d  loss %.4f  lr %.2e  %.1f s", step, steps, loss, learningRate, elapsed))
        }
        try trainer.run(stopAfter: stopAfter)
        return 0
      }
    }
  }
}
