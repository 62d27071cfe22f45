// AtomicFile: whole writes, and failures that leave no temporary file and name the OS's reason.

import AtomicFiles
import Foundation
import XCTest

final class AtomicFileTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws {
    folder = NSTemporaryDirectory() + "atomic-file-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: folder)
  }

  func testAWriteReplacesTheWholeFileAndLeavesNoTemporary() throws {
    let path = folder + "/record.json"
    try AtomicFile.write(String(repeating: "long old content ", count: 100), to: path)
    try AtomicFile.write("{\"metric\": 1.5}", to: path)
    XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"metric\": 1.5}")
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["record.json"])
  }

  func testAMissingFolderIsReportedWithThePathAndTheReason() {
    let path = folder + "/absent/record.json"
    XCTAssertThrowsError(try AtomicFile.write("x", to: path)) { error in
      XCTAssertEqual("\(error)", "\(path): cannot write: No such file or directory")
    }
  }

  func testAFailedRenameRemovesTheTemporaryAndKeepsWhatWasThere() throws {
    // A folder where the file should go: the rename fails after the temporary was written.
    let path = folder + "/taken"
    try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
    XCTAssertThrowsError(try AtomicFile.write("x", to: path)) { error in
      XCTAssertTrue("\(error)".hasPrefix("\(path): cannot write: "), "\(error)")
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path), ["inside"])
  }
}
