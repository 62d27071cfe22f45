// Runs a command's body on every rank: starts MPI, and turns any error on any rank into a
// clear message and a whole-job abort, so no rank is left waiting in a collective.

import ArgumentParser
import Collectives
import Foundation
import Kernels
import MPI

enum MPIJob {
  /// OPENBLAS_NUM_THREADS when set; otherwise the node's cores shared evenly by its ranks.
  static func threadsPerRank(_ world: Communicator) -> Int {
    if let text = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], let value = Int(text), value >= 1 {
      return value
    }
    let ranksOnNode = (try? world.splitByNode().size) ?? 1
    return max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, ranksOnNode))
  }

  /// Starts MPI, sets the threads per rank (OPENBLAS_NUM_THREADS if set, else this node's cores
  /// divided by the ranks on this node), runs `body`, and finalizes. An error thrown on a rank aborts the whole job with status 1
  /// after printing "rank R: error". `body` returns the process exit status (0 = success).
  static func run(_ body: (Communicator) throws -> Int32) throws {
    let world: Communicator
    do {
      world = try MPIRuntime.initialize()
    } catch {
      StandardError.writeLine("minillm-dist: cannot start MPI: \(error)")
      throw ExitCode(2)
    }
    KernelThreads.setAll(threadsPerRank(world))
    let status: Int32
    do {
      status = try body(world)
    } catch {
      let message = "rank \(world.rank) of \(world.size): error: \(error)"
      if world.size > 1 {
        world.abort(code: 1, message: message)
      }
      StandardError.writeLine("minillm-dist: \(message)")
      throw ExitCode(1)
    }
    try MPIRuntime.finalize()
    if status != 0 { throw ExitCode(status) }
  }
}
