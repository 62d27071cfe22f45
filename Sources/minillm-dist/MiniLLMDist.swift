// The minillm-dist command line: subcommands for the self-test, benchmarks and diagnostics.

import ArgumentParser
import Foundation
import Kernels
import MPI

@main
struct MiniLLMDist: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "minillm-dist",
    abstract: "MiniLLM knowledge distillation of language models, data-parallel over MPI.",
    discussion: """
      With no arguments, runs the embedded quickstart sweep (synthetic task → teacher → SFT
      students of three sizes → SFT, KD, SeqKD, on-policy reverse KL and MiniLLM from one
      SFT init → evaluation → results in runs/quickstart/results) under mpirun -n 2. Run any
      subcommand under MPI, for example:
        mpirun -n 2 minillm-dist selftest
      A plain process (no mpirun) is a world of one rank.

      Every command also takes --collective-timeout SECONDS (default 300; 0 = no bound): a
      rank that waits that long in one MPI operation ends the job with one line naming the
      ranks that are late.
      """,
    version: MiniLLMVersion.string,
    subcommands: [SelfTestCommand.self, TrainCommand.self, EvalCommand.self, SweepCommand.self, DataCommand.self, TokenizerCommand.self, InspectCommand.self, ImportHFCommand.self, ExportHFCommand.self, BenchCommand.self, HDF5SampleCommand.self, DebugCommand.self]
  )

  /// Expands `--config FILE` option files, then runs the command line.
  /// With no arguments, runs the embedded quickstart under mpirun -n 2.
  static func main() {
    BLASCorePin.apply()  // first: it may re-execute the program with another OpenBLAS kernel set
    var arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.isEmpty {
      if !MPILauncher.underMPI {
        MPILauncher.relaunch(ranks: DefaultJob.ranks, arguments: DefaultJob.arguments, announce: "minillm-dist: running the embedded quickstart")
      }
      arguments = DefaultJob.arguments
    }
    do {
      arguments = try ConfigFileArguments.expand(arguments)
      MPIRuntime.collectiveTimeout = try CollectiveTimeoutArgument.extract(from: &arguments)
      var command = try parseAsRoot(arguments)
      try command.run()
    } catch {
      failOnOneLine(error)
    }
  }

  /// Ends the process for `error`: help and `--version` print as usual (exit 0); every other
  /// error, bad usage included, prints one line, "minillm-dist: error: …", and exits 1.
  static func failOnOneLine(_ error: Error) -> Never {
    if exitCode(for: error) == .success { exit(withError: error) }
    let message = message(for: error).split(separator: "\n", omittingEmptySubsequences: true)
      .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    // An empty message is an exit code thrown after the error was already reported (a rank's
    // one line): nothing more to print.
    if !message.isEmpty { FileHandle.standardError.write(Data("minillm-dist: error: \(message)\n".utf8)) }
    Foundation.exit(1)
  }
}

/// The version printed by `--version` (semantic versioning).
enum MiniLLMVersion {
  static let string = "0.1.0"
}
