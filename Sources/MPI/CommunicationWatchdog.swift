// A bound on how long a rank waits inside one MPI operation, and a roll call that names the
// ranks that are late when the bound is reached.

import CMPI
import Collectives
import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// Watches the MPI operations of one communicator.
///
/// Every operation is started non-blocking and completed here by polling. When a rank has
/// waited `timeout` seconds in one operation, it sends a roll call to the communicator's other
/// ranks (on a duplicate communicator, so it can never match the program's own messages) and
/// gives them `answerSeconds` to say where they are. Ranks waiting in an operation of their own
/// answer from their poll loop. The rank then ends the whole job with one line naming who is
/// waiting in the same operation, who is elsewhere, and who did not answer (stopped, cut off,
/// or working outside communication).
final class CommunicationWatchdog {
  /// Seconds one operation may wait before the job is ended.
  let timeout: Double
  /// Seconds the roll call waits for answers.
  let answerSeconds: Double
  /// The duplicate communicator that carries roll calls and their answers.
  private let channel: MPI_Comm
  /// World rank of every rank of the watched communicator, by its rank there.
  private let worldRanks: [Int]
  private let rank: Int
  /// Operations started on the watched communicator so far (the current one included).
  private(set) var operationCount = 0
  /// The operation now waiting, for answers to roll calls.
  private var currentOperation = "no operation"

  private static let rollCallTag: Int32 = 1
  private static let answerTag: Int32 = 2
  /// How long a wait spins before it starts answering roll calls and sleeping between polls.
  private static let spinSeconds = 0.05

  /// Duplicates `communicator` for the roll calls (collective over it).
  init(watching communicator: MPI_Comm, rank: Int, size: Int, timeout: Double) throws {
    self.timeout = timeout
    self.answerSeconds = min(3, max(0.5, timeout / 4))
    self.rank = rank
    var duplicate: MPI_Comm? = cmpi_comm_null()
    try MPICall.check(MPI_Comm_dup(communicator, &duplicate), "MPI_Comm_dup")
    guard let duplicate else {
      throw MPICall.invalid("MPI_Comm_dup", errorClass: cmpi_err_arg(), "returned no communicator")
    }
    try MPICall.check(MPI_Comm_set_errhandler(duplicate, cmpi_errors_return()), "MPI_Comm_set_errhandler")
    channel = duplicate
    worldRanks = try Self.translateToWorld(communicator, size: size)
  }

  deinit {
    guard MPIRuntime.isInitialized else { return }
    var comm: MPI_Comm? = channel
    MPI_Comm_free(&comm)
  }

  private static func translateToWorld(_ communicator: MPI_Comm, size: Int) throws -> [Int] {
    var group: MPI_Group? = nil
    var worldGroup: MPI_Group? = nil
    try MPICall.check(MPI_Comm_group(communicator, &group), "MPI_Comm_group")
    try MPICall.check(MPI_Comm_group(cmpi_comm_world(), &worldGroup), "MPI_Comm_group")
    defer {
      MPI_Group_free(&group)
      MPI_Group_free(&worldGroup)
    }
    var local = (0..<Int32(size)).map { $0 }
    var world = [Int32](repeating: -1, count: size)
    try MPICall.check(
      MPI_Group_translate_ranks(group, Int32(size), &local, worldGroup, &world), "MPI_Group_translate_ranks")
    return world.map(Int.init)
  }

  /// Counts a new operation; call before starting it.
  func begin(_ operation: String) {
    operationCount += 1
    currentOperation = operation
  }

  /// Polls `request` until it completes, filling `status`; ends the job after `timeout` seconds.
  func complete(_ request: inout MPI_Request?, status: UnsafeMutablePointer<MPI_Status>?, _ operation: String) throws {
    let start = Self.now()
    var done: Int32 = 0
    while true {
      try MPICall.check(MPI_Test(&request, &done, status ?? cmpi_status_ignore()), operation)
      if done != 0 { return }
      let waited = Self.now() - start
      if waited < Self.spinSeconds { continue }
      try answerRollCalls()
      if waited >= timeout { try endJob(operation: operation, waited: waited) }
      usleep(waited < 1 ? 100 : 1000)
    }
  }

  private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

  // MARK: - Roll call

  /// Answers every pending roll call with this rank's operation count.
  private func answerRollCalls() throws {
    while true {
      var pending: Int32 = 0
      var status = MPI_Status()
      try MPICall.check(
        MPI_Iprobe(cmpi_any_source(), Self.rollCallTag, channel, &pending, &status), "MPI_Iprobe(roll call)")
      guard pending != 0 else { return }
      var call: [Int64] = [0]
      try MPICall.check(
        MPI_Recv(&call, 1, cmpi_type_int64(), status.MPI_SOURCE, Self.rollCallTag, channel, cmpi_status_ignore()),
        "MPI_Recv(roll call)")
      var answer = [Int64(operationCount)] + currentOperation.utf8.prefix(48).map(Int64.init)
      try MPICall.check(
        MPI_Send(&answer, Int32(answer.count), cmpi_type_int64(), status.MPI_SOURCE, Self.answerTag, channel),
        "MPI_Send(roll-call answer)")
    }
  }

  /// Asks every other rank where it is, waits `answerSeconds` for answers, and aborts the job
  /// with one line that names the late ranks.
  private func endJob(operation: String, waited: Double) throws -> Never {
    let size = worldRanks.count
    for peer in 0..<size where peer != rank {
      var call: [Int64] = [Int64(operationCount)]
      _ = MPI_Send(&call, 1, cmpi_type_int64(), Int32(peer), Self.rollCallTag, channel)
    }
    var answers = [Int: (count: Int, operation: String)]()
    let deadline = Self.now() + answerSeconds
    while answers.count < size - 1, Self.now() < deadline {
      try answerRollCalls()
      var pending: Int32 = 0
      var status = MPI_Status()
      try MPICall.check(
        MPI_Iprobe(cmpi_any_source(), Self.answerTag, channel, &pending, &status), "MPI_Iprobe(roll-call answer)")
      guard pending != 0 else {
        usleep(1000)
        continue
      }
      var length: Int32 = 0
      MPI_Get_count(&status, cmpi_type_int64(), &length)
      var answer = [Int64](repeating: 0, count: max(1, Int(length)))
      try MPICall.check(
        MPI_Recv(&answer, length, cmpi_type_int64(), status.MPI_SOURCE, Self.answerTag, channel, cmpi_status_ignore()),
        "MPI_Recv(roll-call answer)")
      let name = String(decoding: answer.dropFirst().map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
      answers[Int(status.MPI_SOURCE)] = (Int(answer[0]), name)
    }
    let message = Self.describe(
      operation: operation, count: operationCount, waited: waited, answerSeconds: answerSeconds,
      answers: answers, rank: rank, worldRanks: worldRanks)
    StandardError.writeLine("minillm-dist: error: \(message)")
    fflush(nil)
    MPI_Abort(cmpi_comm_world(), 1)
    exit(1)
  }

  /// The one line that ends the job: this rank's wait, then every other rank's state.
  static func describe(
    operation: String, count: Int, waited: Double, answerSeconds: Double,
    answers: [Int: (count: Int, operation: String)], rank: Int, worldRanks: [Int]
  ) -> String {
    var same = [Int]()
    var elsewhere = [String]()
    var silent = [Int]()
    for peer in worldRanks.indices where peer != rank {
      let world = worldRanks[peer]
      guard let answer = answers[peer] else {
        silent.append(world)
        continue
      }
      if answer.count == count {
        same.append(world)
      } else {
        elsewhere.append("rank \(world) is in operation \(answer.count) (\(answer.operation))")
      }
    }
    func ranks(_ list: [Int]) -> String { (list.count == 1 ? "rank " : "ranks ") + list.map(String.init).joined(separator: ", ") }
    var parts = [
      "rank \(worldRanks[rank]) waited \(Int(waited.rounded())) s (the --collective-timeout) in \(operation), "
        + "operation \(count) of its communicator of \(worldRanks.count) ranks"
    ]
    if !silent.isEmpty {
      parts.append("late: \(ranks(silent)) did not answer within \(String(format: "%g", answerSeconds)) s (stopped, cut off from the network, or busy outside communication)")
    }
    if !elsewhere.isEmpty { parts.append(elsewhere.joined(separator: ", ") + " (the ranks disagree on the sequence of operations)") }
    if !same.isEmpty { parts.append("\(ranks(same)) \(same.count == 1 ? "is" : "are") waiting in the same operation") }
    return parts.joined(separator: "; ")
  }
}
