// The versioned HDF5 checkpoint (docs/checkpoint-format.md): model config and weights by
// name, AdamW moments, schedule, per-rank generator and loader state, metric history, the
// tokenizer, and room for the MiniLLM rollout store. Self-describing: the architecture on
// resume comes from the file.

import Datasets
import Foundation
import HDF5
import Model
import Optim
import Tokenizers

/// A checkpoint read back from disk.
public struct LoadedCheckpoint {
  public var model: GPT
  public var optimizer: AdamW
  public var state: TrainingState
  public var tokenizerJSON: String?
  /// The MiniLLM rollout store (nil for other stages).
  public var rollouts: RolloutStoreSnapshot?
}

/// Writing and reading checkpoints.
public enum Checkpoint {
  public static let format = "minillm-checkpoint"
  public static let version: Int64 = 1

  /// Writes a checkpoint to `path` through `path.tmp`, flushed, closed, then renamed: a crash
  /// while writing never leaves a partial file under the final name.
  public static func write(
    to path: String, model: GPT, optimizer: AdamW, state: TrainingState, tokenizerJSON: String?,
    rollouts: RolloutStoreSnapshot? = nil
  ) throws {
    try HDF5File.writeAtomically(path, checksums: true) { root in
      try root.setAttribute("format", string: format)
      try root.setAttribute("format_version", value: version)
      try root.setAttribute("step", value: Int64(state.step))
      try root.setAttribute("stage", string: state.stage)
      try root.setAttribute("method", string: state.method)
      try root.setAttribute("world_size", value: Int64(state.ranks.count))
      try root.setAttribute("prompt_template", string: state.promptTemplate.rawValue)
      if let fingerprint = state.dataFingerprint { try root.setAttribute("data_fingerprint", string: fingerprint) }
      let config = try root.createGroup("config")
      try config.writeString("run", state.runConfigJSON)
      try config.writeString("model", String(decoding: try JSONEncoder().encode(model.config), as: UTF8.self))
      try config.writeString("schedule", String(decoding: try JSONEncoder().encode(state.schedule), as: UTF8.self))
      try config.writeString("optimizer", String(decoding: try JSONEncoder().encode(optimizer.config), as: UTF8.self))
      if let tokenizerJSON { try root.writeString("tokenizer", tokenizerJSON) }
      try writeArena(model.parameters, into: try root.createGroup("model"))
      let optimizerGroup = try root.createGroup("optimizer")
      try optimizerGroup.setAttribute("step", value: Int64(optimizer.step))
      try writeArena(optimizer.m, into: try optimizerGroup.createGroup("m"))
      try writeArena(optimizer.v, into: try optimizerGroup.createGroup("v"))
      let ranks = try root.createGroup("ranks")
      for (rank, rankState) in state.ranks.enumerated() {
        let group = try ranks.createGroup("\(rank)")
        try group.write("generator", array: rankState.generator.map { Int64(bitPattern: $0) }, shape: [4])
        try group.setAttribute("epoch", value: Int64(rankState.cursor.epoch))
        try group.setAttribute("position", value: Int64(rankState.cursor.position))
        if let pretraining = rankState.pretrainingCursor {
          try group.setAttribute("pretraining_epoch", value: Int64(pretraining.epoch))
          try group.setAttribute("pretraining_position", value: Int64(pretraining.position))
        }
      }
      let metrics = try root.createGroup("metrics")
      for (name, values) in state.metrics { try metrics.write(name, array: values, shape: [values.count]) }
      let rolloutGroup = try root.createGroup("rollouts")
      if let rollouts {
        try rollouts.write(into: rolloutGroup)
      } else {
        try rolloutGroup.setAttribute("count", value: Int64(0))
      }
    }
  }

  private static func writeArena(_ arena: ParameterArena, into group: HDF5Group) throws {
    let config = arena.layout.config
    for tensor in ParameterTensor.allCases {
      try group.write(tensor.rawValue, values: UnsafeBufferPointer(arena.buffer(tensor)), shape: tensor.shape(config))
    }
  }

  /// Reads a checkpoint; the model's architecture comes from the file.
  /// - Throws: `CheckpointError` or `HDF5Error` naming the file and the tensor or field.
  public static func read(_ path: String) throws -> LoadedCheckpoint {
    let root = try HDF5File.open(path).root()
    guard try root.hasAttribute("format"), try root.stringAttribute("format") == format else {
      throw CheckpointError(path: path, item: "format", "is not a minillm checkpoint")
    }
    let fileVersion = try root.scalarAttribute("format_version", as: Int64.self)
    guard fileVersion == version else {
      throw CheckpointError(path: path, item: "format_version", "is \(fileVersion); this build reads version \(version)")
    }
    func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
      let text = try root.openGroup("config").readString(name)
      do {
        return try JSONDecoder().decode(T.self, from: Data(text.utf8))
      } catch {
        throw CheckpointError(path: path, item: "config/\(name)", "cannot be decoded (\(error))")
      }
    }
    let modelConfig = try decode(GPTConfig.self, "model")
    let model: GPT
    do {
      model = try GPT(config: modelConfig)
    } catch {
      throw CheckpointError(path: path, item: "config/model", "\(error)")
    }
    try readArena(model.parameters, from: try root.openGroup("model"), path: path, prefix: "model")
    let optimizer = AdamW(layout: model.layout, config: try decode(AdamWConfig.self, "optimizer"))
    let optimizerGroup = try root.openGroup("optimizer")
    try readArena(optimizer.m, from: try optimizerGroup.openGroup("m"), path: path, prefix: "optimizer/m")
    try readArena(optimizer.v, from: try optimizerGroup.openGroup("v"), path: path, prefix: "optimizer/v")
    func count(_ group: HDF5Group, _ name: String, _ item: String, atMost limit: Int64 = Int64(Int32.max)) throws -> Int {
      let value = try group.scalarAttribute(name, as: Int64.self)
      guard (0...limit).contains(value) else {
        throw CheckpointError(path: path, item: item, "is \(value); it must be between 0 and \(limit)")
      }
      return Int(value)
    }
    optimizer.restore(step: try count(optimizerGroup, "step", "optimizer@step"))
    let worldSize = try count(root, "world_size", "world_size", atMost: 1 << 20)
    guard worldSize >= 1 else { throw CheckpointError(path: path, item: "world_size", "is 0; a checkpoint has at least one rank") }
    var ranks: [RankState] = []
    let ranksGroup = try root.openGroup("ranks")
    for rank in 0..<worldSize {
      let group = try ranksGroup.openGroup("\(rank)")
      let (words, _) = try group.read("generator", as: Int64.self)
      guard words.count == 4 else { throw CheckpointError(path: path, item: "ranks/\(rank)/generator", "needs 4 words") }
      let item = "ranks/\(rank)@"
      let pretrainingCursor = try group.hasAttribute("pretraining_epoch")
        ? SamplerCursor(
          epoch: try count(group, "pretraining_epoch", item + "pretraining_epoch"),
          position: try count(group, "pretraining_position", item + "pretraining_position")) : nil
      ranks.append(RankState(
        generator: words.map { UInt64(bitPattern: $0) },
        cursor: .init(epoch: try count(group, "epoch", item + "epoch"), position: try count(group, "position", item + "position")),
        pretrainingCursor: pretrainingCursor))
    }
    var metrics: [String: [Double]] = [:]
    let metricsGroup = try root.openGroup("metrics")
    for name in try metricsGroup.memberNames() { metrics[name] = try metricsGroup.read(name, as: Double.self).values }
    var promptTemplate = PromptTemplate.alpaca  // checkpoints written before the attribute existed
    if try root.hasAttribute("prompt_template") {
      let name = try root.stringAttribute("prompt_template")
      guard let template = PromptTemplate(rawValue: name) else {
        throw CheckpointError(path: path, item: "prompt_template", "is \"\(name)\", not one of \(PromptTemplate.allCases.map(\.rawValue))")
      }
      promptTemplate = template
    }
    let state = TrainingState(
      step: try count(root, "step", "step"), stage: try root.stringAttribute("stage"),
      method: try root.stringAttribute("method"), runConfigJSON: try root.openGroup("config").readString("run"),
      schedule: try decode(LearningRateSchedule.self, "schedule"), ranks: ranks, metrics: metrics,
      promptTemplate: promptTemplate,
      dataFingerprint: try root.hasAttribute("data_fingerprint") ? try root.stringAttribute("data_fingerprint") : nil)
    let tokenizerJSON = try root.contains("tokenizer") ? try root.readString("tokenizer") : nil
    let rollouts = try root.contains("rollouts")
      ? try RolloutStoreSnapshot.read(from: try root.openGroup("rollouts"), worldSize: worldSize, path: path) : nil
    return LoadedCheckpoint(
      model: model, optimizer: optimizer, state: state, tokenizerJSON: tokenizerJSON, rollouts: rollouts)
  }

  private static func readArena(_ arena: ParameterArena, from group: HDF5Group, path: String, prefix: String) throws {
    let config = arena.layout.config
    for tensor in ParameterTensor.allCases {
      let name = "\(prefix)/\(tensor.rawValue)"
      guard try group.contains(tensor.rawValue) else { throw CheckpointError(path: path, item: name, "missing") }
      let dataset = try group.openDataset(tensor.rawValue)
      let shape = try dataset.shape
      guard shape == tensor.shape(config) else {
        throw CheckpointError(path: path, item: name, "has shape \(shape), the model config needs \(tensor.shape(config))")
      }
      try dataset.read(into: arena.buffer(tensor))
    }
  }
}
