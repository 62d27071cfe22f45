// `minillm-dist bench train|sample`: training-step and KV-cache sampling throughput on the
// presets that Benchmarks/train/torch_reference.py builds in PyTorch.

import ArgumentParser
import Foundation
import Generation
import Kernels
import Model
import Optim
import Randomness

/// Single-core fp32 FMA peak of the reference machine (docs/benchmarks.md), for MFU.
private let peakFlopsPerThread = 92e9

private func seconds(_ body: () throws -> Void) rethrows -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

struct BenchTrain: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Training-step throughput: forward + cross-entropy + backward + AdamW.",
    discussion: "Prints the median step time, MFU (6·N·tokens/s over 92 GFLOP/s per thread) and ends with '<number> tokens/s'.")

  @Option(help: "Model preset: a, b or c.") var preset: ModelPreset = .b
  @Option(help: "Threads for our kernels and OpenBLAS.") var threads: Int = 1
  @Option(help: "Timed steps.") var steps: Int = 10
  @Option(help: "Untimed warm-up steps.") var warmup: Int = 2

  func run() throws {
    KernelThreads.setAll(threads)
    let config = preset.config
    let B = preset.batchSize
    let T = config.contextLength
    let model = try preset.initializedModel()
    let optimizer = AdamW(layout: model.layout)
    var random = SeededGenerator(seed: 2)
    let tokens = randomTokens(B * T, vocabulary: config.vocabSize, &random)
    let targets = randomTokens(B * T, vocabulary: config.vocabSize, &random)
    let batch = TokenBatch(B: B, T: T, tokens: tokens)
    let parameterCount = model.layout.effectiveParameterCount
    print("preset \(preset.rawValue): \(parameterCount) parameters, B=\(B) T=\(T), \(threads) thread(s), OpenBLAS core \(BLAS.coreName)")
    var times: [Double] = []
    var loss = 0.0
    for step in 0..<(warmup + steps) {
      let time = seconds {
        let logits = model.forward(batch)
        loss = crossEntropyForwardBackward(
          dlogits: model.dlogits, logits: logits, targets: targets, mask: nil,
          gradientScale: 1 / Float(B * T), N: B * T, V: config.vocabSize, Vp: config.paddedVocabSize
        ).mean
        model.zeroGradients()
        model.backward()
        optimizer.update(parameters: model.parameters, gradients: model.gradients, learningRate: 3e-4)
      }
      if step >= warmup { times.append(time) }
    }
    let median = times.sorted()[times.count / 2]
    let tokensPerSecond = Double(B * T) / median
    let mfu = 6 * Double(parameterCount) * tokensPerSecond / (peakFlopsPerThread * Double(threads))
    print(String(format: "median step %.1f ms (min %.1f, max %.1f), loss %.3f, MFU %.1f%%",
      median * 1000, times.min()! * 1000, times.max()! * 1000, loss, mfu * 100))
    print(String(format: "%.1f tokens/s", tokensPerSecond))
  }
}

struct BenchSample: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sample",
    abstract: "KV-cache sampling throughput (prefill included), temperature 1.",
    discussion: "Ends with '<number> tokens/s' (new tokens over total decode time).")

  @Option(help: "Model preset: a, b or c.") var preset: ModelPreset = .b
  @Option(help: "Threads for our kernels and OpenBLAS.") var threads: Int = 1
  @Option(help: "Sequences decoded together.") var batch: Int = 8
  @Option(help: "Prompt tokens per sequence.") var prompt: Int = 16
  @Option(help: "New tokens per sequence.") var new: Int = 128
  @Option(help: "Timed repetitions (the median is reported).") var repeats: Int = 3

  func run() throws {
    KernelThreads.setAll(threads)
    let config = preset.config
    let model = try preset.initializedModel()
    let generator = Generator(model: model, batchSize: batch, capacity: prompt + new)
    var random = SeededGenerator(seed: 3)
    let prompts = (0..<batch).map { _ in randomTokens(prompt, vocabulary: config.vocabSize, &random) }
    let sampling = SamplingConfig(maxNewTokens: new)
    print("preset \(preset.rawValue): batch \(batch), prompt \(prompt), \(new) new tokens, \(threads) thread(s)")
    var times: [Double] = []
    for _ in 0...repeats {
      times.append(try seconds { _ = try generator.generate(prompts: prompts, config: sampling, random: &random) })
    }
    times.removeFirst()  // warm-up
    let median = times.sorted()[times.count / 2]
    print(String(format: "median %.3f s per batch (%.2f ms per step)", median, median / Double(new) * 1000))
    print(String(format: "%.1f tokens/s", Double(batch * new) / median))
  }
}
