// The synthetic task's breakdown of evaluation results: valid rate per family and per answer
// length, and how many distinct valid answers a model gives to one prompt over several seeds.

import Datasets

/// Per-family and per-length scoring of responses to synthetic-task records.
public struct SyntheticTaskMetrics {
  /// Answer-length buckets, in tokens of the record's reference output: name and range.
  public static let lengthBuckets: [(name: String, range: ClosedRange<Int>)] = [
    ("1-4", 1...4), ("5-12", 5...12), ("13-24", 13...24), ("25+", 25...Int.max),
  ]

  let records: [InstructionRecord]
  let families: [SyntheticTask.Family]
  let buckets: [Int]

  /// - Parameter referenceLengths: tokens of each record's reference output (EOS excluded).
  public init(records: [InstructionRecord], referenceLengths: [Int]) {
    self.records = records
    families = records.map { SyntheticTask.family(instruction: $0.instruction)! }
    buckets = referenceLengths.map { length in
      Self.lengthBuckets.firstIndex { $0.range.contains(max(1, length)) }!
    }
  }

  /// Whether each response is valid for its record.
  public func validity(_ responses: [String]) -> [Bool] {
    zip(records, responses).map { SyntheticTask.isValid(instruction: $0.instruction, input: $0.input, response: $1) }
  }

  /// `valid_rate/<family>` and `valid_rate/length_<bucket>` (%), for the families and buckets
  /// present in the set.
  public func breakdown(_ valid: [Bool], prefix: String = "valid_rate") -> [String: Double] {
    var metrics: [String: Double] = [:]
    for family in SyntheticTask.Family.allCases {
      let chosen = families.indices.filter { families[$0] == family }
      if !chosen.isEmpty { metrics["\(prefix)/\(family.rawValue)"] = rate(valid, chosen) }
    }
    for (b, bucket) in Self.lengthBuckets.enumerated() {
      let chosen = buckets.indices.filter { buckets[$0] == b }
      if !chosen.isEmpty { metrics["\(prefix)/length_\(bucket.name)"] = rate(valid, chosen) }
    }
    return metrics
  }

  /// Mean over many-answer prompts of the number of distinct valid responses among the
  /// responses of all seeds (`responsesPerSeed[s][i]`): 1 means the same valid answer every
  /// time, the number of seeds means a different valid answer every time. Responses are
  /// compared after the checker's normalization (case, ends, final period).
  public func distinctValidPerPrompt(_ responsesPerSeed: [[String]]) -> Double? {
    let chosen = families.indices.filter { families[$0].hasManyAnswers }
    guard !chosen.isEmpty else { return nil }
    var total = 0
    for i in chosen {
      var distinct = Set<String>()
      for responses in responsesPerSeed
      where SyntheticTask.isValid(instruction: records[i].instruction, input: records[i].input, response: responses[i]) {
        distinct.insert(SyntheticTask.normalize(responses[i]))
      }
      total += distinct.count
    }
    return Double(total) / Double(chosen.count)
  }

  /// Indices of the records of single-answer families (for calibration).
  public var singleAnswerIndices: [Int] { families.indices.filter { !families[$0].hasManyAnswers } }

  func rate(_ valid: [Bool], _ indices: [Int]) -> Double {
    100 * Double(indices.filter { valid[$0] }.count) / Double(indices.count)
  }
}
