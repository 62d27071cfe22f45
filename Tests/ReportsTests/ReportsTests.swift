// Reports: power-law fits and t quantiles against scipy, table rendering, and SVG plot structure.

import Foundation
import Reports
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// |actual − expected| ≤ tolerance · |expected| (absolute when expected is 0).
private func assertRelative(
  _ actual: Double?, _ expected: Double, _ tolerance: Double, _ message: String = "",
  file: StaticString = #filePath, line: UInt = #line
) {
  guard let actual else {
    XCTFail("nil, expected \(expected) \(message)", file: file, line: line)
    return
  }
  let scale = expected == 0 ? 1 : abs(expected)
  XCTAssertLessThanOrEqual(
    abs(actual - expected) / scale, tolerance, "\(actual) vs \(expected) \(message)",
    file: file, line: line)
}

final class PowerLawFitTests: XCTestCase {
  // Expected values: Tests/python/check_power_law_fit.py (scipy 1.17.1: stats.linregress on
  // (ln N, ln y), stats.t.ppf), pasted from its output. Same datasets as in the script.
  static let datasets: [(name: String, sizes: [Double], values: [Double])] = [
    ("loss", [124439808.0, 354823168.0, 774030080.0, 1557611200.0], [3.412, 3.207, 3.055, 2.981]),
    ("rouge", [1.2e8, 3.5e8, 7.7e8, 1.5e9, 6.7e9], [0.2213, 0.2387, 0.2431, 0.2562, 0.2675]),
    ("three", [1e6, 1e7, 1e8], [5.0, 3.7, 3.1]),
    (
      "eight", [1e6, 2e6, 4e6, 8e6, 1.6e7, 3.2e7, 6.4e7, 1.28e8],
      [4.91, 4.62, 4.47, 4.18, 4.02, 3.86, 3.61, 3.52]
    ),
  ]
  struct ScipyFit {
    let coefficient, exponent, stderr, lower, upper, rSquared: Double
  }
  static let expectedFits: [String: ScipyFit] = [
    "loss": ScipyFit(
      coefficient: 9.422590199744821, exponent: -0.05466191768700857,
      stderr: 0.003892283129620724, lower: -0.07140906031962896, upper: -0.037914775054388186,
      rSquared: 0.9899610744356174),
    "rouge": ScipyFit(
      coefficient: 0.09396070270299851, exponent: 0.0467243622318024,
      stderr: 0.005144511045844978, lower: 0.03035223206146183, upper: 0.06309649240214298,
      rSquared: 0.9649079621910068),
    "three": ScipyFit(
      coefficient: 20.54976662627864, exponent: -0.10380415525087301,
      stderr: 0.01556774483769191, lower: -0.3016111084391131, upper: 0.09400279793736709,
      rSquared: 0.9780030661559395),
    "eight": ScipyFit(
      coefficient: 12.734047795579592, exponent: -0.06942657898849847,
      stderr: 0.002164893343536319, lower: -0.07472388216726236, upper: -0.06412927580973457,
      rSquared: 0.9941997544376588),
  ]
  // scipy.stats.t.ppf(p, df), from the same script.
  static let expectedQuantiles: [(p: Double, df: Double, t: Double)] = [
    (p: 0.975, df: 1.0, t: 12.706204736174694),
    (p: 0.975, df: 2.0, t: 4.302652729749462),
    (p: 0.975, df: 3.0, t: 3.1824463052837078),
    (p: 0.975, df: 5.0, t: 2.5705818356363146),
    (p: 0.975, df: 10.0, t: 2.228138851986274),
    (p: 0.975, df: 30.0, t: 2.0422724563012378),
    (p: 0.975, df: 1000.0, t: 1.9623390808264083),
    (p: 0.995, df: 4.0, t: 4.604094871349992),
    (p: 0.025, df: 7.0, t: -2.3646242515927844),
    (p: 0.9, df: 1.0, t: 3.0776835371752544),
    (p: 0.999999, df: 3.0, t: 103.29946777942898),
    (p: 0.95, df: 2.5, t: 2.5582186141359355),
  ]

  func testStudentTQuantilesMatchScipy() {
    for (p, df, t) in Self.expectedQuantiles {
      assertRelative(StudentT.quantile(p, degreesOfFreedom: df), t, 1e-10, "p \(p) df \(df)")
    }
  }

  func testStudentTClosedFormsAndRoundTrip() {
    // df = 1 is Cauchy: tan(π(p − ½)); df = 2: (2p − 1)/√(2p(1 − p)).
    for p in [0.6, 0.9, 0.975, 0.999, 0.01] {
      assertRelative(StudentT.quantile(p, degreesOfFreedom: 1), tan(Double.pi * (p - 0.5)), 1e-12)
      assertRelative(
        StudentT.quantile(p, degreesOfFreedom: 2), (2 * p - 1) / (2 * p * (1 - p)).squareRoot(),
        1e-12)
    }
    for df in [1.0, 2, 3, 7.5, 50] {
      for p in [0.001, 0.2, 0.7, 0.975] {
        let t = StudentT.quantile(p, degreesOfFreedom: df)
        assertRelative(StudentT.cdf(t, degreesOfFreedom: df), p, 1e-12, "df \(df) p \(p)")
      }
    }
    XCTAssertEqual(StudentT.quantile(0.5, degreesOfFreedom: 4), 0)
    XCTAssertEqual(StudentT.quantile(1, degreesOfFreedom: 4), .infinity)
    XCTAssertEqual(StudentT.quantile(0, degreesOfFreedom: 4), -.infinity)
  }

  func testFitsMatchScipy() throws {
    for (name, sizes, values) in Self.datasets {
      let fit = try PowerLawFit.fit(sizes: sizes, values: values)
      let expected = try XCTUnwrap(Self.expectedFits[name])
      assertRelative(fit.coefficient, expected.coefficient, 1e-9, "\(name) a")
      assertRelative(fit.exponent, expected.exponent, 1e-9, "\(name) b")
      assertRelative(fit.exponentStandardError, expected.stderr, 1e-9, "\(name) stderr")
      assertRelative(fit.exponentInterval95?.lowerBound, expected.lower, 1e-9, "\(name) lower")
      assertRelative(fit.exponentInterval95?.upperBound, expected.upper, 1e-9, "\(name) upper")
      assertRelative(fit.rSquared, expected.rSquared, 1e-9, "\(name) R²")
      XCTAssertEqual(fit.pointCount, sizes.count)
    }
  }

  func testFallingAndRisingMetrics() throws {
    let loss = try PowerLawFit.fit(sizes: Self.datasets[0].sizes, values: Self.datasets[0].values)
    XCTAssertLessThan(loss.exponent, 0)
    XCTAssertGreaterThan(loss.predict(1e8), loss.predict(1e9))
    let rouge = try PowerLawFit.fit(sizes: Self.datasets[1].sizes, values: Self.datasets[1].values)
    XCTAssertGreaterThan(rouge.exponent, 0)
    XCTAssertLessThan(rouge.predict(1e8), rouge.predict(1e9))
    let interval = try XCTUnwrap(rouge.exponentInterval95)
    XCTAssertTrue(interval.contains(rouge.exponent))
  }

  func testExactPowerLaw() throws {
    let sizes = [10.0, 100, 1000, 10_000, 100_000]
    let fit = try PowerLawFit.fit(sizes: sizes, values: sizes.map { 3 * pow($0, -0.5) })
    assertRelative(fit.exponent, -0.5, 1e-12)
    assertRelative(fit.coefficient, 3, 1e-12)
    XCTAssertEqual(try XCTUnwrap(fit.exponentStandardError), 0, accuracy: 1e-12)
    XCTAssertEqual(fit.rSquared, 1, accuracy: 1e-12)
    let interval = try XCTUnwrap(fit.exponentInterval95)
    XCTAssertEqual(interval.lowerBound, -0.5, accuracy: 1e-11)
    XCTAssertEqual(interval.upperBound, -0.5, accuracy: 1e-11)
    assertRelative(fit.predict(400), 0.15, 1e-12)
  }

  func testTwoPointsHaveNoInterval() throws {
    let fit = try PowerLawFit.fit(sizes: [2e6, 8e6], values: [4.2, 3.6])
    assertRelative(fit.exponent, log(3.6 / 4.2) / log(4), 1e-12)
    assertRelative(fit.predict(2e6), 4.2, 1e-12)
    assertRelative(fit.predict(8e6), 3.6, 1e-12)
    XCTAssertNil(fit.exponentStandardError)
    XCTAssertNil(fit.exponentInterval95)
    XCTAssertEqual(fit.rSquared, 1)
  }

  func testAllEqualValuesFitAConstant() throws {
    let fit = try PowerLawFit.fit(sizes: [1e6, 3e6, 1e7, 1e8], values: [0.1, 0.1, 0.1, 0.1])
    XCTAssertEqual(fit.exponent, 0)
    assertRelative(fit.coefficient, 0.1, 1e-15)
    XCTAssertEqual(fit.exponentStandardError, 0)
    XCTAssertEqual(fit.exponentInterval95, 0...0)
    XCTAssertEqual(fit.rSquared, 1)
  }

  func testInvalidInputsThrowNamingThePoint() {
    func error(_ sizes: [Double], _ values: [Double]) -> ReportError? {
      do {
        _ = try PowerLawFit.fit(sizes: sizes, values: values)
        return nil
      } catch {
        return error as? ReportError
      }
    }
    let negative = error([1, 2, 3, 4], [1, 2, -0.5, 4])
    XCTAssertEqual(negative?.pointIndex, 2)
    XCTAssertTrue(
      negative?.description.contains("point 2 (N = 3.0, y = -0.5)") == true,
      "\(String(describing: negative))")
    XCTAssertEqual(error([1, 0, 3], [1, 2, 3])?.pointIndex, 1)
    XCTAssertEqual(error([1, 2, 3], [1, .nan, 3])?.pointIndex, 1)
    XCTAssertEqual(error([1, 2, .infinity], [1, 2, 3])?.pointIndex, 2)
    XCTAssertTrue(error([1], [1])?.description.contains("at least 2 points") == true)
    XCTAssertTrue(error([], [])?.description.contains("at least 2 points") == true)
    XCTAssertTrue(error([5, 5, 5], [1, 2, 3])?.description.contains("all 3 sizes equal") == true)
    XCTAssertTrue(error([1, 2], [1])?.description.contains("2 sizes but 1 values") == true)
  }

  func testCodableRoundTrip() throws {
    for sizes in [[1e6, 1e7, 1e8], [1e6, 1e7]] {
      let fit = try PowerLawFit.fit(
        sizes: sizes, values: sizes.map { 2 * pow($0, 0.1) * (1 + 0.01 * log($0)) })
      let decoded = try JSONDecoder().decode(PowerLawFit.self, from: JSONEncoder().encode(fit))
      XCTAssertEqual(decoded, fit)
    }
  }
}

final class ResultsTableTests: XCTestCase {
  func sampleTable() -> ResultsTable {
    var table = ResultsTable(metricNames: ["loss", "rougeL"])
    table.record(
      sizeLabel: "355M", parameterCount: 354_823_168, method: "SFT",
      metrics: ["loss": 3.207, "rougeL": 0.2387])
    table.record(
      sizeLabel: "124M", parameterCount: 124_439_808, method: "MiniLLM, \"v2\"",
      metrics: ["loss": 3.14159, "rougeL": nil])
    table.record(
      sizeLabel: "124M", parameterCount: 124_439_808, method: "SFT",
      metrics: ["loss": 1.0 / 3, "rougeL": 0.1])
    table.set(
      "accuracy", to: 0.000123456, sizeLabel: "355M", parameterCount: 354_823_168, method: "SFT")
    return table
  }

  func testRowOrderIsParameterCountThenMethodInsertionOrder() {
    let rows = sampleTable().rows
    XCTAssertEqual(rows.map(\.method), ["SFT", "MiniLLM, \"v2\"", "SFT"])
    XCTAssertEqual(rows.map(\.parameterCount), [124_439_808, 124_439_808, 354_823_168])
    XCTAssertEqual(sampleTable().metricNames, ["loss", "rougeL", "accuracy"])
  }

  func testCSVQuotingAndPrecision() {
    let lines = sampleTable().csv().components(separatedBy: "\r\n")
    XCTAssertEqual(
      lines,
      [
        "size,parameters,method,loss,rougeL,accuracy",
        "124M,124439808,SFT,0.3333333333333333,0.1,",
        "124M,124439808,\"MiniLLM, \"\"v2\"\"\",3.14159,,",
        "355M,354823168,SFT,3.207,0.2387,0.000123456",
        "",
      ])
    var multiline = ResultsTable()
    multiline.set("x", to: 2, sizeLabel: "a\nb", parameterCount: 1, method: "plain")
    XCTAssertEqual(multiline.csv(), "size,parameters,method,x\r\n\"a\nb\",1,plain,2.0\r\n")
  }

  func testMarkdownShape() {
    let markdown = sampleTable().markdown()
    let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    XCTAssertEqual(lines.count, 6)  // header, rule, 3 rows, trailing empty
    XCTAssertEqual(lines.last, "")
    let table = lines.dropLast()
    XCTAssertEqual(Set(table.map(\.count)).count, 1, "columns not aligned:\n\(markdown)")
    XCTAssertEqual(
      Array(table),
      [
        "| Size |  Parameters | Method        |   loss | rougeL |  accuracy |",
        "| :--- | ----------: | :------------ | -----: | -----: | --------: |",
        "| 124M | 124,439,808 | SFT           | 0.3333 | 0.1000 |         — |",
        "| 124M | 124,439,808 | MiniLLM, \"v2\" |  3.142 |      — |         — |",
        "| 355M | 354,823,168 | SFT           |  3.207 | 0.2387 | 1.235e-04 |",
      ])
  }

  func testMarkdownEscapesPipes() {
    var table = ResultsTable()
    table.set("m", to: 1, sizeLabel: "a|b", parameterCount: 1, method: "x\ny")
    XCTAssertTrue(table.markdown().contains("| a\\|b | "))
    XCTAssertTrue(table.markdown().contains(" x y "))
  }

  func testNumberFormatting() {
    XCTAssertEqual(ResultsTable.formatted(nil), "—")
    XCTAssertEqual(ResultsTable.formatted(0), "0")
    XCTAssertEqual(ResultsTable.formatted(0.25), "0.2500")
    XCTAssertEqual(ResultsTable.formatted(-2.71828), "-2.718")
    XCTAssertEqual(ResultsTable.formatted(9.99996), "10.00")
    XCTAssertEqual(ResultsTable.formatted(1234.4), "1234")
    XCTAssertEqual(ResultsTable.formatted(0.001), "0.001000")
    XCTAssertEqual(ResultsTable.formatted(1_234_567), "1.235e+06")
    XCTAssertEqual(ResultsTable.formatted(.nan), "NaN")
    XCTAssertEqual(ResultsTable.formatted(-.infinity), "−∞")
  }

  func testSeriesFeedsAFit() throws {
    var table = ResultsTable()
    for (size, loss) in zip([1e6, 1e7, 1e8], [5.0, 3.7, 3.1]) {
      table.set("loss", to: loss, sizeLabel: "\(size)", parameterCount: Int(size), method: "KD")
    }
    table.set("loss", to: nil, sizeLabel: "big", parameterCount: 1_000_000_000, method: "KD")
    let series = table.series(metric: "loss", method: "KD")
    XCTAssertEqual(series.sizes, [1e6, 1e7, 1e8])
    let fit = try PowerLawFit.fit(sizes: series.sizes, values: series.values)
    assertRelative(fit.exponent, -0.10380415525087301, 1e-9)
  }
}

/// The elements of a parsed XML document, in document order, with the `class` attributes of
/// their ancestors.
final class XMLCollector: NSObject, XMLParserDelegate {
  struct Element {
    let name: String
    let attributes: [String: String]
    let ancestorClasses: [String]
    var text = ""
  }
  var elements: [Element] = []
  private var open: [Int] = []
  var error: Error?

  func parser(
    _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
    qualifiedName: String?, attributes: [String: String]
  ) {
    let classes = open.compactMap { elements[$0].attributes["class"] }
    elements.append(Element(name: elementName, attributes: attributes, ancestorClasses: classes))
    open.append(elements.count - 1)
  }

  func parser(
    _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
    qualifiedName: String?
  ) {
    open.removeLast()
  }

  func parser(_ parser: XMLParser, foundCharacters string: String) {
    if let last = open.last { elements[last].text += string }
  }

  func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
    error = parseError
  }

  /// Parses `text`, failing the test when it is not well-formed XML.
  static func parse(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [Element]
  {
    let collector = XMLCollector()
    let parser = XMLParser(data: Data(text.utf8))
    parser.delegate = collector
    let ok = parser.parse()
    XCTAssertTrue(
      ok, "not well-formed XML: \(String(describing: parser.parserError ?? collector.error))",
      file: file, line: line)
    return collector.elements
  }
}

final class LinePlotTests: XCTestCase {
  let awkwardName = "KD <α & \"β\"> 'γ'"

  func scalingPlot() throws -> LinePlot {
    let sizes = [1.2e8, 3.5e8, 7.7e8, 1.5e9, 6.7e9]
    let rouge = [0.2213, 0.2387, 0.2431, 0.2562, 0.2675]
    let fit = try PowerLawFit.fit(sizes: sizes, values: rouge)
    var plot = LinePlot(
      title: "Rouge-L vs size <dolly & co>", xLabel: "parameters", yLabel: "Rouge-L", xScale: .log)
    plot.add(
      .init(name: "MiniLLM", x: sizes, y: rouge, fittedCurve: .powerLaw(fit, label: "MiniLLM fit")))
    plot.add(.init(name: awkwardName, x: sizes, y: rouge.map { $0 - 0.02 }))
    plot.add(.init(name: "SFT", x: sizes, y: rouge.map { $0 - 0.03 }, fittedCurve: .powerLaw(fit)))
    return plot
  }

  /// Checks every coordinate attribute (and polyline/path points) lies inside the viewBox.
  func assertInsideViewBox(
    _ elements: [XMLCollector.Element], file: StaticString = #filePath, line: UInt = #line
  ) {
    guard let root = elements.first, root.name == "svg",
      let viewBox = root.attributes["viewBox"]?.split(separator: " ").compactMap({ Double($0) }),
      viewBox.count == 4
    else {
      XCTFail("no svg root with a viewBox", file: file, line: line)
      return
    }
    let (width, height) = (viewBox[2], viewBox[3])
    XCTAssertEqual(viewBox[0], 0, file: file, line: line)
    XCTAssertEqual(viewBox[1], 0, file: file, line: line)
    func check(_ value: String?, _ limit: Double, _ what: String) {
      guard let value else { return }
      guard let number = Double(value) else {
        XCTFail("\(what) is not a number: \(value)", file: file, line: line)
        return
      }
      XCTAssertTrue(
        number >= 0 && number <= limit, "\(what) = \(number) outside 0…\(limit)", file: file,
        line: line)
    }
    for element in elements {
      for key in ["x", "x1", "x2", "cx"] {
        check(element.attributes[key], width, "\(element.name).\(key)")
      }
      for key in ["y", "y1", "y2", "cy"] {
        check(element.attributes[key], height, "\(element.name).\(key)")
      }
      if let points = element.attributes["points"] {
        for pair in points.split(separator: " ") {
          let xy = pair.split(separator: ",").map(String.init)
          XCTAssertEqual(xy.count, 2, file: file, line: line)
          check(xy.first, width, "polyline x")
          check(xy.last, height, "polyline y")
        }
      }
      if let d = element.attributes["d"] {
        let numbers = d.split(whereSeparator: { $0 == " " || $0 == "M" || $0 == "L" }).map(
          String.init)
        XCTAssertEqual(numbers.count % 2, 0, file: file, line: line)
        for (index, number) in numbers.enumerated() {
          check(number, index % 2 == 0 ? width : height, "path coordinate")
        }
      }
    }
  }

  func testScalingPlotStructure() throws {
    let svg = try scalingPlot().svg()
    XCTAssertTrue(
      svg.hasPrefix(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
    let elements = XMLCollector.parse(svg)
    assertInsideViewBox(elements)
    let polylines = elements.filter { $0.name == "polyline" }
    XCTAssertEqual(polylines.count, 3)
    XCTAssertEqual(
      Set(polylines.compactMap { $0.attributes["stroke"] }).count, 3, "colors not distinct")
    for polyline in polylines {
      XCTAssertEqual(polyline.attributes["points"]?.split(separator: " ").count, 5)
    }
    XCTAssertEqual(
      elements.filter { $0.name == "circle" && $0.ancestorClasses.contains("data") }.count, 15)
    // Two dashed fitted curves, one with a legend entry.
    XCTAssertEqual(
      elements.filter { $0.name == "path" && $0.attributes["stroke-dasharray"] != nil }.count, 2)
    let legend = elements.filter { $0.name == "text" && $0.ancestorClasses.contains("legend") }.map(
      \.text)
    XCTAssertEqual(legend, ["MiniLLM", "MiniLLM fit", awkwardName, "SFT"])
    XCTAssertTrue(svg.contains("KD &lt;α &amp; &quot;β&quot;&gt; &apos;γ&apos;"))
    XCTAssertEqual(
      elements.first { $0.attributes["class"] == "title" }?.text, "Rouge-L vs size <dolly & co>")
    // Log x ticks: powers of ten with 2 and 5 subdivisions; linear y (0.19 … 0.27): steps of
    // 0.02.
    let tickLabels = elements.filter {
      $0.name == "text" && $0.ancestorClasses.contains("tick-labels")
    }.map(\.text)
    let expectedLabels = ["10⁸", "2×10⁸", "5×10⁸", "10⁹", "2×10⁹", "5×10⁹", "10¹⁰", "0.18", "0.28"]
    for label in expectedLabels {
      XCTAssertTrue(tickLabels.contains(label), "missing tick label \(label) in \(tickLabels)")
    }
  }

  func testDegenerateInputsStillRender() {
    let cases: [(String, LinePlot)] = [
      ("empty", LinePlot(title: "nothing", xLabel: "x", yLabel: "y")),
      (
        "one point",
        LinePlot(title: "one", xLabel: "x", yLabel: "y", series: [.init(name: "a", x: [3], y: [7])])
      ),
      (
        "one point log",
        LinePlot(
          title: "one", xLabel: "x", yLabel: "y", xScale: .log, yScale: .log,
          series: [.init(name: "a", x: [3e8], y: [2.5])])
      ),
      (
        "all-equal y",
        LinePlot(
          title: "flat", xLabel: "x", yLabel: "y",
          series: [
            .init(name: "a", x: [1, 2, 3], y: [0, 0, 0]), .init(name: "b", x: [1, 2], y: [0, 0]),
          ])
      ),
      (
        "all-equal y log",
        LinePlot(
          title: "flat", xLabel: "x", yLabel: "y", yScale: .log,
          series: [.init(name: "a", x: [1, 2, 3], y: [4, 4, 4])])
      ),
      (
        "non-finite",
        LinePlot(
          title: "holes", xLabel: "x", yLabel: "y", xScale: .log, yScale: .log,
          series: [
            .init(
              name: "a", x: [1, 10, .nan, 1000, 1e4, -5, 0],
              y: [5, .infinity, 3, 2, -.infinity, 1, 1]),
            .init(name: "all bad", x: [.nan], y: [1]),
          ])
      ),
      (
        "narrow log",
        LinePlot(
          title: "narrow", xLabel: "x", yLabel: "loss", yScale: .log,
          series: [.init(name: "a", x: [1, 2, 3], y: [3.1, 3.25, 3.4])])
      ),
      (
        "wide log",
        LinePlot(
          title: "wide", xLabel: "x", yLabel: "y", xScale: .log, yScale: .log,
          series: [
            .init(
              name: "a", x: [1e-3, 1e12], y: [1e-20, 1e20],
              fittedCurve: .init(label: "bad") { $0 < 1 ? .nan : $0 })
          ])
      ),
    ]
    for (name, plot) in cases {
      let elements = XMLCollector.parse(plot.svg())
      assertInsideViewBox(elements)
      XCTAssertEqual(elements.filter { $0.name == "polyline" }.count, plot.series.count, name)
      let expectedMarkers = ["one point": 1, "one point log": 1, "all-equal y": 5, "non-finite": 2]
      if let markers = expectedMarkers[name] {
        XCTAssertEqual(
          elements.filter { $0.name == "circle" && $0.ancestorClasses.contains("data") }.count,
          markers, name)
      }
      let tickLabels = elements.filter { $0.ancestorClasses.contains("tick-labels") }
      XCTAssertGreaterThanOrEqual(tickLabels.count, 4, "\(name): too few tick labels")
    }
  }

  func testManySeriesGetDistinctColors() {
    var plot = LinePlot(title: "many", xLabel: "x", yLabel: "y")
    for index in 0..<25 {
      plot.add(.init(name: "series \(index)", x: [0, 1], y: [Double(index), Double(index) + 1]))
    }
    let elements = XMLCollector.parse(plot.svg())
    assertInsideViewBox(elements)
    let strokes = elements.filter { $0.name == "polyline" }.compactMap { $0.attributes["stroke"] }
    XCTAssertEqual(strokes.count, 25)
    XCTAssertEqual(Set(strokes).count, 25)
  }
}
