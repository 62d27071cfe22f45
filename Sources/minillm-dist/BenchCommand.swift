// `minillm-dist bench allreduce`: float-sum all-reduce bandwidth through the Swift wrapper,
// timed exactly as Benchmarks/allreduce/raw_allreduce.c times raw MPI.

import ArgumentParser
import Collectives
import Foundation
import MPI

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Micro-benchmarks.",
    subcommands: [AllReduce.self, BenchTrain.self, BenchSample.self, BenchTokenize.self, BenchCheckpoint.self, BenchScaling.self])

  struct AllReduce: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "allreduce",
      abstract: "Float sum all-reduce bandwidth, 4 KB to 64 MB, in place and out of place.",
      discussion: """
        Each size: warm up, then 7 timed blocks of n calls between barriers; the median block
        time over n is reported. Compare with the raw C program via Benchmarks/allreduce/run.
        Output is CSV on rank 0: mode,bytes,iterations,seconds_per_call,gb_per_s
        """)

    @Option(help: "Smallest message in bytes.") var minBytes: Int = 4 << 10
    @Option(help: "Largest message in bytes.") var maxBytes: Int = 64 << 20
    @Option(help: "Bytes moved per size for choosing the call count.") var budgetBytes: Int = 1 << 28

    func run() throws {
      try MPIJob.run { world in
        if world.rank == 0 { print("mode,bytes,iterations,seconds_per_call,gb_per_s") }
        var bytes = minBytes
        while bytes <= maxBytes {
          let count = bytes / MemoryLayout<Float>.stride
          let iterations = max(5, min(2000, budgetBytes / bytes))
          for inPlace in [true, false] {
            let seconds = try Self.measure(world, count: count, iterations: iterations, inPlace: inPlace)
            if world.rank == 0 {
              let rate = Double(bytes) / seconds / 1e9
              print("\(inPlace ? "in_place" : "out_of_place"),\(bytes),\(iterations),\(String(format: "%.9f", seconds)),\(String(format: "%.3f", rate))")
            }
          }
          bytes *= 4
        }
        return 0
      }
    }

    /// Median over 7 blocks of the time per call, taken on rank 0 after a barrier.
    static func measure(_ world: Communicator, count: Int, iterations: Int, inPlace: Bool) throws
      -> Double
    {
      let sendBuffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
      let receiveBuffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
      defer {
        sendBuffer.deallocate()
        receiveBuffer.deallocate()
      }
      sendBuffer.initialize(repeating: 0)
      receiveBuffer.initialize(repeating: 0)
      let call = {
        if inPlace {
          try world.allReduce(sendBuffer, op: .sum)
        } else {
          try world.allReduce(UnsafeBufferPointer(sendBuffer), into: receiveBuffer, op: .sum)
        }
      }
      for _ in 0..<max(2, iterations / 10) { try call() }
      var blocks: [Double] = []
      for _ in 0..<7 {
        try world.barrier()
        let start = MPIRuntime.wallTime()
        for _ in 0..<iterations { try call() }
        blocks.append((MPIRuntime.wallTime() - start) / Double(iterations))
      }
      return blocks.sorted()[blocks.count / 2]
    }
  }
}
