// The per-step metrics log: one JSON object per line in RUN_DIR/metrics.jsonl (rank 0).

import Foundation

/// Appends one JSON line per step, flushed as written (a killed run keeps every finished line;
/// a resumed run appends after them).
final class MetricsLog {
  private let handle: FileHandle

  init(path: String) throws {
    if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    guard let handle = FileHandle(forWritingAtPath: path) else { throw TrainingError("cannot write \(path)") }
    try handle.seekToEnd()
    self.handle = handle
  }

  deinit { try? handle.close() }

  func append(_ values: [String: Any]) throws {
    var data = try JSONSerialization.data(withJSONObject: values, options: [.sortedKeys])
    data.append(UInt8(ascii: "\n"))
    try handle.write(contentsOf: data)
  }
}
