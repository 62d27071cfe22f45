// `minillm-dist bench scaling`: weak scaling of data-parallel training (fixed batch per rank),
// with each step split into compute and gradient all-reduce, plus a sharded-teacher forward
// split into compute and teacher communication.

import ArgumentParser
import Collectives
import Foundation
import Kernels
import MPI
import Model
import Optim
import Randomness
import Training

struct BenchScaling: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scaling",
    abstract: "Data-parallel training step and sharded-teacher forward, with communication time split out.",
    discussion: "Run under mpirun with 1, 2, … ranks (one thread each); rank 0 prints a summary and ends with '<number> tokens/s'.")

  @Option(help: "Model preset: a, b or c.") var preset: ModelPreset = .b
  @Option(help: "Timed steps.") var steps = 6
  @Flag(help: "Overlap the gradient all-reduce with the backward (per-layer non-blocking).") var overlap = false

  func run() throws {
    try MPIJob.run { world in
      let timed = TimedCollective(world)
      let config = preset.config
      let B = preset.batchSize
      let T = config.contextLength
      let model = try preset.initializedModel()
      let optimizer = AdamW(layout: model.layout)
      var random = SeededGenerator(seed: 2 &+ UInt64(world.rank))
      let tokens = randomTokens(B * T, vocabulary: config.vocabSize, &random)
      let targets = randomTokens(B * T, vocabulary: config.vocabSize, &random)
      var stepTimes: [Double] = []
      var reduceTimes: [Double] = []
      for step in 0..<(steps + 1) {
        try world.barrier()
        timed.reset()
        let start = Date()
        model.zeroGradients()
        let logits = model.forward(TokenBatch(B: B, T: T, tokens: tokens))
        _ = crossEntropyForwardBackward(
          dlogits: model.dlogits, logits: logits, targets: targets, mask: nil,
          gradientScale: 1 / Float(B * T * world.size), N: B * T, V: config.vocabSize, Vp: config.paddedVocabSize)
        var exposedWait = 0.0
        if overlap {
          let reduction = OverlappedGradientReduction(gradients: model.gradients, group: timed)
          model.backward { try? reduction.ready($0) }
          let waitStart = Date()
          try reduction.finish()
          exposedWait = Date().timeIntervalSince(waitStart)
        } else {
          model.backward()
          try allReduceGradients(model.gradients, over: timed)
        }
        optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: 1e-4)
        if step > 0 {  // the first step is warm-up
          stepTimes.append(Date().timeIntervalSince(start))
          reduceTimes.append(timed.seconds + exposedWait)
        }
      }
      let step = stepTimes.sorted()[stepTimes.count / 2]
      let reduce = reduceTimes.sorted()[reduceTimes.count / 2]
      let tokensPerSecond = Double(B * T * world.size) / step
      // Sharded teacher forward over the whole world as one group (S = world size).
      var teacherLine = "teacher: skipped (n_head \(config.nHead) not divisible by \(world.size))"
      if config.nHead % world.size == 0 && config.paddedVocabSize % world.size == 0 {
        let teacher = try ShardedGPT(full: model, group: timed)
        try world.barrier()
        timed.reset()
        let start = Date()
        _ = try teacher.forward(tokens: tokens, B: B, T: T, keyStart: [Int32](repeating: 0, count: B), cache: nil)
        let total = Date().timeIntervalSince(start)
        teacherLine = String(format: "teacher forward (S=%d): %.1f ms, of which communication %.1f ms", world.size, total * 1000, timed.seconds * 1000)
      }
      if world.rank == 0 {
        print("preset \(preset.rawValue), \(world.size) rank(s) × batch \(B) × \(T) tokens, \(KernelThreads.count) thread(s)/rank, \(model.layout.effectiveParameterCount) parameters")
        print(String(format: "step %.1f ms: compute %.1f ms, gradient all-reduce %.1f ms%@ (%.1f MB)", step * 1000, (step - reduce) * 1000, reduce * 1000, overlap ? " exposed after the backward" : "", Double(model.layout.totalCount * 4) / 1e6))
        print(teacherLine)
        print(String(format: "%.1f tokens/s", tokensPerSecond))
      }
      return 0
    }
  }
}
