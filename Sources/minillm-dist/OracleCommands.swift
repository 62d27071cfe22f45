// `minillm-dist debug sharded-teacher --shards S` and `debug teacher-mixing --shards S`: the
// sharded-teacher and teacher-mixing oracles of SelfTest, run across all ranks.

import ArgumentParser
import MPI
import SelfTest

struct ShardedTeacherCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sharded-teacher",
    abstract: "Compare a tensor-parallel teacher (groups of --shards ranks) with the full model.")

  @Option(help: "Ranks per teacher group (must divide the world size).") var shards = 2

  func run() throws {
    try MPIJob.run { world in
      let runner = CheckRunner(group: world)
      try runShardedTeacherChecks(world: world, group: try teacherGroup(world, shards: shards), shards: shards, runner: runner)
      if world.rank == 0 { print("sharded-teacher: \(runner.passedCount) passed, \(runner.failedCount) failed") }
      return runner.failedCount == 0 ? 0 : 1
    }
  }
}

struct TeacherMixingCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "teacher-mixing",
    abstract: "Check teacher-mixed sampling with a sharded teacher against unsharded models.")

  @Option(help: "Ranks per teacher group (must divide the world size).") var shards = 2
  @Option(help: "Teacher weight α.") var alpha: Float = 0.4

  func run() throws {
    try MPIJob.run { world in
      let runner = CheckRunner(group: world)
      try runTeacherMixingChecks(world: world, group: try teacherGroup(world, shards: shards), shards: shards, alpha: alpha, runner: runner)
      if world.rank == 0 { print("teacher-mixing: \(runner.passedCount) passed, \(runner.failedCount) failed") }
      return runner.failedCount == 0 ? 0 : 1
    }
  }
}

/// The teacher group of `shards` consecutive ranks that this rank belongs to.
func teacherGroup(_ world: Communicator, shards: Int) throws -> Communicator {
  guard shards >= 1, world.size % shards == 0 else {
    throw ValidationError("--shards \(shards) must divide the world size \(world.size)")
  }
  return try world.splitCommunicator(color: world.rank / shards, key: world.rank)
}
