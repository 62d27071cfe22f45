// A run directory's checkpoints: numbered files, retention of the last K plus the best by a
// validation metric, and finding the newest valid one to resume from.

import AtomicFiles
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

  /// The newest checkpoint that reads completely (`Checkpoint.read`: every tensor, rank and
  /// metric present and well-formed); each newer file that does not is skipped with a warning
  /// on stderr. nil when the folder holds no checkpoint file.
  /// - Throws: `CheckpointError` when checkpoint files exist but none reads, naming each file
  ///   and its problem: `--resume auto` must not silently start over and then prune them.
  public func newestValid() throws -> String? {
    let candidates = existing()
    var problems: [String] = []
    for candidate in candidates {
      do {
        _ = try Checkpoint.read(candidate.path)
        return candidate.path
      } catch {
        let problem = "\(error)"
        StandardError.writeLine("minillm-dist: warning: skipping unusable checkpoint \(candidate.path): \(problem)")
        problems.append(problem)
      }
    }
    guard candidates.isEmpty else {
      throw CheckpointError(
        path: directory,
        "holds \(candidates.count) checkpoint file(s) but none reads (newest: \(problems[0])); nothing was overwritten — fix or move them, resume from a path with --resume FILE, or use a new run directory")
    }
    return nil
  }

  /// The step of a checkpoint path of this store (`step-NNNNNNNN.h5`), or nil.
  public func step(of path: String) -> Int? {
    existing().first { $0.path == path }?.step
  }

  /// Records `metric` (lower is better) for the checkpoint at `path` and keeps `best` pointing
  /// at the best one so far. Equal metrics are decided by `tieBreak` (lower is better; equal
  /// again: the earlier checkpoint stays).
  public func recordMetric(_ metric: Double, tieBreak: Double = .infinity, for path: String) throws {
    guard metric.isFinite else { return }  // no metric for this checkpoint: nothing to compare
    let bestFile = directory + "/best.json"
    if let data = FileManager.default.contents(atPath: bestFile),
      let best = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let bestMetric = best["metric"] as? Double, FileManager.default.fileExists(atPath: best["path"] as? String ?? "")
    {
      let bestTieBreak = best["tie_break"] as? Double ?? .infinity
      if bestMetric < metric || (bestMetric == metric && !(tieBreak < bestTieBreak)) { return }
    }
    var record: [String: Any] = ["path": path, "metric": metric]
    if tieBreak.isFinite { record["tie_break"] = tieBreak }
    let data = try JSONSerialization.data(withJSONObject: record)
    do { try AtomicFile.write(data, to: bestFile) } catch let error as AtomicFileError {
      throw CheckpointError(path: bestFile, "cannot update: \(error.reason)")
    }
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
