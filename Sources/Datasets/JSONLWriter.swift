// Writing instruction records as JSON Lines.

import AtomicFiles
import Foundation

/// Writes records one JSON object per line (through a temporary file and a rename).
public enum JSONLWriter {
  public static func write(_ records: [InstructionRecord], to path: String) throws {
    let text = records.map(\.jsonLine).joined(separator: "\n") + (records.isEmpty ? "" : "\n")
    do { try AtomicFile.write(text, to: path) } catch let error as AtomicFileError {
      throw DatasetError(path: path, "cannot write (\(error.reason))")
    }
  }
}
