// HDF5 layer: typed round trips of every element type and rank, attributes, strings, and
// the errors for missing, truncated, foreign and mismatched data.

import Foundation
import HDF5
import XCTest

final class HDF5RoundTripTests: XCTestCase {
  private var directory: URL!

  override func setUpWithError() throws {
    directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("hdf5-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(at: directory)
  }

  private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

  private func checkRoundTrip<T: HDF5Scalar & Equatable>(
    _ make: (Int) -> T, file: String, line: UInt = #line
  ) throws {
    let shapes: [[Int]] = [[], [1], [9], [4, 3], [2, 3, 5], [2, 1, 3, 2], [0], [3, 0, 2]]
    let target = path("roundtrip-\(T.hdf5ElementType.rawValue).h5")
    do {
      let root = try HDF5File.create(target).root()
      for (index, shape) in shapes.enumerated() {
        let values = (0..<shape.reduce(1, *)).map(make)
        try root.write("plain\(index)", array: values, shape: shape)
        try root.write(
          "packed\(index)", array: values, shape: shape,
          options: HDF5DatasetOptions(deflateLevel: 6))
      }
    }
    let root = try HDF5File.open(target).root()
    for (index, shape) in shapes.enumerated() {
      let expected = (0..<shape.reduce(1, *)).map(make)
      for name in ["plain\(index)", "packed\(index)"] {
        let (values, readShape) = try root.read(name, as: T.self)
        XCTAssertEqual(readShape, shape, "\(T.self) \(name)", line: line)
        XCTAssertEqual(values, expected, "\(T.self) \(name)", line: line)
        XCTAssertEqual(try root.openDataset(name).elementType, T.hdf5ElementType, line: line)
      }
    }
  }

  func testEveryElementTypeAndRankRoundTrips() throws {
    try checkRoundTrip({ Float($0) * 0.37 - 5 }, file: "f")
    try checkRoundTrip({ Double($0) * -1.0e-300 + 1e300 }, file: "d")
    try checkRoundTrip({ Int32($0) * 1_000_003 - Int32.max / 2 }, file: "i")
    try checkRoundTrip({ Int64($0) * 9_000_000_000_000 - Int64.max / 2 }, file: "l")
    try checkRoundTrip({ UInt8(truncatingIfNeeded: $0 * 37) }, file: "u")
  }

  func testAttributesAndStrings() throws {
    let target = path("attributes.h5")
    do {
      let file = try HDF5File.create(target)
      let root = try file.root()
      let group = try root.createGroup("model")
      try root.setAttribute("format", string: "minillm ✓ 文字 🚀")
      try root.setAttribute("format", string: "replaced")
      try group.setAttribute("step", value: Int64(-12))
      try group.setAttribute("lr", value: 3e-4)
      try group.setAttribute("betas", values: [Float(0.9), 0.95])
      let dataset = try group.write("w", array: [UInt8(1), 2, 3], shape: [3])
      try dataset.setAttribute("role", string: "weights")
      try root.writeString("config", String(repeating: "x", count: 200_000) + "é")
      try file.close()
    }
    let root = try HDF5File.open(target).root()
    XCTAssertEqual(try root.stringAttribute("format"), "replaced")
    XCTAssertEqual(try root.attributeNames(), ["format"])
    let group = try root.openGroup("model")
    XCTAssertEqual(try group.scalarAttribute("step", as: Int64.self), -12)
    XCTAssertEqual(try group.scalarAttribute("lr", as: Double.self), 3e-4)
    XCTAssertEqual(try group.numericAttribute("betas", as: Float.self), [0.9, 0.95])
    XCTAssertEqual(try group.attributeNames(), ["betas", "lr", "step"])
    XCTAssertEqual(try group.openDataset("w").stringAttribute("role"), "weights")
    XCTAssertEqual(try root.readString("config").count, 200_001)
    XCTAssertEqual(try root.memberNames(), ["config", "model"])
    XCTAssertTrue(try root.contains("model/w"))
    XCTAssertFalse(try root.contains("model/missing"))
    XCTAssertFalse(try root.hasAttribute("missing"))
  }

  func testMissingFileNamesThePath() {
    let target = path("nope.h5")
    XCTAssertThrowsError(try HDF5File.open(target)) { error in
      XCTAssertEqual((error as? HDF5Error)?.path, target)
      XCTAssertTrue(String(describing: error).contains("no such file"))
    }
  }

  func testTruncatedFileThrowsNamingTheFile() throws {
    let target = path("full.h5")
    do {
      let root = try HDF5File.create(target).root()
      try root.write("big", array: [Float](repeating: 1.5, count: 50_000), shape: [50_000])
    }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: target))
    for fraction in [0.0, 0.01, 0.5, 0.99] {
      let cut = path("cut-\(fraction).h5")
      try bytes.prefix(Int(Double(bytes.count) * fraction)).write(to: URL(fileURLWithPath: cut))
      XCTAssertThrowsError(try HDF5File.open(cut).root().read("big", as: Float.self)) { error in
        guard let error = error as? HDF5Error else { return XCTFail("not an HDF5Error: \(error)") }
        XCTAssertEqual(error.path, cut)
        XCTAssertFalse(error.stack.isEmpty)
      }
      XCTAssertFalse(HDF5File.isHDF5(cut) && fraction < 0.01)
    }
  }

  func testNonHDF5FileCarriesHDF5StackText() throws {
    let target = path("notes.txt")
    try Data("just text".utf8).write(to: URL(fileURLWithPath: target))
    XCTAssertFalse(HDF5File.isHDF5(target))
    XCTAssertThrowsError(try HDF5File.open(target)) { error in
      guard let error = error as? HDF5Error else { return XCTFail("not an HDF5Error: \(error)") }
      XCTAssertEqual(error.operation, "H5Fopen")
      XCTAssertTrue(error.description.contains(target))
      XCTAssertTrue(error.stack.contains("H5Fopen"), error.stack)
    }
  }

  func testTypeShapeAndNameMismatchesAreErrors() throws {
    let target = path("mismatch.h5")
    let root = try HDF5File.create(target).root()
    let dataset = try root.write("x", array: [Float](repeating: 0, count: 6), shape: [2, 3])
    XCTAssertThrowsError(try root.read("x", as: Double.self)) { error in
      XCTAssertEqual((error as? HDF5Error)?.object, "/x")
      XCTAssertTrue(String(describing: error).contains("float32"))
    }
    XCTAssertThrowsError(
      try [Float](repeating: 0, count: 5).withUnsafeBufferPointer { try dataset.write($0) })
    XCTAssertThrowsError(try root.write("y", array: [Float](repeating: 0, count: 5), shape: [2, 3]))
    XCTAssertThrowsError(try root.openDataset("missing")) { error in
      XCTAssertEqual((error as? HDF5Error)?.object, "/missing")
    }
    XCTAssertThrowsError(try root.write("x", array: [Float(1)], shape: [1])) { error in
      XCTAssertEqual((error as? HDF5Error)?.operation, "H5Dcreate2")
    }
    XCTAssertThrowsError(try root.scalarAttribute("absent", as: Int64.self))
    XCTAssertThrowsError(
      try root.write("z", array: [Float](repeating: 0, count: 4), shape: [4],
        options: HDF5DatasetOptions(chunkShape: [2, 2])))
    XCTAssertThrowsError(try HDF5File.create(target, overwrite: false))
  }
}
