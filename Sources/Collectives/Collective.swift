// The collective-communication protocol that model and training code program against.

/// What a completed point-to-point receive delivered.
public struct ReceiveStatus: Sendable, Equatable {
  /// Number of elements received.
  public var count: Int
  /// The sending rank.
  public var source: Int
  /// The message tag.
  public var tag: Int

  public init(count: Int, source: Int, tag: Int) {
    self.count = count
    self.source = source
    self.tag = tag
  }
}

/// A started non-blocking operation. Its buffers must stay alive and untouched until `wait()`.
public protocol CollectiveRequest: AnyObject {
  /// Blocks until the operation has completed. Calling it again is a no-op.
  func wait() throws
  /// True once the operation has completed (does not block).
  func test() throws -> Bool
}

/// A group of ranks that can run collective operations together.
///
/// Every operation works over caller-owned unsafe buffers (no copies). All ranks of the group
/// must call the same collectives in the same order with matching sizes; implementations check
/// the sizes they can see locally and throw rather than crash.
public protocol Collective: AnyObject {
  /// This process's index in the group, `0..<size`.
  var rank: Int { get }
  /// Number of ranks in the group.
  var size: Int { get }

  /// Waits until every rank of the group has reached the barrier.
  func barrier() throws

  /// A barrier outside the collective timeout: for ranks that wait while one rank works alone
  /// for as long as its input takes (tokenizing a large corpus on rank 0).
  func unboundedBarrier() throws

  /// Copies `root`'s buffer into every other rank's buffer (all buffers have the same count).
  func broadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws

  /// Reduces `buffer` element-wise across ranks, leaving the result in `buffer` on every rank.
  func allReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws

  /// Reduces `input` element-wise across ranks into `output` (same count) on every rank.
  func allReduce<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws

  /// Starts an in-place all-reduce and returns at once; the result is valid after `wait()`.
  func startAllReduce<T: CollectiveScalar>(
    _ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws -> any CollectiveRequest

  /// Concatenates every rank's `input` (equal counts) in rank order into `output`
  /// (`size * input.count` elements) on every rank.
  func allGather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>) throws

  /// Concatenates every rank's `input` in rank order into `output` when counts differ:
  /// `counts[r]` is rank r's count, and `output.count` must be their sum.
  func allGather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, counts: [Int], into output: UnsafeMutableBufferPointer<T>)
    throws

  /// Reduces `input` (`size * output.count` elements) element-wise across ranks and leaves
  /// block `rank` of the result in `output`.
  func reduceScatter<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws

  /// Concatenates every rank's `input` in rank order into `output` on `root` only
  /// (`output` is ignored elsewhere and may be empty there).
  func gather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, root: Int) throws

  /// Splits `root`'s `input` (`size * output.count` elements) into equal blocks and delivers
  /// block r to rank r (`input` is ignored on other ranks and may be empty there).
  func scatter<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, root: Int) throws

  /// Sends `buffer` to rank `destination` with `tag` (blocks until the buffer can be reused).
  func send<T: CollectiveScalar>(_ buffer: UnsafeBufferPointer<T>, to destination: Int, tag: Int)
    throws

  /// Receives a message from `source` with `tag` into `buffer`, which must be large enough.
  @discardableResult
  func receive<T: CollectiveScalar>(
    into buffer: UnsafeMutableBufferPointer<T>, from source: Int, tag: Int) throws -> ReceiveStatus

  /// Partitions the group: ranks with the same `color` (≥ 0) form a new group, ordered by
  /// `key` and then by rank in this group.
  func split(color: Int, key: Int) throws -> any Collective

  /// Ends the whole job (every rank of every group) with `code`, after printing `message`.
  func abort(code: Int32, message: String) -> Never
}
