// The single-process Collective passes the same conformance suite as MPI, plus its own cases.

import Collectives
import SelfTest
import XCTest

final class SingleProcessCollectiveTests: XCTestCase {
  func testConformanceSuitePasses() {
    let runner = CheckRunner(group: SingleProcessCollective(), printLines: false)
    CollectiveChecks.runAll(runner)
    XCTAssertGreaterThanOrEqual(runner.results.count, 75)
    for result in runner.results where !result.passed {
      XCTFail("\(result.name): \(result.detail)")
    }
  }

  func testReceiveDeliversMessagesInOrderPerTag() throws {
    let group = SingleProcessCollective()
    try [Int32(1), 2].withUnsafeBufferPointer { try group.send($0, to: 0, tag: 5) }
    try [Int32(9)].withUnsafeBufferPointer { try group.send($0, to: 0, tag: 6) }
    try [Int32(3)].withUnsafeBufferPointer { try group.send($0, to: 0, tag: 5) }
    var buffer = [Int32](repeating: 0, count: 4)
    let first = try buffer.withUnsafeMutableBufferPointer { try group.receive(into: $0, from: 0, tag: 5) }
    XCTAssertEqual(first, ReceiveStatus(count: 2, source: 0, tag: 5))
    XCTAssertEqual(Array(buffer.prefix(2)), [1, 2])
    let second = try buffer.withUnsafeMutableBufferPointer { try group.receive(into: $0, from: 0, tag: 5) }
    XCTAssertEqual(second.count, 1)
    XCTAssertEqual(buffer[0], 3)
  }

  func testReceiveWithoutMessageThrowsInsteadOfHanging() {
    let group = SingleProcessCollective()
    var buffer = [Float](repeating: 0, count: 1)
    XCTAssertThrowsError(
      try buffer.withUnsafeMutableBufferPointer { try group.receive(into: $0, from: 0, tag: 1) }
    ) { error in
      XCTAssertTrue(String(describing: error).contains("tag 1"))
    }
  }

  func testArgumentChecksDescribeTheProblem() {
    XCTAssertNil(CollectiveArgumentCheck.rank(3, role: "root", size: 4))
    XCTAssertEqual(
      CollectiveArgumentCheck.rank(4, role: "root", size: 4),
      "root 4 is not a rank of this group (size 4)")
    XCTAssertNil(CollectiveArgumentCheck.variableCounts([1, 0, 2], rank: 1, size: 3, input: 0, output: 3))
    XCTAssertNotNil(CollectiveArgumentCheck.variableCounts([1, 0, 2], rank: 0, size: 3, input: 0, output: 3))
    XCTAssertNotNil(CollectiveArgumentCheck.variableCounts([1, -1, 2], rank: 0, size: 3, input: 1, output: 2))
    XCTAssertNotNil(CollectiveArgumentCheck.variableCounts([1, 2], rank: 0, size: 3, input: 1, output: 3))
    XCTAssertNil(CollectiveArgumentCheck.blocks(whole: 12, block: 3, size: 4, wholeName: "x"))
    XCTAssertNotNil(CollectiveArgumentCheck.blocks(whole: 13, block: 3, size: 4, wholeName: "x"))
  }

  func testReduceOpCombine() {
    XCTAssertEqual(ReduceOp.sum.combine(Float(1.5), 2), 3.5)
    XCTAssertEqual(ReduceOp.max.combine(Int64(-4), -9), -4)
    XCTAssertEqual(ReduceOp.min.combine(UInt8(7), 200), 7)
  }
}
