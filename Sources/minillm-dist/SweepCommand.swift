// `minillm-dist sweep`: the whole pipeline for several student sizes and methods under one
// mpirun (data → teacher → SFT students → each method → evaluation → table, fits, plots),
// resumable stage by stage. With no file it runs the embedded quickstart.

import ArgumentParser
import Collectives
import Training
import Foundation
import Kernels
import MPI
import Sweeps

struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run a sweep over student sizes × methods, resumable; writes a results table, scaling-law fits and plots.",
    discussion: """
      The configuration is JSON (docs/sweeps.md); fields left out keep the embedded defaults
      (the quickstart: synthetic task, a ~0.9M-parameter teacher, two small students, SFT / KD /
      SeqKD / MiniLLM). Rerunning with the same run directory skips finished stages and resumes
      a half-finished one exactly. `--print-config` shows every field with its value.
      """)

  @Option(help: "Sweep configuration (JSON); default: the embedded quickstart.") var config: String?
  @Option(help: "Run directory (stages, evaluations, results/).") var runDir = "runs/sweep"
  @Flag(help: "Print the resolved configuration as JSON and exit.") var printConfig = false
  @Option(help: "Run only this stage (see --list-stages); the stages it needs must be done.") var only: String?
  @Flag(help: "Print every stage and the stages it needs (one per line: STAGE NEEDS,…) and exit.") var listStages = false
  @Option(help: .hidden) var stopAfterSteps: Int?

  func run() throws {
    let resolved = try config.map { try SweepConfig.load($0) } ?? .quickstart
    if printConfig {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(resolved), as: UTF8.self))
      return
    }
    if listStages {
      let runner = try SweepRunner(config: resolved, runDirectory: runDir, world: SingleProcessCollective(), makeTeacherGroup: { _ in SingleProcessCollective() }, validateFor: 0)
      for (stage, needs) in runner.stageDependencies { print(stage, needs.joined(separator: ",")) }
      return
    }
    try MPIJob.run { world in
      let started = Date()
      if world.rank == 0 { print("sweep in \(runDir) on \(world.size) rank(s)\(config.map { " from \($0)" } ?? " (embedded quickstart)"), OpenBLAS core \(BLAS.coreName)") }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      try RankAgreement.require(
        String(decoding: try encoder.encode(resolved), as: UTF8.self) + "|\(runDir)|\(only ?? "")|\(stopAfterSteps ?? 0)",
        agreedBy: world, what: "sweep")
      let runner = try SweepRunner(config: resolved, runDirectory: runDir, world: world) { shards in
        try teacherGroup(world, shards: shards)
      }
      runner.stepBudget = stopAfterSteps
      runner.onlyStage = only
      runner.log = { line in if world.rank == 0 { print(line) } }
      let finished = try runner.run()
      if world.rank == 0 {
        print(finished
          ? "sweep done in \(ProgressClock.duration(Date().timeIntervalSince(started)))"
          : "sweep stopped after \(stopAfterSteps ?? 0) steps; rerun the same command to continue")
      }
      return 0
    }
  }
}

/// `minillm-dist` with no arguments: the quickstart sweep under `mpirun -n 2`. Outside
/// mpirun, the program starts mpirun on itself (`MPILauncher`); inside, it runs the sweep.
enum DefaultJob {
  static let arguments = ["sweep", "--run-dir", "runs/quickstart"]
  static let ranks = 2
}
