// `minillm-dist eval`: sample and score checkpoints on an evaluation set under the paper's
// protocol (or a quicker one), distributed over ranks, with teacher-scored diagnostics.

import ArgumentParser
import AtomicFiles
import Checkpointing
import Collectives
import Datasets
import Foundation
import Generation
import Model
import MPI
import Tokenizers
import Training

struct EvalCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "eval",
    abstract: "Evaluate checkpoints: Rouge-L, exact match, valid rate, Dist-4, length, loss, teacher-scored KL and NLL.",
    discussion: """
      The evaluation set is instruction JSONL (instruction, input, output, optional references).
      --protocol paper samples with temperature 1, top-k 0, top-p 1, no_repeat_ngram_size 6 and
      seeds 10, 20, 30, 40, 50 and reports mean ± standard deviation over seeds
      (--no-repeat-ngram-size 0 turns the ban off; --no-repeat-ignores-prompt lets an answer
      copy the prompt). On the synthetic task the valid rate is also given per family and per
      answer length, with the distinct valid answers per prompt over the seeds. With --teacher,
      the student's samples are scored by the teacher (sharded over --teacher-shards ranks).
      Prompts are built in the template the models were trained with (recorded in each
      checkpoint; every model and the teacher must agree), unless --prompt-template says otherwise.
      """)

  @Option(name: .customLong("model"), help: "Checkpoint to evaluate (repeat for several).") var models: [String]
  @Option(help: "Evaluation JSONL.") var data: String
  @Option(help: "tokenizer.json (default: the one stored in the first checkpoint).") var tokenizer: String?
  @Option(help: "Teacher checkpoint for teacher-scored metrics.") var teacher: String?
  @Option(help: "Ranks per teacher group (divides the world size).") var teacherShards = 1
  @Option(name: .customLong("protocol"), help: "paper (5 seeds) or quick (first seed only); same sampling settings.") var protocolName: String = "paper"
  @Option(help: "Seeds, comma-separated (overrides the protocol's).") var seeds: String?
  @Option(help: "Longest generated response, in tokens.") var maxNewTokens = 256
  @Option(help: "No-repeat n-gram ban (the paper's protocol: 6; 0 turns it off, as for tasks judged by exact validity).")
  var noRepeatNgramSize = 6
  @Flag(help: "The no-repeat ban counts only the response's n-grams, not the prompt's.") var noRepeatIgnoresPrompt = false
  @Flag(help: "Also decode greedily once: greedy scores and, on the synthetic task, the calibration error (ECE).") var greedy = false
  @Option(help: "Longest prompt kept, in tokens (longer ones are dropped).") var maxPromptLength = 256
  @Option(help: "Records evaluated (0: all).") var prompts = 0
  @Option(help: "Prompt format, alpaca or compact (default: the one the first checkpoint was trained with).")
  var promptTemplate: PromptTemplate?
  @Option(help: "Sequences per generation batch per rank.") var batchSize = 8
  @Option(help: "Write the results as JSON here.") var output: String?
  @Option(help: "Write the first seed's responses as JSONL here.") var samples: String?

  func validate() throws {
    guard ["paper", "quick"].contains(protocolName) else { throw ValidationError("--protocol must be paper or quick") }
    guard !models.isEmpty else { throw ValidationError("give at least one --model CHECKPOINT") }
    guard noRepeatNgramSize >= 0 else { throw ValidationError("--no-repeat-ngram-size must be ≥ 0, got \(noRepeatNgramSize)") }
  }

  /// The protocol the options select.
  var evaluationProtocol: EvaluationProtocol {
    var chosen = EvaluationProtocol.paper(maxNewTokens: maxNewTokens)
    if protocolName == "quick" { chosen = chosen.firstSeeds(1) }
    if let seeds { chosen.seeds = seeds.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) } }
    chosen.sampling.noRepeatNgramSize = noRepeatNgramSize
    chosen.sampling.noRepeatSeesPrompt = !noRepeatIgnoresPrompt
    chosen.greedyPass = greedy
    return chosen
  }

  func run() throws {
    try MPIJob.run { world in
      let first = try Checkpoint.read(models[0])
      let encoder: BPETokenizer
      if let tokenizer {
        encoder = try BPETokenizer.load(contentsOf: tokenizer)
      } else if let json = first.tokenizerJSON {
        encoder = try BPETokenizer.load(json: Data(json.utf8), path: models[0])
      } else {
        throw ValidationError("\(models[0]) stores no tokenizer; pass --tokenizer")
      }
      let template = promptTemplate ?? first.state.promptTemplate
      let records = try InstructionRecord.readJSONL(data)
      let sharded = try teacher.map { path -> ShardedGPT in
        let group = try teacherGroup(world, shards: teacherShards)
        let loaded = try Checkpoint.read(path)
        try requireTemplate(loaded, path: "teacher " + path, template)
        return try ShardedGPT(full: loaded.model, group: group)
      }
      let evaluator = try Evaluator(
        records: records, template: template, tokenizer: encoder, maxPromptLength: min(maxPromptLength, first.model.config.contextLength - 1),
        maxLength: first.model.config.contextLength, limit: prompts, group: world, batchSize: batchSize)
      let chosen = evaluationProtocol
      if world.rank == 0 {
        print("evaluating \(evaluator.records.count) prompts of \(data) with \(chosen.seeds.count) seed(s) on \(world.size) rank(s)\(evaluator.isSyntheticTask ? " (synthetic task: valid rate from its checker)" : "")")
      }
      var results: [[String: Any]] = []
      for path in models {
        let loaded = path == models[0] ? first : try Checkpoint.read(path)
        try requireTemplate(loaded, path: path, template)
        let model = loaded.model
        let started = Date()
        let result = try evaluator.evaluate(model: model, teacher: sharded, protocol: chosen)
        if world.rank == 0 {
          print("\(path)  (\(String(format: "%.1f", Date().timeIntervalSince(started))) s)")
          for key in result.mean.keys.sorted() {
            let name = key.padding(toLength: 22, withPad: " ", startingAt: 0)
            print("  " + name + String(format: "%10.4f ± %.4f", result.mean[key]!, result.standardDeviation[key]!))
          }
          results.append(["model": path, "mean": result.mean, "std": result.standardDeviation, "per_seed": result.perSeed])
          if let samples, path == models[0] { try writeSamples(result.samples, to: samples) }
        }
      }
      if world.rank == 0, let output {
        let data = try JSONSerialization.data(
          withJSONObject: ["data": data, "seeds": chosen.seeds, "results": results], options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data, to: output)
      }
      return 0
    }
  }

  /// Refuses a checkpoint trained with another template than the evaluation's, unless the user
  /// chose the template.
  func requireTemplate(_ loaded: LoadedCheckpoint, path: String, _ template: PromptTemplate) throws {
    guard promptTemplate == nil, loaded.state.promptTemplate != template else { return }
    throw ValidationError(
      "\(path) was trained with the \(loaded.state.promptTemplate.rawValue) prompt template, \(models[0]) with \(template.rawValue); evaluate them separately or pass --prompt-template")
  }

  func writeSamples(_ samples: [EvaluationSample], to path: String) throws {
    var text = ""
    for sample in samples {
      let object: [String: Any] = [
        "instruction": sample.instruction, "input": sample.input, "response": sample.response,
        "references": sample.references, "rouge_l": sample.rougeL,
      ]
      text += String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self) + "\n"
    }
    try AtomicFile.write(text, to: path)
  }
}
