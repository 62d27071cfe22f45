// Bar charts: well-formed SVG with one bar per finite value, heights proportional to values,
// an error bar where one is given, every label present and escaped.

import Foundation
import Reports
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

final class BarPlotTests: XCTestCase {
  func testBarsHeightsErrorsAndLabels() throws {
    let plot = BarPlot(
      title: "valid <rate>", yLabel: "%", categories: ["sft", "kd", "minillm"],
      series: [
        BarPlot.Series(name: "valid", values: [10, 20, .nan], errors: [1, 0, 0]),
        BarPlot.Series(name: "long", values: [5, 40, 30]),
      ])
    let svg = plot.svg()
    let document = try XMLDocument(xmlString: svg)  // well-formed
    let rects = svg.split(separator: "\n").filter { $0.hasPrefix("<rect") }
    // The background, 5 bars (one NaN left out), 2 legend swatches.
    XCTAssertEqual(rects.count, 1 + 5 + 2)
    let heights = try rects.dropFirst().prefix(5).map { line -> Double in
      let value = try XCTUnwrap(line.components(separatedBy: "height=\"").last?.components(separatedBy: "\"").first)
      return try XCTUnwrap(Double(value), String(line))
    }
    // Order: sft valid, sft long, kd valid, kd long, minillm long → 10, 5, 20, 40, 30.
    for (height, value) in zip(heights, [10.0, 5, 20, 40, 30]) {
      XCTAssertEqual(height / heights[0], value / 10, accuracy: 0.01)
    }
    XCTAssertEqual(svg.split(separator: "\n").filter { $0.hasPrefix("<line") }.count, 2 + 6 + 1)  // axes, ticks, one error bar
    for label in ["sft", "kd", "minillm", "valid", "long", "valid <rate>"] {
      XCTAssertTrue(try document.nodes(forXPath: "//*[local-name()='text']").contains { $0.stringValue == label }, label)
    }
  }
}
