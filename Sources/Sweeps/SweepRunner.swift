// Runs a sweep under one mpirun: data → teacher → for each student size an SFT student, then
// each method from it → evaluation of every model → the results table, scaling-law fits and
// plots. Every stage lives in its own directory, is skipped once done (done.json), and a
// half-finished training stage resumes exactly from its newest checkpoint.

import AtomicFiles
import Checkpointing
import Collectives
import Datasets
import Foundation
import Model
import Tokenizers
import Training

/// Orchestrates a sweep; every rank runs it together.
public final class SweepRunner {
  public let config: SweepConfig
  public let runDirectory: String
  let world: any Collective
  /// The teacher group of `shards` consecutive ranks this rank belongs to (a split of the world).
  let makeTeacherGroup: (Int) throws -> any Collective
  /// Stop (checkpointed) after this many optimizer steps in this invocation (tests); nil: run on.
  public var stepBudget: Int?
  /// Run only this stage (`data`, `teacher`, `seqkd`, `SIZE/METHOD`, `eval`, `report`); the
  /// stages it needs must be done. nil: every stage not yet done. For one job per stage under
  /// Slurm (`launch/slurm-sweep`).
  public var onlyStage: String?
  /// Rank 0's progress lines.
  public var log: (String) -> Void = { print($0) }
  var stepsTaken = 0
  /// Set once the `onlyStage` has run (the run then returns).
  var ranOnlyStage = false
  var stageNumber = 0
  var stageCount = 0
  /// The checkpoint-selection evaluator of this run (built on first use).
  var selection: SelectionContext?

  /// - Parameter validateFor: the number of ranks to validate the config for (default: the
  ///   world's size; 0: skip the checks that depend on it).
  public init(
    config: SweepConfig, runDirectory: String, world: any Collective,
    makeTeacherGroup: @escaping (Int) throws -> any Collective, validateFor: Int? = nil
  ) throws {
    if validateFor != 0 { try config.validate(worldSize: validateFor ?? world.size) }
    self.config = config
    self.runDirectory = runDirectory
    self.world = world
    self.makeTeacherGroup = makeTeacherGroup
  }

  /// Paths of the run directory.
  var dataDirectory: String { runDirectory + "/data" }
  var tokenizerPath: String { dataDirectory + "/tokenizer.json" }
  var trainCache: String { dataDirectory + "/train.h5" }
  var trainRecords: String { dataDirectory + "/train.jsonl" }
  var validationRecords: String { dataDirectory + "/valid.jsonl" }
  var pretrainCache: String { dataDirectory + "/pretrain.h5" }
  /// The generated domain text of the synthetic task (part of D_PT).
  var syntheticPretrainText: String { dataDirectory + "/pretrain_synthetic.txt" }
  /// Whether the sweep has a D_PT (pretraining files, or the synthetic task's domain text).
  var hasPretrainingCorpus: Bool {
    !config.data.pretrain.isEmpty || (config.data.train == nil && config.data.syntheticPretrainCount > 0)
  }
  var seqkdRecords: String { dataDirectory + "/seqkd.jsonl" }
  var seqkdCache: String { dataDirectory + "/seqkd.h5" }
  var resultsDirectory: String { runDirectory + "/results" }
  func studentDirectory(_ size: ModelShape, _ method: String) -> String { runDirectory + "/students/\(size.name)/\(method)" }
  func evaluationPath(_ name: String) -> String { runDirectory + "/eval/\(name).json" }

  /// Runs every stage not yet done. Returns false when the step budget stopped it (rerun to
  /// continue), true when the results are written.
  @discardableResult
  public func run() throws -> Bool {
    try checkConfigUnchanged()
    let distillMethods = config.methods.filter { $0 != "sft" }
    let needsSeqKD = try config.methods.contains { try config.method(of: $0) == .seqkd }
    stageCount = 2 + config.students.count * (1 + distillMethods.count) + (needsSeqKD ? 1 : 0) + 2
    if let onlyStage {
      guard stageKeys.contains(onlyStage) else {
        throw SweepError("unknown stage \(onlyStage); stages: \(stageKeys.joined(separator: ", "))")
      }
      if neededByOnlyStage.contains("data") && !FileManager.default.fileExists(atPath: dataDirectory + "/done.json") {
        throw SweepError("stage \(onlyStage) needs stage data done first (run it, or submit with a dependency)")
      }
      if neededByOnlyStage.contains("seqkd") && !FileManager.default.fileExists(atPath: seqkdCache) {
        throw SweepError("stage \(onlyStage) needs stage seqkd done first (run it, or submit with a dependency)")
      }
    }
    try stage("data", "data: \(config.data.train == nil ? "synthetic task" : config.data.train!), tokenizer, token caches") {
      try prepareData()
    }
    if ranOnlyStage { return true }
    guard let teacher = try teacherStage() else { return false }
    if ranOnlyStage { return true }
    if needsSeqKD {
      try stage("seqkd", "SeqKD data: the teacher answers the training prompts") { try prepareSeqKD(teacher: teacher) }
      if ranOnlyStage { return true }
    }
    var checkpoints: [(size: ModelShape, method: String, path: String)] = []
    for size in config.students {
      let sftConfig = try studentStageConfig(size: size, entry: "sft", sftCheckpoint: nil, teacher: nil)
      guard let sft = try teacherForcedStage(
        "\(size.name)/sft", "students/\(size.name)/sft: SFT of a \(size.dModel)-wide, \(size.nLayer)-layer student",
        config: sftConfig, selectWith: teacher)
      else {
        if onlyStage != nil { continue }  // not needed by the stage asked for
        return false
      }
      if ranOnlyStage { return true }
      checkpoints.append((size, "sft", sft))
      for entry in distillMethods {
        let title = "students/\(size.name)/\(entry): \(entry.uppercased()) from the SFT student"
        let key = "\(size.name)/\(entry)"
        let stageConfig = try studentStageConfig(size: size, entry: entry, sftCheckpoint: sft, teacher: teacher)
        let path = stageConfig.method == .minillm
          ? try miniLLMStage(key, title, config: stageConfig, selectWith: teacher)
          : try teacherForcedStage(key, title, config: stageConfig, selectWith: teacher)
        if ranOnlyStage { return true }
        guard let path else {
          if onlyStage != nil { continue }
          return false
        }
        checkpoints.append((size, entry, path))
      }
    }
    try stage("eval", "evaluation of the teacher and \(checkpoints.count) students") {
      try evaluateAll(teacher: teacher, students: checkpoints)
    }
    try stage("report", "results: table, scaling-law fits, plots") {
      if world.rank == 0 { try writeReport(teacher: teacher, students: checkpoints) }
    }
    return true
  }

  /// Writes sweep.json on the first run; later runs must use the same configuration.
  func checkConfigUnchanged() throws {
    let path = runDirectory + "/sweep.json"
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let current = try encoder.encode(config)
    var problem: String?
    if world.rank == 0 {
      try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
      if let previous = FileManager.default.contents(atPath: path) {
        if previous != current {
          problem = "\(path) holds another configuration than this run's; use a new run directory or the same config"
        }
      } else {
        try AtomicFile.write(current, to: path)
      }
    }
    let bad = try world.allReduce(Int32(problem == nil ? 0 : 1), op: .max)
    if bad != 0 { throw SweepError(problem ?? "rank 0 refused the run directory \(runDirectory)") }
  }

  /// Runs `body` as a numbered stage with a heading (under `onlyStage`, only the stage `key`).
  func stage(_ key: String, _ title: String, _ body: () throws -> Void) throws {
    stageNumber += 1
    if let onlyStage, onlyStage != key { return }
    if world.rank == 0 { log("==> [\(stageNumber)/\(stageCount)] \(title)") }
    let started = Date()
    try body()
    if world.rank == 0 { log(String(format: "    stage %@ took %.1f s", key, Date().timeIntervalSince(started))) }
    if onlyStage != nil { ranOnlyStage = true }
  }

  /// Under `onlyStage`, the stages it needs (directly or through others) must be done.
  func requireDone(_ key: String, _ checkpoint: String?) throws -> String? {
    if let onlyStage, onlyStage != key, checkpoint == nil, neededByOnlyStage.contains(key) {
      throw SweepError("stage \(onlyStage) needs stage \(key) done first (run it, or submit with a dependency)")
    }
    return checkpoint
  }

  /// The stages `onlyStage` needs, directly or through others.
  var neededByOnlyStage: Set<String> {
    guard let onlyStage else { return [] }
    let needs = Dictionary(uniqueKeysWithValues: stageDependencies.map { ($0.stage, $0.needs) })
    var found = Set<String>()
    var frontier = needs[onlyStage] ?? []
    while let next = frontier.popLast() {
      if found.insert(next).inserted { frontier += needs[next] ?? [] }
    }
    return found
  }

  /// Every stage key in order (for `--only` and job submission).
  public var stageKeys: [String] { stageDependencies.map(\.stage) }

  /// Every stage with the stages it needs, in an order that respects them.
  public var stageDependencies: [(stage: String, needs: [String])] {
    var out: [(String, [String])] = [("data", []), ("teacher", ["data"])]
    let seqkdEntries = Set(config.methods.filter { (try? config.method(of: $0)) == .seqkd })
    if !seqkdEntries.isEmpty { out.append(("seqkd", ["teacher"])) }
    var students: [String] = []
    for size in config.students {
      let sft = "\(size.name)/sft"
      out.append((sft, ["teacher"]))
      students.append(sft)
      for method in config.methods where method != "sft" {
        out.append(("\(size.name)/\(method)", seqkdEntries.contains(method) ? [sft, "seqkd"] : [sft]))
        students.append("\(size.name)/\(method)")
      }
    }
    return out + [("eval", students), ("report", ["eval"])]
  }

  /// The remaining step budget for the next training stage (nil: unlimited).
  var remainingSteps: Int? { stepBudget.map { max(0, $0 - stepsTaken) } }

  /// Writes `object` as JSON to `path` on rank 0 (through a temporary file), then waits.
  func writeJSON(_ object: Any, to path: String) throws {
    if world.rank == 0 {
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
      try AtomicFile.write(data, to: path)
    }
    try world.barrier()
  }

  /// The `checkpoint` recorded in a stage's done.json, if the stage is done.
  func finishedCheckpoint(_ directory: String) -> String? {
    guard let data = FileManager.default.contents(atPath: directory + "/done.json"),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    return object["checkpoint"] as? String
  }
}

#if canImport(Glibc)
  import Glibc
#endif
