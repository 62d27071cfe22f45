// `minillm-dist bench checkpoint`: time to write and read a full checkpoint (weights and AdamW
// moments) for a benchmark preset.

import ArgumentParser
import Checkpointing
import Foundation
import Model
import Optim

struct BenchCheckpoint: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "checkpoint",
    abstract: "Write and read a checkpoint of a preset model (parameters, AdamW m and v); median of runs.",
    discussion: "Ends with '<write seconds> s write, <read seconds> s read'. Compare with Benchmarks/checkpoint/h5py_reference.py.")

  @Option(help: "Model preset: a, b or c.") var preset: ModelPreset = .c
  @Option(help: "Directory for the file (default: $TMPDIR or /tmp).") var directory: String =
    ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
  @Option(help: "Timed runs.") var repeats = 3

  func run() throws {
    let model = try preset.initializedModel()
    let optimizer = AdamW(layout: model.layout)
    for i in optimizer.m.storage.indices {
      optimizer.m.storage[i] = Float(i % 1000) * 1e-6
      optimizer.v.storage[i] = Float(i % 777) * 1e-9
    }
    let state = TrainingState(
      step: 1, stage: "bench", method: "bench", runConfigJSON: "{}", schedule: .constant(1e-4),
      ranks: [RankState(generator: [1, 2, 3, 4], cursor: .init())], metrics: ["train_loss": [1]],
      promptTemplate: .alpaca)
    let path = directory + "/minillm-bench-checkpoint-\(getpid()).h5"
    defer { try? FileManager.default.removeItem(atPath: path) }
    var writes: [Double] = []
    var reads: [Double] = []
    for _ in 0..<repeats {
      var start = Date()
      try Checkpoint.write(to: path, model: model, optimizer: optimizer, state: state, tokenizerJSON: nil)
      writes.append(Date().timeIntervalSince(start))
      start = Date()
      _ = try Checkpoint.read(path)
      reads.append(Date().timeIntervalSince(start))
    }
    let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    print("preset \(preset.rawValue): \(3 * model.layout.totalCount) floats, file \(bytes / 1_000_000) MB")
    print(String(format: "%.3f s write, %.3f s read", writes.sorted()[repeats / 2], reads.sorted()[repeats / 2]))
  }
}
