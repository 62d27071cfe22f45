// Grouped bar charts as SVG: one group per category (an ablation entry, a method), one bar per
// series (a metric or a student size), with optional error bars. No dependencies.

import Foundation

/// A grouped bar chart.
public struct BarPlot: Sendable {
  /// One bar series: a value (and optional ± error) per category, NaN for none.
  public struct Series: Sendable {
    public var name: String
    public var values: [Double]
    public var errors: [Double]?
    public init(name: String, values: [Double], errors: [Double]? = nil) {
      self.name = name
      self.values = values
      self.errors = errors
    }
  }

  public var title: String
  public var yLabel: String
  public var categories: [String]
  public var series: [Series]
  public var width: Double
  public var height: Double

  public init(title: String, yLabel: String, categories: [String], series: [Series] = [], width: Double = 900, height: Double = 500) {
    self.title = title
    self.yLabel = yLabel
    self.categories = categories
    self.series = series
    self.width = width
    self.height = height
  }

  /// The chart as a standalone SVG document. The y axis starts at 0 (or at the smallest
  /// negative value) and ends a little above the largest bar.
  public func svg() -> String {
    func f(_ x: Double) -> String { String(format: "%.2f", x) }
    let (left, right, top, bottom) = (70.0, 20.0, 40.0, 110.0)
    let plotWidth = width - left - right
    let plotHeight = height - top - bottom
    let tops = series.flatMap { s in s.values.indices.map { s.values[$0] + (s.errors?[$0] ?? 0) } }.filter(\.isFinite)
    let lows = series.flatMap(\.values).filter(\.isFinite)
    let upper = Swift.max(tops.max() ?? 1, 1e-12) * 1.08
    let lower = Swift.min(0, lows.min() ?? 0)
    func y(_ value: Double) -> Double { top + plotHeight * (1 - (value - lower) / (upper - lower)) }
    var w = SVGWriter()
    w.raw(#"<?xml version="1.0" encoding="UTF-8"?>"#)
    w.open("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": f(width), "height": f(height), "viewBox": "0 0 \(f(width)) \(f(height))"])
    w.element("rect", ["x": "0", "y": "0", "width": f(width), "height": f(height), "fill": "white"])
    w.element("text", ["x": f(width / 2), "y": "22", "text-anchor": "middle", "font-family": "sans-serif", "font-size": "15"], text: title)
    // Axis and ticks (5 steps).
    w.element("line", ["x1": f(left), "y1": f(top), "x2": f(left), "y2": f(top + plotHeight), "stroke": "black"])
    w.element("line", ["x1": f(left), "y1": f(y(0)), "x2": f(left + plotWidth), "y2": f(y(0)), "stroke": "black"])
    for i in 0...5 {
      let value = lower + (upper - lower) * Double(i) / 5
      w.element("line", ["x1": f(left - 4), "y1": f(y(value)), "x2": f(left), "y2": f(y(value)), "stroke": "black"])
      w.element("text", ["x": f(left - 7), "y": f(y(value) + 4), "text-anchor": "end", "font-family": "sans-serif", "font-size": "11"],
        text: String(format: "%.3g", value))
    }
    w.element("text", ["x": "16", "y": f(top + plotHeight / 2), "text-anchor": "middle", "font-family": "sans-serif", "font-size": "12",
      "transform": "rotate(-90 16 \(f(top + plotHeight / 2)))"], text: yLabel)
    let groupWidth = plotWidth / Double(Swift.max(1, categories.count))
    let barWidth = groupWidth * 0.8 / Double(Swift.max(1, series.count))
    for (c, category) in categories.enumerated() {
      let groupLeft = left + groupWidth * Double(c) + groupWidth * 0.1
      for (s, bars) in series.enumerated() where c < bars.values.count && bars.values[c].isFinite {
        let value = bars.values[c]
        let x = groupLeft + barWidth * Double(s)
        let color = LinePlot.palette[s % LinePlot.palette.count]
        w.element("rect", ["x": f(x), "y": f(Swift.min(y(value), y(0))), "width": f(barWidth * 0.92),
          "height": f(abs(y(0) - y(value))), "fill": color])
        if let error = bars.errors?[c], error.isFinite, error > 0 {
          let middle = x + barWidth * 0.46
          w.element("line", ["x1": f(middle), "y1": f(y(value - error)), "x2": f(middle), "y2": f(y(value + error)), "stroke": "black"])
        }
      }
      let labelX = groupLeft + groupWidth * 0.4
      let labelY = top + plotHeight + 14
      w.element("text", ["x": f(labelX), "y": f(labelY), "text-anchor": "end", "font-family": "sans-serif", "font-size": "11",
        "transform": "rotate(-35 \(f(labelX)) \(f(labelY)))"], text: category)
    }
    for (s, bars) in series.enumerated() {
      let x = left + 10 + Double(s) * 140
      w.element("rect", ["x": f(x), "y": f(height - 18), "width": "10", "height": "10", "fill": LinePlot.palette[s % LinePlot.palette.count]])
      w.element("text", ["x": f(x + 14), "y": f(height - 9), "font-family": "sans-serif", "font-size": "11"], text: bars.name)
    }
    w.close("svg")
    return w.text
  }
}
