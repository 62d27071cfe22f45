// Runs a command's body on every rank: starts MPI, and turns any error on any rank into a
// clear message and a whole-job abort, so no rank is left waiting in a collective.

import ArgumentParser
import Collectives
import Foundation
import Kernels
import MPI

enum MPIJob {
  /// Starts MPI, sets one OpenBLAS thread per rank unless OPENBLAS_NUM_THREADS says otherwise,
  /// runs `body`, and finalizes. An error thrown on a rank aborts the whole job with status 1
  /// after printing "rank R: error". `body` returns the process exit status (0 = success).
  static func run(_ body: (Communicator) throws -> Int32) throws {
    let world: Communicator
    do {
      world = try MPIRuntime.initialize()
    } catch {
      StandardError.writeLine("minillm-dist: cannot start MPI: \(error)")
      throw ExitCode(2)
    }
    if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil {
      BLAS.threadCount = 1
    }
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
