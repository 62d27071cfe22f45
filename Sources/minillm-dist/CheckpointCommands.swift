// `minillm-dist inspect | import-hf | export-hf`: look into checkpoints and move models to and
// from Hugging Face transformers.

import ArgumentParser
import Checkpointing
import Datasets
import Foundation
import Model
import Optim
import Tokenizers

struct InspectCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "inspect", abstract: "Print a checkpoint's config, step, tensors (shapes, norms) and metric history.")

  @Argument(help: "The checkpoint (.h5).") var checkpoint: String

  func run() throws {
    let loaded = try Checkpoint.read(checkpoint)
    let state = loaded.state
    print("checkpoint \(checkpoint)")
    print("  format \(Checkpoint.format) v\(Checkpoint.version), stage \(state.stage), method \(state.method), step \(state.step), written by \(state.ranks.count) rank(s)")
    let modelConfig = String(decoding: try JSONEncoder().encode(loaded.model.config), as: UTF8.self)
    print("  model \(modelConfig)")
    print("  parameters \(loaded.model.layout.effectiveParameterCount) (\(loaded.model.layout.totalCount) stored)")
    print("  optimizer step \(loaded.optimizer.step), schedule \(state.schedule.kind.rawValue) lr \(state.schedule.peak)")
    print("  run config (resolved; what resume compares):")
    if let object = try? JSONSerialization.jsonObject(with: Data(state.runConfigJSON.utf8)),
      let pretty = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    {
      for line in String(decoding: pretty, as: UTF8.self).split(separator: "\n") { print("    " + line) }
    } else {
      print("    " + state.runConfigJSON)
    }
    print("  tokenizer \(loaded.tokenizerJSON.map { "\($0.utf8.count) bytes" } ?? "none")")
    print("  tensors:")
    for tensor in ParameterTensor.allCases {
      let values = loaded.model.parameters.buffer(tensor)
      let norm = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
      print(String(format: "    %-12@ %-16@ norm %.6g", tensor.rawValue as NSString, "\(tensor.shape(loaded.model.config))" as NSString, norm))
    }
    for (rank, rankState) in state.ranks.enumerated() {
      print("  rank \(rank): loader epoch \(rankState.cursor.epoch) position \(rankState.cursor.position)")
    }
    print("  metrics:")
    for (name, values) in state.metrics.sorted(by: { $0.key < $1.key }) where !values.isEmpty {
      print(String(format: "    %-14@ %d values, first %.6g, last %.6g, min %.6g", name as NSString, values.count, values.first!, values.last!, values.min()!))
    }
  }
}

struct ImportHFCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import-hf",
    abstract: "Read a transformers GPT-2 directory (config.json, model.safetensors, tokenizer.json) into a checkpoint.")

  @Argument(help: "The model directory.") var directory: String
  @Option(help: "The checkpoint to write.") var output: String
  @Option(help: "The prompt format the model expects (recorded in the checkpoint): alpaca or compact.")
  var promptTemplate: PromptTemplate = .alpaca

  func run() throws {
    let imported = try HuggingFaceGPT2.load(directory: directory)
    let state = TrainingState(
      step: 0, stage: "imported", method: "import-hf", runConfigJSON: "{\"source\": \"\(directory)\"}",
      schedule: .constant(1e-4), ranks: [], metrics: [:], promptTemplate: promptTemplate)
    try Checkpoint.write(
      to: output, model: imported.model, optimizer: AdamW(layout: imported.model.layout), state: state,
      tokenizerJSON: imported.tokenizer?.jsonText())
    print("wrote \(output): \(imported.model.layout.effectiveParameterCount) parameters, vocabulary \(imported.model.config.vocabSize) (\(imported.model.config.paddedVocabSize) rows)")
  }
}

struct ExportHFCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export-hf", abstract: "Write a checkpoint's model as a transformers GPT-2 directory.")

  @Argument(help: "The checkpoint (.h5).") var checkpoint: String
  @Argument(help: "The directory to write.") var directory: String

  func run() throws {
    let loaded = try Checkpoint.read(checkpoint)
    let tokenizer = try loaded.tokenizerJSON.map { try BPETokenizer.load(json: Data($0.utf8), path: checkpoint + ":tokenizer") }
    try HuggingFaceGPT2.save(model: loaded.model, tokenizer: tokenizer, to: directory)
    print("wrote \(directory) (config.json, model.safetensors\(tokenizer == nil ? "" : ", tokenizer.json"))")
  }
}
