// The minillm-dist command line: subcommands for the self-test, benchmarks and diagnostics.

import ArgumentParser

@main
struct MiniLLMDist: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "minillm-dist",
    abstract: "MiniLLM knowledge distillation of language models, data-parallel over MPI.",
    discussion: """
      Run under MPI, for example:
        mpirun -n 2 minillm-dist selftest
      A plain process (no mpirun) is a world of one rank.
      """,
    version: MiniLLMVersion.string,
    subcommands: [SelfTestCommand.self, TrainCommand.self, EvalCommand.self, DataCommand.self, TokenizerCommand.self, InspectCommand.self, ImportHFCommand.self, ExportHFCommand.self, BenchCommand.self, HDF5SampleCommand.self, DebugCommand.self]
  )

  /// Expands `--config FILE` option files, then runs the command line.
  static func main() {
    let arguments: [String]
    do {
      arguments = try ConfigFileArguments.expand(Array(CommandLine.arguments.dropFirst()))
    } catch {
      exit(withError: error)
    }
    main(arguments)
  }
}

/// The version printed by `--version` (semantic versioning).
enum MiniLLMVersion {
  static let string = "0.1.0"
}
