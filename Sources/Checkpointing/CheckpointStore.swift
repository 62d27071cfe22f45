// A run directory's checkpoints: numbered files, retention of the last K plus the best by a
// validation metric, and finding the newest valid one to resume from.

import Collectives
import Foundation
import HDF5

/// The `checkpoints/` folder of a run directory.
public struct CheckpointStore {
  public let directory: String
  /// How many of the newest checkpoints to keep (the best one is kept as well).
  public let keepLast: Int

  public init(runDirectory: String, keepLast: Int = 3) throws {
    directory = runDirectory + "/checkpoints"
    self.keepLast = max(1, keepLast)
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw CheckpointError(path: directory, "cannot create (\(error.localizedDescription))")
    }
  }

  /// The file name for a step.
  public func path(step: Int) -> String { directory + "/" + String(format: "step-%08d.h5", step) }

  /// Checkpoint files present, newest step first.
  public func existing() -> [(step: Int, path: String)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.compactMap { name -> (Int, String)? in
      guard name.hasPrefix("step-"), name.hasSuffix(".h5"), let step = Int(name.dropFirst(5).dropLast(3)) else { return nil }
      return (step, directory + "/" + name)
    }.sorted { $0.0 > $1.0 }
  }

  /// The newest checkpoint that opens as a complete minillm checkpoint; corrupt or partial ones
  /// are skipped with a warning on stderr.
  public func newestValid() -> String? {
    for candidate in existing() {
      do {
        let root = try HDF5File.open(candidate.path).root()
        guard try root.stringAttribute("format") == Checkpoint.format else { throw CheckpointError(path: candidate.path, "not a checkpoint") }
        _ = try root.openGroup("metrics")
        return candidate.path
      } catch {
        StandardError.writeLine("minillm-dist: warning: skipping unusable checkpoint \(candidate.path): \(error)")
      }
    }
    return nil
  }

  /// Records `metric` (lower is better) for the checkpoint at `path` and keeps `best` pointing
  /// at the best one so far.
  public func recordMetric(_ metric: Double, for path: String) throws {
    guard metric.isFinite else { return }  // no metric for this checkpoint: nothing to compare
    let bestFile = directory + "/best.json"
    if let data = FileManager.default.contents(atPath: bestFile),
      let best = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let bestMetric = best["metric"] as? Double, FileManager.default.fileExists(atPath: best["path"] as? String ?? ""),
      bestMetric <= metric
    {
      return
    }
    let data = try JSONSerialization.data(withJSONObject: ["path": path, "metric": metric])
    try data.write(to: URL(fileURLWithPath: bestFile + ".tmp"))
    guard rename(bestFile + ".tmp", bestFile) == 0 else { throw CheckpointError(path: bestFile, "cannot update") }
  }

  /// The best checkpoint's path, if any metric was recorded.
  public var best: String? {
    guard let data = FileManager.default.contents(atPath: directory + "/best.json"),
      let best = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    return best["path"] as? String
  }

  /// Deletes all but the newest `keepLast` checkpoints and the best one.
  public func prune() {
    let keep = Set(existing().prefix(keepLast).map(\.path) + (best.map { [$0] } ?? []))
    for candidate in existing() where !keep.contains(candidate.path) {
      try? FileManager.default.removeItem(atPath: candidate.path)
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
