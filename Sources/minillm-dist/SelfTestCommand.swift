// `minillm-dist selftest`: every collective on every rank, an HDF5 round trip and GEMM checks.

import ArgumentParser
import Collectives
import Foundation
import HDF5
import Kernels
import MPI
import SelfTest

struct SelfTestCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "selftest",
    abstract: "Check MPI collectives across all ranks, HDF5 and BLAS; one line per check.",
    discussion: "Exits non-zero if any check fails on any rank.")

  @Option(help: "Directory for the temporary HDF5 files (default: $TMPDIR or /tmp).")
  var scratch: String = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"

  func run() throws {
    try MPIJob.run { world in
      if world.rank == 0 {
        print("minillm-dist \(MiniLLMVersion.string) selftest on \(world.size) rank(s)")
        print("  MPI: \(MPIRuntime.libraryVersion())")
        print("  OpenBLAS: core \(BLAS.coreName); \(KernelThreads.count) kernel thread(s) per rank, matmuls split across them")
        print("  HDF5: \(HDF5Library.version)")
      }
      let runner = CheckRunner(group: world)
      CollectiveChecks.runAll(runner)
      HDF5Checks.runAll(runner, directory: scratch)
      GEMMChecks.runAll(runner)
      if world.rank == 0 {
        print("selftest: \(runner.passedCount) passed, \(runner.failedCount) failed")
      }
      return runner.failedCount == 0 ? 0 : 1
    }
  }
}
