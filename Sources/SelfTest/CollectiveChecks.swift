// Conformance checks for every collective and element type; each rank computes the expected
// result on its own from the formula every rank used for its input.

import Collectives

/// The collective conformance suite, runnable on any `Collective` (MPI or single-process).
public enum CollectiveChecks {
  /// Runs every check for every element type on `runner.group`.
  public static func runAll(_ runner: CheckRunner) {
    runner.check("barrier") {
      try runner.group.barrier()
      return nil
    }
    runTyped(Float.self, runner)
    runTyped(Double.self, runner)
    runTyped(Int32.self, runner)
    runTyped(Int64.self, runner)
    runTyped(UInt8.self, runner)
    runSplit(runner)
    CollectiveErrorChecks.runAll(runner)
  }

  /// A small non-negative value that depends on rank and index; sums over 16 ranks fit a UInt8.
  static func value<T: CollectiveScalar>(_ rank: Int, _ index: Int, _: T.Type = T.self) -> T {
    T(exactly: (rank * 5 + index * 3 + 1) % 13)!
  }

  static func values<T: CollectiveScalar>(rank: Int, count: Int, _: T.Type = T.self) -> [T] {
    (0..<count).map { value(rank, $0) }
  }

  static func reduced<T: CollectiveScalar>(size: Int, count: Int, op: ReduceOp, _: T.Type) -> [T] {
    (0..<count).map { i in
      (1..<size).reduce(value(0, i) as T) { op.combine($0, value($1, i)) }
    }
  }

  static func runTyped<T: CollectiveScalar>(_ type: T.Type, _ runner: CheckRunner) {
    let group = runner.group
    let rank = group.rank
    let size = group.size
    let kind = T.scalarKind.rawValue
    let count = 37

    for root in Set([0, size - 1]).sorted() {
      runner.check("broadcast \(kind) root \(root)") {
        var buffer: [T] = values(rank: rank, count: count)
        try group.broadcast(&buffer, root: root)
        return firstMismatch(buffer, values(rank: root, count: count))
      }
    }

    for op in ReduceOp.allCases {
      runner.check("allReduce \(op) \(kind) in place") {
        var buffer: [T] = values(rank: rank, count: count)
        try group.allReduce(&buffer, op: op)
        return firstMismatch(buffer, reduced(size: size, count: count, op: op, T.self))
      }
      runner.check("allReduce \(op) \(kind) out of place") {
        let input: [T] = values(rank: rank, count: count)
        var output = [T](repeating: .zero, count: count)
        try input.withUnsafeBufferPointer { inBuffer in
          try output.withUnsafeMutableBufferPointer {
            try group.allReduce(inBuffer, into: $0, op: op)
          }
        }
        if let problem = firstMismatch(input, values(rank: rank, count: count), label: "input changed: ") {
          return problem
        }
        return firstMismatch(output, reduced(size: size, count: count, op: op, T.self))
      }
    }

    runner.check("startAllReduce sum \(kind) (non-blocking, wait)") {
      var buffer: [T] = values(rank: rank, count: count)
      try buffer.withUnsafeMutableBufferPointer { pointer in
        let request = try group.startAllReduce(pointer, op: .sum)
        try request.wait()
        try request.wait()  // a second wait is a no-op
      }
      return firstMismatch(buffer, reduced(size: size, count: count, op: .sum, T.self))
    }

    runner.check("allGather \(kind) equal counts") {
      let gathered = try group.allGather(values(rank: rank, count: count) as [T])
      let expected = (0..<size).flatMap { values(rank: $0, count: count) as [T] }
      return firstMismatch(gathered, expected)
    }

    runner.check("allGather \(kind) variable counts (one rank sends none)") {
      let countOf = { (r: Int) in r % 3 == 1 ? 0 : r + 2 }
      let mine: [T] = values(rank: rank, count: countOf(rank))
      let gathered = try group.allGatherVariable(mine)
      let expected = (0..<size).flatMap { values(rank: $0, count: countOf($0)) as [T] }
      return firstMismatch(gathered, expected)
    }

    runner.check("reduceScatter sum \(kind)") {
      let block = 5
      let input: [T] = values(rank: rank, count: block * size)
      var output = [T](repeating: .zero, count: block)
      try input.withUnsafeBufferPointer { inBuffer in
        try output.withUnsafeMutableBufferPointer {
          try group.reduceScatter(inBuffer, into: $0, op: .sum)
        }
      }
      let whole = reduced(size: size, count: block * size, op: .sum, T.self)
      return firstMismatch(output, Array(whole[(rank * block)..<((rank + 1) * block)]))
    }

    for root in Set([0, size - 1]).sorted() {
      runner.check("gather \(kind) root \(root)") {
        let input: [T] = values(rank: rank, count: count)
        var output = [T](repeating: .zero, count: rank == root ? count * size : 0)
        try input.withUnsafeBufferPointer { inBuffer in
          try output.withUnsafeMutableBufferPointer {
            try group.gather(inBuffer, into: $0, root: root)
          }
        }
        guard rank == root else { return nil }
        return firstMismatch(output, (0..<size).flatMap { values(rank: $0, count: count) as [T] })
      }
      runner.check("scatter \(kind) root \(root)") {
        let block = 6
        let input: [T] = rank == root ? values(rank: root, count: block * size) : []
        var output = [T](repeating: .zero, count: block)
        try input.withUnsafeBufferPointer { inBuffer in
          try output.withUnsafeMutableBufferPointer {
            try group.scatter(inBuffer, into: $0, root: root)
          }
        }
        let whole: [T] = values(rank: root, count: block * size)
        return firstMismatch(output, Array(whole[(rank * block)..<((rank + 1) * block)]))
      }
    }

    runner.check("send/receive \(kind) around a ring") {
      let next = (rank + 1) % size
      let previous = (rank + size - 1) % size
      let outgoing: [T] = values(rank: rank, count: count)
      var incoming = [T](repeating: .zero, count: count + 3)
      var status = ReceiveStatus(count: -1, source: -1, tag: -1)
      let send = { try outgoing.withUnsafeBufferPointer { try group.send($0, to: next, tag: 7) } }
      let receive = {
        status = try incoming.withUnsafeMutableBufferPointer {
          try group.receive(into: $0, from: previous, tag: 7)
        }
      }
      if rank % 2 == 0 {
        try send()
        try receive()
      } else {
        try receive()
        try send()
      }
      if status != ReceiveStatus(count: count, source: previous, tag: 7) {
        return "status \(status), expected count \(count) from \(previous) tag 7"
      }
      return firstMismatch(Array(incoming.prefix(count)), values(rank: previous, count: count))
    }
  }

  /// Splits the group by rank parity with keys reversing the order, and reduces within each.
  static func runSplit(_ runner: CheckRunner) {
    let group = runner.group
    let rank = group.rank
    let size = group.size
    runner.check("split by parity (reversed keys) then allReduce within each") {
      let sub = try group.split(color: rank % 2, key: size - rank)
      let members = (0..<size).filter { $0 % 2 == rank % 2 }
      let expectedRank = Array(members.reversed()).firstIndex(of: rank)!
      if sub.size != members.count { return "sub-group size \(sub.size), expected \(members.count)" }
      if sub.rank != expectedRank { return "sub-group rank \(sub.rank), expected \(expectedRank)" }
      let total = try sub.allReduce(Int64(rank + 1), op: .sum)
      let expected = Int64(members.map { $0 + 1 }.reduce(0, +))
      if total != expected { return "sum within sub-group \(total), expected \(expected)" }
      let gathered = try sub.allGather([Int32(rank)])
      return firstMismatch(gathered, members.reversed().map { Int32($0) })
    }
    if size >= 4 {
      runner.check("split into consecutive pairs, broadcast from each pair's second rank") {
        let pair = try group.split(color: rank / 2, key: rank)
        var value = [Double(rank) * 1.5]
        let pairSize = min(2, size - (rank / 2) * 2)
        try pair.broadcast(&value, root: pairSize - 1)
        let expected = Double((rank / 2) * 2 + pairSize - 1) * 1.5
        return value[0] == expected ? nil : "got \(value[0]), expected \(expected)"
      }
    }
  }
}
