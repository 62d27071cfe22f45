// Writing instruction records as JSON Lines.

import Foundation

/// Writes records one JSON object per line (through a temporary file and a rename).
public enum JSONLWriter {
  public static func write(_ records: [InstructionRecord], to path: String) throws {
    let text = records.map(\.jsonLine).joined(separator: "\n") + (records.isEmpty ? "" : "\n")
    let temporary = path + ".tmp"
    do {
      try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
      if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
      try FileManager.default.moveItem(atPath: temporary, toPath: path)
    } catch {
      throw DatasetError(path: path, "cannot write (\(error.localizedDescription))")
    }
  }
}
