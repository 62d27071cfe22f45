// A started non-blocking MPI operation that can be waited on or polled.

import CMPI
import Collectives

/// The handle of a non-blocking MPI operation. Dropping an unfinished request waits for it,
/// so that MPI never writes into freed memory.
final class MPIRequest: CollectiveRequest {
  private var request: MPI_Request?
  private let operation: String
  /// Bounds `wait()` when the communicator is watched.
  private let watchdog: CommunicationWatchdog?

  init(_ request: MPI_Request?, operation: String, watchdog: CommunicationWatchdog? = nil) {
    self.request = request
    self.operation = operation
    self.watchdog = watchdog
  }

  private var isDone: Bool { request == nil || request == cmpi_request_null() }

  func wait() throws {
    guard !isDone else { return }
    if let watchdog { return try watchdog.complete(&request, status: nil, "MPI_Wait(\(operation))") }
    try MPICall.check(MPI_Wait(&request, cmpi_status_ignore()), "MPI_Wait(\(operation))")
  }

  func test() throws -> Bool {
    guard !isDone else { return true }
    var flag: Int32 = 0
    try MPICall.check(MPI_Test(&request, &flag, cmpi_status_ignore()), "MPI_Test(\(operation))")
    return flag != 0
  }

  deinit {
    if !isDone, MPIRuntime.isInitialized { MPI_Wait(&request, cmpi_status_ignore()) }
  }
}
