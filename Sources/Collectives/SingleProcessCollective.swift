// A Collective for one process: every operation is a local copy, so code written for many
// ranks runs unchanged without MPI.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A group holding exactly one rank (rank 0 of size 1).
public final class SingleProcessCollective: Collective {
  /// Messages sent to self, waiting for a matching receive, by tag (first in, first out).
  private var mailbox: [Int: [[UInt8]]] = [:]

  public init() {}

  public var rank: Int { 0 }
  public var size: Int { 1 }

  private func check(_ operation: String, _ problem: String?) throws {
    if let problem { throw CollectiveError(operation: operation, message: problem) }
  }

  private func copy<T>(_ input: UnsafeBufferPointer<T>, _ output: UnsafeMutableBufferPointer<T>) {
    guard input.count > 0, let src = input.baseAddress, let dst = output.baseAddress else { return }
    if UnsafeRawPointer(src) != UnsafeRawPointer(dst) {
      dst.update(from: src, count: input.count)
    }
  }

  public func barrier() throws {}
  public func unboundedBarrier() throws {}

  public func broadcast<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int)
    throws
  {
    try check("broadcast", CollectiveArgumentCheck.rank(root, role: "root", size: size))
  }

  public func allReduce<T: CollectiveScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp)
    throws
  {}

  public func allReduce<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, op: ReduceOp
  ) throws {
    try check(
      "allReduce", CollectiveArgumentCheck.sameCount(input: input.count, output: output.count))
    copy(input, output)
  }

  public func startAllReduce<T: CollectiveScalar>(
    _ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp
  ) throws -> any CollectiveRequest {
    CompletedRequest()
  }

  public func allGather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>
  ) throws {
    try check(
      "allGather",
      CollectiveArgumentCheck.blocks(
        whole: output.count, block: input.count, size: size, wholeName: "output"))
    copy(input, output)
  }

  public func allGather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, counts: [Int], into output: UnsafeMutableBufferPointer<T>
  ) throws {
    try check(
      "allGather(counts:)",
      CollectiveArgumentCheck.variableCounts(
        counts, rank: rank, size: size, input: input.count, output: output.count))
    copy(input, output)
  }

  public func reduceScatter<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, op: ReduceOp
  ) throws {
    try check(
      "reduceScatter",
      CollectiveArgumentCheck.blocks(
        whole: input.count, block: output.count, size: size, wholeName: "input"))
    copy(input, output)
  }

  public func gather<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, root: Int
  ) throws {
    try check("gather", CollectiveArgumentCheck.rank(root, role: "root", size: size))
    try check(
      "gather",
      CollectiveArgumentCheck.blocks(
        whole: output.count, block: input.count, size: size, wholeName: "output"))
    copy(input, output)
  }

  public func scatter<T: CollectiveScalar>(
    _ input: UnsafeBufferPointer<T>, into output: UnsafeMutableBufferPointer<T>, root: Int
  ) throws {
    try check("scatter", CollectiveArgumentCheck.rank(root, role: "root", size: size))
    try check(
      "scatter",
      CollectiveArgumentCheck.blocks(
        whole: input.count, block: output.count, size: size, wholeName: "input"))
    copy(input, output)
  }

  public func send<T: CollectiveScalar>(
    _ buffer: UnsafeBufferPointer<T>, to destination: Int, tag: Int
  ) throws {
    try check("send", CollectiveArgumentCheck.rank(destination, role: "destination", size: size))
    mailbox[tag, default: []].append(Array(UnsafeRawBufferPointer(buffer)))
  }

  @discardableResult
  public func receive<T: CollectiveScalar>(
    into buffer: UnsafeMutableBufferPointer<T>, from source: Int, tag: Int
  ) throws -> ReceiveStatus {
    try check("receive", CollectiveArgumentCheck.rank(source, role: "source", size: size))
    guard var queue = mailbox[tag], !queue.isEmpty else {
      throw CollectiveError(
        operation: "receive",
        message: "no message with tag \(tag) was sent; a single process would wait forever")
    }
    let bytes = queue.removeFirst()
    mailbox[tag] = queue
    let count = bytes.count / MemoryLayout<T>.stride
    guard count <= buffer.count else {
      throw CollectiveError(
        operation: "receive",
        message: "message of \(count) elements does not fit the \(buffer.count)-element buffer")
    }
    bytes.withUnsafeBytes { raw in
      UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
    }
    return ReceiveStatus(count: count, source: 0, tag: tag)
  }

  public func split(color: Int, key: Int) throws -> any Collective {
    try check("split", CollectiveArgumentCheck.color(color))
    return SingleProcessCollective()
  }

  public func abort(code: Int32, message: String) -> Never {
    StandardError.writeLine("minillm-dist: rank 0 aborting (code \(code)): \(message)")
    exit(code)
  }
}

/// A request for an operation that finished when it started.
private final class CompletedRequest: CollectiveRequest {
  func wait() throws {}
  func test() throws -> Bool { true }
}
