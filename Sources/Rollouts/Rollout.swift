// One MiniLLM rollout: a prompt and the response sampled for it with teacher-mixed sampling,
// with what every response token needs for the update: the three log-probabilities recorded
// while sampling and, once the collection is complete, the token's advantage.

import Distill
import Generation

#if canImport(Glibc)
  import Glibc
#endif

/// One sampled response token.
public struct RolloutToken: Sendable, Equatable {
  /// The token id y_t.
  public var token: Int32
  /// log q_old(y_t): the student's plain distribution when the token was sampled.
  public var logQOld: Float
  /// log p(y_t): the teacher's.
  public var logP: Float
  /// log p̃(y_t): the distribution it was drawn from, α·p + (1−α)·q.
  public var logPTilde: Float
  /// The long-term advantage (whitened when the run whitens); 0 until assigned.
  public var advantage: Double

  public init(token: Int32, logQOld: Float, logP: Float, logPTilde: Float, advantage: Double = 0) {
    self.token = token
    self.logQOld = logQOld
    self.logP = logP
    self.logPTilde = logPTilde
    self.advantage = advantage
  }

  /// The importance weight w_t = q_old(y_t) / p̃(y_t) that corrects for sampling from p̃.
  public var importanceWeight: Float { expf(logQOld - logPTilde) }
}

/// A prompt and its sampled response.
public struct Rollout: Sendable, Equatable {
  public var prompt: [Int32]
  public var response: [RolloutToken]

  public init(prompt: [Int32], response: [RolloutToken]) {
    self.prompt = prompt
    self.response = response
  }

  /// Row `row` of a teacher-mixed generation: every drawn token with log q, log p and log p̃.
  /// - Precondition: the generation was scored by a teacher (`GenerationOutput.teacherLogProbs`).
  public init(prompt: [Int32], output: GenerationOutput, row: Int) {
    let tokens = output.tokens[row]
    precondition(output.teacherLogProbs[row].count == tokens.count, "rollout: the generation carries no teacher log-probabilities")
    self.prompt = prompt
    response = tokens.indices.map { t in
      RolloutToken(
        token: tokens[t], logQOld: output.studentLogProbs[row][t], logP: output.teacherLogProbs[row][t],
        logPTilde: output.samplingLogProbs[row][t])
    }
  }

  /// Response token ids.
  public var tokens: [Int32] { response.map(\.token) }

  /// Per-token rewards r_t = clip((log p − log q_old) / scaling, ±clip).
  public func rewards(config: MiniLLMConfig) -> [Double] {
    Distill.rewards(logP: response.map(\.logP), logQOld: response.map(\.logQOld), config: config)
  }
}
