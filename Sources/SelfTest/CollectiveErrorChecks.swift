// Checks that invalid collective calls throw a descriptive error and leave the group usable.

import Collectives

enum CollectiveErrorChecks {
  static func runAll(_ runner: CheckRunner) {
    let group = runner.group
    let size = group.size
    let rank = group.rank

    runner.expectError("broadcast with root \(size) (out of range) throws", keywords: ["root"]) {
      var buffer: [Float] = [1, 2, 3]
      try group.broadcast(&buffer, root: size)
    }
    runner.expectError("gather with negative root throws", keywords: ["root"]) {
      var output = [Int32](repeating: 0, count: size)
      try [Int32(1)].withUnsafeBufferPointer { input in
        try output.withUnsafeMutableBufferPointer { try group.gather(input, into: $0, root: -1) }
      }
    }
    runner.expectError("allReduce with mismatched input/output counts throws", keywords: ["elements"]) {
      var output = [Double](repeating: 0, count: 3)
      try [Double](repeating: 1, count: 4).withUnsafeBufferPointer { input in
        try output.withUnsafeMutableBufferPointer { try group.allReduce(input, into: $0, op: .sum) }
      }
    }
    runner.expectError("allGather into a wrongly sized output throws", keywords: ["output"]) {
      var output = [Int64](repeating: 0, count: size * 2 + 1)
      try [Int64(1), 2].withUnsafeBufferPointer { input in
        try output.withUnsafeMutableBufferPointer { try group.allGather(input, into: $0) }
      }
    }
    runner.expectError("variable allGather with counts that disagree throws", keywords: ["counts"]) {
      var output = [UInt8](repeating: 0, count: 10)
      try [UInt8(1)].withUnsafeBufferPointer { input in
        try output.withUnsafeMutableBufferPointer {
          try group.allGather(input, counts: Array(repeating: 2, count: size), into: $0)
        }
      }
    }
    runner.expectError("split with a negative color throws", keywords: ["color"]) {
      _ = try group.split(color: -3, key: 0)
    }

    // A message longer than the receive buffer: MPI itself reports MPI_ERR_TRUNCATE.
    let sender = 0
    let receiver = size - 1
    runner.check("receive into a too-small buffer throws a truncation error") {
      let message = [Float](repeating: 2.5, count: 8)
      var small = [Float](repeating: 0, count: 4)
      if rank == sender {
        try message.withUnsafeBufferPointer { try group.send($0, to: receiver, tag: 99) }
      }
      guard rank == receiver else { return nil }
      do {
        try small.withUnsafeMutableBufferPointer {
          _ = try group.receive(into: $0, from: sender, tag: 99)
        }
        return "expected a truncation error, none was thrown"
      } catch {
        let text = String(describing: error)
        return text.contains("TRUNCATE") || text.contains("does not fit")
          ? nil : "error text does not describe truncation: \(text)"
      }
    }

    runner.check("the group still works after the errors above") {
      let total = try group.allReduce(Int32(1), op: .sum)
      return total == Int32(size) ? nil : "allReduce gave \(total), expected \(size)"
    }
  }
}
