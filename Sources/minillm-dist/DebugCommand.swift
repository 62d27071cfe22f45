// `minillm-dist debug …`: hidden commands that make a rank fail on purpose, for the tests of
// job-wide failure handling.

import ArgumentParser
import Collectives
import Foundation
import MPI

struct DebugCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "debug",
    abstract: "Failure injection for tests.",
    shouldDisplay: false,
    subcommands: [Abort.self, Throw.self, ShardedTeacherCheck.self, TeacherMixingCheck.self, ReadInputsCommand.self])

  struct Abort: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Rank --rank calls abort(code:message:) while the others wait in a barrier.")
    @Option(help: "The rank that aborts.") var rank: Int = 0
    @Option(help: "The exit code it aborts with.") var code: Int32 = 3

    func run() throws {
      try MPIJob.run { world in
        if world.rank == rank {
          world.abort(code: code, message: "debug abort requested on rank \(rank)")
        }
        try world.barrier()
        return 0
      }
    }
  }

  struct Throw: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Rank --rank throws an error while the others wait in a collective.")
    @Option(help: "The rank that throws.") var rank: Int = 0

    struct InjectedFailure: Error, CustomStringConvertible {
      var description: String { "injected failure for the failure-handling test" }
    }

    func run() throws {
      try MPIJob.run { world in
        if world.rank == rank { throw InjectedFailure() }
        _ = try world.allReduce(Int32(1), op: .sum)
        return 0
      }
    }
  }
}
