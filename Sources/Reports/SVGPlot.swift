// Line plots as standalone SVG: series with markers, legend, linear or log axes, dashed fits.

import Foundation

/// A line plot of named (x, y) series, rendered as a standalone SVG document.
///
/// Each series is drawn as a polyline through its points (sorted by x) with a circle marker
/// at every point, in its own color, with an entry in the legend at the right. A series may
/// carry a fitted curve (e.g. `FittedCurve.powerLaw(fit)`), drawn dashed in the same color
/// over the series' x-range. Points with a non-finite coordinate, or a coordinate ≤ 0 on a
/// log axis, are skipped. The axes cover all drawn points and curve samples, extended to
/// tick positions: nice numbers (1, 2, 5 × 10^k steps) on linear axes; powers of 10 with 2 and
/// 5 subdivisions on log axes (nice linear steps when the data span less than half a decade).
/// A single point or all-equal values get a range padded around them. Coordinates are written
/// with two decimals; every drawn coordinate lies inside the viewBox.
public struct LinePlot: Sendable {
  /// How an axis maps values to positions.
  public enum AxisScale: Sendable, Equatable {
    /// Positions proportional to the value.
    case linear
    /// Positions proportional to log10 of the value (values ≤ 0 are not drawn).
    case log
  }

  /// One data point.
  public struct Point: Sendable, Equatable {
    /// The horizontal coordinate, in data units.
    public var x: Double
    /// The vertical coordinate, in data units.
    public var y: Double
    /// A point at (x, y).
    public init(x: Double, y: Double) {
      self.x = x
      self.y = y
    }
  }

  /// A curve y = f(x) drawn dashed, e.g. a fitted scaling law.
  public struct FittedCurve: Sendable {
    /// Legend text for the curve; nil for no legend entry.
    public var label: String?
    /// The x-range to draw over; nil for the x-range of the series' drawn points.
    public var domain: ClosedRange<Double>?
    /// The curve's value at x (non-finite results, or ≤ 0 on a log y axis, break the curve).
    public var evaluate: @Sendable (Double) -> Double

    /// A curve from any function of x.
    public init(
      label: String? = nil, domain: ClosedRange<Double>? = nil,
      evaluate: @escaping @Sendable (Double) -> Double
    ) {
      self.label = label
      self.domain = domain
      self.evaluate = evaluate
    }

    /// The curve a·N^b of a power-law fit.
    public static func powerLaw(
      _ fit: PowerLawFit, label: String? = nil, domain: ClosedRange<Double>? = nil
    ) -> FittedCurve {
      FittedCurve(label: label, domain: domain) { fit.predict($0) }
    }
  }

  /// A named series of points, optionally with a fitted curve.
  public struct Series: Sendable {
    /// Legend text.
    public var name: String
    /// The points, in any order (drawn sorted by x).
    public var points: [Point]
    /// Any SVG color ("#1f77b4", "teal"); nil picks the next color of `LinePlot.palette`.
    public var color: String?
    /// A curve drawn dashed in the series' color, e.g. its power-law fit.
    public var fittedCurve: FittedCurve?

    /// A series from points.
    public init(
      name: String, points: [Point], color: String? = nil, fittedCurve: FittedCurve? = nil
    ) {
      self.name = name
      self.points = points
      self.color = color
      self.fittedCurve = fittedCurve
    }

    /// A series from parallel x and y arrays (extra elements of the longer one are ignored).
    public init(
      name: String, x: [Double], y: [Double], color: String? = nil, fittedCurve: FittedCurve? = nil
    ) {
      self.init(
        name: name, points: zip(x, y).map { Point(x: $0, y: $1) }, color: color,
        fittedCurve: fittedCurve)
    }
  }

  /// Colors given to series without their own, in order (Tableau 10); past the tenth, hues
  /// spaced by the golden angle.
  public static let palette = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
  ]

  /// Text above the plot.
  public var title: String
  /// Text below the x axis.
  public var xLabel: String
  /// Text left of the y axis (rotated).
  public var yLabel: String
  /// The x axis' scale.
  public var xScale: AxisScale
  /// The y axis' scale.
  public var yScale: AxisScale
  /// Requested width in SVG units (grown when too narrow for the plot and legend).
  public var width: Double
  /// Requested height in SVG units (grown when the legend needs more room).
  public var height: Double
  /// The series, drawn in order (later on top).
  public var series: [Series]

  /// A plot with the given labels and scales, and optionally its series.
  public init(
    title: String, xLabel: String, yLabel: String, xScale: AxisScale = .linear,
    yScale: AxisScale = .linear, width: Double = 800, height: Double = 500, series: [Series] = []
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.xScale = xScale
    self.yScale = yScale
    self.width = width
    self.height = height
    self.series = series
  }

  /// Appends a series.
  public mutating func add(_ series: Series) {
    self.series.append(series)
  }

  /// The plot as a standalone SVG document (UTF-8 XML declaration, `svg` root with a viewBox);
  /// write it to a `.svg` file and open it in a browser.
  public func svg() -> String {
    // Drawable data: points sorted by x and curve samples, in data units.
    let drawn = series.enumerated().map { index, series in
      DrawnSeries(series, color: series.color ?? Self.color(index), xScale: xScale, yScale: yScale)
    }
    let xValues = drawn.flatMap { $0.points.map(\.x) + $0.curveSegments.joined().map(\.x) }
    let yValues = drawn.flatMap { $0.points.map(\.y) + $0.curveSegments.joined().map(\.y) }
    let xAxis = Axis(values: xValues, scale: xScale)
    let yAxis = Axis(values: yValues, scale: yScale)

    // Layout.
    let legend = drawn.flatMap { series in
      [LegendEntry(label: series.name, color: series.color, dashed: false)]
        + (series.curveLabel.map { [LegendEntry(label: $0, color: series.color, dashed: true)] }
          ?? [])
    }
    let legendChars = legend.map { $0.label.count }.max() ?? 0
    let legendWidth = legend.isEmpty ? 20 : min(340, max(110, 50 + 7 * Double(legendChars)))
    let left = 84.0
    let top = 50.0
    let bottom = 64.0
    let totalWidth = max(width, left + 160 + legendWidth)
    let totalHeight = max(height, top + bottom + 120, top + 16 + 20 * Double(legend.count))
    let plot = Frame(
      left: left, top: top, right: totalWidth - legendWidth, bottom: totalHeight - bottom)

    var svg = SVGWriter()
    svg.raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
    svg.open(
      "svg",
      [
        "xmlns": "http://www.w3.org/2000/svg", "width": n(totalWidth), "height": n(totalHeight),
        "viewBox": "0 0 \(n(totalWidth)) \(n(totalHeight))", "font-family": "sans-serif",
        "font-size": "12",
      ])
    svg.element("title", [:], text: title)
    // The clip region leaves room for markers on the frame.
    svg.open("defs", [:])
    svg.open("clipPath", ["id": "plot-area"])
    svg.element(
      "rect",
      [
        "x": n(plot.left - 6), "y": n(plot.top - 6), "width": n(plot.width + 12),
        "height": n(plot.height + 12),
      ])
    svg.close("clipPath")
    svg.close("defs")
    svg.element(
      "rect",
      ["x": "0", "y": "0", "width": n(totalWidth), "height": n(totalHeight), "fill": "white"])
    svg.element(
      "text",
      [
        "class": "title", "x": n(plot.left + plot.width / 2), "y": n(top / 2 + 6),
        "text-anchor": "middle", "font-size": "16", "font-weight": "bold",
      ], text: title)

    // Grid lines (lighter for minor ticks), frame, tick marks and tick labels.
    svg.open("g", ["class": "grid", "stroke-width": "1"])
    for tick in xAxis.ticks {
      let x = n(plot.x(xAxis.fraction(tick.value)))
      svg.element(
        "line",
        [
          "x1": x, "y1": n(plot.top), "x2": x, "y2": n(plot.bottom),
          "stroke": tick.label == nil ? "#f2f2f2" : "#e0e0e0",
        ])
    }
    for tick in yAxis.ticks {
      let y = n(plot.y(yAxis.fraction(tick.value)))
      svg.element(
        "line",
        [
          "x1": n(plot.left), "y1": y, "x2": n(plot.right), "y2": y,
          "stroke": tick.label == nil ? "#f2f2f2" : "#e0e0e0",
        ])
    }
    svg.close("g")
    svg.element(
      "rect",
      [
        "class": "frame", "x": n(plot.left), "y": n(plot.top), "width": n(plot.width),
        "height": n(plot.height), "fill": "none", "stroke": "#444",
      ])
    svg.open("g", ["class": "ticks", "stroke": "#444"])
    for tick in xAxis.ticks {
      let x = n(plot.x(xAxis.fraction(tick.value)))
      let length = tick.label == nil ? 3.0 : 6.0
      svg.element("line", ["x1": x, "y1": n(plot.bottom), "x2": x, "y2": n(plot.bottom + length)])
    }
    for tick in yAxis.ticks {
      let y = n(plot.y(yAxis.fraction(tick.value)))
      let length = tick.label == nil ? 3.0 : 6.0
      svg.element("line", ["x1": n(plot.left - length), "y1": y, "x2": n(plot.left), "y2": y])
    }
    svg.close("g")
    svg.open("g", ["class": "tick-labels", "fill": "#222"])
    for tick in xAxis.ticks {
      guard let label = tick.label else { continue }
      let x = n(plot.x(xAxis.fraction(tick.value)))
      svg.element(
        "text", ["x": x, "y": n(plot.bottom + 20), "text-anchor": "middle"], text: label)
    }
    for tick in yAxis.ticks {
      guard let label = tick.label else { continue }
      let y = plot.y(yAxis.fraction(tick.value))
      svg.element(
        "text", ["x": n(plot.left - 9), "y": n(y + 4), "text-anchor": "end"], text: label)
    }
    svg.close("g")

    // Axis labels.
    svg.element(
      "text",
      [
        "class": "x-label", "x": n(plot.left + plot.width / 2), "y": n(totalHeight - 18),
        "text-anchor": "middle", "font-size": "13",
      ], text: xLabel)
    let yLabelY = n(plot.top + plot.height / 2)
    svg.element(
      "text",
      [
        "class": "y-label", "x": "18", "y": yLabelY, "transform": "rotate(-90 18 \(yLabelY))",
        "text-anchor": "middle", "dominant-baseline": "middle", "font-size": "13",
      ], text: yLabel)

    // Data: fitted curves first (dashed), then each series' polyline and markers.
    func position(_ point: LinePlot.Point) -> (x: String, y: String) {
      (n(plot.x(xAxis.fraction(point.x))), n(plot.y(yAxis.fraction(point.y))))
    }
    svg.open("g", ["class": "data", "clip-path": "url(#plot-area)"])
    for series in drawn {
      for segment in series.curveSegments where segment.count >= 2 {
        let path = segment.enumerated().map { index, point in
          let (x, y) = position(point)
          return "\(index == 0 ? "M" : "L")\(x) \(y)"
        }
        svg.element(
          "path",
          [
            "class": "fit", "d": path.joined(separator: " "), "fill": "none",
            "stroke": series.color, "stroke-width": "1.5", "stroke-dasharray": "6 4",
          ])
      }
    }
    for series in drawn {
      let points = series.points.map { point in
        let (x, y) = position(point)
        return "\(x),\(y)"
      }
      svg.element(
        "polyline",
        [
          "class": "series", "points": points.joined(separator: " "), "fill": "none",
          "stroke": series.color, "stroke-width": "2", "stroke-linejoin": "round",
        ])
      for point in series.points {
        let (x, y) = position(point)
        svg.element(
          "circle",
          [
            "cx": x, "cy": y, "r": "3.5", "fill": series.color, "stroke": "white",
            "stroke-width": "1",
          ])
      }
    }
    svg.close("g")

    // Legend: a line sample (with a marker for data, dashed for a fit) and the label.
    svg.open("g", ["class": "legend"])
    for (index, entry) in legend.enumerated() {
      let x = plot.right + 14
      let y = n(plot.top + 8 + 20 * Double(index))
      svg.element(
        "line",
        [
          "x1": n(x), "y1": y, "x2": n(x + 28), "y2": y, "stroke": entry.color,
          "stroke-width": entry.dashed ? "1.5" : "2",
          "stroke-dasharray": entry.dashed ? "6 4" : "none",
        ])
      if !entry.dashed {
        svg.element(
          "circle",
          [
            "cx": n(x + 14), "cy": y, "r": "3.5", "fill": entry.color, "stroke": "white",
            "stroke-width": "1",
          ])
      }
      svg.element(
        "text", ["x": n(x + 36), "y": n(plot.top + 12 + 20 * Double(index))], text: entry.label)
    }
    svg.close("g")
    svg.close("svg")
    return svg.text
  }

  // MARK: - Helpers

  /// The default color of the series at `index`.
  static func color(_ index: Int) -> String {
    if index < palette.count { return palette[index] }
    let hue = (Double(index - palette.count) * 137.508 + 20).truncatingRemainder(dividingBy: 360)
    return "hsl(\(n(hue)), 60%, 42%)"
  }

  /// Legend text limited to 40 characters, so the legend keeps a sensible width.
  static func legendText(_ text: String) -> String {
    text.count <= 40 ? text : String(text.prefix(39)) + "…"
  }
}

/// A series reduced to what is drawn: valid points sorted by x and the fitted curve's samples.
private struct DrawnSeries {
  let name: String
  let color: String
  let points: [LinePlot.Point]
  /// Runs of consecutive valid curve samples (a sample that cannot be drawn splits the curve).
  let curveSegments: [[LinePlot.Point]]
  let curveLabel: String?

  init(
    _ series: LinePlot.Series, color: String, xScale: LinePlot.AxisScale, yScale: LinePlot.AxisScale
  ) {
    name = LinePlot.legendText(series.name)
    self.color = color
    func drawable(_ value: Double, _ scale: LinePlot.AxisScale) -> Bool {
      value.isFinite && (scale == .linear || value > 0)
    }
    points = series.points
      .filter { drawable($0.x, xScale) && drawable($0.y, yScale) }
      .enumerated().sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }.map(\.element)
    curveLabel = series.fittedCurve?.label.map(LinePlot.legendText)

    var segments: [[LinePlot.Point]] = []
    if let curve = series.fittedCurve,
      let low = curve.domain?.lowerBound ?? points.first?.x,
      let high = curve.domain?.upperBound ?? points.last?.x,
      drawable(low, xScale), drawable(high, xScale), low < high
    {
      let sampleCount = 96
      var current: [LinePlot.Point] = []
      for step in 0...sampleCount {
        let t = Double(step) / Double(sampleCount)
        let x =
          xScale == .log
          ? Foundation.exp(Foundation.log(low) + t * (Foundation.log(high) - Foundation.log(low)))
          : low + t * (high - low)
        let y = curve.evaluate(x)
        if drawable(x, xScale) && drawable(y, yScale) {
          current.append(LinePlot.Point(x: x, y: y))
        } else if !current.isEmpty {
          segments.append(current)
          current = []
        }
      }
      if !current.isEmpty { segments.append(current) }
    }
    curveSegments = segments
  }
}

/// One legend row.
private struct LegendEntry {
  let label: String
  let color: String
  let dashed: Bool
}

/// The plot area in SVG coordinates (y grows downwards).
private struct Frame {
  let left: Double
  let top: Double
  let right: Double
  let bottom: Double
  var width: Double { right - left }
  var height: Double { bottom - top }
  /// The SVG x of a fraction of the x axis (0 at the left edge).
  func x(_ fraction: Double) -> Double { left + fraction * width }
  /// The SVG y of a fraction of the y axis (0 at the bottom edge).
  func y(_ fraction: Double) -> Double { bottom - fraction * height }
}

/// An axis: its range in data units and its ticks.
private struct Axis {
  struct Tick {
    let value: Double
    /// Nil for a minor (unlabelled) tick.
    let label: String?
  }

  let scale: LinePlot.AxisScale
  let lower: Double
  let upper: Double
  let ticks: [Tick]

  /// An axis covering `values` (already filtered to what the scale can show).
  init(values: [Double], scale: LinePlot.AxisScale) {
    self.scale = scale
    switch scale {
    case .linear: (lower, upper, ticks) = Self.linearTicks(values)
    case .log: (lower, upper, ticks) = Self.logTicks(values)
    }
  }

  /// Where `value` falls between the axis' ends, 0 … 1.
  func fraction(_ value: Double) -> Double {
    switch scale {
    case .linear: return (value - lower) / (upper - lower)
    case .log: return Foundation.log10(value / lower) / Foundation.log10(upper / lower)
    }
  }

  /// Range and ticks of a linear axis: steps of 1, 2 or 5 × 10^k, about 5 intervals, the
  /// range extended outwards to whole steps.
  static func linearTicks(_ values: [Double]) -> (Double, Double, [Tick]) {
    var low = values.min() ?? 0
    var high = values.max() ?? 1
    if low == high {
      let pad = low == 0 ? 1 : abs(low) * 0.1
      low -= pad
      high += pad
    }
    if !(high - low).isFinite {
      // A span beyond Double's range (values near ±1.8e308): keep the arithmetic finite.
      low = max(low, -Double.greatestFiniteMagnitude / 4)
      high = min(high, Double.greatestFiniteMagnitude / 4)
    }
    return niceLinearTicks(low, high, intervals: 5)
  }

  /// Nice-number ticks covering [low, high] with roughly `intervals` steps.
  static func niceLinearTicks(_ low: Double, _ high: Double, intervals: Double) -> (
    Double, Double, [Tick]
  ) {
    let step = niceStep((high - low) / intervals)
    let first = Foundation.floor(low / step + 1e-9)
    let last = Foundation.ceil(high / step - 1e-9)
    let lower = min(first * step, low)
    let upper = max(last * step, high)
    let magnitude = max(abs(lower), abs(upper))
    var ticks: [Tick] = []
    for k in Int(first)...Int(last) {
      let value = Double(k) * step
      ticks.append(Tick(value: value, label: linearLabel(value, step: step, magnitude: magnitude)))
    }
    return (lower, upper, ticks)
  }

  /// The smallest of 1, 2, 5 × 10^k at least `raw`.
  static func niceStep(_ raw: Double) -> Double {
    let power = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
    for factor in [1.0, 2, 5, 10] where factor * power >= raw * (1 - 1e-12) {
      return factor * power
    }
    return 10 * power
  }

  /// A linear tick label with as many decimals as the step needs; large or tiny magnitudes as
  /// "m×10ᵏ".
  static func linearLabel(_ value: Double, step: Double, magnitude: Double) -> String {
    if value == 0 { return "0" }
    let stepExponent = Int(Foundation.floor(Foundation.log10(step) + 1e-9))
    let magnitudeExponent = Int(Foundation.floor(Foundation.log10(magnitude)))
    if magnitudeExponent >= 6 || magnitudeExponent <= -4 {
      let scaled = value / Foundation.pow(10, Double(magnitudeExponent))
      let decimals = max(0, magnitudeExponent - stepExponent)
      return String(format: "%.\(decimals)f", scaled) + "×10" + superscript(magnitudeExponent)
    }
    return String(format: "%.\(max(0, -stepExponent))f", value)
  }

  /// Range and ticks of a log axis. Within half a decade: nice linear steps (as on a linear
  /// axis); within 2.5 decades: 1, 2 and 5 × 10^k labelled (with unlabelled 3, 4, 6 … 9 within
  /// 1.5 decades); within 8: powers of 10 labelled with unlabelled 2 and 5 subdivisions;
  /// beyond: every few powers of 10 labelled. The range is extended outwards to labelled tick
  /// positions; a range that would get fewer than 3 labels gets nice linear steps instead.
  static func logTicks(_ values: [Double]) -> (Double, Double, [Tick]) {
    var low = values.min() ?? 1
    var high = values.max() ?? 10
    if low == high {
      low /= 2
      high *= 2
    }
    let span = Foundation.log10(high / low)
    let tolerance = 1e-9
    if span <= 0.5 {
      let (lower, upper, ticks) = niceLinearTicks(low, high, intervals: 5)
      if lower > 0 { return (lower, upper, ticks) }
    }
    let labelled: [Double]
    let minor: [Double]
    var decadeStride = 1
    if span <= 1.5 {
      (labelled, minor) = ([1, 2, 5], [3, 4, 6, 7, 8, 9])
    } else if span <= 2.5 {
      (labelled, minor) = ([1, 2, 5], [])
    } else if span <= 8 {
      (labelled, minor) = ([1], [2, 5])
    } else {
      (labelled, minor) = ([1], [])
      decadeStride = Int(Foundation.ceil(span / 8))
    }
    let lowExponent = Int(Foundation.floor(Foundation.log10(low))) - 1
    let highExponent = Int(Foundation.ceil(Foundation.log10(high))) + 1
    var candidates: [(value: Double, labelled: Bool)] = []
    for exponent in lowExponent...highExponent {
      let power = Foundation.pow(10, Double(exponent))
      let onStride = exponent % decadeStride == 0
      for mantissa in labelled { candidates.append((mantissa * power, onStride)) }
      for mantissa in minor { candidates.append((mantissa * power, false)) }
    }
    candidates.sort { $0.value < $1.value }
    let ends = candidates.filter(\.labelled).map(\.value)
    let lower = ends.last { $0 <= low * (1 + tolerance) } ?? low
    let upper = ends.first { $0 >= high * (1 - tolerance) } ?? high
    let inRange = candidates.filter {
      $0.value >= lower * (1 - tolerance) && $0.value <= upper * (1 + tolerance)
    }
    if inRange.filter(\.labelled).count < 3 {
      // Only the two ends would be labelled: label nice linear steps between them instead.
      let (_, _, linear) = niceLinearTicks(lower, upper, intervals: 4)
      let ticks = linear.filter {
        $0.value >= lower * (1 - tolerance) && $0.value <= upper * (1 + tolerance)
      }
      return (lower, upper, ticks)
    }
    // One notation per axis: plain decimals when every label fits them, else powers of ten.
    let plain = inRange.filter(\.labelled).allSatisfy {
      $0.value >= 1e-3 * (1 - tolerance) && $0.value < 1e5
    }
    let ticks = inRange.map {
      Tick(value: $0.value, label: $0.labelled ? logLabel($0.value, plain: plain) : nil)
    }
    return (lower, upper, ticks)
  }

  /// A log tick label: plain decimals ("0.02", "500") or "m×10ᵏ" ("2×10⁸", "10⁻⁵").
  static func logLabel(_ value: Double, plain: Bool) -> String {
    let exponent = Int(Foundation.floor(Foundation.log10(value) + 1e-9))
    if plain {
      return String(format: "%.\(max(0, -exponent))f", value)
    }
    let mantissa = (value / Foundation.pow(10, Double(exponent))).rounded()
    return (mantissa == 1 ? "" : String(format: "%.0f×", mantissa)) + "10" + superscript(exponent)
  }

  /// An integer in Unicode superscript digits: -5 → "⁻⁵".
  static func superscript(_ value: Int) -> String {
    let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
    let text = String(value.magnitude).map { digits[Int(String($0))!] }
    return (value < 0 ? "⁻" : "") + String(text)
  }
}

/// Writes the SVG document one element per line, escaping all attribute values and text.
struct SVGWriter {
  private(set) var text = ""

  /// A line of markup, as is.
  mutating func raw(_ line: String) {
    text += line + "\n"
  }

  /// `<name a="v" …>`, to be closed with `close(name)`.
  mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String>) {
    raw("<\(name)\(Self.attributeList(attributes))>")
  }

  /// `</name>`.
  mutating func close(_ name: String) {
    raw("</\(name)>")
  }

  /// `<name a="v" …/>`, or `<name a="v" …>text</name>` when there is text.
  mutating func element(
    _ name: String, _ attributes: KeyValuePairs<String, String>, text content: String? = nil
  ) {
    let start = "<\(name)\(Self.attributeList(attributes))"
    if let content {
      raw(start + ">" + escaped(content) + "</\(name)>")
    } else {
      raw(start + "/>")
    }
  }

  private static func attributeList(_ attributes: KeyValuePairs<String, String>) -> String {
    attributes.map { " \($0.key)=\"\(escaped($0.value))\"" }.joined()
  }
}

/// A coordinate or size with two decimals ("12.50"), never "-0.00".
private func n(_ value: Double) -> String {
  let rounded = (value * 100).rounded() / 100
  return String(format: "%.2f", rounded == 0 ? 0 : rounded)
}

/// Text or attribute content with XML's special characters escaped.
func escaped(_ text: String) -> String {
  var result = ""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "&": result += "&amp;"
    case "<": result += "&lt;"
    case ">": result += "&gt;"
    case "\"": result += "&quot;"
    case "'": result += "&apos;"
    default:
      // Control characters other than tab, LF and CR are not allowed in XML 1.0 at all.
      if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r" {
        result += " "
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
  }
  return result
}
