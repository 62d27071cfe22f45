// Starting and stopping MPI for the process, and the world communicator.

import CMPI
import Collectives

/// Process-wide MPI set-up. Works with and without `mpirun` (a plain process is a world of 1).
public enum MPIRuntime {
  /// Seconds a rank may wait inside one MPI operation before the job is ended with a message
  /// naming the late ranks (`--collective-timeout`; 0 turns the bound off). Set it before
  /// `initialize()`: communicators read it when they are made.
  nonisolated(unsafe) public static var collectiveTimeout: Double = 300

  nonisolated(unsafe) private static var worldCommunicator: Communicator?

  /// True between a successful `initialize()` and `finalize()`.
  public static var isInitialized: Bool {
    var initialized: Int32 = 0
    var finalized: Int32 = 0
    MPI_Initialized(&initialized)
    MPI_Finalized(&finalized)
    return initialized != 0 && finalized == 0
  }

  /// Initializes MPI once (later calls return the same world) with MPI_THREAD_SERIALIZED
  /// requested, and sets MPI_ERRORS_RETURN so that every failure becomes a thrown `MPIError`.
  /// - Returns: the MPI_COMM_WORLD communicator.
  /// - Throws: `MPIError` when MPI cannot start or was already finalized.
  @discardableResult
  public static func initialize() throws -> Communicator {
    var initialized: Int32 = 0
    var finalized: Int32 = 0
    MPI_Initialized(&initialized)
    MPI_Finalized(&finalized)
    if finalized != 0 {
      throw MPICall.invalid(
        "MPI_Init", errorClass: cmpi_err_arg(), "MPI was already finalized in this process")
    }
    if initialized == 0 {
      var provided: Int32 = 0
      try MPICall.check(
        MPI_Init_thread(nil, nil, cmpi_thread_serialized(), &provided), "MPI_Init_thread")
    }
    try MPICall.check(
      MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()), "MPI_Comm_set_errhandler")
    return try world()
  }

  /// The MPI_COMM_WORLD communicator (MPI must be initialized; made once, collectively, by
  /// the first call, which `initialize()` makes on every rank).
  public static func world() throws -> Communicator {
    if let worldCommunicator { return worldCommunicator }
    let world = try Communicator(handle: cmpi_comm_world(), owned: false)
    worldCommunicator = world
    return world
  }

  /// Shuts MPI down; communicators must not be used afterwards. A no-op when not initialized.
  public static func finalize() throws {
    guard isInitialized else { return }
    worldCommunicator = nil
    try MPICall.check(MPI_Finalize(), "MPI_Finalize")
  }

  /// Seconds since an arbitrary point, from MPI_Wtime (for timing collectives).
  public static func wallTime() -> Double { MPI_Wtime() }

  /// The MPI library's version string (for logs and `--version`).
  public static func libraryVersion() -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    var length: Int32 = 0
    MPI_Get_library_version(&buffer, &length)
    let text = String(
      decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return text.split(separator: ",").first.map(String.init) ?? text
  }
}
