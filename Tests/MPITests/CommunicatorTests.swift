// MPI without mpirun: a world of one rank passes the conformance suite and reports errors
// as MPIError values carrying MPI's own text. Multi-rank runs happen in launch/test.

import Collectives
import MPI
import SelfTest
import XCTest

final class CommunicatorTests: XCTestCase {
  private func world() throws -> Communicator { try MPIRuntime.initialize() }

  func testSingletonWorldHasOneRank() throws {
    let world = try world()
    XCTAssertEqual(world.size, 1)
    XCTAssertEqual(world.rank, 0)
    XCTAssertTrue(MPIRuntime.isInitialized)
    XCTAssertTrue(MPIRuntime.libraryVersion().contains("MPI"))
  }

  func testConformanceSuitePassesOnSingletonWorld() throws {
    let runner = CheckRunner(group: try world(), printLines: false)
    CollectiveChecks.runAll(runner)
    XCTAssertGreaterThanOrEqual(runner.results.count, 75)
    for result in runner.results where !result.passed {
      XCTFail("\(result.name): \(result.detail)")
    }
  }

  func testInvalidRootThrowsMPIErrorWithOperationAndRank() throws {
    let world = try world()
    var buffer: [Double] = [1, 2]
    XCTAssertThrowsError(try world.broadcast(&buffer, root: 5)) { error in
      guard let error = error as? MPIError else { return XCTFail("not an MPIError: \(error)") }
      XCTAssertEqual(error.operation, "MPI_Bcast")
      XCTAssertEqual(error.worldRank, 0)
      XCTAssertEqual(error.errorClass, "MPI_ERR_ROOT")
      XCTAssertTrue(error.description.contains("root 5"))
    }
  }

  func testTruncatedReceiveCarriesMPIErrorString() throws {
    let world = try world()
    try [Int64](repeating: 7, count: 6).withUnsafeBufferPointer { try world.send($0, to: 0, tag: 3) }
    var small = [Int64](repeating: 0, count: 2)
    XCTAssertThrowsError(
      try small.withUnsafeMutableBufferPointer { try world.receive(into: $0, from: 0, tag: 3) }
    ) { error in
      guard let error = error as? MPIError else { return XCTFail("not an MPIError: \(error)") }
      XCTAssertEqual(error.operation, "MPI_Recv")
      XCTAssertEqual(error.errorClass, "MPI_ERR_TRUNCATE")
      XCTAssertFalse(error.message.isEmpty)
    }
  }

  func testSubCommunicatorIsUsableAndFreed() throws {
    let world = try world()
    for _ in 0..<50 {
      let sub = try world.splitCommunicator(color: 3, key: 0)
      XCTAssertEqual(sub.size, 1)
      XCTAssertEqual(try sub.allReduce(Float(2.5), op: .max), 2.5)
    }
  }

  func testNonBlockingAllReduceCanBePolled() throws {
    let world = try world()
    var values: [Float] = [1, 2, 3]
    try values.withUnsafeMutableBufferPointer { buffer in
      let request = try world.startAllReduce(buffer, op: .sum)
      var done = false
      for _ in 0..<1000 where !done { done = try request.test() }
      try request.wait()
    }
    XCTAssertEqual(values, [1, 2, 3])
  }
}
