// A compact HDF5 round trip for the self-test: every element type and rank 0–3, attributes,
// compression, and the errors for a truncated and a non-HDF5 file.

import Foundation
import HDF5

/// HDF5 self-checks run by every rank on its own temporary files.
public enum HDF5Checks {
  /// Deterministic, exactly representable test values (multiples of 1/8 for floats).
  static func sample<T: HDF5Scalar & Numeric>(_ count: Int, _ type: T.Type) -> [T] {
    (0..<count).map { i in
      let n = (i * 37 + 11) % 200
      switch T.hdf5ElementType {
      case .float32: return Float(n - 100) / 8 as! T
      case .float64: return Double(n - 100) / 8 as! T
      case .int32: return Int32(n - 100) * 1000 as! T
      case .int64: return Int64(n - 100) * 10_000_000_000 as! T
      case .uint8: return UInt8(n) as! T
      }
    }
  }

  /// The shapes of the sample file's datasets (rank 0 to 3).
  static let sampleShapes: [[Int]] = [[], [7], [3, 5], [2, 3, 4]]
  static let sampleNote = "sample ✓ ünïcode"
  /// A long text (over HDF5's 64 KiB attribute limit) for the string dataset.
  static let sampleText = String(repeating: "{\"key\": \"värde\"}\n", count: 5000)

  static func datasetName<T: HDF5Scalar>(_: T.Type, shape: [Int], compressed: Bool) -> String {
    "\(T.hdf5ElementType.rawValue)_rank\(shape.count)\(compressed ? "_gz" : "")"
  }

  static func sampleVariants() -> [(shape: [Int], compressed: Bool)] {
    sampleShapes.flatMap { shape in (shape.isEmpty ? [false] : [false, true]).map { (shape, $0) } }
  }

  static func writeTyped<T: HDF5Scalar & Numeric>(_: T.Type, group: HDF5Group) throws {
    for (shape, compressed) in sampleVariants() {
      try group.write(
        datasetName(T.self, shape: shape, compressed: compressed),
        array: sample(shape.reduce(1, *), T.self), shape: shape,
        options: compressed ? HDF5DatasetOptions(deflateLevel: 4) : .init())
    }
  }

  static func verifyTyped<T: HDF5Scalar & Numeric>(_: T.Type, group: HDF5Group) throws -> String? {
    for (shape, compressed) in sampleVariants() {
      let name = datasetName(T.self, shape: shape, compressed: compressed)
      let (values, readShape) = try group.read(name, as: T.self)
      if readShape != shape { return "\(name): shape \(readShape) != \(shape)" }
      if let problem = firstMismatch(values, sample(shape.reduce(1, *), T.self), label: "\(name): ") {
        return problem
      }
    }
    return nil
  }

  /// Writes the sample file: group "data" with one dataset per element type, shape and
  /// compression, attributes of each kind, and a long string dataset; checksummed. `Tests/python` checks it
  /// with h5py, and writes the same layout for `verifySampleFile`.
  public static func writeSampleFile(_ path: String) throws {
    let file = try HDF5File.create(path, checksums: true)
    let root = try file.root()
    let group = try root.createGroup("data")
    try writeTyped(Float.self, group: group)
    try writeTyped(Double.self, group: group)
    try writeTyped(Int32.self, group: group)
    try writeTyped(Int64.self, group: group)
    try writeTyped(UInt8.self, group: group)
    try root.setAttribute("note", string: sampleNote)
    try group.setAttribute("step", value: Int64(42))
    try group.setAttribute("betas", values: [0.9, 0.95])
    try root.writeString("text", sampleText)
    try file.flush()
  }

  /// Checks a file with the sample layout; nil when every value, shape and attribute matches.
  public static func verifySampleFile(_ path: String) throws -> String? {
    let file = try HDF5File.open(path)
    let root = try file.root()
    let group = try root.openGroup("data")
    if let p = try verifyTyped(Float.self, group: group) { return p }
    if let p = try verifyTyped(Double.self, group: group) { return p }
    if let p = try verifyTyped(Int32.self, group: group) { return p }
    if let p = try verifyTyped(Int64.self, group: group) { return p }
    if let p = try verifyTyped(UInt8.self, group: group) { return p }
    let note = try root.stringAttribute("note")
    if note != sampleNote { return "note attribute read back as \(note)" }
    let step = try group.scalarAttribute("step", as: Int64.self)
    if step != 42 { return "step attribute \(step)" }
    if let p = firstMismatch(try group.numericAttribute("betas", as: Double.self), [0.9, 0.95], label: "betas: ") {
      return p
    }
    let text = try root.readString("text")
    return text == sampleText ? nil : "text dataset differs (\(text.utf8.count) bytes read)"
  }

  /// Runs the HDF5 checks, writing under `directory`.
  public static func runAll(_ runner: CheckRunner, directory: String) {
    let rank = runner.group.rank
    let path = "\(directory)/selftest-rank\(rank)-\(getpid()).h5"
    defer { try? FileManager.default.removeItem(atPath: path) }

    runner.check("HDF5 round trip: 5 element types × rank 0–3, gzip, attributes, long string") {
      try writeSampleFile(path)
      return try verifySampleFile(path)
    }

    runner.check("HDF5 reading the wrong element type throws, naming the dataset") {
      let file = try HDF5File.open(path)
      do {
        _ = try file.root().read("data/float32_rank1", as: Int64.self)
        return "no error"
      } catch let error as HDF5Error {
        return error.object == "/data/float32_rank1" ? nil : "error names \(error.object ?? "nothing")"
      }
    }

    runner.check("HDF5 opening a truncated file throws an HDF5Error naming the file") {
      let truncated = path + ".truncated"
      defer { try? FileManager.default.removeItem(atPath: truncated) }
      let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
      try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: truncated))
      do {
        let file = try HDF5File.open(truncated)
        _ = try file.root().read("data/float64_rank3_gz", as: Double.self)
        return "no error"
      } catch let error as HDF5Error {
        return error.path == truncated && error.description.contains(truncated)
          ? nil : "error does not name the file: \(error)"
      }
    }

    runner.check("HDF5 opening a non-HDF5 file throws an HDF5Error naming the file") {
      let text = path + ".txt"
      defer { try? FileManager.default.removeItem(atPath: text) }
      try Data("not an HDF5 file\n".utf8).write(to: URL(fileURLWithPath: text))
      do {
        _ = try HDF5File.open(text)
        return "no error"
      } catch let error as HDF5Error {
        return error.description.contains(text) ? nil : "error does not name the file: \(error)"
      }
    }
  }
}
