// A typed, checked MPI communicator: the Collective protocol over Open MPI.

import CMPI
import Collectives

#if canImport(Glibc)
  import Glibc
#endif

/// An MPI communicator (MPI_COMM_WORLD or a sub-communicator made by `split`).
///
/// Every call is checked: MPI_ERRORS_RETURN is set on the communicator, and a non-success code
/// becomes a thrown `MPIError` with MPI's error string, the operation and the world rank. Sizes
/// that a rank can check locally (roots, counts) are checked before MPI is called.
public final class Communicator: Collective {
  let handle: MPI_Comm
  private let owned: Bool
  /// This process's index in the communicator.
  public let rank: Int
  /// Number of ranks in the communicator.
  public let size: Int
  /// Bounds every wait in this communicator's operations (nil: one rank, or no timeout).
  private let watchdog: CommunicationWatchdog?

  /// Wraps `handle`; with more than one rank and a positive `MPIRuntime.collectiveTimeout`,
  /// duplicates it for the watchdog's roll calls (collective: every rank must construct it).
  init(handle: MPI_Comm, owned: Bool) throws {
    self.handle = handle
    self.owned = owned
    var rank: Int32 = 0
    var size: Int32 = 0
    try MPICall.check(MPI_Comm_rank(handle, &rank), "MPI_Comm_rank")
    try MPICall.check(MPI_Comm_size(handle, &size), "MPI_Comm_size")
    self.rank = Int(rank)
    self.size = Int(size)
    let timeout = MPIRuntime.collectiveTimeout
    watchdog = size > 1 && timeout > 0
      ? try CommunicationWatchdog(watching: handle, rank: Int(rank), size: Int(size), timeout: timeout) : nil
  }

  /// Runs one MPI operation: blocking without a watchdog; otherwise started non-blocking and
  /// completed under the watchdog's time bound. `status` receives the completion status.
  private func perform(
    _ operation: String, status: UnsafeMutablePointer<MPI_Status>? = nil,
    blocking: () -> Int32, start: (UnsafeMutablePointer<MPI_Request?>) -> Int32
  ) throws {
    guard let watchdog else { return try MPICall.check(blocking(), operation) }
    watchdog.begin(operation)
    var request: MPI_Request? = cmpi_request_null()
    try MPICall.check(start(&request), operation)
    try watchdog.complete(&request, status: status, operation)
  }

  deinit {
    guard owned, MPIRuntime.isInitialized else { return }
    var comm: MPI_Comm? = handle
    MPI_Comm_free(&comm)
  }

  // MARK: - Argument checks

  private func require(_ operation: String, _ errorClass: Int32, _ problem: String?) throws {
    if let problem { throw MPICall.invalid(operation, errorClass: errorClass, problem) }
  }

  private func requireRoot(_ operation: String, _ root: Int) throws {
    try require(
      operation, cmpi_err_root(), CollectiveArgumentCheck.rank(root, role: "root", size: size))
  }

  // MARK: - Collectives

  public func unboundedBarrier() throws {
    watchdog?.begin("MPI_Barrier (unbounded)")
    try MPICall.check(MPI_Barrier(handle), "MPI_Barrier")
  }

  public func barrier() throws {
    try perform("MPI_Barrier", blocking: { MPI_Barrier(handle) }, start: { MPI_Ibarrier(handle, $0) })
  }

  public func broadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int)
    throws
  {
    try requireRoot("MPI_Bcast", root)
    let count = try MPICall.count(buffer.count, "MPI_Bcast")
    let type = T.scalarKind.datatype
    try perform(
      "MPI_Bcast", blocking: { MPI_Bcast(buffer.baseAddress, count, type, Int32(root), handle) },
      start: { MPI_Ibcast(buffer.baseAddress, count, type, Int32(root), handle, $0) })
  }

  public func allReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp)
    throws
  {
    let count = try MPICall.count(buffer.count, "MPI_Allreduce")
    let (type, mpiOp) = (T.scalarKind.datatype, op.mpiOp)
    try perform(
      "MPI_Allreduce",
      blocking: { MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, count, type, mpiOp, handle) },
      start: { MPI_Iallreduce(cmpi_in_place(), buffer.baseAddress, count, type, mpiOp, handle, $0) })
  }

  public func allReduce<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, op: ReduceOp
  ) throws {
    try require(
      "MPI_Allreduce", cmpi_err_count(),
      CollectiveArgumentCheck.sameCount(input: input.count, output: output.count))
    let count = try MPICall.count(input.count, "MPI_Allreduce")
    let (type, mpiOp) = (T.scalarKind.datatype, op.mpiOp)
    try perform(
      "MPI_Allreduce",
      blocking: { MPI_Allreduce(input.baseAddress, output.baseAddress, count, type, mpiOp, handle) },
      start: { MPI_Iallreduce(input.baseAddress, output.baseAddress, count, type, mpiOp, handle, $0) })
  }

  public func startAllReduce<T: CollectiveScalar>(
    _ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp
  ) throws -> any CollectiveRequest {
    let count = try MPICall.count(buffer.count, "MPI_Iallreduce")
    var request: MPI_Request? = cmpi_request_null()
    try MPICall.check(
      MPI_Iallreduce(
        cmpi_in_place(), buffer.baseAddress, count, T.scalarKind.datatype, op.mpiOp, handle,
        &request),
      "MPI_Iallreduce")
    watchdog?.begin("MPI_Iallreduce")
    return MPIRequest(request, operation: "MPI_Iallreduce", watchdog: watchdog)
  }

  public func allGather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>
  ) throws {
    try require(
      "MPI_Allgather", cmpi_err_count(),
      CollectiveArgumentCheck.blocks(
        whole: output.count, block: input.count, size: size, wholeName: "output"))
    let count = try MPICall.count(input.count, "MPI_Allgather")
    let type = T.scalarKind.datatype
    try perform(
      "MPI_Allgather",
      blocking: { MPI_Allgather(input.baseAddress, count, type, output.baseAddress, count, type, handle) },
      start: { MPI_Iallgather(input.baseAddress, count, type, output.baseAddress, count, type, handle, $0) })
  }

  public func allGather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, counts: [Int], into output: UnsafeMutableBufferPointer<T>
  ) throws {
    try require(
      "MPI_Allgatherv", cmpi_err_count(),
      CollectiveArgumentCheck.variableCounts(
        counts, rank: rank, size: size, input: input.count, output: output.count))
    let count = try MPICall.count(input.count, "MPI_Allgatherv")
    let receiveCounts = try counts.map { try MPICall.count($0, "MPI_Allgatherv") }
    var displacements = [Int32](repeating: 0, count: size)
    var offset = 0
    for r in 0..<size {
      displacements[r] = try MPICall.count(offset, "MPI_Allgatherv")
      offset += counts[r]
    }
    let type = T.scalarKind.datatype
    try perform(
      "MPI_Allgatherv",
      blocking: {
        MPI_Allgatherv(
          input.baseAddress, count, type, output.baseAddress, receiveCounts, displacements, type, handle)
      },
      start: {
        MPI_Iallgatherv(
          input.baseAddress, count, type, output.baseAddress, receiveCounts, displacements, type, handle, $0)
      })
  }

  public func reduceScatter<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, op: ReduceOp
  ) throws {
    try require(
      "MPI_Reduce_scatter_block", cmpi_err_count(),
      CollectiveArgumentCheck.blocks(
        whole: input.count, block: output.count, size: size, wholeName: "input"))
    let count = try MPICall.count(output.count, "MPI_Reduce_scatter_block")
    let (type, mpiOp) = (T.scalarKind.datatype, op.mpiOp)
    try perform(
      "MPI_Reduce_scatter_block",
      blocking: { MPI_Reduce_scatter_block(input.baseAddress, output.baseAddress, count, type, mpiOp, handle) },
      start: { MPI_Ireduce_scatter_block(input.baseAddress, output.baseAddress, count, type, mpiOp, handle, $0) })
  }

  public func gather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, root: Int
  ) throws {
    try requireRoot("MPI_Gather", root)
    if rank == root {
      try require(
        "MPI_Gather", cmpi_err_count(),
        CollectiveArgumentCheck.blocks(
          whole: output.count, block: input.count, size: size, wholeName: "output"))
    }
    let count = try MPICall.count(input.count, "MPI_Gather")
    let type = T.scalarKind.datatype
    try perform(
      "MPI_Gather",
      blocking: { MPI_Gather(input.baseAddress, count, type, output.baseAddress, count, type, Int32(root), handle) },
      start: { MPI_Igather(input.baseAddress, count, type, output.baseAddress, count, type, Int32(root), handle, $0) })
  }

  public func scatter<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, root: Int
  ) throws {
    try requireRoot("MPI_Scatter", root)
    if rank == root {
      try require(
        "MPI_Scatter", cmpi_err_count(),
        CollectiveArgumentCheck.blocks(
          whole: input.count, block: output.count, size: size, wholeName: "input"))
    }
    let count = try MPICall.count(output.count, "MPI_Scatter")
    let type = T.scalarKind.datatype
    try perform(
      "MPI_Scatter",
      blocking: { MPI_Scatter(input.baseAddress, count, type, output.baseAddress, count, type, Int32(root), handle) },
      start: { MPI_Iscatter(input.baseAddress, count, type, output.baseAddress, count, type, Int32(root), handle, $0) })
  }

  // MARK: - Point to point

  public func send<T: CollectiveScalar>(
    _ buffer: UnsafeBufferPointer<T>, to destination: Int, tag: Int
  ) throws {
    try require(
      "MPI_Send", cmpi_err_rank(),
      CollectiveArgumentCheck.rank(destination, role: "destination", size: size))
    let count = try MPICall.count(buffer.count, "MPI_Send")
    let type = T.scalarKind.datatype
    try perform(
      "MPI_Send",
      blocking: { MPI_Send(buffer.baseAddress, count, type, Int32(destination), Int32(tag), handle) },
      start: { MPI_Isend(buffer.baseAddress, count, type, Int32(destination), Int32(tag), handle, $0) })
  }

  @discardableResult
  public func receive<T: CollectiveScalar>(
    into buffer: UnsafeMutableBufferPointer<T>, from source: Int, tag: Int
  ) throws -> ReceiveStatus {
    try require(
      "MPI_Recv", cmpi_err_rank(), CollectiveArgumentCheck.rank(source, role: "source", size: size))
    let count = try MPICall.count(buffer.count, "MPI_Recv")
    var status = MPI_Status()
    let type = T.scalarKind.datatype
    try withUnsafeMutablePointer(to: &status) { statusPointer in
      try perform(
        "MPI_Recv", status: statusPointer,
        blocking: { MPI_Recv(buffer.baseAddress, count, type, Int32(source), Int32(tag), handle, statusPointer) },
        start: { MPI_Irecv(buffer.baseAddress, count, type, Int32(source), Int32(tag), handle, $0) })
    }
    var received: Int32 = 0
    try MPICall.check(MPI_Get_count(&status, T.scalarKind.datatype, &received), "MPI_Get_count")
    return ReceiveStatus(
      count: Int(received), source: Int(status.MPI_SOURCE), tag: Int(status.MPI_TAG))
  }

  // MARK: - Groups and job control

  /// Splits this communicator; the result is a `Communicator` (returned as `any Collective`).
  public func split(color: Int, key: Int) throws -> any Collective {
    try splitCommunicator(color: color, key: key)
  }

  /// Splits this communicator into sub-communicators by `color` (≥ 0), ordered by `key`.
  public func splitCommunicator(color: Int, key: Int) throws -> Communicator {
    try require("MPI_Comm_split", cmpi_err_arg(), CollectiveArgumentCheck.color(color))
    var newHandle: MPI_Comm? = cmpi_comm_null()
    try MPICall.check(
      MPI_Comm_split(handle, Int32(color), Int32(key), &newHandle), "MPI_Comm_split")
    guard let newHandle else {
      throw MPICall.invalid("MPI_Comm_split", errorClass: cmpi_err_arg(), "returned no communicator")
    }
    try MPICall.check(
      MPI_Comm_set_errhandler(newHandle, cmpi_errors_return()), "MPI_Comm_set_errhandler")
    return try Communicator(handle: newHandle, owned: true)
  }

  /// The ranks of this communicator that share this node (MPI_COMM_TYPE_SHARED).
  public func splitByNode() throws -> Communicator {
    var newHandle: MPI_Comm? = cmpi_comm_null()
    try MPICall.check(
      MPI_Comm_split_type(handle, cmpi_comm_type_shared(), Int32(rank), cmpi_info_null(), &newHandle),
      "MPI_Comm_split_type")
    guard let newHandle else {
      throw MPICall.invalid("MPI_Comm_split_type", errorClass: cmpi_err_arg(), "returned no communicator")
    }
    try MPICall.check(MPI_Comm_set_errhandler(newHandle, cmpi_errors_return()), "MPI_Comm_set_errhandler")
    return try Communicator(handle: newHandle, owned: true)
  }

  public func abort(code: Int32, message: String) -> Never {
    StandardError.writeLine(
      "minillm-dist: rank \(MPICall.worldRank) aborting the job (code \(code)): \(message)")
    fflush(nil)
    MPI_Abort(handle, code)
    exit(code)
  }
}
