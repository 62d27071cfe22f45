// Array and scalar conveniences over the buffer-based Collective operations (no copies).

extension Collective {
  /// All-reduces an array in place.
  public func allReduce<T: CollectiveScalar>(_ values: inout [T], op: ReduceOp) throws {
    try values.withUnsafeMutableBufferPointer { try allReduce($0, op: op) }
  }

  /// All-reduces one value and returns the result.
  public func allReduce<T: CollectiveScalar>(_ value: T, op: ReduceOp) throws -> T {
    var values = [value]
    try allReduce(&values, op: op)
    return values[0]
  }

  /// Broadcasts an array in place from `root` (every rank passes an array of the same count).
  public func broadcast<T: CollectiveScalar>(_ values: inout [T], root: Int) throws {
    try values.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
  }

  /// Gathers an array of equal count from every rank, in rank order.
  public func allGather<T: CollectiveScalar>(_ values: [T]) throws -> [T] {
    var output = [T](repeating: .zero, count: values.count * size)
    try values.withUnsafeBufferPointer { input in
      try output.withUnsafeMutableBufferPointer { try allGather(input, into: $0) }
    }
    return output
  }

  /// Gathers arrays whose counts differ across ranks, in rank order (exchanges counts first).
  public func allGatherVariable<T: CollectiveScalar>(_ values: [T]) throws -> [T] {
    let counts = try allGather([Int64(values.count)]).map { Int($0) }
    var output = [T](repeating: .zero, count: counts.reduce(0, +))
    try values.withUnsafeBufferPointer { input in
      try output.withUnsafeMutableBufferPointer { try allGather(input, counts: counts, into: $0) }
    }
    return output
  }
}
