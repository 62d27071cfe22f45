// `train --method minillm`: the teacher groups, the MiniLLM trainer and its progress line.

import ArgumentParser
import MPI
import Training

extension TrainCommand {
  /// Builds the teacher groups of `teacherShards` ranks and runs MiniLLM to the config's steps.
  func runMiniLLM(world: Communicator, config: RunConfig, teacherShards: Int) throws {
    guard world.size % teacherShards == 0 else {
      throw ValidationError("--teacher-shards \(teacherShards) must divide the world size \(world.size)")
    }
    let teacherGroup = try world.splitCommunicator(color: world.rank / teacherShards, key: world.rank)
    let trainer = try MiniLLMTrainer(config: config, group: world, teacherGroup: teacherGroup, resume: resume)
    let steps = config.steps
    if world.rank == 0, let m = config.miniLLM {
      print("MiniLLM: \(m.rollouts) rollouts per collection, minibatch \(m.minibatch), \(m.objective.ppoEpochs) PPO epochs, teacher sharded over \(teacherShards) rank(s), \(steps) optimizer steps")
    }
    trainer.state.evaluationEvery = evalEvery
    trainer.state.evaluate = try evaluationHook(world: world, student: trainer.student, template: trainer.state.promptTemplate) { trainer.scoringTeacher }
    let clock = ProgressClock(totalSteps: steps, startStep: trainer.step)
    trainer.progress = { m in
      print(String(format: "iteration %d  step %d/%d  reverse KL/token %.4f  reward %.4f  pg %.4f  single-step %.4f  clip %.2f  length %.1f  %.2f s (rollout %.2f, teacher %.2f; update %.2f; communication %.2f)  ",
        m.iteration, m.step, steps, m.reverseKLPerToken, m.meanReward, m.policyLoss, m.singleStepLoss, m.clipFraction,
        m.meanResponseLength, m.seconds, m.rolloutSeconds, m.teacherSeconds, m.updateSeconds, m.communicationSeconds)
        + clock.line(step: m.step))
    }
    try trainer.run(stopAfter: stopAfter, stopAfterChunks: stopAfterChunks)
  }
}
