// The sweep's breakdown of results on the synthetic task: valid rate per family and per answer
// length for every model (tables), valid rate against answer length per method, and the
// teacher-scored reverse KL on the selection split against step for every method (plots).

import Datasets
import Foundation
import Reports
import Training

extension SweepRunner {
  /// Rank 0: writes families.md, lengths.md and the breakdown plots when the evaluation has the
  /// synthetic task's per-family metrics; returns the tables' Markdown (empty otherwise).
  func writeBreakdown(models: [EvaluatedModel]) throws -> String {
    let families = SyntheticTask.Family.allCases.map(\.rawValue).filter { family in models.contains { $0.mean["valid_rate/" + family] != nil } }
    guard !families.isEmpty else { return "" }
    let buckets = SyntheticTaskMetrics.lengthBuckets.map(\.name).filter { bucket in
      models.contains { $0.mean["valid_rate/length_" + bucket] != nil }
    }
    let familyTable = breakdownTable(
      models: models, columns: families, key: { "valid_rate/" + $0 },
      caption: "Valid rate (%) per family, mean ± std over the evaluation seeds (T = 1); `greedy` is one greedy pass over all families.",
      extra: [("greedy", "greedy_valid_rate")])
    let lengthTable = breakdownTable(
      models: models, columns: buckets.map { "length_" + $0 }, key: { "valid_rate/" + $0 },
      caption: "Valid rate (%) per answer length (tokens of the reference answer), mean ± std over the evaluation seeds.",
      extra: [])
    try write(familyTable, "families.md")
    try write(lengthTable, "lengths.md")
    for size in config.students {
      try write(validRateByLength(models: models.filter { $0.size == size.name }, size: size, buckets: buckets).svg(),
        "valid_rate_vs_length_\(size.name).svg")
      try write(reverseKLCurves(size: size).svg(), "reverse_kl_vs_step_\(size.name).svg")
      try write(exposureBiasCurves(models: models.filter { $0.size == size.name }, size: size).svg(),
        "exposure_bias_\(size.name).svg")
      let sized = models.filter { $0.size == size.name }
      try write(entryBars(models: sized, size: size, metrics: [
        ("valid rate", { $0.mean["valid_rate"] }, { $0.std["valid_rate"] }),
        ("long families", { m in Self.meanOf(m, Self.longFamilies.map { "valid_rate/" + $0 }) }, { _ in nil }),
        ("greedy", { $0.mean["greedy_valid_rate"] }, { _ in nil }),
      ], yLabel: "valid rate (%)").svg(), "bars_valid_rate_\(size.name).svg")
      try write(entryBars(models: sized, size: size, metrics: [
        ("reverse KL (sequence)", { $0.mean["reverse_kl"] }, { $0.std["reverse_kl"] }),
      ], yLabel: "KL(q ‖ p), teacher-scored").svg(), "bars_reverse_kl_\(size.name).svg")
    }
    return familyTable + "\n" + lengthTable
  }

  func breakdownTable(
    models: [EvaluatedModel], columns: [String], key: (String) -> String, caption: String,
    extra: [(name: String, key: String)]
  ) -> String {
    var lines = [caption, "", "| model | " + (columns + extra.map(\.name)).joined(separator: " | ") + " |",
      "|---|" + String(repeating: "---:|", count: columns.count + extra.count)]
    for model in models {
      var cells = columns.map { column -> String in
        guard let mean = model.mean[key(column)] else { return "—" }
        let spread = model.std[key(column)] ?? 0
        return String(format: "%.1f ± %.1f", mean, spread)
      }
      cells += extra.map { model.mean[$0.key].map { String(format: "%.1f", $0) } ?? "—" }
      lines.append("| \(model.name) | " + cells.joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Valid rate against answer length (bucket midpoints), one series per method.
  func validRateByLength(models: [EvaluatedModel], size: ModelShape, buckets: [String]) -> LinePlot {
    var plot = LinePlot(
      title: "valid rate vs answer length, student \(size.name)", xLabel: "answer length (tokens, bucket midpoint)",
      yLabel: "valid rate (%)")
    let midpoints = SyntheticTaskMetrics.lengthBuckets.map { bucket in
      (name: bucket.name, x: bucket.range.upperBound == Int.max ? Double(bucket.range.lowerBound) + 5
        : Double(bucket.range.lowerBound + bucket.range.upperBound) / 2)
    }.filter { buckets.contains($0.name) }
    for model in models {
      let points = midpoints.compactMap { m in model.mean["valid_rate/length_" + m.name].map { (m.x, $0) } }
      plot.add(LinePlot.Series(name: model.method, x: points.map(\.0), y: points.map(\.1)))
    }
    return plot
  }

  /// The long many-answer families (the mechanism's test).
  static let longFamilies = ["letterRange", "listMany", "numberSequence"]

  static func meanOf(_ model: EvaluatedModel, _ keys: [String]) -> Double? {
    let values = keys.compactMap { model.mean[$0] }
    return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
  }

  /// One group of bars per entry of one size (the ablation bars of an ablation sweep).
  func entryBars(
    models: [EvaluatedModel], size: ModelShape,
    metrics: [(name: String, value: (EvaluatedModel) -> Double?, error: (EvaluatedModel) -> Double?)], yLabel: String
  ) -> BarPlot {
    var plot = BarPlot(title: "\(yLabel) per entry, student \(size.name)", yLabel: yLabel, categories: models.map(\.method))
    for metric in metrics {
      plot.series.append(BarPlot.Series(
        name: metric.name, values: models.map { metric.value($0) ?? .nan }, errors: models.map { metric.error($0) ?? 0 }))
    }
    return plot
  }

  /// ExAccErr(l) against generation length l, one series per method (from eval/NAME.json).
  func exposureBiasCurves(models: [EvaluatedModel], size: ModelShape) -> LinePlot {
    var plot = LinePlot(
      title: "exposure bias (ExAccErr, teacher as oracle), student \(size.name)", xLabel: "generation length l",
      yLabel: "ExAccErr(l) (%)")
    for model in models {
      guard let data = FileManager.default.contents(atPath: evaluationPath(model.name)),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let exposure = object["exposure_bias"] as? [String: Any], let curve = exposure["exaccerr"] as? [Any]
      else { continue }
      let points = curve.enumerated().compactMap { item in (item.element as? Double).map { (Double(item.offset + 1), $0) } }
      if !points.isEmpty { plot.add(LinePlot.Series(name: model.method, x: points.map(\.0), y: points.map(\.1))) }
    }
    return plot
  }

  /// The teacher-scored sequence reverse KL on the selection split at each checkpoint, one
  /// series per method (each stage's own steps; distillation starts from the selected SFT).
  func reverseKLCurves(size: ModelShape) -> LinePlot {
    var plot = LinePlot(
      title: "reverse KL to the teacher on the selection split, student \(size.name)", xLabel: "step of the stage",
      yLabel: "KL(q ‖ p) per sequence", yScale: .log)
    for method in config.methods {
      let points = metricsLog(studentDirectory(size, method) + "/metrics.jsonl").compactMap { r -> (Double, Double)? in
        guard let step = r["step"] as? Int, let kl = r["eval_reverse_kl"] as? Double, kl > 0 else { return nil }
        return (Double(step), kl)
      }
      if !points.isEmpty { plot.add(LinePlot.Series(name: method, x: points.map(\.0), y: points.map(\.1))) }
    }
    return plot
  }
}

