// `train --method minillm`: the teacher groups, the MiniLLM trainer and its progress line.

import ArgumentParser
import Distill
import MPI
import Training

extension TrainCommand {
  /// Builds the teacher groups of --teacher-shards ranks and runs MiniLLM to --steps.
  func runMiniLLM(world: Communicator, config: TeacherForcedConfig, settings: MiniLLMConfig) throws {
    guard teacherShards >= 1, world.size % teacherShards == 0 else {
      throw ValidationError("--teacher-shards \(teacherShards) must divide the world size \(world.size)")
    }
    let teacherGroup = try world.splitCommunicator(color: world.rank / teacherShards, key: world.rank)
    let trainer = try MiniLLMTrainer(
      config: config, settings: settings, group: world, teacherGroup: teacherGroup,
      rollouts: rollouts, minibatch: minibatch, maxNewTokens: maxNewTokens,
      pretrainingData: pretrainData, resume: resume)
    if world.rank == 0 {
      print("MiniLLM: \(rollouts) rollouts per collection, minibatch \(minibatch), \(settings.ppoEpochs) PPO epochs, teacher sharded over \(teacherShards) rank(s), \(steps) optimizer steps")
    }
    trainer.evaluationEvery = evalEvery
    trainer.evaluate = try evaluationHook(world: world, student: trainer.student) { trainer.scoringTeacher }
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
