// Result tables: rows keyed by (size label, parameter count, method), rendered as Markdown or CSV.

import Foundation

/// Metric values per (model size, method), for reports.
///
/// Each row is keyed by a size label ("GPT-2 small"), a parameter count and a method
/// ("SFT", "KD", "MiniLLM"); columns are named metrics (Double), any of which may be missing.
/// Rows come out ordered by parameter count, then by method in the order methods were first
/// recorded, then by the order the rows were first recorded. Metric columns keep the order of
/// `init(metricNames:)` followed by new names in the order they were first recorded.
public struct ResultsTable: Sendable, Equatable {
  /// One row: its key and its metric values (a metric absent from `metrics` is missing).
  public struct Row: Sendable, Equatable {
    /// Human-readable size, e.g. "124M" or "GPT-2 small".
    public let sizeLabel: String
    /// The model's parameter count (the primary sort key).
    public let parameterCount: Int
    /// The training method, e.g. "MiniLLM".
    public let method: String
    /// Metric values by metric name.
    public fileprivate(set) var metrics: [String: Double]

    /// The value of `metric` in this row, nil when missing.
    public subscript(metric: String) -> Double? { metrics[metric] }
  }

  /// Metric column names, in column order.
  public private(set) var metricNames: [String]
  /// Methods in the order they were first recorded (the secondary sort key).
  public private(set) var methods: [String] = []
  /// Rows in the order they were first recorded.
  private var recorded: [Row] = []

  /// An empty table whose first metric columns are `metricNames` (more appear as they are
  /// recorded).
  public init(metricNames: [String] = []) {
    self.metricNames = []
    for name in metricNames where !self.metricNames.contains(name) {
      self.metricNames.append(name)
    }
  }

  /// Sets one metric of one row, creating the row and the column when new; nil marks the value
  /// missing (the row and column still appear).
  public mutating func set(
    _ metric: String, to value: Double?, sizeLabel: String, parameterCount: Int, method: String
  ) {
    let index = rowIndex(sizeLabel: sizeLabel, parameterCount: parameterCount, method: method)
    if !metricNames.contains(metric) { metricNames.append(metric) }
    recorded[index].metrics[metric] = value
  }

  /// Records several metrics of one row at once (merging into an existing row with the same
  /// key), e.g. `record(sizeLabel: "124M", parameterCount: 124_439_808, method: "KD",
  /// metrics: ["loss": 3.21, "rougeL": nil])`.
  public mutating func record(
    sizeLabel: String, parameterCount: Int, method: String, metrics: KeyValuePairs<String, Double?>
  ) {
    _ = rowIndex(sizeLabel: sizeLabel, parameterCount: parameterCount, method: method)
    for (metric, value) in metrics {
      set(metric, to: value, sizeLabel: sizeLabel, parameterCount: parameterCount, method: method)
    }
  }

  /// The rows in report order: by parameter count, then method (first-recorded order), then
  /// first-recorded order.
  public var rows: [Row] {
    let methodRank = Dictionary(uniqueKeysWithValues: methods.enumerated().map { ($1, $0) })
    return recorded.enumerated().sorted { left, right in
      let (l, r) = (left.element, right.element)
      if l.parameterCount != r.parameterCount { return l.parameterCount < r.parameterCount }
      let (lm, rm) = (methodRank[l.method]!, methodRank[r.method]!)
      if lm != rm { return lm < rm }
      return left.offset < right.offset
    }.map(\.element)
  }

  /// The value of `metric` in the row with this key, nil when the row or the value is missing.
  public func value(
    _ metric: String, sizeLabel: String, parameterCount: Int, method: String
  ) -> Double? {
    recorded.first {
      $0.sizeLabel == sizeLabel && $0.parameterCount == parameterCount && $0.method == method
    }?[metric]
  }

  /// One method's (parameter count, value) pairs for `metric`, in report order, skipping rows
  /// where it is missing: ready for `PowerLawFit.fit(sizes:values:)` or a plot series.
  public func series(metric: String, method: String) -> (sizes: [Double], values: [Double]) {
    var sizes: [Double] = []
    var values: [Double] = []
    for row in rows where row.method == method {
      if let value = row[metric] {
        sizes.append(Double(row.parameterCount))
        values.append(value)
      }
    }
    return (sizes, values)
  }

  /// A GitHub-flavoured Markdown table with padded, aligned columns: Size, Parameters (with
  /// thousands separators), Method, then one column per metric, numbers right-aligned and
  /// shown to 4 significant digits (`formatted(_:)`), missing values as "—".
  public func markdown() -> String {
    let header = ["Size", "Parameters", "Method"] + metricNames
    let rightAligned = [false, true, false] + metricNames.map { _ in true }
    let body = rows.map { row in
      [row.sizeLabel, Self.groupedThousands(row.parameterCount), row.method]
        + metricNames.map { Self.formatted(row[$0]) }
    }
    let cells = ([header] + body).map { $0.map(Self.markdownCell) }
    var widths = header.map { _ in 3 }
    for line in cells {
      for (column, cell) in line.enumerated() { widths[column] = max(widths[column], cell.count) }
    }
    func render(_ line: [String]) -> String {
      let padded = line.enumerated().map { column, cell in
        let padding = String(repeating: " ", count: widths[column] - cell.count)
        return rightAligned[column] ? padding + cell : cell + padding
      }
      return "| " + padded.joined(separator: " | ") + " |"
    }
    let rule = widths.enumerated().map { column, width in
      rightAligned[column]
        ? String(repeating: "-", count: width - 1) + ":"
        : ":" + String(repeating: "-", count: width - 1)
    }
    let lines =
      [render(cells[0]), "| " + rule.joined(separator: " | ") + " |"]
      + cells.dropFirst().map(render)
    return lines.joined(separator: "\n") + "\n"
  }

  /// RFC 4180 CSV: header `size,parameters,method,<metrics…>`, CRLF line endings, fields with a
  /// comma, quote, CR or LF quoted (quotes doubled), values at full precision (Swift's
  /// shortest round-trip `Double` description, e.g. `0.1`, `2.0`, `1e-05`), missing as empty.
  public func csv() -> String {
    let header = ["size", "parameters", "method"] + metricNames
    let body = rows.map { row in
      [row.sizeLabel, String(row.parameterCount), row.method]
        + metricNames.map { name in row[name].map { String(describing: $0) } ?? "" }
    }
    return ([header] + body).map { $0.map(Self.csvField).joined(separator: ",") + "\r\n" }.joined()
  }

  /// A value to 4 significant digits as the Markdown table shows it: fixed-point for
  /// magnitudes in [1e-3, 1e6) ("0.2500", "3.142", "1235"), otherwise scientific ("1.235e-05");
  /// "—" for a missing value, "NaN", "∞" and "−∞" for non-finite ones.
  public static func formatted(_ value: Double?) -> String {
    guard let value else { return "—" }
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "∞" : "−∞" }
    if value == 0 { return "0" }
    let digits = 4
    var exponent = Int(Foundation.floor(Foundation.log10(abs(value))))
    // Rounding to 4 digits can carry into the next power of ten (9.9996 → 10.00).
    let scaled = abs(value) * Foundation.pow(10, Double(digits - 1 - exponent))
    if scaled.rounded() >= Foundation.pow(10, Double(digits)) { exponent += 1 }
    if exponent < -3 || exponent >= 6 {
      return String(format: "%.\(digits - 1)e", value)
    }
    return String(format: "%.\(max(0, digits - 1 - exponent))f", value)
  }

  // MARK: - Helpers

  /// The index in `recorded` of the row with this key, appending an empty row when new.
  private mutating func rowIndex(sizeLabel: String, parameterCount: Int, method: String) -> Int {
    if let index = recorded.firstIndex(where: {
      $0.sizeLabel == sizeLabel && $0.parameterCount == parameterCount && $0.method == method
    }) {
      return index
    }
    if !methods.contains(method) { methods.append(method) }
    recorded.append(
      Row(sizeLabel: sizeLabel, parameterCount: parameterCount, method: method, metrics: [:]))
    return recorded.count - 1
  }

  /// 124439808 → "124,439,808".
  static func groupedThousands(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var groups: [Substring] = []
    var end = digits.endIndex
    while end > digits.startIndex {
      let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
      groups.insert(digits[start..<end], at: 0)
      end = start
    }
    return (value < 0 ? "-" : "") + groups.joined(separator: ",")
  }

  /// A cell safe inside a Markdown table row: pipes escaped, line breaks turned into spaces.
  static func markdownCell(_ text: String) -> String {
    var cell = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "|": cell += "\\|"
      case "\n": cell += " "
      case "\r": break
      default: cell.unicodeScalars.append(scalar)
      }
    }
    return cell
  }

  /// An RFC 4180 field: quoted (with quotes doubled) when it holds a comma, quote, CR or LF.
  static func csvField(_ text: String) -> String {
    let needsQuotes = text.unicodeScalars.contains { "\",\r\n".unicodeScalars.contains($0) }
    guard needsQuotes else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
