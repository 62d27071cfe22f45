// The sweep's results: every model's evaluation in one table (Markdown and CSV), a power-law
// fit of each metric against parameter count per method, and SVG plots (score vs size per
// method, training curves per student size).

import AtomicFiles
import Foundation
import Reports

/// One evaluated model as read back from eval/NAME.json.
struct EvaluatedModel {
  var name: String
  var size: String
  var method: String
  var parameters: Int
  var mean: [String: Double]
  var std: [String: Double]
}

extension SweepRunner {
  /// The metrics shown, in column order (those the evaluation produced).
  static let tableMetrics = [
    "rouge_l", "valid_rate", "greedy_valid_rate", "distinct_valid", "ece", "exaccerr_16", "exact_match", "loss", "reverse_kl",
    "teacher_nll", "dist_4", "response_length", "exaccerr_4", "exaccerr_8", "exaccerr_32",
  ]
  /// The metrics fitted against size: higher is better for scores, lower for losses.
  static let fittedMetrics = ["rouge_l", "valid_rate", "loss"]

  /// Rank 0: reads every evaluation and writes results/ (table.md, table.csv, fits.md,
  /// fits.json, *.svg); prints the table.
  func writeReport(teacher: String, students: [(size: ModelShape, method: String, path: String)]) throws {
    try FileManager.default.createDirectory(atPath: resultsDirectory, withIntermediateDirectories: true)
    let names = ["teacher"] + students.map { "\($0.size.name)-\($0.method)" }
    let models = try names.map { try readEvaluation($0) }
    let present = Self.tableMetrics.filter { metric in models.contains { $0.mean[metric] != nil } }
    var table = ResultsTable(metricNames: present.flatMap { [$0, $0 + "_std"] })
    for model in models {
      for metric in present {
        table.set(metric, to: model.mean[metric], sizeLabel: model.size, parameterCount: model.parameters, method: model.method)
        table.set(metric + "_std", to: model.std[metric], sizeLabel: model.size, parameterCount: model.parameters, method: model.method)
      }
    }
    // Markdown: the main metrics with Rouge-L's spread; the CSV has every metric and spread.
    let fullTableOnly: Set<String> = ["exact_match", "exaccerr_4", "exaccerr_8", "exaccerr_32"]
    var compact = ResultsTable(metricNames: present.filter { !fullTableOnly.contains($0) }.flatMap {
      ["rouge_l", "valid_rate"].contains($0) ? [$0, $0 + "_std"] : [$0]
    })
    for model in models {
      for metric in compact.metricNames {
        compact.set(metric, to: table.value(metric, sizeLabel: model.size, parameterCount: model.parameters, method: model.method),
          sizeLabel: model.size, parameterCount: model.parameters, method: model.method)
      }
    }
    try write(compact.markdown(), "table.md")
    try write(table.csv(), "table.csv")
    let fits = fitScalingLaws(models: models, metrics: present.filter(Self.fittedMetrics.contains))
    try write(fits.markdown, "fits.md")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try write(String(decoding: try encoder.encode(fits.byMethod), as: UTF8.self), "fits.json")
    for metric in present.filter(Self.fittedMetrics.contains) {
      try write(scorePlot(models: models, metric: metric, fits: fits.byMethod[metric] ?? [:]).svg(), "\(metric)_vs_size.svg")
    }
    for size in config.students {
      try write(trainingCurves(size: size).svg(), "curves_\(size.name).svg")
    }
    if let curve = miniLLMCurve() { try write(curve.svg(), "minillm_reverse_kl.svg") }
    let breakdown = try writeBreakdown(models: models)
    log("")
    log(compact.markdown())
    log(fits.markdown)
    if !breakdown.isEmpty { log(breakdown) }
    log("results in \(resultsDirectory): table.md, table.csv, fits.md, fits.json\(breakdown.isEmpty ? "" : ", families.md, lengths.md"), and plots (*.svg)")
  }

  func write(_ text: String, _ name: String) throws {
    try AtomicFile.write(text, to: resultsDirectory + "/" + name)
  }

  func readEvaluation(_ name: String) throws -> EvaluatedModel {
    let path = evaluationPath(name)
    guard let data = FileManager.default.contents(atPath: path),
      let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
      let mean = object["mean"] as? [String: Double], let std = object["std"] as? [String: Double]
    else { throw SweepError("\(path): missing or malformed evaluation") }
    return EvaluatedModel(
      name: name, size: object["size"] as? String ?? name, method: object["method"] as? String ?? name,
      parameters: object["parameters"] as? Int ?? 0, mean: mean, std: std)
  }

  /// Per metric and method (students only, at least two sizes): the power-law fit, or why none.
  func fitScalingLaws(models: [EvaluatedModel], metrics: [String]) -> (byMethod: [String: [String: PowerLawFit]], markdown: String) {
    var byMethod: [String: [String: PowerLawFit]] = [:]
    var lines = [
      "Scaling-law fits: metric ≈ a · N^b over student parameter counts N, per method (95% interval of b from Student's t with n − 2 degrees of freedom; none with 2 sizes).",
      "", "| metric | method | a | b | 95% interval of b | R² | sizes |", "|---|---|---|---|---|---|---|",
    ]
    for metric in metrics {
      for method in config.methods {
        let points = models.filter { $0.method == method }.compactMap { model in model.mean[metric].map { (Double(model.parameters), $0) } }
        guard points.count >= 2 else { continue }
        do {
          let fit = try PowerLawFit.fit(sizes: points.map(\.0), values: points.map(\.1))
          byMethod[metric, default: [:]][method] = fit
          let interval = fit.exponentInterval95.map { String(format: "[%.3f, %.3f]", $0.lowerBound, $0.upperBound) } ?? "—"
          lines.append("| \(metric) | \(method) | \(String(format: "%.4g", fit.coefficient)) | \(String(format: "%.3f", fit.exponent)) | \(interval) | \(String(format: "%.3f", fit.rSquared)) | \(points.count) |")
        } catch {
          lines.append("| \(metric) | \(method) | — | — | no fit: \(error) | — | \(points.count) |")
        }
      }
    }
    return (byMethod, lines.joined(separator: "\n") + "\n")
  }

  /// `metric` against parameter count (log x), one series per method with its fit, and the
  /// teacher as its own point.
  func scorePlot(models: [EvaluatedModel], metric: String, fits: [String: PowerLawFit]) -> LinePlot {
    var plot = LinePlot(
      title: "\(metric) vs student size", xLabel: "parameters", yLabel: metric, xScale: .log)
    for method in config.methods {
      let chosen = models.filter { $0.method == method }
      guard !chosen.isEmpty else { continue }
      plot.add(LinePlot.Series(
        name: method, x: chosen.map { Double($0.parameters) }, y: chosen.map { $0.mean[metric] ?? .nan },
        fittedCurve: fits[method].map { LinePlot.FittedCurve.powerLaw($0, label: "\(method) fit") }))
    }
    if let teacher = models.first(where: { $0.method == "teacher" }), let value = teacher.mean[metric] {
      plot.add(LinePlot.Series(name: "teacher", x: [Double(teacher.parameters)], y: [value]))
    }
    return plot
  }

  /// Training loss against step for every teacher-forced stage of one student size; the
  /// distillation stages continue from the SFT student, so their steps start after its (MiniLLM
  /// entries, variants included, are in minillm_reverse_kl.svg).
  func trainingCurves(size: ModelShape) -> LinePlot {
    var plot = LinePlot(
      title: "training loss, student \(size.name)", xLabel: "step (distillation continues from SFT)", yLabel: "loss",
      yScale: .log)
    for method in config.methods where (try? config.method(of: method)) != .minillm {
      let offset = method == "sft" ? 0.0 : Double(config.sft.steps)
      let records = metricsLog(studentDirectory(size, method) + "/metrics.jsonl")
      let points = records.compactMap { r -> (Double, Double)? in
        guard let step = r["step"] as? Double ?? (r["step"] as? Int).map(Double.init), let loss = r["loss"] as? Double else { return nil }
        return (offset + step, loss)
      }
      if !points.isEmpty { plot.add(LinePlot.Series(name: method, x: points.map(\.0), y: points.map(\.1))) }
    }
    return plot
  }

  /// MiniLLM's per-token reverse KL to the teacher per iteration: one series per size and
  /// MiniLLM entry (variants included, named SIZE ENTRY when there are several).
  func miniLLMCurve() -> LinePlot? {
    let entries = config.methods.filter { (try? config.method(of: $0)) == .minillm }
    guard !entries.isEmpty else { return nil }
    var plot = LinePlot(title: "MiniLLM: reverse KL per token to the teacher", xLabel: "iteration", yLabel: "KL(q ‖ p) per token")
    for size in config.students {
      for entry in entries {
        let points = metricsLog(studentDirectory(size, entry) + "/metrics.jsonl").compactMap { r -> (Double, Double)? in
          guard let iteration = r["iteration"] as? Int, let kl = r["reverse_kl_per_token"] as? Double else { return nil }
          return (Double(iteration), kl)
        }
        plot.add(LinePlot.Series(name: entries.count == 1 ? size.name : "\(size.name) \(entry)", x: points.map(\.0), y: points.map(\.1)))
      }
    }
    return plot
  }

  func metricsLog(_ path: String) -> [[String: Any]] {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
  }
}
