// A Collective decorator that measures the time spent in communication.

import Dispatch

/// Forwards every operation to `base` and adds its wall time to `seconds` (for splitting a
/// step's time into compute and communication in benchmarks).
public final class TimedCollective: Collective {
  public let base: any Collective
  /// Seconds spent inside collective calls since the last `reset()`.
  public private(set) var seconds: Double = 0

  public init(_ base: any Collective) { self.base = base }

  public func reset() { seconds = 0 }

  private func timed<R>(_ body: () throws -> R) rethrows -> R {
    let start = DispatchTime.now().uptimeNanoseconds
    defer { seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
    return try body()
  }

  public var rank: Int { base.rank }
  public var size: Int { base.size }
  public func barrier() throws { try timed { try base.barrier() } }
  public func unboundedBarrier() throws { try timed { try base.unboundedBarrier() } }
  public func broadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
    try timed { try base.broadcast(buffer, root: root) }
  }
  public func allReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
    try timed { try base.allReduce(buffer, op: op) }
  }
  public func allReduce<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, op: ReduceOp
  ) throws { try timed { try base.allReduce(input, into: output, op: op) } }
  public func startAllReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
    -> any CollectiveRequest
  { try timed { try base.startAllReduce(buffer, op: op) } }
  public func allGather<T: CollectiveScalar>(_ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>) throws {
    try timed { try base.allGather(input, into: output) }
  }
  public func allGather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, counts: [Int], into output: UnsafeMutableBufferPointer<T>
  ) throws { try timed { try base.allGather(input, counts: counts, into: output) } }
  public func reduceScatter<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, op: ReduceOp
  ) throws { try timed { try base.reduceScatter(input, into: output, op: op) } }
  public func gather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, root: Int
  ) throws { try timed { try base.gather(input, into: output, root: root) } }
  public func scatter<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, root: Int
  ) throws { try timed { try base.scatter(input, into: output, root: root) } }
  public func send<T: CollectiveScalar>(_ buffer: UnsafeBufferPointer<T>, to destination: Int, tag: Int) throws {
    try timed { try base.send(buffer, to: destination, tag: tag) }
  }
  @discardableResult
  public func receive<T: CollectiveScalar>(into buffer: UnsafeMutableBufferPointer<T>, from source: Int, tag: Int) throws
    -> ReceiveStatus
  { try timed { try base.receive(into: buffer, from: source, tag: tag) } }
  public func split(color: Int, key: Int) throws -> any Collective {
    TimedCollective(try base.split(color: color, key: key))
  }
  public func abort(code: Int32, message: String) -> Never { base.abort(code: code, message: message) }
}
