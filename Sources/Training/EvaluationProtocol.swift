// How evaluation samples: the paper's protocol (temperature 1, top-k 0, top-p 1,
// no_repeat_ngram_size 6, 5 seeds) and a one-seed variant with the same generation settings
// for evaluation during training.

import Generation

/// Generation settings and seeds of an evaluation. Training-time evaluation uses the same
/// sampling settings as the final one (docs/method.md), typically with fewer seeds.
public struct EvaluationProtocol: Codable, Sendable, Equatable {
  /// Sampling settings (the EOS token is filled in by the evaluator).
  public var sampling: SamplingConfig
  /// One full pass over the prompts per seed; metrics are averaged over seeds.
  public var seeds: [UInt64]
  /// Also decode greedily once (temperature 0, no n-gram ban) and report `greedy_*` metrics
  /// and, on the synthetic task's single-answer families, the calibration error `ece`.
  public var greedyPass: Bool

  enum CodingKeys: String, CodingKey { case sampling, seeds, greedyPass = "greedy_pass" }

  public init(sampling: SamplingConfig, seeds: [UInt64], greedyPass: Bool = false) {
    self.sampling = sampling
    self.seeds = seeds
    self.greedyPass = greedyPass
  }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    sampling = try c.decode(SamplingConfig.self, forKey: .sampling)
    seeds = try c.decode([UInt64].self, forKey: .seeds)
    greedyPass = try c.decodeIfPresent(Bool.self, forKey: .greedyPass) ?? false
  }

  /// The paper's protocol: temperature 1, top-k 0, top-p 1, no_repeat_ngram_size 6, seeds
  /// 10, 20, 30, 40, 50.
  public static func paper(maxNewTokens: Int) -> EvaluationProtocol {
    EvaluationProtocol(
      sampling: SamplingConfig(temperature: 1, topK: 0, topP: 1, noRepeatNgramSize: 6, maxNewTokens: maxNewTokens),
      seeds: [10, 20, 30, 40, 50])
  }

  /// The same sampling with only the first `count` seeds (training-time evaluation).
  public func firstSeeds(_ count: Int) -> EvaluationProtocol {
    EvaluationProtocol(sampling: sampling, seeds: Array(seeds.prefix(max(1, count))), greedyPass: greedyPass)
  }
}
