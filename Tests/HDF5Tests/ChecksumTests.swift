// Checksummed files: CRC-32 against the standard check value and a bitwise reference, every
// dataset verified on read, and corruption of the raw data reported with the dataset's name.

import Foundation
import HDF5
import XCTest

final class ChecksumTests: XCTestCase {
  /// Bit-at-a-time CRC-32 (reflected, polynomial 0xEDB88320): the definition, slow and plain.
  private func referenceCRC(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  func testCRC32MatchesTheStandardCheckValueAndTheBitwiseDefinition() {
    XCTAssertEqual(CRC32.checksum("123456789"), 0xCBF4_3926)
    XCTAssertEqual(CRC32.checksum(""), 0)
    var generator = SystemRandomNumberGenerator()
    for count in [1, 7, 8, 9, 15, 16, 17, 255, 1000, 4099] {
      let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
      let fast = bytes.withUnsafeBytes { CRC32.checksum($0) }
      XCTAssertEqual(fast, referenceCRC(bytes), "\(count) bytes")
      let split = count / 3
      let continued = bytes.withUnsafeBytes { all in
        CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[split...]), seed: CRC32.checksum(UnsafeRawBufferPointer(rebasing: all[..<split])))
      }
      XCTAssertEqual(continued, fast, "continuing from a seed, \(count) bytes")
    }
  }

  func testEveryDatasetOfAChecksummedFileIsVerifiedAndCorruptionNamesTheDataset() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("crc-\(UUID()).h5").path
    defer { unlink(path) }
    let values = (0..<5000).map { Float($0) * 0.25 }
    try HDF5File.writeAtomically(path, checksums: true) { root in
      try root.write("weights", array: values, shape: [50, 100])
      try root.writeString("config", String(repeating: "{\"a\": 1} ", count: 200))
    }
    let file = try HDF5File.open(path)
    XCTAssertTrue(file.checksums)
    XCTAssertEqual(try file.root().read("weights", as: Float.self).values, values)
    let stored = try file.root().openDataset("weights").scalarAttribute("crc32", as: Int64.self)
    XCTAssertEqual(UInt32(stored), values.withUnsafeBytes { CRC32.checksum($0) })
    try file.close()

    // Change one float's bytes on disk: find them by their value.
    var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    let needle = withUnsafeBytes(of: Float(1234.25)) { Data($0) }
    let offset = try XCTUnwrap(bytes.range(of: needle)).lowerBound
    bytes[offset + 1] ^= 0x40
    try bytes.write(to: URL(fileURLWithPath: path))
    XCTAssertThrowsError(try HDF5File.open(path).root().read("weights", as: Float.self)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains(path) && text.contains("/weights") && text.contains("corrupt"), text)
    }
    XCTAssertEqual(try HDF5File.open(path).root().readString("config").count, 1800, "the other dataset still reads")
  }

  func testAFileWithoutTheMarkerReadsUnverified() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("plain-\(UUID()).h5").path
    defer { unlink(path) }
    try HDF5File.writeAtomically(path) { root in try root.write("x", array: [1.0, 2.0], shape: [2]) }
    let file = try HDF5File.open(path)
    XCTAssertFalse(file.checksums)
    XCTAssertFalse(try file.root().openDataset("x").hasAttribute("crc32"))
    XCTAssertEqual(try file.root().read("x", as: Double.self).values, [1.0, 2.0])
  }
}
