// The MiniLLM paper's "Alternative #2": sample several responses per prompt from the student,
// rank them by the teacher's log-likelihood, and train with a margin loss between the best and
// the worst plus cross-entropy on the best. As a weighting of per-sequence cross-entropies.

/// Settings of the ranking loss.
public struct RankingLossSettings: Codable, Sendable, Equatable {
  /// Responses sampled from the student per prompt (K ≥ 2).
  public var samples: Int
  /// Margin m of the hinge between the best and the worst response.
  public var margin: Double
  /// Weight λ of the cross-entropy on the best response.
  public var ceWeight: Double

  enum CodingKeys: String, CodingKey { case samples, margin, ceWeight = "ce_weight" }

  public init(samples: Int = 4, margin: Double = 1, ceWeight: Double = 1) {
    self.samples = samples
    self.margin = margin
    self.ceWeight = ceWeight
  }
}

/// The ranking loss over groups of K consecutive sequences (one group per prompt).
///
/// With s = the student's mean log q per token of a response, b the response the teacher
/// scores highest (mean log p per token) and w the lowest, each group contributes
/// `max(0, m − (s_b − s_w)) + λ · (−s_b)`. The loss is linear in the responses' mean
/// cross-entropies c = −s, so its gradient is that of Σ weight · c with weight λ + a on b and
/// −a on w (a = 1 when the hinge is active), 0 elsewhere. A group whose best and worst are the
/// same response (`identical`) or that the teacher scores all alike has no hinge.
/// - Returns: per-sequence weights and the loss summed over groups.
public func rankingLossWeights(
  teacherScores: [Double], studentScores: [Double], settings: RankingLossSettings, identical: (Int, Int) -> Bool
) -> (weights: [Double], loss: Double) {
  precondition(teacherScores.count == studentScores.count && teacherScores.count % settings.samples == 0)
  let K = settings.samples
  var weights = [Double](repeating: 0, count: teacherScores.count)
  var loss = 0.0
  for start in stride(from: 0, to: teacherScores.count, by: K) {
    let group = start..<(start + K)
    // Ties go to the first (best) and the last (worst) index.
    let best = group.max { teacherScores[$0] < teacherScores[$1] || (teacherScores[$0] == teacherScores[$1] && $0 > $1) }!
    let worst = group.min { teacherScores[$0] < teacherScores[$1] || (teacherScores[$0] == teacherScores[$1] && $0 > $1) }!
    let tied = identical(best, worst) || teacherScores[best] == teacherScores[worst]
    let hinge = tied ? 0 : settings.margin - (studentScores[best] - studentScores[worst])
    let active = hinge > 0 ? 1.0 : 0.0
    loss += max(0, hinge) + settings.ceWeight * -studentScores[best]
    weights[best] += settings.ceWeight + active
    weights[worst] -= active
  }
  return (weights, loss)
}
